"""Speed and memory of InceptionNeXt against its reference and ConvNeXt-T.

Measures, interleaved (one step of each candidate per round, so drifts in
clock speed hit all alike), after warm-up, as medians:

1. backbones: this project's InceptionNeXt-T, timm's ``inception_next_tiny``
   (the reference), ``convnext_tiny`` and ``resnet50`` (all multi-scale
   feature extractors): train step (forward + backward) and inference;
2. segmentors: UperNet and Semantic FPN with InceptionNeXt-T against the
   same configs with ConvNeXt-T: train iteration (loss, backward, AdamW step)
   and inference (``predict``);
3. peak memory of a train step (CUDA max allocated on GPU, peak RSS growth on
   CPU), each in a fresh process;
4. the project's recommended settings against mmseg's defaults for UperNet-T
   (speed, and how far the outputs move);
5. the exported ONNX model in ONNX Runtime against PyTorch eager inference
   for UperNet-T and FPN-T (CPU);
6. the CPU inference ladder for UperNet-T and FPN-T at 512x512, batch 1:
   eager fp32, eager bf16 + channels-last (where the CPU has native bf16),
   each also compiled with ``--compile`` (the compilation stated),
   ONNX Runtime fp32 and ONNX Runtime int8 (calibrated as
   ``tools/deployment/export.py --quantize int8`` does), each with its label
   agreement with eager fp32, the CPU's features and the fastest verified
   path, kept for ``tools/infer.py`` in the record file ``--ladder FILE``
   (both tools' default: ``$INCEPTIONNEXT_LADDER``, else
   ``~/.cache/inceptionnext_seg/cpu_ladder.json``);
7. the comparison of every machine (``--parts matrix``; run by default on
   a GPU): InceptionNeXt-T (this project's, and timm's for the backbone)
   against ConvNeXt-T, backbone, UperNet-T and FPN-T, train and inference,
   in float32 NCHW and channels-last (the TF32 policy stated) and the
   recommended precision + channels-last, eager and compiled
   (``--matrix-eager-only``: eager), the machine and its instruction set
   named, and the best setting of each side against the other's.

float32 means float32 on a GPU too: cuDNN's convolutions and cuBLAS's
matmuls get one TF32 policy (``--tf32``, off by default), since
InceptionNeXt's MLPs are 1x1 convolutions and ConvNeXt-T's are linear
layers; the tables and the JSON state it. With ``--compile`` the backbones
are compiled whole and the segmentors' backbone and decode head (their loss
and post-processing stay eager), and the tables say which.

The measuring lives in ``inceptionnext_seg.analysis`` (the models, the
steps, the memory probe, the CPU ladder); this tool chooses and prints.

Parameters and MACs (``torch.utils.flop_counter``, multiply-adds) are given
with each model. Example:

    python tools/analysis_tools/benchmark.py   # the CPU, or the first GPU
    python tools/analysis_tools/benchmark.py --channels-last --dtype bf16
    python tools/analysis_tools/benchmark.py --parts backbone --sizes 224 \
        --batch 64
    python tools/analysis_tools/benchmark.py --parts ladder \
        [--ladder-checkpoints UPER FPN]
    python tools/analysis_tools/benchmark.py --device cuda --json gpu.json
"""
import argparse
import json
import time
from pathlib import Path

import torch

from inceptionnext_seg.utils.quiet import quiet_library_warnings

quiet_library_warnings()  # before mmengine/mmcv/mmseg raise them at import

from inceptionnext_seg.analysis import interleaved, params_m
from inceptionnext_seg.analysis.cpu_ladder import (ladder_record_path,
                                                   measure_ladder,
                                                   save_ladder)
from inceptionnext_seg.analysis.memory_probe import measure_in_fresh_process
from inceptionnext_seg.analysis.models import (BACKBONES, SEGMENTORS, WITH_CP,
                                               build_backbone,
                                               build_segmentor)
from inceptionnext_seg.analysis.steps import (DTYPES, Settings,
                                              backbone_steps,
                                              segmentor_steps, set_tf32)
from inceptionnext_seg.deploy.policy import MIN_AGREEMENT
from inceptionnext_seg.utils.expected_time import duration, expected_time
from inceptionnext_seg.utils.markdown import table
from inceptionnext_seg.utils.quiet import set_log_level
from inceptionnext_seg.utils.synthetic_batch import synthetic_batch

