"""How fast a large evaluation report opens: generate a run of N images
(ADE20K's 150 classes, procedural scenes at ADE20K's size, predictions wrong
on a varying share of each image), evaluate it with ``ReportIoUMetric`` as
``tools/test.py --report`` does, then open the page in headless Chromium and
print its size and load times.

Example (the figures in docs/evaluation.md):
    python tools/dev/report_benchmark.py --images 2000 --out /tmp/report2000
"""
import argparse
import os
import platform
import time
from pathlib import Path

from inceptionnext_seg.utils.quiet import quiet_library_warnings

quiet_library_warnings()  # before mmengine/mmcv/mmseg raise them at import

import cv2
import numpy as np
import torch
from mmseg.datasets import ADE20KDataset

from inceptionnext_seg.datasets.synthetic_ade20k import draw_scene
from inceptionnext_seg.evaluation import ReportIoUMetric
from inceptionnext_seg.visualization.report import write_report
from inceptionnext_seg.visualization.report.browser import (find_chromium,
                                                            self_check)


def build_parser() -> argparse.ArgumentParser:
    """The command line of this tool (builds the parser, parses nothing)."""
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--images', type=int, default=2000,
                        help='number of images of the generated run')
    parser.add_argument('--size', type=int, nargs=2, default=(512, 683),
                        metavar=('H', 'W'),
                        help='image size (ADE20K\'s validation images are '
                        'about 512 pixels on the short side)')
    parser.add_argument('--scenes', type=int, default=50,
                        help='distinct scenes drawn (each image reuses one; '
                        'its prediction is its own)')
    parser.add_argument('--gallery', type=int, default=8,
                        help='the report\'s K worst and best images')
    parser.add_argument('--out', required=True,
                        help='an empty folder for the images and the report')
    return parser


def parse_args():
    parser = build_parser()
    return parser.parse_args()


def wrong_prediction(rng, label: np.ndarray) -> np.ndarray:
    """The label shifted by a few pixels, with a block of another class."""
    h, w = label.shape
    pred = np.roll(label, rng.integers(-8, 9, 2), axis=(0, 1))
    pred = np.where(pred == 255, 0, pred)
    share = rng.uniform(0.0, 0.6)
    bh, bw = int(h * share ** 0.5), int(w * share ** 0.5)
    y, x = rng.integers(0, h - bh + 1), rng.integers(0, w - bw + 1)
    pred[y:y + bh, x:x + bw] = rng.integers(0, 150)
    return pred


def cpu_name() -> str:
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main():
    args = parse_args()
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f'{out} is not empty')
    rng = np.random.default_rng(0)
    images = out / 'inputs'
    images.mkdir(parents=True)
    start = time.perf_counter()
    scenes = []
    for s in range(args.scenes):
        image, ade = draw_scene(rng, tuple(args.size))
        path = images / f'scene_{s:03d}.jpg'
        cv2.imwrite(str(path), image)
        # reduce_zero_label, as the ADE20K configs load the labels
        scenes.append((path, ade.astype(np.int64) - 1 + 256 * (ade == 0)))
    metric = ReportIoUMetric(report_dir=str(out / 'report'),
                             gallery_size=args.gallery,
                             run_info=dict(config='generated',
                                           checkpoint='generated'))
    metric.dataset_meta = ADE20KDataset.METAINFO
    for i in range(args.images):
        scene, label = scenes[i % len(scenes)]
        path = images / f'ADE_val_{i + 1:08d}.jpg'
        os.link(scene, path)
        metric.process({}, [dict(
            img_path=str(path),
            gt_sem_seg=dict(data=torch.from_numpy(label)[None]),
            pred_sem_seg=dict(data=torch.from_numpy(
                wrong_prediction(rng, label))[None]))])
    processed = time.perf_counter() - start
    metric.compute_metrics(metric.results)
    write_report(metric.saved_run, out / 'report', gallery_size=args.gallery)
    built = time.perf_counter() - start - processed
    report = out / 'report'
    page = report / 'index.html'
    pictures = sum(p.stat().st_size for p in (report / 'img').iterdir())
    data = sum(p.stat().st_size for p in (report / 'data').rglob('*')
               if p.is_file())
    print(f'{args.images} images of {args.size[0]}x{args.size[1]}, '
          f'{cpu_name()}, '
          f'{os.cpu_count()} CPUs')
    print(f'  evaluation (metric, label maps saved) {processed:.1f} s, '
          f'report built {built:.1f} s')
    print(f'  index.html {page.stat().st_size / 1e6:.2f} MB, pictures '
          f'{len(list((report / "img").iterdir()))} files '
          f'{pictures / 1e6:.2f} MB; data/ (not loaded by the page) '
          f'{data / 1e6:.1f} MB')
    if find_chromium() is None:
        raise SystemExit('no chromium on PATH: cannot time the page')
    runs = [self_check(page) for _ in range(3)]
    best = min(runs, key=lambda r: r['load_ms'])
    assert not best['broken'], best['broken'][:5]
    print(f'  Chromium {best["images"]} pictures loaded; best of 3: '
          f'DOMContentLoaded {best["dom_content_loaded_ms"]:.0f} ms, load '
          f'{best["load_ms"]:.0f} ms; all-images table drawn on opening '
          f'in {best["lazy_tables_ms"]:.0f} ms; whole Chromium run (start '
          f'included) {best["wall_s"]:.1f} s')


if __name__ == '__main__':
    main()
