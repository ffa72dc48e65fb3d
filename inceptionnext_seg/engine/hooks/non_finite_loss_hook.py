"""Stop training on a NaN or infinite loss (in every config's
``custom_hooks``)."""
import math

import torch
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

__all__ = ['NonFiniteLossHook']


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training on a NaN or infinite loss instead of training on."""

    priority = 'ABOVE_NORMAL'

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        for key, value in (outputs or {}).items():
            if 'loss' not in key:
                continue
            value = float(value.detach() if torch.is_tensor(value) else value)
            if not math.isfinite(value):
                raise FloatingPointError(
                    f'Non-finite loss at iteration {runner.iter + 1}: '
                    f'{key} = {value}. Stopping instead of training on. '
                    f'Lower the learning rate, check the data, or resume from '
                    f'the last checkpoint in {runner.work_dir}.')
