"""``ClassIoUMetric`` that also keeps what an evaluation report needs: each
image's areas, the full confusion matrix and the label maps it compared,
saved under ``REPORT_DIR/data/`` (:mod:`.run_results`).

The metric collects and saves; it draws nothing. The HTML page is rendered
from the saved data by :mod:`inceptionnext_seg.visualization.report`:
after testing by ``EvaluationReportHook`` (in every config's
``custom_hooks``), or later by ``tools/analysis_tools/report.py REPORT_DIR``.
``tools/test.py --report DIR`` puts the metric in place of the config's IoU
metric; mmseg's own ``tools/test.py`` gets the same report with
``--cfg-options test_evaluator.type=ReportIoUMetric
test_evaluator.report_dir=DIR``. Its returned metrics are ``IoUMetric``'s,
unchanged.
"""
import datetime
import logging
import os.path as osp
from pathlib import Path
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.logging import print_log
from mmseg.registry import METRICS

from .class_iou_metric import ClassIoUMetric
from .run_results import DATA, RunResults, confusion_of, encode_map

__all__ = ['ReportIoUMetric']


@METRICS.register_module()
class ReportIoUMetric(ClassIoUMetric):
    """``ClassIoUMetric`` that saves each run's per-image results under
    ``report_dir/data``; ``EvaluationReportHook`` renders the HTML report
    ``report_dir/index.html`` from them (:attr:`saved_run`).

    Each image is named by its path relative to ``img_prefix`` (the test
    set's image folder), without the extension and with ``/`` as ``__``
    (``a/x.jpg`` and ``b/x.jpg``: ``a__x`` and ``b__x``); without a prefix,
    or for a path outside it, by its file stem. Two images of one name stop
    the evaluation at once, naming both paths.

    With several processes, each writes its images' label maps and rank 0 the
    rest: ``report_dir`` must be on a filesystem all of them share. A failure
    to write the HTML page is logged (at ERROR, naming the folder) and the
    metrics are still returned, so that no rank waits forever on rank 0;
    ``tools/analysis_tools/report.py report_dir`` builds the page again from
    the saved ``data/``.

    Args:
        report_dir: the folder of the report, on a filesystem every process
            shares.
        img_prefix: the test set's image folder (its ``data_root`` joined
            with ``data_prefix.img_path``) that the images are named
            relative to; ``tools/test.py --report`` sets it.
        run_info: what is evaluated, shown in the report (config,
            checkpoint, ...); the date is added.
        gallery_size: how many worst and best images the report's gallery
            shows (read by ``EvaluationReportHook``).
        write_html: whether ``EvaluationReportHook`` writes ``index.html``
            after the evaluation (else only the data is saved, for
            ``tools/analysis_tools/report.py``).
        **kwargs: ``IoUMetric`` arguments.

    Attributes:
        saved_run: the results the last evaluation saved (on the process
            that computes the metrics, rank 0), None before that or where
            nothing was saved.
    """

    def __init__(self, report_dir: str, img_prefix: Optional[str] = None,
                 run_info: Optional[dict] = None, gallery_size: int = 8,
                 write_html: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        if self.format_only:
            raise ValueError('ReportIoUMetric needs the labels: it cannot '
                             'run with format_only=True')
        self.report_dir = Path(report_dir)
        self.img_prefix = img_prefix
        # name -> image path of this evaluation's images on this process
        self._seen: Dict[str, str] = {}
        self.run_info = dict(run_info or {})
        self.gallery_size = gallery_size
        self.write_html = write_html
        self.saved_run: Optional[RunResults] = None

    def process(self, data_batch: dict, data_samples) -> None:
        """Add each image's areas (as ``IoUMetric``), its confusion matrix
        and name, and save its prediction and label."""
        import cv2
        start = len(self.results)
        if start == 0:
            # a new evaluation (mmengine clears results after each)
            self._seen = {}
        super().process(data_batch, data_samples)
        num_classes = len(self.dataset_meta['classes'])
        for offset, sample in enumerate(data_samples):
            pred = sample['pred_sem_seg']['data'].squeeze().cpu().numpy()
            label = sample['gt_sem_seg']['data'].squeeze().cpu().numpy()
            img_path = osp.abspath(str(sample['img_path']))
            name = image_name(img_path, self.img_prefix)
            if name in self._seen:
                raise ValueError(
                    f'ReportIoUMetric: {img_path} and {self._seen[name]} '
                    f'are both named {name!r} (their path relative to '
                    f'img_prefix={self.img_prefix!r}, or file stem); set '
                    f'img_prefix to the folder that holds both')
            self._seen[name] = img_path
            ignored = label == self.ignore_index
            for kind, array, skip in (('pred', pred, np.zeros_like(ignored)),
                                      ('label', label, ignored)):
                folder = self.report_dir / DATA / kind
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f'{name}.png'
                stored = encode_map(array, skip, f'the {kind} of {img_path}')
                if not cv2.imwrite(str(path), stored):
                    raise OSError(f'ReportIoUMetric: could not write {path}')
            confusion = confusion_of(pred, label, num_classes,
                                     self.ignore_index)
            # Sparse: a 150x150 matrix per image would be 180 kB each.
            nonzero = np.flatnonzero(confusion)
            record = dict(name=name, img_path=img_path,
                          cells=nonzero.astype(np.int32),
                          counts=confusion.flat[nonzero])
            self.results[start + offset] = tuple(
                self.results[start + offset]) + (record, )

    def compute_metrics(self, results: list) -> Dict[str, float]:
        self.saved_run = None
        records = [r[4] for r in results]
        metrics = super().compute_metrics([r[:4] for r in results])
        classes = list(self.dataset_meta['classes'])
        num_classes = len(classes)
        names = [r['name'] for r in records]
        if len(set(names)) != len(names):
            # Only across processes (each checks its own in process()):
            # their label maps overwrote each other. No exception here: the
            # other ranks wait for rank 0's metrics.
            dup = sorted({n for n in names if names.count(n) > 1})[:5]
            print_log(f'ReportIoUMetric: no report in {self.report_dir}: '
                      f'images of different processes share the names '
                      f'{dup}; set img_prefix to the folder that holds '
                      f'them', logger='current', level=logging.ERROR)
            return metrics
        confusion = np.zeros(num_classes * num_classes, np.int64)
        for r in records:
            np.add.at(confusion, r['cells'], r['counts'])
        areas = np.stack([np.stack([np.asarray(a.cpu(), np.float64)
                                    for a in r[:4]]) for r in results])
        palette = self.dataset_meta.get('palette') or \
            _default_palette(num_classes)
        run = dict(self.run_info,
                   date=datetime.datetime.now(datetime.timezone.utc)
                   .strftime('%Y-%m-%d %H:%M UTC'))
        run_results = RunResults(
            classes=classes, palette=[list(c) for c in palette],
            names=names, img_paths=[r['img_path'] for r in records],
            areas=np.rint(areas).astype(np.int64),
            confusion=confusion.reshape(num_classes, num_classes),
            ignore_index=self.ignore_index, metrics=list(self.metrics),
            nan_to_num=self.nan_to_num, beta=self.beta, run=run)
        run_results.save(self.report_dir)
        self.saved_run = run_results
        print_log(f'Evaluation data: {self.report_dir / DATA} (the page: '
                  'EvaluationReportHook, or python '
                  'tools/analysis_tools/report.py '
                  f'{self.report_dir})', logger='current')
        return metrics


def image_name(img_path: str, prefix: Optional[str] = None) -> str:
    """An image's name in the report: its path relative to ``prefix``
    without the extension, ``/`` as ``__``; the file stem without a prefix
    or for a path outside it.

    Args:
        img_path: the image's path.
        prefix: the folder the names are relative to.
    """
    stem = osp.splitext(osp.basename(img_path))[0]
    if not prefix:
        return stem
    rel = osp.relpath(osp.abspath(img_path), osp.abspath(prefix))
    if rel.startswith(osp.pardir + osp.sep) or rel == osp.pardir:
        return stem
    parts: Sequence[str] = osp.splitext(rel)[0].replace(osp.sep, '/') \
        .split('/')
    return '__'.join(parts)


def _default_palette(num_classes: int):
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (num_classes, 3)).tolist()
