"""How much disk a run's checkpoints will take, said when training starts
(in every config's ``custom_hooks``)."""
import math
import os
import shutil
from typing import Tuple

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook, Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS

__all__ = ['CheckpointDiskHook', 'checkpoint_bytes']

#: Optimizer state tensors per trainable parameter, by optimizer class,
#: before the first step has created them.
_STATE_PER_PARAM = {'SGD': 1, 'Adam': 2, 'AdamW': 2, 'Adamax': 2,
                    'NAdam': 2, 'RAdam': 2, 'Adagrad': 1, 'RMSprop': 1}


def _tensor_bytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors
               if isinstance(t, torch.Tensor))


def checkpoint_bytes(model: torch.nn.Module,
                     optimizer: torch.optim.Optimizer) -> Tuple[int, int]:
    """(weights, optimizer state) bytes of one checkpoint: the state dict,
    and the optimizer's state as it is, or as its class will make it when
    it has none yet."""
    weights = _tensor_bytes(model.state_dict().values())
    state = _tensor_bytes(v for s in optimizer.state.values()
                          for v in s.values())
    if not state:
        params = [p for g in optimizer.param_groups for p in g['params']
                  if p.requires_grad]
        per_param = _STATE_PER_PARAM.get(type(optimizer).__name__, 2)
        if type(optimizer).__name__ == 'SGD' and not any(
                g.get('momentum') for g in optimizer.param_groups):
            per_param = 0
        state = per_param * _tensor_bytes(params)
    return weights, state


def _gb(n: float) -> str:
    return f'{n / 1e9:.2f} GB' if n >= 1e8 else f'{n / 1e6:.0f} MB'


@HOOKS.register_module()
class CheckpointDiskHook(Hook):
    """Log, on rank 0 at the start of training, the size of one checkpoint,
    how many the checkpoint hook keeps at a time (``max_keep_ckpts`` plus
    the best), the disk that takes and the free space of the disk they go
    to; warn when the free space is short. A save that finds the disk full
    stops the run with the previous checkpoints intact
    (:class:`~inceptionnext_seg.checkpoint.AtomicLocalBackend`)."""

    priority = 'LOW'

    def before_train(self, runner) -> None:
        if not is_main_process():
            return
        hooks = [h for h in runner.hooks if isinstance(h, CheckpointHook)]
        if not hooks or getattr(runner, 'optim_wrapper', None) is None:
            return
        hook = hooks[0]
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        optimizer = getattr(runner.optim_wrapper, 'optimizer', None)
        if optimizer is None:
            return
        weights, state = checkpoint_bytes(model, optimizer)
        each = weights + (state if hook.save_optimizer else 0)
        saves = None if hook.by_epoch or hook.interval <= 0 else \
            math.ceil(runner.max_iters / hook.interval)
        kept = hook.max_keep_ckpts if hook.max_keep_ckpts > 0 else saves
        best = 1 if hook.save_best else 0
        out_dir = hook.out_dir if isinstance(hook.out_dir, str) and \
            os.path.isdir(hook.out_dir) else runner.work_dir
        free = shutil.disk_usage(out_dir).free
        if kept is None:
            runner.logger.info(
                f'Checkpoints: about {_gb(each)} each; {_gb(free)} free on '
                f'{out_dir}.')
            return
        total = each * (kept + best)
        how = (f'the newest {hook.max_keep_ckpts}' if hook.max_keep_ckpts > 0
               else 'every one') + (' + the best' if best else '')
        runner.logger.info(
            f'Checkpoints: about {_gb(each)} each (weights {_gb(weights)}'
            + (f', optimizer state {_gb(state)}' if hook.save_optimizer
               else '') + f'), up to {kept + best} kept ({how}): about '
            f'{_gb(total)}; {_gb(free)} free on {out_dir}.')
        if free < total:
            runner.logger.warning(
                f'The disk of {out_dir} has {_gb(free)} free, less than the '
                f'{_gb(total)} the checkpoints will take: free space, lower '
                f'default_hooks.checkpoint.max_keep_ckpts, or point '
                f'--work-dir elsewhere. A save that finds the disk full '
                f'stops the run and keeps the previous checkpoints.')