MEMORY_MODELS = (('backbone', 'InceptionNeXt-T (ours)'),
                 ('backbone', WITH_CP),
                 ('backbone', 'ConvNeXt-T (timm)'),
                 ('segmentor', 'UperNet|InceptionNeXt-T'),
                 ('segmentor', 'UperNet|InceptionNeXt-T with_cp'),
                 ('segmentor', 'UperNet|ConvNeXt-T'))
#: The matrix's parts and models: (part, name, its backbone step or
#: segmentor's backbone).
MATRIX_PARTS = ('backbone', 'UperNet', 'FPN')
MATRIX_MODELS = (('backbone', 'InceptionNeXt-T', 'InceptionNeXt-T (ours)'),
                 ('backbone', 'InceptionNeXt-T (timm)',
                  'InceptionNeXt-T (timm)'),
                 ('backbone', 'ConvNeXt-T', 'ConvNeXt-T (timm)'),
                 ('UperNet', 'InceptionNeXt-T', 'InceptionNeXt-T'),
                 ('UperNet', 'ConvNeXt-T', 'ConvNeXt-T'),
                 ('FPN', 'InceptionNeXt-T', 'InceptionNeXt-T'),
                 ('FPN', 'ConvNeXt-T', 'ConvNeXt-T'))


def settings_of(args, **changes) -> Settings:
    """The command line's settings, with ``changes``."""
    options = dict(device=args.device, dtype=args.dtype,
                   channels_last=args.channels_last, compile=args.compile)
    options.update(changes)
    return Settings(**options)


# ------------------------------------------------------------------ report
def run_backbones(args, s: Settings, results: dict) -> None:
    for size in args.sizes:
        steps, info = {}, {}
        for name in BACKBONES:
            _, train, infer, macs = backbone_steps(name, size, args.batch, s)
            steps[(name, 'train')] = train
            steps[(name, 'infer')] = infer
            info[name] = macs
        first = {} if s.compile else None
        secs = interleaved(steps, args.warmup, args.repeats, s.device,
                           first=first)
        ref = 'ConvNeXt-T (timm)'
        rows = []
        for name in BACKBONES:
            tr, inf = secs[(name, 'train')], secs[(name, 'infer')]
            rows.append([name, args.batch / tr, args.batch / inf,
                         secs[(ref, 'train')] / tr, secs[(ref, 'infer')] / inf,
                         params_m(build_backbone(name)), info[name] / 1e9])
            results['backbone'][f'{name}@{size}'] = dict(
                train_img_s=args.batch / tr, infer_img_s=args.batch / inf,
                train_vs_convnext=rows[-1][3], infer_vs_convnext=rows[-1][4])
        ours, timm_ref = secs, ('InceptionNeXt-T (timm)', )
        results['backbone'][f'ours_vs_timm@{size}'] = dict(
            train=ours[(timm_ref[0], 'train')] /
            ours[('InceptionNeXt-T (ours)', 'train')],
            infer=ours[(timm_ref[0], 'infer')] /
            ours[('InceptionNeXt-T (ours)', 'infer')])
        print(table(
            f'Backbones at {size}x{size}, batch {args.batch}, '
            f'{s.describe("backbone")} ({args.device})',
            ['model', 'train img/s', 'infer img/s', 'train vs ConvNeXt-T',
             'infer vs ConvNeXt-T', 'params (M)', 'GMACs/img'], rows),
            flush=True)
        r = results['backbone'][f'ours_vs_timm@{size}']
        print(f'ours vs timm reference: train {r["train"]:.2f}x, '
              f'infer {r["infer"]:.2f}x', flush=True)
        if first:
            print_compilation(first, secs, {
                name: results['backbone'][f'{name}@{size}']
                for name in BACKBONES})


def print_compilation(first: dict, secs: dict, records: dict,
                      label: str = '') -> None:
    """Compilation time of each compiled step: its first call minus its
    median (inductor's on-disk cache, when warm, shortens it), printed and
    put in each model's record (``records``: the model's name in the step
    keys -> its results entry); ``label`` goes before each name."""
    parts = []
    for name, record in records.items():
        for step in ('train', 'infer'):
            record[f'{step}_compile_s'] = max(
                0., first[(name, step)] - secs[(name, step)])
        parts.append(f'{label}{name} train {record["train_compile_s"]:.1f} '
                     f's, infer {record["infer_compile_s"]:.1f} s')
    print('compilation (first call minus the median): ' + '; '.join(parts),
          flush=True)


