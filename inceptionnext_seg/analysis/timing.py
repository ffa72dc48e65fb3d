"""Timing for ``tools/analysis_tools/benchmark.py``: interleaved medians (one
call of each candidate per round, so drifts in clock speed hit all alike)."""
import statistics
import time
from typing import Callable, Dict, List

import torch

__all__ = ['sync', 'interleaved']


def sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def interleaved(steps: Dict[str, Callable], warmup: int, repeats: int,
                device: torch.device) -> Dict[str, float]:
    """Median seconds per call, one call of each step per round."""
    times: Dict[str, List[float]] = {k: [] for k in steps}
    for round_ in range(warmup + repeats):
        for key, step in steps.items():
            sync(device)
            start = time.perf_counter()
            step()
            sync(device)
            if round_ >= warmup:
                times[key].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}
