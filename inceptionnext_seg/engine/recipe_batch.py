"""The recipe's total batch on fewer GPUs, through gradient accumulation.

The paper's recipes use 16 (UperNet, 8 GPUs x 2) and 32 (FPN, 8 GPUs x 4)
images per optimizer step. :func:`keep_recipe_batch` makes a config take the
same optimizer steps on P processes with B images each:

* the optimizer wrapper accumulates ``k = recipe batch / (P x B)``
  iterations per step (``optim_wrapper.accumulative_counts``);
* what the runner counts in iterations is scaled by ``k``: ``max_iters``,
  the validation and checkpoint intervals;
* the schedulers keep the recipe's numbers, counted in optimizer steps:
  :class:`UpdateParamSchedulerHook` steps them after every k-th iteration
  only, so update ``u`` gets exactly the recipe's lr of step ``u``, for
  every scheduler type (scaling ``begin``/``end`` instead would be off by
  part of a step, differently for each type).

``tools/train.py --keep-recipe-batch GPUS BATCH`` calls it; configs can use
the hook directly with
``default_hooks = dict(param_scheduler=dict(type='UpdateParamSchedulerHook',
every=k))``.
"""
from mmengine.config import Config

__all__ = ['keep_recipe_batch']


#: Decode heads whose pyramid pooling has a 1x1 bin followed by BatchNorm.
POOLING_HEADS = ('UPerHead', 'PSPHead')


def keep_recipe_batch(cfg: Config, processes: int, batch: int) -> str:
    """Set ``cfg`` to train the recipe's total batch (``auto_scale_lr.
    base_batch_size``) as ``processes`` x ``batch`` x gradient accumulation
    (see the module docstring).

    Returns:
        What was changed, for the log.

    Raises:
        ValueError: when the recipe batch is not a multiple of ``processes``
            x ``batch``, the schedule is not iteration-based, or the config
            already accumulates.
    """
    if processes < 1 or batch < 1:
        raise ValueError(f'GPUs and batch per GPU must be >= 1, got '
                         f'{processes} and {batch}.')
    recipe = cfg.get('auto_scale_lr', {}).get('base_batch_size')
    if not recipe:
        raise ValueError('The config has no auto_scale_lr.base_batch_size '
                         '(the recipe\'s total batch) to keep.')
    # One image in one process: the BN after pyramid pooling's 1x1 bin sees
    # one value per channel and raises (SyncBN counts over the processes).
    pooled = cfg.model.get('decode_head', {}).get('type') in POOLING_HEADS
    least = 2 if processes == 1 and pooled else 1
    if batch < least:
        raise ValueError(
            f'{cfg.model.decode_head.type} needs at least 2 images per '
            f'batch in one process (the BatchNorm after its 1x1 pyramid '
            f'pooling sees one value per channel, and training stops with '
            f'"Expected more than 1 value per channel"): use '
            f'--keep-recipe-batch 1 2 or more, or more GPUs.')
    if recipe % (processes * batch):
        fits = [b for b in range(least, recipe + 1)
                if recipe % (processes * b) == 0]
        raise ValueError(
            f'The recipe batch {recipe} is not a multiple of {processes} '
            f'GPU(s) x {batch}; batches per GPU that divide it: {fits}.')
    k = recipe // (processes * batch)
    train_cfg = cfg.train_cfg
    if train_cfg.get('type') not in ('IterBasedTrainLoop', None) or \
            'max_iters' not in train_cfg:
        raise ValueError('keep_recipe_batch needs an iteration-based '
                         f'train_cfg (max_iters), got {dict(train_cfg)}.')
    if cfg.optim_wrapper.get('accumulative_counts', 1) != 1:
        raise ValueError('optim_wrapper.accumulative_counts is already '
                         f'{cfg.optim_wrapper.accumulative_counts}.')
    schedulers = cfg.get('param_scheduler') or []
    for s in [schedulers] if isinstance(schedulers, dict) else schedulers:
        if s.get('by_epoch', True):
            raise ValueError(f'Scheduler {s.get("type")} is epoch-based; '
                             f'only iteration-based schedules are kept.')
    hooks = cfg.setdefault('default_hooks', {})
    scheduler_hook = hooks.get('param_scheduler') or {}
    if scheduler_hook.get('type', 'ParamSchedulerHook') not in (
            'ParamSchedulerHook', 'UpdateParamSchedulerHook'):
        raise ValueError(f'default_hooks.param_scheduler is '
                         f'{scheduler_hook.get("type")}; cannot keep the '
                         f'schedule per optimizer step.')

    lines = [f'Recipe batch {recipe} kept as {processes} GPU(s) x {batch} '
             f'images x {k} accumulated iterations per optimizer step:']
    cfg.train_dataloader.batch_size = batch
    cfg.optim_wrapper.accumulative_counts = k
    hooks.param_scheduler = dict(type='UpdateParamSchedulerHook', every=k)
    steps = train_cfg.max_iters
    train_cfg.max_iters = k * steps
    lines.append(f'  max_iters {steps} -> {train_cfg.max_iters} '
                 f'({steps} optimizer steps, as the recipe)')
    if train_cfg.get('val_interval'):
        before = train_cfg.val_interval
        train_cfg.val_interval = k * before
        lines.append(f'  val_interval {before} -> {train_cfg.val_interval}')
    checkpoint = hooks.get('checkpoint')
    if checkpoint and checkpoint.get('by_epoch', True) is False and \
            checkpoint.get('interval', -1) > 0:
        before = checkpoint.interval
        checkpoint.interval = k * before
        lines.append(f'  checkpoint interval {before} -> '
                     f'{checkpoint.interval}')
    lines.append('  schedulers unchanged, stepped once per optimizer step '
                 '(UpdateParamSchedulerHook): the recipe\'s lr curve')
    return '\n'.join(lines)