def run_segmentors(args, s: Settings, results: dict) -> None:
    rows = []
    for head in SEGMENTORS:
        steps, info = {}, {}
        for backbone in ('InceptionNeXt-T', 'ConvNeXt-T'):
            model, train, infer, macs = segmentor_steps(
                head, backbone, args.seg_size, args.seg_batch, s)
            steps[(backbone, 'train')] = train
            steps[(backbone, 'infer')] = infer
            info[backbone] = (params_m(model), macs)
        first = {} if s.compile else None
        secs = interleaved(steps, args.seg_warmup, args.seg_repeats,
                           s.device, first=first)
        for backbone in ('InceptionNeXt-T', 'ConvNeXt-T'):
            tr, inf = secs[(backbone, 'train')], secs[(backbone, 'infer')]
            rows.append([f'{head} + {backbone}', tr, 1 / inf,
                         secs[('ConvNeXt-T', 'train')] / tr,
                         secs[('ConvNeXt-T', 'infer')] / inf,
                         info[backbone][0], info[backbone][1] / 1e9])
            results['segmentor'][f'{head}+{backbone}'] = dict(
                train_s_per_iter=tr, infer_img_s=1 / inf,
                train_vs_convnext=rows[-1][3], infer_vs_convnext=rows[-1][4])
        if first:
            print_compilation(first, secs, {
                backbone: results['segmentor'][f'{head}+{backbone}']
                for backbone in ('InceptionNeXt-T', 'ConvNeXt-T')},
                label=f'{head} + ')
    print(table(
        f'Segmentors at {args.seg_size}x{args.seg_size}, batch '
        f'{args.seg_batch}, {s.describe("segmentor")} ({args.device})',
        ['segmentor', 'train s/iter', 'infer img/s', 'train vs ConvNeXt-T',
         'infer vs ConvNeXt-T', 'params (M)', 'GMACs/img'], rows),
        flush=True)


def run_memory(args, results: dict) -> None:
    rows = []
    for kind, name in MEMORY_MODELS:
        if args.memory_models and name not in args.memory_models:
            continue
        batch, size = ((args.batch, args.memory_size) if kind == 'backbone'
                       else (args.seg_batch, args.seg_size))
        mem = measure_in_fresh_process(kind, name, args.device, args.dtype,
                                       args.channels_last, batch, size,
                                       args.threads)
        rows.append([name.replace('|', ' + '), mem['peak_mb'],
                     mem['saved_mb']])
        results['memory'][name] = mem
    what = ('CUDA max allocated' if args.device.startswith('cuda') else
            'peak RSS growth')
    print(table(f'Memory of a train step, MB (backbones at '
                f'{args.memory_size}, batch {args.batch}; segmentors at '
                f'{args.seg_size}, batch {args.seg_batch})',
                ['model', f'peak ({what})', 'saved activations'], rows),
          flush=True)


def recommended_settings(device: str) -> Settings:
    from inceptionnext_seg.engine.mixed_precision import bf16_supported
    if device.startswith('cuda'):
        dtype = 'bf16' if bf16_supported(device) else 'fp16'
    else:
        dtype = 'bf16' if bf16_supported('cpu') else 'fp32'
    return Settings(device, dtype, channels_last=True)


