"""The built-in example (`make demo`): generate a small ADE20K-format dataset,
train InceptionNeXt-atto + Semantic FPN on it on the CPU (a few minutes),
evaluate the best checkpoint and write coloured predictions.

It runs the same commands a user runs on ADE20K, and prints them.
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CONFIG = 'configs/demo/fpn_inceptionnext_atto_demo.py'
DATA_ROOT = 'data/ade_demo/ADEChallengeData2016'

#: Seconds per training iteration of the demo config (8 crops of 128x128)
#: on 2 cores with nothing else running, by the widest vector unit, and the
#: seconds of everything else (start-up, validation, test); how they were
#: measured: docs/training.md#the-built-in-example-make-demo.
SECONDS_PER_ITERATION = {'AVX-512': 0.40, 'AVX2': 0.63}
OTHER_SECONDS = 70


def run(cmd):
    print('\n$ ' + ' '.join(cmd), flush=True)
    subprocess.run([sys.executable] + cmd, cwd=ROOT, check=True)


def build_parser() -> argparse.ArgumentParser:
    """The command line of this tool (builds the parser, parses nothing)."""
    parser = argparse.ArgumentParser(
        description='The built-in example (make demo): generate a small '
        'ADE20K-format dataset, train InceptionNeXt-atto + Semantic FPN on it '
        'on the CPU, evaluate the best checkpoint and write coloured '
        'predictions.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--work-dir', default=str(ROOT / 'work_dirs' / 'demo'),
                        help='where the run writes its files')
    parser.add_argument('--iters', type=int, default=None,
                        help='training iterations, validated and saved at '
                        'the end (default: the config\'s 300, validated '
                        'every 150)')
    parser.add_argument('--data-root', default=str(ROOT / DATA_ROOT),
                        help='where the demo dataset is (generated there '
                        'when missing)')
    return parser


def main():
    parser = build_parser()
    args = parser.parse_args()
    if args.iters is not None and args.iters < 2:
        parser.error(f'--iters {args.iters}: the demo trains for at least 2 '
                     f'iterations.')

    from inceptionnext_seg.datasets.synthetic_ade20k import make_ade20k_like
    data_root = Path(args.data_root).resolve()
    if not (data_root / 'images').is_dir():
        print(f'Generating the demo dataset in {data_root} ...', flush=True)
        make_ade20k_like(data_root)
    work_dir = Path(args.work_dir).resolve()
    data = [f'{split}_dataloader.dataset.data_root={data_root}'
            for split in ('train', 'val', 'test')]
    options = data
    if args.iters:
        from inceptionnext_seg.utils.short_run import short_run_options
        options = data + short_run_options(args.iters)
    from inceptionnext_seg.utils.quiet import quiet_library_warnings
    quiet_library_warnings()  # the config's custom_imports import mmcv
    from mmengine.config import Config
    iters = args.iters or Config.fromfile(
        str(ROOT / CONFIG)).train_cfg.max_iters
    from inceptionnext_seg.utils.expected_time import expected_time
    print(expected_time(
        f'Training {iters} iterations, then the test',
        {kind: (OTHER_SECONDS + iters * seconds) / 60
         for kind, seconds in SECONDS_PER_ITERATION.items()})
        + " After its second iteration the training log gives this "
        "machine's pace.", flush=True)
    started = time.time()
    # --fresh: the example trains from the beginning every time, also where
    # the work dir holds an earlier run (which auto_resume would go on).
    run(['tools/train.py', CONFIG, '--work-dir', str(work_dir), '--fresh',
         '--cfg-options', *options])
    # The best checkpoint of this run (a work dir may hold an earlier
    # run's), by iteration; else the last one this run wrote.
    best = [p for p in work_dir.glob('best_mIoU_iter_*.pth')
            if p.stat().st_mtime >= started]
    best.sort(key=lambda p: int(p.stem.rsplit('_', 1)[1]))
    checkpoint = best[-1] if best else Path(
        (work_dir / 'last_checkpoint').read_text().strip())
    out = work_dir / 'predictions'
    run(['tools/test.py', CONFIG, str(checkpoint), '--work-dir',
         str(work_dir / 'test'), '--out', str(out / 'labels'),
         '--show-dir', str(out / 'coloured'), '--cfg-options', *data])
    metrics = sorted((work_dir / 'test').glob('*/test_metrics.json'))[-1]
    result = json.loads(metrics.read_text())
    print(f'\nDemo done: mIoU {result["mIoU"]:.2f} (aAcc '
          f'{result["aAcc"]:.2f}, mAcc {result["mAcc"]:.2f}) on the demo '
          f'validation set.\n'
          f'Checkpoint:           {checkpoint}\n'
          f'Training curves:      {work_dir / "training_curves.png"}\n'
          f'ADE20K-encoded PNGs:  {out / "labels"}\n'
          f'Coloured predictions: {out / "coloured"} (ground truth | '
          f'prediction)')


if __name__ == '__main__':
    main()
