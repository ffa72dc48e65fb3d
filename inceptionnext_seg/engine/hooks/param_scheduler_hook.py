"""Schedulers stepped once per optimizer update when gradients accumulate
(``tools/train.py --keep-recipe-batch``, :mod:`..recipe_batch`)."""
from typing import Optional

from mmengine.hooks import ParamSchedulerHook
from mmseg.registry import HOOKS

__all__ = ['UpdateParamSchedulerHook']


@HOOKS.register_module()
class UpdateParamSchedulerHook(ParamSchedulerHook):
    """mmengine's ``ParamSchedulerHook`` that steps iteration-based
    schedulers after every ``every``-th iteration (each optimizer update
    when accumulating ``every`` iterations), not after each iteration."""

    def __init__(self, every: int = 1):
        if not isinstance(every, int) or every < 1:
            raise ValueError(f'every must be an int >= 1, got {every!r}.')
        self.every = every

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if (runner.iter + 1) % self.every == 0:
            super().after_train_iter(runner, batch_idx, data_batch, outputs)
