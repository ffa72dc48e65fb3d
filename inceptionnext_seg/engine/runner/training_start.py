"""Where a run starts: resumed, loaded from ``load_from`` or afresh, as
:func:`~..auto_resume.choose_start` decides from ``resume``,
``auto_resume`` (training only) and ``load_from``. In a distributed run
rank 0 decides and tells the others: each rank reading every checkpoint of
the work dir to choose would read them N times over, and on a file system
that shows new files late, ranks could choose differently."""
from typing import Callable

from mmengine.dist import broadcast_object_list, get_rank, is_distributed
from mmengine.runner import Runner

from ...checkpoint import CheckpointError

__all__ = ['load_or_resume', 'decided_on_rank_0']


def decided_on_rank_0(decide: Callable):
    """``decide()`` on rank 0, its result (or its ``CheckpointError``) on
    every rank."""
    if not is_distributed():
        return decide()
    box = [None]
    if get_rank() == 0:
        try:
            box[0] = (True, decide())
        except CheckpointError as err:
            box[0] = (False, str(err))
    broadcast_object_list(box, src=0)
    ok, value = box[0]
    if not ok:
        raise CheckpointError(value)
    return value


def load_or_resume(runner: Runner, training: bool) -> None:
    """Resume or load ``runner`` once, and log why.

    Args:
        runner: the runner (its ``cfg``, ``work_dir``, ``logger``).
        training: whether it trains: ``auto_resume`` applies to training
            only (a test run loads ``load_from``).
    """
    from ..auto_resume import choose_start
    if runner._has_loaded:
        return
    start = decided_on_rank_0(lambda: choose_start(
        bool(runner.cfg.get('resume', False)),
        bool(runner.cfg.get('auto_resume', False)) and training,
        runner.cfg.get('load_from'), runner.work_dir, runner.cfg))
    if start.note:
        runner.logger.info(start.note)
    if start.resume_from is not None:
        runner.resume(start.resume_from)
        runner._has_loaded = True
    elif start.load_from is not None:
        runner.load_checkpoint(start.load_from)
        runner._has_loaded = True
