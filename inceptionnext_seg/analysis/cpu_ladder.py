"""The CPU inference ladder (``tools/benchmark.py --parts ladder``): which
instruction sets the CPU has, and the fastest path whose labels agree with
eager float32 PyTorch."""
from pathlib import Path
from typing import Dict, List, Optional

__all__ = ['LADDER_FEATURES', 'cpu_features', 'MIN_AGREEMENT',
           'fastest_verified']

# The flags that decide which kernels run: AVX2/AVX-512 vectors, int8 dot
# products (VNNI), native bf16 (AVX512-BF16, AMX).
LADDER_FEATURES = ('avx2', 'avx512f', 'avx512_vnni', 'avx_vnni',
                   'avx512_bf16', 'amx_bf16', 'amx_int8')

# A path counts as verified when this share of pixels gets eager float32's
# class (float32 runtimes: the export check's; reduced precision: int8's).
MIN_AGREEMENT = dict(fp32=0.999, reduced=0.99)


def cpu_features(cpuinfo: str = '/proc/cpuinfo') -> Dict[str, object]:
    """The CPU's name and which of :data:`LADDER_FEATURES` it has (Linux's
    ``/proc/cpuinfo``; elsewhere torch's vector ISA only)."""
    import torch
    path = Path(cpuinfo)
    name, flags = 'unknown CPU', set()
    if path.is_file():
        for line in path.read_text().splitlines():
            key, _, value = line.partition(':')
            if key.strip() == 'model name' and name == 'unknown CPU':
                name = value.strip()
            elif key.strip() == 'flags' and not flags:
                flags = set(value.split())
    return dict(name=name, isa=torch.backends.cpu.get_cpu_capability(),
                features=[f for f in LADDER_FEATURES if f in flags])


def fastest_verified(rows: List[dict]) -> Optional[dict]:
    """The fastest row (``s_per_img``) whose ``agreement`` with eager
    float32 meets :data:`MIN_AGREEMENT` for its ``precision``."""
    ok = [r for r in rows if r['agreement'] >= MIN_AGREEMENT[
        'fp32' if r['precision'] == 'fp32' else 'reduced']]
    return min(ok, key=lambda r: r['s_per_img']) if ok else None
