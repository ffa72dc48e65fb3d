"""``ClassIoUMetric`` that also keeps what an evaluation report needs: each
image's areas, the full confusion matrix and the label maps it compared.

``tools/test.py --report DIR`` puts it in place of the config's IoU metric;
mmseg's own ``tools/test.py`` gets the same report with
``--cfg-options test_evaluator.type=ReportIoUMetric
test_evaluator.report_dir=DIR``. Its returned metrics are
``IoUMetric``'s, unchanged.
"""
import datetime
import os.path as osp
from pathlib import Path
from typing import Dict, Optional

import numpy as np
from mmengine.logging import print_log
from mmseg.registry import METRICS

from .class_iou_metric import ClassIoUMetric
from .run_results import DATA, RunResults, confusion_of

__all__ = ['ReportIoUMetric']


@METRICS.register_module()
class ReportIoUMetric(ClassIoUMetric):
    """``ClassIoUMetric`` that saves each run's per-image results under
    ``report_dir/data`` and writes the HTML report ``report_dir/index.html``.

    Args:
        report_dir: the folder of the report.
        run_info: what is evaluated, shown in the report (config,
            checkpoint, ...); the date is added.
        gallery_size: how many worst and best images the gallery shows.
        write_html: write ``index.html`` after the evaluation (else only the
            data, for ``tools/report.py``).
        **kwargs: ``IoUMetric`` arguments.
    """

    def __init__(self, report_dir: str, run_info: Optional[dict] = None,
                 gallery_size: int = 8, write_html: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if self.format_only:
            raise ValueError('ReportIoUMetric needs the labels: it cannot '
                             'run with format_only=True')
        self.report_dir = Path(report_dir)
        self.run_info = dict(run_info or {})
        self.gallery_size = gallery_size
        self.write_html = write_html

    def process(self, data_batch: dict, data_samples) -> None:
        """Add each image's areas (as ``IoUMetric``), its confusion matrix
        and name, and save its prediction and label."""
        import cv2
        start = len(self.results)
        super().process(data_batch, data_samples)
        num_classes = len(self.dataset_meta['classes'])
        # 16-bit PNGs where a class index does not fit 8 bits.
        dtype = np.uint8 if max(num_classes, self.ignore_index) < 256 \
            else np.uint16
        for offset, sample in enumerate(data_samples):
            pred = sample['pred_sem_seg']['data'].squeeze().cpu().numpy()
            label = sample['gt_sem_seg']['data'].squeeze().cpu().numpy()
            name = osp.splitext(osp.basename(sample['img_path']))[0]
            for kind, array in (('pred', pred), ('label', label)):
                folder = self.report_dir / DATA / kind
                folder.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(folder / f'{name}.png'), array.astype(dtype))
            confusion = confusion_of(pred, label, num_classes,
                                     self.ignore_index)
            # Sparse: a 150x150 matrix per image would be 180 kB each.
            nonzero = np.flatnonzero(confusion)
            record = dict(name=name, img_path=str(sample['img_path']),
                          cells=nonzero.astype(np.int32),
                          counts=confusion.flat[nonzero])
            self.results[start + offset] = tuple(
                self.results[start + offset]) + (record, )

    def compute_metrics(self, results: list) -> Dict[str, float]:
        records = [r[4] for r in results]
        metrics = super().compute_metrics([r[:4] for r in results])
        classes = list(self.dataset_meta['classes'])
        num_classes = len(classes)
        names = [r['name'] for r in records]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})[:5]
            raise ValueError(f'ReportIoUMetric names the images by their '
                             f'file stem; these occur twice: {dup}')
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
        if self.write_html:
            from ..visualization.report import write_report
            path = write_report(run_results, self.report_dir,
                                gallery_size=self.gallery_size)
            print_log(f'Evaluation report: {path}', logger='current')
        return metrics


def _default_palette(num_classes: int):
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (num_classes, 3)).tolist()
