"""What a long tool says before it starts: how long it took on the CPU
kinds it was measured on (2 cores, nothing else running), this machine's
CPUs and vector unit and, where the machine is busy, by how much longer it
will take (the load average per usable CPU)."""
import os
from typing import Mapping

__all__ = ['usable_cpus', 'vector_unit', 'expected_time', 'duration']


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, as torch counts)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def vector_unit() -> str:
    """The widest vector unit torch's CPU kernels use here: ``AVX-512``,
    ``AVX2`` or ``neither`` (``ATEN_CPU_CAPABILITY`` lowers it)."""
    import torch
    capability = torch.backends.cpu.get_cpu_capability()
    if capability.startswith('AVX512'):
        return 'AVX-512'
    return 'AVX2' if capability.startswith('AVX2') else 'neither'


def expected_time(what: str, minutes: Mapping[str, float]) -> str:
    """One line: ``what`` takes about ``minutes[kind]`` on 2 quiet cores of
    each CPU kind (``AVX-512``, ``AVX2``), this machine's CPUs and vector
    unit, and, where the load average exceeds the usable CPUs, the factor
    it stretches the time by."""
    cpus = usable_cpus()
    text = (f'{what}: about '
            + ', '.join(f'{m:.1f} min on 2 cores with {kind}'
                        for kind, m in minutes.items())
            + f' (this machine: {cpus} CPUs, {vector_unit()})')
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else 0.0
    if load > cpus:
        text += (f'; this machine is busy (load {load:.1f} on {cpus} CPUs): '
                 f'expect about {load / cpus:.1f} times as long')
    return text + '.'


def duration(seconds: float) -> str:
    """``seconds`` as people say it: ``45 s``, ``12 min``, ``3.4 h``,
    ``2.1 days``."""
    if seconds < 90:
        return f'{seconds:.0f} s'
    if seconds < 90 * 60:
        return f'{seconds / 60:.0f} min'
    if seconds < 36 * 3600:
        return f'{seconds / 3600:.1f} h'
    return f'{seconds / 86400:.1f} days'