def run_recommended(args, results: dict) -> None:
    default = Settings(args.device)
    best = recommended_settings(args.device)
    torch.manual_seed(0)
    model_a, train_a, infer_a, _ = segmentor_steps(
        'UperNet', 'InceptionNeXt-T', args.seg_size, args.seg_batch, default)
    model_b, train_b, infer_b, _ = segmentor_steps(
        'UperNet', 'InceptionNeXt-T', args.seg_size, args.seg_batch, best,
        recommended=True)
    model_b.load_state_dict(model_a.state_dict())
    # Same weights, same input: how far do the logits move?
    x = model_a.data_preprocessor(synthetic_batch(1, args.seg_size), False)
    model_a.eval()
    model_b.eval()
    with torch.no_grad():
        ref = model_a(x['inputs'], mode='tensor')
        inputs = x['inputs'].contiguous(memory_format=torch.channels_last)
        with best.autocast():
            out = model_b(inputs, mode='tensor').float()
    rel = ((out - ref).abs().max() / ref.abs().max()).item()
    agree = (out.argmax(1) == ref.argmax(1)).float().mean().item() * 100
    secs = interleaved({'default': train_a, 'recommended': train_b,
                        'default_i': infer_a, 'recommended_i': infer_b},
                       args.seg_warmup, args.seg_repeats, default.device)
    speed = secs['default'] / secs['recommended']
    speed_i = secs['default_i'] / secs['recommended_i']
    results['recommended'] = dict(
        settings=best.describe(), train_speedup=speed, infer_speedup=speed_i,
        max_rel_logit_diff=rel, argmax_agreement_pct=agree)
    print(table(
        f'UperNet-T: recommended settings ({best.describe()}) vs mmseg '
        f'defaults (fp32, NCHW), {args.seg_size}x{args.seg_size}, batch '
        f'{args.seg_batch} ({args.device})',
        ['', 'default', 'recommended', 'speed-up'],
        [['train s/iter', secs['default'], secs['recommended'], speed],
         ['infer s/img', secs['default_i'], secs['recommended_i'],
          speed_i]]), flush=True)
    print(f'outputs: max |logit diff| / max |logit| = {rel:.4f}; '
          f'argmax agreement {agree:.2f}%', flush=True)


def run_export(args, results: dict) -> None:
    """Inference of the exported ONNX model (ONNX Runtime, CPU) against
    PyTorch eager, same model and weights, same input, same threads,
    interleaved."""
    import tempfile

    from inceptionnext_seg import deploy
    from inceptionnext_seg.utils.quiet import init_weights_quietly
    threads = torch.get_num_threads()
    rows = []
    for head in SEGMENTORS:
        model = build_segmentor(head, 'InceptionNeXt-T', args.seg_size)
        init_weights_quietly(model)
        wrapper = deploy.ExportableSegmentor(
            deploy.make_exportable(model)).eval()
        shape = (args.seg_size, args.seg_size)
        image = torch.rand(1, 3, *shape) * 255
        with tempfile.TemporaryDirectory() as tmp:
            path = f'{tmp}/model.onnx'
            deploy.export_onnx(wrapper, path, shape, False, {})
            run = deploy.onnx_runner(path, threads=threads)
            # The export policy (checked, deleted on failure): a file that
            # computes something else is not timed.
            deploy.export_checked(run, wrapper, path, [shape])

            def eager():
                with torch.inference_mode():
                    wrapper(image)

            secs = interleaved({'eager': eager, 'onnx': lambda: run(image)},
                               args.seg_warmup, args.seg_repeats,
                               torch.device('cpu'))
        ratio = secs['eager'] / secs['onnx']
        rows.append([f'{head} + InceptionNeXt-T', secs['eager'], secs['onnx'],
                     ratio])
        results['export'][head] = dict(eager_s=secs['eager'],
                                       onnxruntime_s=secs['onnx'],
                                       speedup=ratio)
    print(table(f'Exported model (ONNX Runtime, CPU) vs PyTorch eager, '
                f'{args.seg_size}x{args.seg_size}, batch 1, fp32, {threads} '
                f'threads', ['segmentor', 'eager s/img', 'ONNX Runtime s/img',
                             'speed-up'], rows), flush=True)


