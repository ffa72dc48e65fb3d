"""mmseg's ``IoUMetric``, keeping the per-class results it prints (for the
metrics JSON of ``tools/test.py``): the same numbers, computed by mmseg's own
``total_area_to_metrics``."""
import math
from typing import Dict, Optional, Sequence

import torch
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS

__all__ = ['ClassIoUMetric', 'class_table', 'class_scalars',
           'is_class_scalar', 'CLASS_METRICS']

#: The per-class metrics mmseg's ``total_area_to_metrics`` computes; a
#: per-class scalar is named ``<metric>.<class>`` (``IoU.sky``).
CLASS_METRICS = ('IoU', 'Acc', 'Dice', 'Fscore', 'Precision', 'Recall')


@METRICS.register_module()
class ClassIoUMetric(IoUMetric):
    """``IoUMetric`` whose ``per_class`` holds, after each evaluation, every
    class's metrics in percent (None where undefined: a class neither in
    the labels nor predicted) and its number of labelled pixels (exact,
    also past float32's 2**24 at which IoUMetric's own sums round).

    Args:
        **kwargs: ``IoUMetric`` arguments.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.per_class: Optional[Dict[str, dict]] = None

    def compute_metrics(self, results: list) -> Dict[str, float]:
        metrics = super().compute_metrics(results)
        if self.format_only:
            return metrics
        intersect, union, predicted, labelled = (sum(r) for r in
                                                 zip(*results))
        # The metrics from IoUMetric's float32 sums (its numbers); the
        # pixels exact: each image's float32 area is an exact integer
        # (below 2**24), their float32 sum is not past 2**24.
        pixels = torch.stack([r[3] for r in results]).to(torch.int64).sum(0)
        per_class = self.total_area_to_metrics(
            intersect, union, predicted, labelled, self.metrics,
            self.nan_to_num, self.beta)
        self.per_class = class_table(self.dataset_meta['classes'],
                                     per_class, pixels)
        return metrics


def class_table(classes: Sequence[str], per_class: Dict[str, Sequence],
                pixels: Sequence[int]) -> Dict[str, dict]:
    """Each class's metrics in percent, two decimals (None where undefined:
    a class neither in the labels nor predicted), and its labelled pixels.

    Args:
        classes: the class names.
        per_class: ``IoUMetric.total_area_to_metrics``'s per-class arrays
            (``aAcc`` is left out).
        pixels: each class's labelled pixels.
    """
    table = {}
    for i, name in enumerate(classes):
        values = {key: float(value[i]) * 100
                  for key, value in per_class.items() if key != 'aAcc'}
        table[name] = dict({k: None if math.isnan(v) else round(v, 2)
                            for k, v in values.items()},
                           pixels=int(pixels[i]))
    return table


def class_scalars(table: Dict[str, dict],
                  metrics: Sequence[str] = ('IoU', 'Acc')) -> Dict[str, float]:
    """The per-class scalars of a :func:`class_table`: ``IoU.<class>``,
    ``Acc.<class>`` ... in percent, for the classes where each is defined.

    Args:
        table: :attr:`ClassIoUMetric.per_class`.
        metrics: the per-class metrics to give.
    """
    return {f'{metric}.{name}': row[metric]
            for metric in metrics for name, row in table.items()
            if row.get(metric) is not None}


def is_class_scalar(key: str) -> bool:
    """Whether a logged scalar's name (``IoU.sky``, ``val/IoU.sky``) is a
    per-class one (:func:`class_scalars`)."""
    name = key.split('/', 1)[1] if key.startswith(('val/', 'test/')) \
        else key
    metric, dot, _ = name.partition('.')
    return bool(dot) and metric in CLASS_METRICS
