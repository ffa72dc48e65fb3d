"""Dataloader workers that leave ``PreemptionHook``'s signals to the main
process: torch's workers die of SIGTERM otherwise, and the run would stop
on "DataLoader worker killed" instead of writing its checkpoint."""
from torch.utils.data import DataLoader

from ..hooks.preemption_hook import worker_init_fn

__all__ = ['preemption_safe_workers']


def preemption_safe_workers(loader: DataLoader) -> DataLoader:
    """``loader`` with its ``worker_init_fn`` wrapped by
    :func:`~..hooks.preemption_hook.worker_init_fn` (where it has workers).

    Args:
        loader: a built DataLoader.

    Returns:
        The same loader.
    """
    if loader.num_workers > 0:
        context = loader.multiprocessing_context
        loader.worker_init_fn = worker_init_fn(
            loader.worker_init_fn,
            context.get_start_method() if context else None)
    return loader