def run_ladder(args, results: dict) -> None:
    """The CPU ladder of each segmentor (measured by
    ``inceptionnext_seg.analysis.cpu_ladder.measure_ladder``), printed and
    kept as this CPU's entry of ``--ladder FILE``."""
    from inceptionnext_seg.analysis.cpu_ladder import cpu_features
    from inceptionnext_seg.engine.mixed_precision import bf16_supported
    cpu = cpu_features()
    print(f'CPU: {cpu["name"]} ({cpu["isa"]}; '
          f'{", ".join(cpu["features"]) or "no AVX2"}), '
          f'{torch.get_num_threads()} threads', flush=True)
    checkpoints = dict(zip(SEGMENTORS, args.ladder_checkpoints or []))
    try:
        ladder = measure_ladder(
            lambda head, size: build_segmentor(head, 'InceptionNeXt-T', size),
            list(SEGMENTORS), args.seg_size, args.seg_warmup,
            args.seg_repeats, checkpoints, args.ladder_images,
            'inductor' if args.compile else None)
    except ValueError as error:  # an image folder without images
        raise SystemExit(f'--ladder-images: {error}')
    results['ladder'] = ladder
    size, threads = ladder['size'], ladder['threads']
    for head in SEGMENTORS:
        rows, best = ladder[head]['rows'], ladder[head]['fastest_verified']
        weights = checkpoints.get(head, 'random weights')
        print(table(
            f'{head}-T CPU inference ladder, {size}x{size}, batch 1, '
            f'{threads} threads ({weights})',
            ['path', 's/img', 'vs eager fp32', 'label agreement %'] +
            (['compilation s'] if args.compile else []),
            [[r['path'], r['s_per_img'], r['speedup'], 100 * r['agreement']]
             + ([r.get('compile_s', '')] if args.compile else [])
             for r in rows]), flush=True)
        if not bf16_supported('cpu'):
            print('eager bf16 + channels-last: not run, no native bf16 on '
                  'this CPU (it would be emulated, slower than fp32)')
        print(f'fastest verified path: {best or "none"} (label agreement >= '
              f'{100 * MIN_AGREEMENT["fp32"]:g}% for fp32 paths, >= '
              f'{100 * MIN_AGREEMENT["reduced"]:g}% for bf16/int8)',
              flush=True)
        if head not in checkpoints:
            print('note: random weights have near-ties between classes at '
                  'most pixels, so their agreement understates a trained '
                  "model's; give --ladder-checkpoints for real figures.",
                  flush=True)
    kept = save_ladder(ladder, args.ladder)
    print(f'ladder kept for tools/infer.py (which names and, with '
          f'--fastest, takes the fastest verified path; give it --ladder '
          f'{kept} where that is not its default): {kept}')


def matrix_settings(args) -> list:
    """The matrix's settings: float32 NCHW (mmseg's default), float32
    channels-last, and the recommended precision with channels-last
    (bf16, or fp16 on GPUs without bf16; none on CPUs without native
    bf16, where it would be emulated); each eager and, unless
    ``--matrix-eager-only``, compiled."""
    rec = recommended_settings(args.device)
    combos = [('fp32', False), ('fp32', True)]
    if rec.dtype != torch.float32:
        combos.append(({torch.bfloat16: 'bf16', torch.float16: 'fp16'}[
            rec.dtype], True))
    compiled = (False, ) if args.matrix_eager_only else (False, True)
    return [Settings(args.device, dtype, channels_last, c)
            for dtype, channels_last in combos for c in compiled]


