"""Timing for ``tools/analysis_tools/benchmark.py``: interleaved medians (one
call of each candidate per round, so drifts in clock speed hit all alike)."""
import statistics
import time
from typing import Callable, Dict, List, Optional

import torch

__all__ = ['sync', 'interleaved']


def sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def interleaved(steps: Dict[str, Callable], warmup: int, repeats: int,
                device: torch.device,
                first: Optional[Dict[str, float]] = None) -> Dict[str, float]:
    """Median seconds per call, one call of each step per round; ``first``,
    when given, receives each step's first call (a compiled step's
    compilation included)."""
    times: Dict[str, List[float]] = {k: [] for k in steps}
    for round_ in range(warmup + repeats):
        for key, step in steps.items():
            sync(device)
            start = time.perf_counter()
            step()
            sync(device)
            if round_ == 0 and first is not None:
                first[key] = time.perf_counter() - start
            if round_ >= warmup:
                times[key].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}
