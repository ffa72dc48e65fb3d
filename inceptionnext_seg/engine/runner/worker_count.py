"""Dataloader workers capped at the CPUs this process may use: more only
wait for a core (torch warns "suggested max number of worker in current
system is 2" for the template's 4 on 2 cores), and the config stays the
one for a GPU machine."""
from typing import Any

from mmengine.logging import print_log

from ...utils.expected_time import usable_cpus

__all__ = ['workers_for_this_machine', 'usable_cpus']


def workers_for_this_machine(dataloader: Any) -> Any:
    """A dataloader config with ``num_workers`` at most :func:`usable_cpus`,
    said in the log when lowered; a built loader or a config within the
    limit as it is.

    Args:
        dataloader: a dataloader config (dict) or a built DataLoader.

    Returns:
        ``dataloader``, changed in place where lowered.
    """
    if not isinstance(dataloader, dict):
        return dataloader
    asked, cpus = dataloader.get('num_workers', 0), usable_cpus()
    if isinstance(asked, int) and asked > cpus:
        dataloader['num_workers'] = cpus
        print_log(f'num_workers={asked} lowered to {cpus}, the CPUs this '
                  f'process may use (more workers would wait for a core).',
                  logger='current')
    return dataloader
