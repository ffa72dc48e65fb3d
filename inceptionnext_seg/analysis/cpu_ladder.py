"""The CPU inference ladder (``tools/benchmark.py --parts ladder``): which
instruction sets the CPU has, the fastest path whose labels agree with
eager float32 PyTorch, the record of each CPU's ladder that the benchmark
keeps, and the path ``tools/infer.py`` takes from it."""
import json
import os
from pathlib import Path
from typing import Dict, List, Optional

__all__ = ['LADDER_FEATURES', 'cpu_features', 'MIN_AGREEMENT',
           'fastest_verified', 'ladder_record_path', 'save_ladder',
           'ladder_for_this_cpu', 'ladder_head', 'choose_path', 'EAGER_FP32',
           'EAGER_BF16', 'onnx_path']

# The flags that decide which kernels run: AVX2/AVX-512 vectors, int8 dot
# products (VNNI), native bf16 (AVX512-BF16, AMX).
LADDER_FEATURES = ('avx2', 'avx512f', 'avx512_vnni', 'avx_vnni',
                   'avx512_bf16', 'amx_bf16', 'amx_int8')

# A path counts as verified when this share of pixels gets eager float32's
# class (float32 runtimes: the export check's; reduced precision: int8's).
MIN_AGREEMENT = dict(fp32=0.999, reduced=0.99)

# The ladder's paths (its rows), by name.
EAGER_FP32 = 'eager fp32'
EAGER_BF16 = 'eager bf16 + channels-last'
ONNX_RUNTIME = 'ONNX Runtime'  # + ' fp32' / ' int8'


def onnx_path(precision: str) -> str:
    """The ladder's name of ONNX Runtime on a file of ``precision``."""
    return f'{ONNX_RUNTIME} {precision}'


# The ladder's segmentors, by the decode head of a config.
LADDER_HEADS = {'UPerHead': 'UperNet', 'FPNHead': 'FPN'}


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
    ok = [r for r in rows if _agrees(r)]
    return min(ok, key=lambda r: r['s_per_img']) if ok else None


def _agrees(row: dict) -> bool:
    """Whether a row's measured agreement meets :data:`MIN_AGREEMENT`."""
    return row['agreement'] >= MIN_AGREEMENT[
        'fp32' if row['precision'] == 'fp32' else 'reduced']


def ladder_record_path() -> Path:
    """Where ``tools/benchmark.py --parts ladder`` keeps each CPU's ladder
    and ``tools/infer.py`` reads it: ``$INCEPTIONNEXT_LADDER``, else
    ``inceptionnext_seg/cpu_ladder.json`` in the user's cache folder
    (``$XDG_CACHE_HOME``, by default ``~/.cache``): one file per machine
    (or shared home), one entry per CPU."""
    if os.environ.get('INCEPTIONNEXT_LADDER'):
        return Path(os.environ['INCEPTIONNEXT_LADDER'])
    cache = os.environ.get('XDG_CACHE_HOME') or Path.home() / '.cache'
    return Path(cache) / 'inceptionnext_seg' / 'cpu_ladder.json'


def cpu_key(cpu: Dict[str, object]) -> str:
    """The ladder's key for a CPU: its name and its ladder features."""
    return f'{cpu["name"]} [{" ".join(cpu["features"]) or "no AVX2"}]'


def _read_record(path: Path) -> Dict[str, dict]:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f'{path}: not a ladder record ({error}); delete it '
                         f'and run tools/benchmark.py --parts ladder '
                         f'again.') from error
    if not isinstance(record, dict):
        raise ValueError(f'{path}: not a ladder record (a JSON object '
                         f'keyed by CPU); delete it and run '
                         f'tools/benchmark.py --parts ladder again.')
    return record


def save_ladder(ladder: Dict[str, object],
                path: Optional[Path] = None) -> Path:
    """Keep ``ladder`` (``tools/benchmark.py``'s result, its ``cpu``
    included) as this CPU's entry of the record; other CPUs' entries
    stay."""
    path = Path(path or ladder_record_path())
    record = _read_record(path) if path.is_file() else {}
    record[cpu_key(ladder['cpu'])] = ladder
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + '.partial')
    partial.write_text(json.dumps(record, indent=2))
    partial.replace(path)
    return path


def ladder_for_this_cpu(path: Optional[Path] = None) -> Optional[dict]:
    """This CPU's entry of the ladder record (None: never measured here)."""
    path = Path(path or ladder_record_path())
    if not path.is_file():
        return None
    return _read_record(path).get(cpu_key(cpu_features()))


def ladder_head(decode_head_type: str) -> Optional[str]:
    """The ladder's segmentor for a config's decode head (None: not in the
    ladder)."""
    return LADDER_HEADS.get(decode_head_type)


def choose_path(rows: List[dict],
                onnx_file: Optional[Dict[str, object]] = None) -> dict:
    """The fastest verified path a run can take, and a faster verified one
    it could take with another file.

    Eager float32 is the reference; eager bf16 counts as verified where the
    ladder measured its agreement (:data:`MIN_AGREEMENT`); an ONNX Runtime
    row counts only with an exported file of that precision which passed
    its own check at export (``tools/export.py``; float32 files that fail
    it are deleted), since an int8 model's accuracy is its own.

    Args:
        rows: one ladder entry's rows (``path``, ``precision``,
            ``s_per_img``, ``agreement``).
        onnx_file: the given file's ``precision`` and ``checked`` (whether
            it passed its check at export), or None.

    Returns:
        ``take``: the row to run; ``faster``: the fastest row that needs an
        ONNX file of another precision, where faster than ``take``, else
        None.
    """
    def verified(row):
        if row['path'].startswith(ONNX_RUNTIME):
            return bool(onnx_file and onnx_file.get('checked')
                        and onnx_file.get('precision') == row['precision'])
        return _agrees(row)
    by_path = {r['path']: r for r in rows}
    if EAGER_FP32 not in by_path:
        raise ValueError('a ladder entry without its eager fp32 row')
    take = min((r for r in rows if verified(r)),
               key=lambda r: r['s_per_img'])
    other = [r for r in rows if r['path'].startswith(ONNX_RUNTIME)
             and not verified(r) and r['s_per_img'] < take['s_per_img']]
    return dict(take=take, faster=min(other, key=lambda r: r['s_per_img'])
                if other else None)