def run_matrix(args, results: dict) -> None:
    """InceptionNeXt-T (this project's and timm's) against ConvNeXt-T,
    backbone, UperNet-T and FPN-T, in every setting of
    :func:`matrix_settings`: each setting's models interleaved, each row's
    ratio to ConvNeXt-T of the same setting, and per part the best setting
    of each side against the other's best (the CPU's instruction set named,
    and an ``ONEDNN_MAX_CPU_ISA``/``MKL_ENABLE_INSTRUCTIONS``/
    ``ATEN_CPU_CAPABILITY`` cap stated)."""
    size = args.sizes[0]
    machine = machine_description(args.device)
    print(f'Machine: {machine["text"]}', flush=True)
    records, rows = [], []
    for s in matrix_settings(args):
        for part in MATRIX_PARTS:
            steps, info = {}, {}
            for part_, model, name in MATRIX_MODELS:
                if part_ != part:
                    continue
                if part == 'backbone':
                    built = backbone_steps(name, size, args.batch, s)
                else:
                    built = segmentor_steps(part, name, args.seg_size,
                                            args.seg_batch, s)
                steps[(model, 'train')], steps[(model, 'infer')] = \
                    built[1], built[2]
                info[model] = built[3]
            secs = interleaved(steps, args.seg_warmup + int(s.compile),
                               args.seg_repeats, s.device)
            batch = args.batch if part == 'backbone' else args.seg_batch
            what = 'backbone' if part == 'backbone' else 'segmentor'
            for model in info:
                tr, inf = secs[(model, 'train')], secs[(model, 'infer')]
                record = dict(
                    part=part, model=model,
                    size=size if part == 'backbone' else args.seg_size,
                    batch=batch, precision={
                        torch.float32: 'fp32', torch.bfloat16: 'bf16',
                        torch.float16: 'fp16'}[s.dtype],
                    memory_format=('channels_last' if s.channels_last
                                   else 'NCHW'), compiled=s.compile,
                    settings=s.describe(what),
                    train_s=tr, infer_s=inf,
                    train_vs_convnext=secs[('ConvNeXt-T', 'train')] / tr,
                    infer_vs_convnext=secs[('ConvNeXt-T', 'infer')] / inf,
                    gmacs_per_img=info[model] / 1e9)
                records.append(record)
                rows.append([f'{part} + {model}', s.describe(what), tr,
                             inf, record['train_vs_convnext'],
                             record['infer_vs_convnext']])
    best = best_of_each_side(records)
    results['matrix'] = dict(device=args.device, machine=machine,
                             tf32=results['tf32'], rows=records, best=best)
    print(table(
        f'InceptionNeXt-T vs ConvNeXt-T ({args.device}): backbones at '
        f'{size}x{size}, batch {args.batch}; segmentors at {args.seg_size}x'
        f'{args.seg_size}, batch {args.seg_batch}; infer: one batch '
        f'(backbones) or one image (segmentors)',
        ['model', 'settings', 'train s/step', 'infer s',
         'train vs ConvNeXt-T', 'infer vs ConvNeXt-T'], rows), flush=True)
    print(table(
        f'Best setting each side ({machine["text"]})',
        ['part', 'step', 'InceptionNeXt-T', 's', 'ConvNeXt-T', 's',
         'speed-up'],
        [[b['part'], b['step'], b['ours_settings'], b['ours_s'],
          b['convnext_settings'], b['convnext_s'], b['speedup']]
         for b in best]), flush=True)


def machine_description(device: str) -> dict:
    """The device, and on a CPU its name, vector ISA (torch's), features
    and any ISA cap set in the environment (an emulation of an older CPU
    for oneDNN's, MKL's and ATen's kernels, not the real thing)."""
    import os

    from inceptionnext_seg.analysis.cpu_ladder import cpu_features
    threads = torch.get_num_threads()
    if device.startswith('cuda'):
        name = torch.cuda.get_device_name(device)
        return dict(name=name, text=f'{name}; torch {torch.__version__}')
    cpu = cpu_features()
    caps = {k: os.environ[k] for k in ('ONEDNN_MAX_CPU_ISA',
                                       'MKL_ENABLE_INSTRUCTIONS',
                                       'ATEN_CPU_CAPABILITY')
            if os.environ.get(k)}
    text = (f'{cpu["name"]} ({cpu["isa"]}; '
            f'{", ".join(cpu["features"]) or "no AVX2"}), {threads} '
            f'threads, torch {torch.__version__}')
    if caps:
        text += ('; capped by ' + ', '.join(f'{k}={v}' for k, v in
                                            caps.items())
                 + ' (emulating that ISA in the kernels of oneDNN, MKL '
                 'and ATen, not a real such CPU)')
    return dict(name=cpu['name'], isa=cpu['isa'], features=cpu['features'],
                threads=threads, isa_caps=caps, text=text)


def best_of_each_side(records: list) -> list:
    """Per part and step (train, infer): the fastest row of
    InceptionNeXt-T (this project's) and of ConvNeXt-T, whatever their
    settings, and the speed-up of the one over the other."""
    best = []
    for part in MATRIX_PARTS:
        for step in ('train', 'infer'):
            side = {}
            for model in ('InceptionNeXt-T', 'ConvNeXt-T'):
                rows = [r for r in records
                        if r['part'] == part and r['model'] == model]
                if rows:
                    side[model] = min(rows, key=lambda r: r[f'{step}_s'])
            if len(side) < 2:
                continue
            ours, conv = side['InceptionNeXt-T'], side['ConvNeXt-T']
            best.append(dict(
                part=part, step=step, ours_settings=ours['settings'],
                ours_s=ours[f'{step}_s'],
                convnext_settings=conv['settings'],
                convnext_s=conv[f'{step}_s'],
                speedup=conv[f'{step}_s'] / ours[f'{step}_s']))
    return best


