"""Each class's IoU and accuracy of every validation among the logged
scalars: the JSON log (``vis_data/<time>.json``, ``scalars.json``) and every
visualizer backend (TensorBoard, W&B), next to ``mIoU``, as
``IoU.<class>`` and ``Acc.<class>`` (mmseg 0.x's names). mmseg 1.x prints
the per-class table to the log only (mmseg #2964).

The numbers are ``ClassIoUMetric``'s ``per_class`` (mmseg's own
``total_area_to_metrics``); the hook puts them into the message hub after
``RuntimeInfoHook`` has put the metrics there and before ``LoggerHook``
writes them, so they are logged in the same record, at the same step. The
returned metrics are unchanged (``save_best``, ``tools/test.py``'s JSON and
the training curves see only ``aAcc``, ``mIoU``, ``mAcc``); the console
shows their count, not each (``console_log.DigestFormatter``).
"""
import logging
from typing import Iterable, Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmseg.registry import HOOKS

from ...evaluation.class_iou_metric import class_scalars, is_class_scalar

__all__ = ['ClassScalarsHook']


@HOOKS.register_module()
class ClassScalarsHook(Hook):
    """Log each class's metrics of each validation (and test) as scalars.

    A class whose metric is undefined in an evaluation (neither in the
    labels nor predicted) has no scalar in it; one logged by an earlier
    evaluation is dropped, not repeated. Without a ``ClassIoUMetric`` (or
    ``ReportIoUMetric``) in the evaluator, says so once, at WARNING.

    Args:
        metrics: which per-class metrics to log (``IoU``, ``Acc``, and
            ``Dice``, ``Fscore``, ``Precision``, ``Recall`` where the
            metric computes them).
    """

    # After RuntimeInfoHook (VERY_HIGH), before LoggerHook (BELOW_NORMAL).
    priority = 'NORMAL'

    def __init__(self, metrics: Iterable[str] = ('IoU', 'Acc')) -> None:
        self.metrics = tuple(metrics)
        self._warned = False

    def after_val_epoch(self, runner, metrics: Optional[dict] = None
                        ) -> None:
        self._log(runner, 'val', runner.val_evaluator)

    def after_test_epoch(self, runner, metrics: Optional[dict] = None
                         ) -> None:
        self._log(runner, 'test', runner.test_evaluator)

    def _log(self, runner, mode: str, evaluator) -> None:
        tables = [m.per_class for m in getattr(evaluator, 'metrics', [])
                  if getattr(m, 'per_class', None)]
        if not tables:
            if not self._warned and runner.rank == 0:
                self._warned = True
                print_log('ClassScalarsHook: no per-class results to log: '
                          "the evaluator has no ClassIoUMetric (type="
                          "'ClassIoUMetric' in place of 'IoUMetric')",
                          logger='current', level=logging.WARNING)
            return
        hub = runner.message_hub
        scalars = class_scalars(tables[0], self.metrics)
        prefix = f'{mode}/'
        for key in [k for k in hub.log_scalars
                    if k.startswith(prefix) and is_class_scalar(k)
                    and k[len(prefix):] not in scalars]:
            hub.log_scalars.pop(key)  # stale: undefined in this evaluation
        for key, value in scalars.items():
            hub.update_scalar(prefix + key, value)
