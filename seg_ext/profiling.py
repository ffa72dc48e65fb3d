"""Measuring primitives for tools/benchmark.py (and any other timing):
interleaved medians, MACs, parameters, peak memory, saved activations, and
a Markdown table."""
import resource
import statistics
import time
from typing import Callable, Dict, List

import torch

__all__ = ['segmentor_complexity', 'count_macs', 'params_m', 'sync',
           'interleaved', 'rss_mb', 'reset_peak_rss', 'peak_rss_mb',
           'saved_activations_mb', 'table']


def segmentor_complexity(model: torch.nn.Module, shape) -> tuple:
    """(parameters, MACs) of a segmentor at input ``shape`` (H, W), with
    mmengine's complexity counter, as ``tools/get_flops.py`` prints them:
    parameters of every head, MACs of the inference path (backbone, neck,
    decode head; the auxiliary head runs only in training)."""
    from mmengine.analysis import get_model_complexity_info
    params = sum(p.numel() for p in model.parameters())
    with torch.no_grad():
        info = get_model_complexity_info(
            model.eval(), inputs=(torch.zeros(1, 3, *shape), ),
            show_table=False, show_arch=False)
    return params, info['flops']


def count_macs(model: torch.nn.Module, forward: Callable) -> float:
    from torch.utils.flop_counter import FlopCounterMode
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        forward()
    return counter.get_total_flops() / 2


def params_m(model: torch.nn.Module) -> float:
    return sum(p.numel() for p in model.parameters()) / 1e6


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


def table(title: str, header: List[str], rows: List[List]) -> str:
    cells = [header] + [[f'{c:.2f}' if isinstance(c, float) else str(c)
                         for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    line = lambda r: '| ' + ' | '.join(  # noqa: E731
        c.ljust(w) for c, w in zip(r, widths)) + ' |'
    sep = '|' + '|'.join('-' * (w + 2) for w in widths) + '|'
    return '\n'.join([f'\n{title}', line(cells[0]), sep] +
                     [line(r) for r in cells[1:]])
