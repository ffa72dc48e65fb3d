"""Where a run starts: resumed, loaded from ``load_from`` or afresh, as
:func:`~..auto_resume.choose_start` decides from ``resume``,
``auto_resume`` (training only) and ``load_from``."""
from mmengine.runner import Runner

__all__ = ['load_or_resume']


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
    start = choose_start(
        bool(runner.cfg.get('resume', False)),
        bool(runner.cfg.get('auto_resume', False)) and training,
        runner.cfg.get('load_from'), runner.work_dir, runner.cfg)
    if start.note:
        runner.logger.info(start.note)
    if start.resume_from is not None:
        runner.resume(start.resume_from)
        runner._has_loaded = True
    elif start.load_from is not None:
        runner.load_checkpoint(start.load_from)
        runner._has_loaded = True
