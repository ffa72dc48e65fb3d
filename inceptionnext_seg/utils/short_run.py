"""One recipe to shorten a run of this project's configs: iterations,
warm-up, validation and checkpoint intervals and logging, as
``--cfg-options`` entries (``KEY=VALUE``) for ``tools/train.py`` or mmseg's
``train.py``. ``tools/misc/demo.py`` (``--iters``) and the tests' tiny runs use
it, so that both shorten a schedule the same way.

The configs' schedule is two phases (``configs/_base_/schedules``, the demo
config): ``param_scheduler[0]`` a linear warm-up ending at the warm-up
iteration, ``param_scheduler[1]`` the poly decay from there to
``max_iters``; both are moved with the run's end.
"""
from typing import List, Optional

__all__ = ['short_run_options']


def short_run_options(max_iters: int, interval: Optional[int] = None,
                      warmup: Optional[int] = None,
                      log_interval: Optional[int] = None) -> List[str]:
    """The options that make a config train for ``max_iters`` iterations.

    Args:
        max_iters: training iterations (at least 2: one of warm-up, one of
            decay).
        interval: validate and save a checkpoint every ``interval``
            iterations (default: once, at the end).
        warmup: warm-up iterations (default: half the run, at most the
            demo config's 50).
        log_interval: log every ``log_interval`` iterations (default: the
            config's).

    Returns:
        ``KEY=VALUE`` strings, in the order a command line gives them.

    Raises:
        ValueError: a value outside the ranges above, naming it.
    """
    if max_iters < 2:
        raise ValueError(f'max_iters={max_iters}: a short run trains for at '
                         f'least 2 iterations (warm-up and decay)')
    interval = max_iters if interval is None else interval
    warmup = min(50, max_iters // 2) if warmup is None else warmup
    if not 1 <= interval <= max_iters:
        raise ValueError(f'interval={interval}: between 1 and max_iters='
                         f'{max_iters}')
    if not 1 <= warmup < max_iters:
        raise ValueError(f'warmup={warmup}: between 1 and max_iters - 1 = '
                         f'{max_iters - 1}')
    options = [
        f'train_cfg.max_iters={max_iters}',
        f'train_cfg.val_interval={interval}',
        f'default_hooks.checkpoint.interval={interval}',
        f'param_scheduler.0.end={warmup}',
        f'param_scheduler.1.begin={warmup}',
        f'param_scheduler.1.end={max_iters}',
    ]
    if log_interval is not None:
        if log_interval < 1:
            raise ValueError(f'log_interval={log_interval}: at least 1')
        options.append(f'default_hooks.logger.interval={log_interval}')
    return options
