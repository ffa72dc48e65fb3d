"""The CPU inference ladder (``tools/analysis_tools/benchmark.py --parts
ladder``): its measurement (:func:`measure_ladder`), which instruction sets the
CPU has, the fastest path whose labels agree with eager float32 PyTorch, the
record file of each CPU's ladder (given to both tools with ``--ladder FILE``;
the default is :func:`ladder_record_path`), and the path ``tools/infer.py``
takes from it. The thresholds and the paths are the deployment policy's
(``inceptionnext_seg/deploy/policy.py``)."""
import datetime
import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from ..deploy.policy import (EAGER_BF16, EAGER_FP32, MIN_AGREEMENT,
                             InferencePath, min_agreement)
from .timing import interleaved

__all__ = ['LADDER_FEATURES', 'cpu_features', 'MIN_AGREEMENT',
           'fastest_verified', 'ladder_record_path', 'save_ladder',
           'ladder_for_this_cpu', 'ladder_head', 'choose_path', 'EAGER_FP32',
           'EAGER_BF16', 'onnx_path', 'measure_ladder', 'ladder_images']

# The flags that decide which kernels run: AVX2/AVX-512 vectors, int8 dot
# products (VNNI), native bf16 (AVX512-BF16, AMX).
LADDER_FEATURES = ('avx2', 'avx512f', 'avx512_vnni', 'avx_vnni',
                   'avx512_bf16', 'amx_bf16', 'amx_int8')


def onnx_path(precision: str) -> InferencePath:
    """ONNX Runtime on a file of ``precision``."""
    return InferencePath('onnxruntime', precision)


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
    return row['agreement'] >= min_agreement(row['precision'])


def ladder_record_path() -> Path:
    """The default of ``--ladder FILE``, where
    ``tools/analysis_tools/benchmark.py --parts ladder`` keeps each CPU's
    ladder and ``tools/infer.py`` reads it (both print the file they use):
    ``$INCEPTIONNEXT_LADDER``, else ``inceptionnext_seg/cpu_ladder.json`` in
    the user's cache folder (``$XDG_CACHE_HOME``, by default ``~/.cache``): one
    file per machine (or shared home), one entry per CPU."""
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
                         'and run tools/analysis_tools/benchmark.py --parts '
                         'ladder '
                         f'again.') from error
    if not isinstance(record, dict):
        raise ValueError(f'{path}: not a ladder record (a JSON object '
                         f'keyed by CPU); delete it and run '
                         'tools/analysis_tools/benchmark.py --parts ladder '
                         'again.')
    return record


def save_ladder(ladder: Dict[str, object], path: Path) -> Path:
    """Keep ``ladder`` (``tools/analysis_tools/benchmark.py``'s result, its
    ``cpu`` included) as this CPU's entry of the record; other CPUs' entries
    stay."""
    path = Path(path)
    record = _read_record(path) if path.is_file() else {}
    record[cpu_key(ladder['cpu'])] = ladder
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + '.partial')
    partial.write_text(json.dumps(record, indent=2))
    partial.replace(path)
    return path


def ladder_for_this_cpu(path: Path) -> Optional[dict]:
    """This CPU's entry of the ladder record at ``path`` (None: never
    measured here)."""
    path = Path(path)
    if not path.is_file():
        return None
    return _read_record(path).get(cpu_key(cpu_features()))


def ladder_head(decode_head_type: str) -> Optional[str]:
    """The ladder's segmentor for a config's decode head (None: not in the
    ladder)."""
    return LADDER_HEADS.get(decode_head_type)