PARTS = ['backbone', 'segmentor', 'memory', 'recommended', 'export',
         'ladder', 'matrix']
#: What a run measures without --parts: everything but the GPU matrix on
#: the CPU (compiling on the CPU takes minutes per model), everything on a
#: GPU (where export and ladder say they are CPU parts).
CPU_DEFAULT_PARTS = PARTS[:-1]
#: Minutes a part took on a 2-core machine with nothing else running, by
#: vector unit, where measured: the ladder (docs/deploy.md) and the matrix
#: without its compiled rows (--matrix-eager-only, one thread, 2026-12-07,
#: AVX2 emulated: docs/speed.md). Every part's own time is printed at its end.
PART_MINUTES = {'ladder': {'AVX-512': 4.0},
                'matrix': {'AVX-512': 9.0, 'AVX2': 14.0}}
# Parts that run a segmentor in training mode: UperNet's pooling pyramid
# normalises 1x1 maps with BatchNorm there, which needs 2 images or more.
TRAINING_PARTS = ('segmentor', 'memory', 'recommended', 'matrix')


def build_parser() -> argparse.ArgumentParser:
    """The command line of this tool (builds the parser, parses nothing)."""
    cuda = torch.cuda.is_available()  # the defaults suit the device
    parser = argparse.ArgumentParser(
        description='Speed and memory of InceptionNeXt against its timm '
        'reference, ConvNeXt-T and ResNet-50, of UperNet and FPN with '
        'InceptionNeXt-T against ConvNeXt-T, of the recommended settings, '
        'and of the ONNX export; medians of interleaved runs.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--device', default='cuda' if cuda else 'cpu',
                        help='cpu, cuda or cuda:N (default: cuda if '
                        'available)')
    parser.add_argument('--parts', nargs='+', choices=PARTS,
                        help='what to measure (default: all; on the CPU all '
                        'but matrix)')
    parser.add_argument('--batch', type=int, default=64 if cuda else 2,
                        help='backbone batch')
    parser.add_argument('--sizes', type=int, nargs='+', default=[224, 512],
                        help='backbone input sizes')
    parser.add_argument('--seg-batch', type=int, default=2,
                        help='segmentor batch (the recipes use 2 per GPU; '
                        'at least 2 for the parts that train)')
    parser.add_argument('--seg-size', type=int, default=512,
                        help='segmentor input size (square)')
    parser.add_argument('--memory-size', type=int, default=512,
                        help='backbone input size for the memory part')
    parser.add_argument('--memory-models', nargs='+', metavar='NAME',
                        choices=[name for _, name in MEMORY_MODELS],
                        help='only these rows of the memory part (each '
                        'runs in a fresh process); default: all')
    parser.add_argument('--dtype', choices=list(DTYPES), default='fp32',
                        help='autocast dtype for the backbone, segmentor '
                        'and memory parts')
    parser.add_argument('--channels-last', action='store_true',
                        help='channels-last memory format for the backbone, '
                        'segmentor and memory parts')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile the backbones, and the '
                        "segmentors' backbone and decode head, of the "
                        'backbone and segmentor parts, and add compiled '
                        "eager rows to the ladder's (opt-in; the matrix "
                        'part measures both)')
    parser.add_argument('--matrix-eager-only', action='store_true',
                        help='matrix: leave out the compiled rows (on a '
                        'CPU inductor compiles each model for minutes)')
    parser.add_argument('--tf32', action='store_true',
                        help='let cuDNN convolutions and cuBLAS matmuls '
                        'both use TF32 (default: neither, true float32; '
                        'one policy for every model)')
    parser.add_argument('--warmup', type=int, default=2 if cuda else 1,
                        help='untimed rounds before the backbone timings')
    parser.add_argument('--repeats', type=int, default=10 if cuda else 3,
                        help='timed rounds of the backbones (median)')
    parser.add_argument('--seg-warmup', type=int, default=2 if cuda else 1,
                        help='untimed rounds before the segmentor timings')
    parser.add_argument('--seg-repeats', type=int, default=10 if cuda else 2,
                        help='timed rounds of the segmentors (median)')
    parser.add_argument('--threads', type=int, default=None,
                        help="torch CPU threads (default: torch's choice)")
    parser.add_argument('--ladder-checkpoints', nargs='+',
                        metavar='CKPT', help='ladder: checkpoints of '
                        'UperNet-T and FPN-T (in this order; default: random '
                        'weights)')
    parser.add_argument('--ladder-images', metavar='DIR',
                        help='ladder: held-out *.jpg images for the label '
                        'agreement, resized to --seg-size (default: '
                        'generated scenes); calibration uses generated '
                        'scenes')
    parser.add_argument('--ladder', metavar='FILE',
                        default=str(ladder_record_path()),
                        help='ladder: the record file to keep this CPU\'s '
                        'entry in, which tools/infer.py --ladder reads (the '
                        'default is both tools\' default: '
                        '$INCEPTIONNEXT_LADDER, else inceptionnext_seg/'
                        'cpu_ladder.json in $XDG_CACHE_HOME or ~/.cache)')
    parser.add_argument('--json', metavar='PATH',
                        help='also write the figures to this file')
    parser.add_argument('--log-level', default='INFO',
                        choices=['DEBUG', 'INFO', 'WARNING'],
                        help="mmengine's log level (DEBUG also shows its "
                        'per-parameter initialisation log)')
    return parser


