"""Test-only hooks that inject faults into a training run.

Imported by test configs through ``custom_imports``
(``tests.helpers.fault_hooks``, with the clone on ``PYTHONPATH``).
"""
import os
import signal

import torch
from mmengine.hooks import Hook
from mmseg.registry import HOOKS


@HOOKS.register_module()
class KillAtIterHook(Hook):
    """SIGKILL this process after iteration ``at_iter`` (checkpoint written),
    on ``rank`` only if given."""

    priority = 'LOWEST'  # after the checkpoint hook

    def __init__(self, at_iter: int, rank=None):
        self.at_iter = at_iter
        self.rank = rank

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.at_iter and (
                self.rank is None or runner.rank == self.rank):
            os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module()
class InjectNaNHook(Hook):
    """Turn the stem's weights into NaN before iteration ``at_iter``."""

    def __init__(self, at_iter: int):
        self.at_iter = at_iter

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.at_iter:
            model = getattr(runner.model, 'module', runner.model)
            with torch.no_grad():
                model.backbone.stem[0].weight.fill_(float('nan'))