def choose_path(rows: List[dict],
                onnx_file: Optional[Dict[str, object]] = None,
                compiling: bool = False) -> dict:
    """The fastest verified path a run can take, and a faster verified one
    it could take with another file or with ``--compile``.

    Eager float32 is the reference; eager bf16 counts as verified where the
    ladder measured its agreement (:data:`MIN_AGREEMENT`); an ONNX Runtime row
    counts only with an exported file of that precision which passed its own
    check at export (``tools/deployment/export.py``; float32 files that fail it
    are deleted), since an int8 model's accuracy is its own. The eager rows a
    run can take are the compiled ones when it compiles (``compiling``; the
    uncompiled ones where the ladder has none) and the others when it does
    not: compiling is the user's choice, for its cost at the start of each
    run (a row's ``compile_s``).

    Args:
        rows: one ladder entry's rows (``path``, ``precision``,
            ``s_per_img``, ``agreement``, ``compile_s`` where compiled).
        onnx_file: the given file's ``precision`` and ``checked`` (whether
            it passed its check at export), or None.
        compiling: whether the run compiles the eager model
            (``tools/infer.py --compile``).

    Returns:
        ``take``: the row to run; ``faster``: the fastest row that needs an
        ONNX file of another precision or (an agreeing row) the other choice
        of compiling, where faster than ``take``, else None.
    """
    paths = [InferencePath.parse(r['path']) for r in rows]
    if EAGER_FP32 not in paths:
        raise ValueError('a ladder entry without its eager fp32 row')
    if not any(p.compiled for p in paths):
        compiling = False  # the run compiles; the ladder measured eager

    def verified(row, path):
        if path.onnx:
            return bool(onnx_file and onnx_file.get('checked')
                        and onnx_file.get('precision') == row['precision'])
        return _agrees(row)

    def could(row, path):  # with another file, or compiling otherwise
        return (path.onnx and not verified(row, path)) or (
            not path.onnx and path.compiled != compiling and _agrees(row))
    take = min([r for r, p in zip(rows, paths) if verified(r, p) and (
        p.onnx or p.compiled == compiling)] or  # none compiled agreed
        [rows[paths.index(EAGER_FP32)]], key=lambda r: r['s_per_img'])
    other = [r for r, p in zip(rows, paths)
             if could(r, p) and r['s_per_img'] < take['s_per_img']]
    return dict(take=take, faster=min(other, key=lambda r: r['s_per_img'])
                if other else None)


def ladder_images(folder: Optional[str], size: int,
                  seeds: Sequence[int]) -> list:
    """float32 1x3xSxS BGR 0..255 images: a folder's ``*.jpg``, resized, or
    generated scenes of the demo dataset."""
    import cv2
    import numpy as np
    import torch

    from ..datasets.synthetic_ade20k import draw_scene
    if folder:
        images = [cv2.resize(cv2.imread(str(p)), (size, size))
                  for p in sorted(Path(folder).glob('*.jpg'))]
        if not images:
            raise ValueError(f'{folder}: no *.jpg images')
    else:
        images = [draw_scene(np.random.default_rng(seed), (size, size))[0]
                  for seed in seeds]
    return [torch.from_numpy(np.ascontiguousarray(
        im.transpose(2, 0, 1))[None].astype(np.float32)) for im in images]


