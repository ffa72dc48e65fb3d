"""Stop training on a NaN or infinite loss (in every config's
``custom_hooks``)."""
import math

import torch
from mmengine.dist import all_reduce, is_distributed
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

__all__ = ['NonFiniteLossHook']


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training on a NaN or infinite loss instead of training on."""

    priority = 'ABOVE_NORMAL'

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        found = ''
        for key, value in (outputs or {}).items():
            if 'loss' not in key:
                continue
            value = float(value.detach() if torch.is_tensor(value) else value)
            if not math.isfinite(value):
                found = f'{key} = {value}'
                break
        if is_distributed():
            # Every rank stops in this iteration: a rank left alone would
            # wait in the next collective until the NCCL timeout.
            flag = torch.tensor([1 if found else 0])
            all_reduce(flag, op='max')
            if flag.item() and not found:
                found = 'on another rank'
        if found:
            raise FloatingPointError(
                f'Non-finite loss at iteration {runner.iter + 1}: '
                f'{found}. Stopping instead of training on. '
                f'Lower the learning rate, check the data, or resume from '
                f'the last checkpoint in {runner.work_dir}.')
