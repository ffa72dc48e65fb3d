"""Evaluation (mmseg's ``METRICS``): the IoU metric that keeps its per-class
results, the one that also keeps what the evaluation report needs, and the
saved results of a run."""
from .class_iou_metric import ClassIoUMetric
from .report_iou_metric import ReportIoUMetric
from .run_results import RunResults, confusion_of, load_run

__all__ = ['ClassIoUMetric', 'ReportIoUMetric', 'RunResults', 'load_run',
           'confusion_of']