def measure_ladder(build: Callable[[str, int], object], heads: Sequence[str],
                   size: int, warmup: int, repeats: int,
                   checkpoints: Optional[Dict[str, str]] = None,
                   held_out_folder: Optional[str] = None,
                   compile_backend: Optional[str] = None) -> Dict[str, object]:
    """The ladder of each segmentor in ``heads`` on this CPU at
    ``size`` x ``size``, batch 1: eager fp32, eager bf16 + channels-last
    (native bf16 only), each also compiled with ``compile_backend`` where
    given, ONNX Runtime fp32 and int8; same model and weights, same input,
    same threads, interleaved; each row's class agreement with eager fp32 on
    held-out images.

    The float32 file goes through the export policy
    (:func:`~inceptionnext_seg.deploy.checked.export_checked`: a file that
    fails it is no row); the int8 file is calibrated as
    ``tools/deployment/export.py --quantize int8`` does, and its row is
    verified by the same threshold as that check (:func:`fastest_verified`):
    the ladder measures speed and keeps no file, and ``tools/infer.py`` trusts
    an int8 path only with the user's own file checked at export. A compiled
    row's model is compiled as ``tools/infer.py --compile`` compiles it
    (:func:`~inceptionnext_seg.engine.compile.compile_segmentor`); its
    ``compile_s`` is its first call (the first warm-up round) minus its
    median.

    Args:
        build: ``build(head, size)``, the segmentor with random weights.
        heads: the segmentors (keys of ``analysis.models.SEGMENTORS``).
        size: the image size.
        warmup: untimed rounds.
        repeats: timed rounds (median).
        checkpoints: weights per head (default: random weights).
        held_out_folder: ``*.jpg`` images for the agreement (default:
            generated scenes); calibration uses generated scenes.
        compile_backend: ``torch.compile``'s backend for the compiled rows
            (None: no compiled rows).

    Returns:
        ``cpu``, ``threads``, ``size``, ``date`` and, per head, its
        ``rows`` (``path``, ``precision``, ``s_per_img``, ``speedup``,
        ``agreement``, and ``compile_s`` for compiled rows), ``weights`` and
        ``fastest_verified``.
    """
    import torch
    from mmengine.runner import load_checkpoint

    from .. import deploy
    from ..engine.mixed_precision import bf16_supported
    from ..utils.quiet import init_weights_quietly
    checkpoints = checkpoints or {}
    threads = torch.get_num_threads()
    calibration = ladder_images(None, size, range(4))
    held_out = ladder_images(held_out_folder, size, range(100, 104))
    ladder = dict(cpu=cpu_features(), threads=threads, size=size,
                  date=datetime.date.today().isoformat())
    for head in heads:
        torch.manual_seed(0)
        model = build(head, size)
        if head in checkpoints:
            load_checkpoint(model, checkpoints[head], map_location='cpu')
        else:
            init_weights_quietly(model)
        wrapper = deploy.ExportableSegmentor(
            deploy.make_exportable(model)).eval()
        runs = {EAGER_FP32: wrapper}
        if bf16_supported('cpu'):
            runs[EAGER_BF16] = _eager_run(build(head, size), wrapper, True)
        if compile_backend:
            for path in list(runs):
                runs[replace(path, compiled=True)] = _eager_run(
                    build(head, size), wrapper, path.eager_bf16,
                    compile_backend)
        with tempfile.TemporaryDirectory() as tmp:
            fp32, int8 = f'{tmp}/fp32.onnx', f'{tmp}/int8.onnx'
            deploy.export_onnx(wrapper, fp32, (size, size), False, {})
            fp32_run = deploy.onnx_runner(fp32, threads)
            try:
                deploy.export_checked(fp32_run, wrapper, fp32, [(size, size)])
            except deploy.CheckFailed:
                fp32_run = None
            if fp32_run is not None:
                deploy.quantize_int8(fp32, int8,
                                     [x.numpy() for x in calibration], {})
                runs[onnx_path('fp32')] = fp32_run
                runs[onnx_path('int8')] = deploy.onnx_runner(int8, threads)
            with torch.inference_mode():
                image, first = held_out[0], {}
                secs = interleaved(  # first: compilations included
                    {str(path): (lambda run=run: run(image))
                     for path, run in runs.items()},
                    warmup, repeats, torch.device('cpu'), first)
                ref = [wrapper(x).argmax(1) for x in held_out]
                agreement = {
                    path: sum(int((run(x).argmax(1) == r).sum())
                              for x, r in zip(held_out, ref)) /
                    sum(r.numel() for r in ref) for path, run in runs.items()}
        rows = [dict(path=str(path), precision=path.precision,
                     s_per_img=secs[str(path)],
                     speedup=secs[str(EAGER_FP32)] / secs[str(path)],
                     agreement=agreement[path]) for path in runs]
        for row, path in zip(rows, runs):
            if path.compiled:
                row['compile_s'] = first[str(path)] - row['s_per_img']
        best = fastest_verified(rows)
        ladder[head] = dict(rows=rows, weights=checkpoints.get(head, 'random'),
                            fastest_verified=best and best['path'])
    return ladder


def _eager_run(model, reference, bf16: bool,
               compile_backend: Optional[str] = None) -> Callable:
    """``model`` with ``reference``'s weights as an eager path of the
    ladder runs it: in bf16 autocast with a channels-last model and input
    (``bf16``), compiled as ``tools/infer.py --compile`` compiles
    (``compile_backend``). ``model`` keeps mmseg's modules (the reference's
    export-ready swaps compute the same, and a compiled run is measured on
    what ``tools/infer.py`` compiles)."""
    import torch

    from .. import deploy
    from ..engine.compile import compile_segmentor
    run = deploy.ExportableSegmentor(model).eval()
    run.load_state_dict(reference.state_dict())
    if compile_backend:
        compile_segmentor(model, compile_backend)
    if not bf16:
        return run
    run = run.to(memory_format=torch.channels_last)

    def bf16_run(x):
        with torch.autocast('cpu', dtype=torch.bfloat16):
            return run(x.contiguous(memory_format=torch.channels_last)
                       ).float()
    return bf16_run
