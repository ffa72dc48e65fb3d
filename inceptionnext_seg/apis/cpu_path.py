"""Which inference path a CPU run takes: eager float32, eager bf16 +
channels-last (each compiled where the run compiles), or ONNX Runtime on an
exported file, from this CPU's ladder
(``tools/analysis_tools/benchmark.py --parts ladder``) and the file's
precision and check at export (the deployment policy's
:class:`~inceptionnext_seg.deploy.policy.InferencePath`)."""
import math
from dataclasses import replace
from typing import Optional

from ..deploy.policy import InferencePath, verification_of

__all__ = ['onnx_file', 'onnx_batch', 'check_onnx_batch', 'choose_cpu_path']


def onnx_file(path: str) -> dict:
    """The file's ``precision``, whether it passed its check at export
    (``checked``: ``tools/deployment/export.py`` writes ``verification``)
    and the ``batch`` it is fixed at (None: any).

    Raises:
        SystemExit: a file without the export's metadata, or one that
            returns labels instead of logits.
    """
    from ..inference import read_metadata
    meta = read_metadata(path)
    if 'palette' not in meta:
        raise SystemExit(f'{path}: no tools/deployment/export.py metadata '
                         '(palette, test-time resize); export it with '
                         'tools/deployment/export.py.')
    if meta.get('output') != 'logits':
        raise SystemExit(f'{path}: exported with --output '
                         f'{meta.get("output")}; tools/infer.py resizes '
                         f'logits to the image as mmseg does: export with '
                         f'--output logits.')
    return dict(precision=meta.get('precision', 'fp32'),
                checked=verification_of(meta) is not None,
                batch=onnx_batch(path))


def onnx_batch(path: str) -> Optional[int]:
    """The batch size the file's input is fixed at (an export without
    ``--dynamic``: 1), or None where it takes any."""
    import onnx
    graph = onnx.load(path, load_external_data=False).graph
    dim = graph.input[0].type.tensor_type.shape.dim[0]
    return dim.dim_value if dim.HasField('dim_value') else None


def check_onnx_batch(batch_size: int, path: str, file: dict,
                     input_kind: str) -> None:
    """Refuse ``batch_size`` on a file fixed at another batch size before
    the model is read (ONNX Runtime would stop at the first full batch);
    a run of one image makes batches of one."""
    fixed = file['batch']
    if input_kind != 'image' and fixed and batch_size > fixed:
        raise SystemExit(
            f'--batch-size {batch_size}: {path} takes batches of '
            f'{fixed} only (exported without --dynamic). Export it with '
            'python tools/deployment/export.py CONFIG CKPT --format onnx '
            f'--dynamic --out FILE, or run --batch-size {fixed}.')


def choose_cpu_path(cfg, file: Optional[dict], ladder: str, fastest: bool,
                    onnx_path: Optional[str] = None,
                    compiling: bool = False) -> InferencePath:
    """Print this CPU's fastest verified path for the config's segmentor
    (from the ladder record ``ladder``) and return the path this run takes:
    the fastest with ``fastest``, else the one given (``file``: an
    exported file's :func:`onnx_file`, or None for eager float32); an eager
    path is compiled where the run compiles (``compiling``: ``--compile``).

    Raises:
        SystemExit: ``fastest`` without a ladder entry for this CPU and
            segmentor (naming the command that measures it).
    """
    from ..analysis import choose_path, ladder_for_this_cpu, ladder_head
    given = (InferencePath('onnxruntime', file['precision']) if file else
             InferencePath('eager', 'fp32', compiled=compiling))
    entry = ladder_for_this_cpu(ladder)
    head = ladder_head(cfg.model.decode_head.type)
    if entry is None or head not in entry:
        why = (f'no ladder for this CPU in {ladder}' if entry is None else
               f'the ladder has no {cfg.model.decode_head.type} segmentor')
        if fastest:
            raise SystemExit(f'--fastest: {why}; run python '
                             'tools/analysis_tools/benchmark.py --parts '
                             f'ladder --ladder {ladder} on this machine first '
                             f'(it keeps the ladder there).')
        print(f'CPU path: {given} ({why})')
        return given
    rows = entry[head]['rows']
    choice = choose_path(rows, file, compiling)
    take, faster = choice['take'], choice['faster']
    print(f'CPU path: the fastest verified on this CPU for {head}'
          f'{" when compiling" if compiling else ""}: '
          f'{take["path"]}, {take["speedup"]:.2f}x eager fp32 (ladder of '
          f'{entry.get("date", "an unknown date")}, {ladder})')
    if faster:
        print('  faster: ' + _how_to_take(faster, take))
    if compiling and not any(InferencePath.parse(r['path']).compiled
                             for r in rows):
        print('  the ladder has no compiled rows (tools/analysis_tools/'
              'benchmark.py --parts ladder --compile measures them)')
    if file and not file['checked']:
        print(f'  {onnx_path}: {given} without a passed check at export, '
              f'so not a verified path')
    best = InferencePath.parse(take['path'])
    if compiling and not best.onnx:
        best = replace(best, compiled=True)
    path = best if fastest else given
    print(f'this run: {path}' + ('' if path == best else
                                 ' (--fastest takes the fastest)'))
    return path


def _how_to_take(row: dict, take: dict) -> str:
    """A ladder row faster than ``take`` and what a run needs to take
    it."""
    path = InferencePath.parse(row['path'])
    if path.onnx:
        quantize = ' --quantize int8' if path.precision == 'int8' else ''
        return (f'{path}, {row["speedup"]:.2f}x, with an ONNX file of that '
                'precision that passes its check: tools/deployment/export.py '
                f'CONFIG CKPT --format onnx --dynamic{quantize} --out FILE, '
                'then --onnx FILE')
    if path.compiled:
        compile_s = row.get('compile_s', 0.0)
        images = math.ceil(compile_s / (take['s_per_img'] - row['s_per_img']))
        return (f'{path}, {row["speedup"]:.2f}x, after {compile_s:.0f} s of '
                f'compilation at the start of each run (a run of {images} '
                'images or more gains): --compile (with --fastest for its '
                'precision)')
    return f'{path}, {row["speedup"]:.2f}x, without --compile'
