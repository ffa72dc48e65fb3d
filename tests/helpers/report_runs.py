"""Generated evaluation inputs for the report's tests: data samples as
mmseg's test loop hands them to a metric (prediction, label, image path)."""
from pathlib import Path
from typing import List

import cv2
import numpy as np
import torch


def make_samples(folder: Path, n: int = 6, size=(24, 32),
                 num_classes: int = 150, ignore_index: int = 255,
                 seed: int = 0, noise: float = 0.3) -> List[dict]:
    """``n`` images with block-wise labels (a few classes each, some pixels
    ignored) and predictions that are wrong on a share of the pixels that
    grows from image to image (so the worst and best images differ)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    samples = []
    h, w = size
    for i in range(n):
        label = np.empty((h, w), np.int64)
        classes = rng.choice(num_classes, 4, replace=False)
        label[:h // 2, :w // 2], label[:h // 2, w // 2:] = classes[:2]
        label[h // 2:, :w // 2], label[h // 2:, w // 2:] = classes[2:]
        label[rng.random((h, w)) < 0.05] = ignore_index
        wrong = rng.random((h, w)) < noise * (i + 1) / n
        pred = np.where(label == ignore_index, classes[0], label)
        # Wrong as a model is: mostly another class of the image, sometimes
        # one it does not contain.
        others = np.append(classes, rng.choice(num_classes, 2))
        pred[wrong] = rng.choice(others, wrong.sum())
        path = folder / f'img_{seed}_{i:03d}.jpg'
        cv2.imwrite(str(path), rng.integers(0, 255, (h, w, 3), np.uint8))
        samples.append(dict(
            img_path=str(path),
            pred_sem_seg=dict(data=torch.from_numpy(pred)[None]),
            gt_sem_seg=dict(data=torch.from_numpy(label)[None])))
    return samples


def dataset_meta(num_classes: int) -> dict:
    rng = np.random.default_rng(1)
    return dict(classes=[f'class{c}' for c in range(num_classes)],
                palette=rng.integers(0, 255, (num_classes, 3)).tolist())


def evaluate(metric, samples, num_classes: int, batch: int = 2) -> dict:
    """Run ``metric`` over ``samples`` as mmengine's evaluator does, and
    then ``EvaluationReportHook`` as a test run with the configs' hooks
    does (it writes the page of a ``ReportIoUMetric``)."""
    from types import SimpleNamespace

    from inceptionnext_seg.engine.hooks import EvaluationReportHook
    metric.dataset_meta = dataset_meta(num_classes)
    for start in range(0, len(samples), batch):
        metric.process({}, samples[start:start + batch])
    metrics = metric.compute_metrics(metric.results)
    runner = SimpleNamespace(test_evaluator=SimpleNamespace(metrics=[metric]))
    EvaluationReportHook().after_test_epoch(runner, metrics)
    return metrics


def table_cells(page: str, table_id: str) -> List[List[str]]:
    """The text of each body cell of the table ``table_id`` in an HTML
    page (as written, or as Chromium's --dump-dom shows it)."""
    from html.parser import HTMLParser

    class Cells(HTMLParser):

        def __init__(self):
            super().__init__()
            self.rows, self.depth, self.inside, self.body = [], 0, False, 0
            self.cell = None

        def handle_starttag(self, tag, attrs):
            if tag == 'table':
                self.depth += 1
                if dict(attrs).get('id') == table_id:
                    self.inside = self.depth
            if not self.inside:
                return
            if tag == 'tbody':
                self.body = True
            elif tag == 'tr' and self.body:
                self.rows.append([])
            elif tag in ('td', 'th') and self.body:
                self.cell = ''

        def handle_endtag(self, tag):
            if self.inside and tag in ('td', 'th') and self.cell is not None:
                self.rows[-1].append(self.cell.strip())
                self.cell = None
            if tag == 'table':
                if self.inside == self.depth:
                    self.inside, self.body = False, False
                self.depth -= 1

        def handle_data(self, data):
            if self.cell is not None:
                self.cell += data

    parser = Cells()
    parser.feed(page)
    return parser.rows
