"""Memory for ``tools/analysis_tools/benchmark.py``: resident set size and its
peak on Linux, and the activations autograd saves for the backward pass."""
import resource
from typing import Callable

import torch

__all__ = ['rss_mb', 'reset_peak_rss', 'peak_rss_mb', 'saved_activations_mb']


def rss_mb() -> float:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (Linux >= 4.0), so that the peak
    after a step is the step's own."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def saved_activations_mb(train: Callable) -> float:
    """Bytes autograd keeps for the backward pass (unique storages): the
    allocator-independent part of training memory."""
    storages = {}

    def pack(t):
        storage = t.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        train()
    return sum(storages.values()) / 2**20
