"""The end of a training run, also after an error: every
``PreemptionHook`` gives the signals back their previous handlers, so that
a process that goes on (a notebook, a test run after training) is not left
with the run's handlers."""
from typing import Iterable

from ..hooks.preemption_hook import PreemptionHook

__all__ = ['release_preemption_hooks']


def release_preemption_hooks(hooks: Iterable) -> None:
    """Call ``release()`` on each ``PreemptionHook`` of ``hooks``.

    Args:
        hooks: the runner's hooks.
    """
    for hook in hooks:
        if isinstance(hook, PreemptionHook):
            hook.release()
