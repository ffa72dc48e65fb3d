"""Evaluation (mmseg's ``METRICS``): the IoU metric that keeps its per-class
results."""
from .class_iou_metric import ClassIoUMetric

__all__ = ['ClassIoUMetric']