def parse_args(argv=None):
    cuda = torch.cuda.is_available()
    parser = build_parser()
    args = parser.parse_args(argv)
    args.parts = args.parts or (PARTS if cuda and args.device != 'cpu'
                                else CPU_DEFAULT_PARTS)
    training = [p for p in args.parts if p in TRAINING_PARTS]
    if args.seg_batch < 2 and training:
        parser.error(f'--seg-batch {args.seg_batch}: the parts '
                     f'{", ".join(training)} train UperNet, whose pooling '
                     f'pyramid normalises 1x1 maps with BatchNorm, which '
                     f'needs at least 2 images per batch; use --seg-batch 2 '
                     f'or more, or only --parts backbone export.')
    return args


def expected_times(args) -> list:
    """What the CPU parts asked for will take, said before they start
    (:data:`PART_MINUTES`, where measured)."""
    lines = []
    for part in args.parts:
        minutes = PART_MINUTES.get(part)
        if minutes is None:
            continue
        what = f'--parts {part}'
        if part == 'matrix' and not args.matrix_eager_only:
            what += (' (its eager rows; the compiled rows add minutes of '
                     'compilation per model, not measured here)')
        if part == 'ladder' and args.compile:
            what += (' (without --compile; its compiled rows added 2.2 min '
                     'of compilation on a 2-core AMX Xeon, docs/deploy.md)')
        lines.append(expected_time(what, minutes))
    return lines


def main(argv=None) -> dict:
    args = parse_args(argv)
    set_log_level(args.log_level)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    tf32 = set_tf32(args.tf32)  # once, for every model and part
    s = settings_of(args)
    device_name = (torch.cuda.get_device_name(args.device)
                   if args.device.startswith('cuda') else
                   f'CPU, {torch.get_num_threads()} threads')
    print(f'Device: {device_name}; torch {torch.__version__}; TF32 '
          f'{"on" if args.tf32 else "off"} (cuDNN convolutions and cuBLAS '
          f'matmuls alike)', flush=True)
    results = dict(device=device_name, settings=s.describe(), tf32=tf32,
                   backbone={}, segmentor={}, memory={}, recommended={},
                   export={})
    if args.device == 'cpu':
        for line in expected_times(args):
            print(line, flush=True)
    for part, run in (('backbone', lambda: run_backbones(args, s, results)),
                      ('segmentor',
                       lambda: run_segmentors(args, s, results)),
                      ('memory', lambda: run_memory(args, results)),
                      ('recommended', lambda: run_recommended(args, results)),
                      ('export', lambda: run_export(args, results)),
                      ('ladder', lambda: run_ladder(args, results)),
                      ('matrix', lambda: run_matrix(args, results))):
        if part not in args.parts:
            continue
        if part in ('export', 'ladder') and args.device != 'cpu':
            print(f'{part} part: CPU only (ONNX Runtime CPU provider)')
            continue
        started = time.perf_counter()
        run()
        print(f'({part} part: {duration(time.perf_counter() - started)})',
              flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


if __name__ == '__main__':
    main()
