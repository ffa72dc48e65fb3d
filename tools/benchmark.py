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
   ONNX Runtime fp32 and ONNX Runtime int8 (calibrated as ``tools/export.py
   --quantize int8`` does), each with its label agreement with eager fp32,
   the CPU's features and the fastest verified path.

Parameters and MACs (``torch.utils.flop_counter``, multiply-adds) are given
with each model. Example:

    python tools/benchmark.py                        # CPU or the first GPU
    python tools/benchmark.py --channels-last --dtype bf16
    python tools/benchmark.py --parts backbone --sizes 224 --batch 64
    python tools/benchmark.py --parts ladder [--ladder-checkpoints UPER FPN]
"""
import argparse
import datetime
import json
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path

import torch

from inceptionnext_seg.utils.quiet import quiet_library_warnings

quiet_library_warnings()  # before mmengine/mmcv/mmseg raise them at import

from inceptionnext_seg.analysis import (count_macs, interleaved, params_m,
                                        peak_rss_mb, reset_peak_rss, rss_mb,
                                        saved_activations_mb)
from inceptionnext_seg.utils.markdown import table
from inceptionnext_seg.utils.quiet import set_log_level
from inceptionnext_seg.utils.synthetic_batch import synthetic_batch

ROOT = Path(__file__).resolve().parents[1]

BACKBONES = ('InceptionNeXt-T (ours)', 'InceptionNeXt-T (timm)',
             'ConvNeXt-T (timm)', 'ResNet-50 (timm)')
WITH_CP = 'InceptionNeXt-T (ours, with_cp)'
SEGMENTORS = {
    'UperNet': 'configs/upernet_inceptionnext_t_ade20k.py',
    'FPN': 'configs/fpn_inceptionnext_t_ade20k.py',
}
MEMORY_MODELS = (('backbone', 'InceptionNeXt-T (ours)'),
                 ('backbone', WITH_CP),
                 ('backbone', 'ConvNeXt-T (timm)'),
                 ('segmentor', 'UperNet|InceptionNeXt-T'),
                 ('segmentor', 'UperNet|InceptionNeXt-T with_cp'),
                 ('segmentor', 'UperNet|ConvNeXt-T'))
DTYPES = dict(fp32=torch.float32, bf16=torch.bfloat16, fp16=torch.float16)


# ------------------------------------------------------------------ models
def build_backbone(name: str) -> torch.nn.Module:
    import timm
    from mmseg.registry import MODELS

    import backbones  # noqa: F401
    if name in ('InceptionNeXt-T (ours)', WITH_CP):
        return MODELS.build(dict(type='InceptionNeXt', arch='tiny',
                                 with_cp=name == WITH_CP))
    timm_name = {'InceptionNeXt-T (timm)': 'inception_next_tiny',
                 'ConvNeXt-T (timm)': 'convnext_tiny',
                 'ResNet-50 (timm)': 'resnet50'}[name]
    kwargs = dict(out_indices=(1, 2, 3, 4)) if timm_name == 'resnet50' else {}
    return timm.create_model(timm_name, features_only=True, **kwargs)


def build_segmentor(head: str, backbone: str, size: int,
                    recommended: bool = False) -> torch.nn.Module:
    from inceptionnext_seg.utils.config import (build_segmentor_for_analysis,
                                                load_config)
    config = str(ROOT / SEGMENTORS[head])
    options = {'model.data_preprocessor.size': (size, size)}
    if backbone == 'ConvNeXt-T':
        # Same heads and widths (96/192/384/768), timm's ConvNeXt-T.
        options['model.backbone'] = dict(
            _delete_=True, type='TIMMBackbone', model_name='convnext_tiny',
            features_only=True, pretrained=False,
            drop_path_rate=load_config(config).model.backbone.drop_path_rate)
    if recommended:
        options['model.data_preprocessor.type'] = (
            'ChannelsLastSegDataPreProcessor')
    return build_segmentor_for_analysis(config, options)


# ---------------------------------------------------------------- settings
class Settings:

    def __init__(self, args, dtype=None, channels_last=None):
        self.device = torch.device(args.device)
        self.dtype = DTYPES[dtype or args.dtype]
        self.channels_last = (args.channels_last
                              if channels_last is None else channels_last)
        self.compile = args.compile

    def autocast(self):
        if self.dtype == torch.float32:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def prepare(self, model: torch.nn.Module) -> torch.nn.Module:
        model = model.to(self.device)
        if self.channels_last:
            model = model.to(memory_format=torch.channels_last)
        return model

    def tensor(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.device)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def maybe_compile(self, fn):
        return torch.compile(fn) if self.compile else fn

    def describe(self) -> str:
        return (f'{str(self.dtype).replace("torch.", "")}, '
                f'{"channels-last" if self.channels_last else "NCHW"}'
                f'{", compiled" if self.compile else ""}')


# ------------------------------------------------------------------- steps
def backbone_steps(name: str, size: int, batch: int, s: Settings):
    model = s.prepare(build_backbone(name))
    x = s.tensor(torch.randn(batch, 3, size, size))
    forward = s.maybe_compile(model)

    def train():
        model.train()
        with s.autocast():
            outs = forward(x)
        sum(o.float().mean() for o in outs).backward()
        model.zero_grad(set_to_none=True)

    def infer():
        model.eval()
        with torch.inference_mode(), s.autocast():
            forward(x)

    macs = count_macs(model, lambda: model(x[:1]))
    return model, train, infer, macs


def segmentor_steps(head: str, backbone: str, size: int, batch: int,
                    s: Settings, recommended: bool = False):
    with_cp = backbone.endswith('with_cp')
    backbone = backbone.replace(' with_cp', '')
    model = build_segmentor(head, backbone, size, recommended).to(s.device)
    model.backbone.with_cp = with_cp
    if s.channels_last and not recommended:
        model = model.to(memory_format=torch.channels_last)
    data = model.data_preprocessor(synthetic_batch(batch, size), True)
    if s.channels_last:
        data['inputs'] = data['inputs'].contiguous(
            memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=6e-5)

    def train():
        model.train()
        with s.autocast():
            losses = model.loss(data['inputs'], data['data_samples'])
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    def infer():
        model.eval()
        with torch.inference_mode(), s.autocast():
            model.predict(data['inputs'][:1], data['data_samples'][:1])

    macs = count_macs(
        model, lambda: model(data['inputs'][:1], mode='tensor'))
    return model, train, infer, macs


# ------------------------------------------------------------------ memory
def memory_child(args) -> None:
    """Peak memory of one train step, in this fresh process (JSON line)."""
    s = Settings(args)
    kind, name = args.memory_child
    if kind == 'backbone':
        _, train, _, _ = backbone_steps(name, args.memory_size, args.batch, s)
    else:
        head, backbone = name.split('|')
        _, train, _, _ = segmentor_steps(head, backbone, args.seg_size,
                                         args.seg_batch, s)
    if s.device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(s.device)
        train()
        peak = torch.cuda.max_memory_allocated(s.device) / 2**20
    else:
        # The first step from a clean process: every allocation it makes
        # (activations, gradients, workspaces) shows in the peak RSS.
        before = rss_mb()
        if not reset_peak_rss():
            raise SystemExit('cannot reset the peak RSS mark on this system')
        train()
        peak = peak_rss_mb() - before
    saved = saved_activations_mb(train)
    print(json.dumps(dict(peak_mb=peak, saved_mb=saved)))


def measure_memory(kind: str, name: str, args) -> dict:
    cmd = [sys.executable, __file__, '--memory-child', kind, name,
           '--device', args.device, '--dtype', args.dtype,
           '--batch', str(args.batch), '--seg-batch', str(args.seg_batch),
           '--seg-size', str(args.seg_size),
           '--memory-size', str(args.memory_size)]
    if args.channels_last:
        cmd.append('--channels-last')
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ report
def run_backbones(args, s: Settings, results: dict) -> None:
    for size in args.sizes:
        steps, info = {}, {}
        for name in BACKBONES:
            _, train, infer, macs = backbone_steps(name, size, args.batch, s)
            steps[(name, 'train')] = train
            steps[(name, 'infer')] = infer
            info[name] = macs
        secs = interleaved(steps, args.warmup, args.repeats, s.device)
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
            f'{s.describe()} ({args.device})',
            ['model', 'train img/s', 'infer img/s', 'train vs ConvNeXt-T',
             'infer vs ConvNeXt-T', 'params (M)', 'GMACs/img'], rows),
            flush=True)
        r = results['backbone'][f'ours_vs_timm@{size}']
        print(f'ours vs timm reference: train {r["train"]:.2f}x, '
              f'infer {r["infer"]:.2f}x', flush=True)


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
        secs = interleaved(steps, args.seg_warmup, args.seg_repeats,
                           s.device)
        for backbone in ('InceptionNeXt-T', 'ConvNeXt-T'):
            tr, inf = secs[(backbone, 'train')], secs[(backbone, 'infer')]
            rows.append([f'{head} + {backbone}', tr, 1 / inf,
                         secs[('ConvNeXt-T', 'train')] / tr,
                         secs[('ConvNeXt-T', 'infer')] / inf,
                         info[backbone][0], info[backbone][1] / 1e9])
            results['segmentor'][f'{head}+{backbone}'] = dict(
                train_s_per_iter=tr, infer_img_s=1 / inf,
                train_vs_convnext=rows[-1][3], infer_vs_convnext=rows[-1][4])
    print(table(
        f'Segmentors at {args.seg_size}x{args.seg_size}, batch '
        f'{args.seg_batch}, {s.describe()} ({args.device})',
        ['segmentor', 'train s/iter', 'infer img/s', 'train vs ConvNeXt-T',
         'infer vs ConvNeXt-T', 'params (M)', 'GMACs/img'], rows),
        flush=True)


def run_memory(args, results: dict) -> None:
    rows = []
    for kind, name in MEMORY_MODELS:
        if args.memory_models and name not in args.memory_models:
            continue
        mem = measure_memory(kind, name, args)
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
    args = argparse.Namespace(device=device, dtype='fp32', compile=False,
                              channels_last=True)
    if device.startswith('cuda'):
        dtype = 'bf16' if bf16_supported(device) else 'fp16'
    else:
        dtype = 'bf16' if bf16_supported('cpu') else 'fp32'
    return Settings(args, dtype=dtype, channels_last=True)


def run_recommended(args, results: dict) -> None:
    base_args = argparse.Namespace(device=args.device, dtype='fp32',
                                   compile=False, channels_last=False)
    default = Settings(base_args)
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


def ladder_images(folder, size: int, seeds) -> list:
    """float32 1x3xSxS BGR 0..255 images: a folder's, resized, or generated
    scenes of the demo dataset."""
    import cv2
    import numpy as np

    from inceptionnext_seg.datasets.synthetic_ade20k import draw_scene
    if folder:
        images = [cv2.resize(cv2.imread(str(p)), (size, size))
                  for p in sorted(Path(folder).glob('*.jpg'))]
        if not images:
            raise SystemExit(f'--ladder-images {folder}: no *.jpg images')
    else:
        images = [draw_scene(np.random.default_rng(seed), (size, size))[0]
                  for seed in seeds]
    return [torch.from_numpy(np.ascontiguousarray(
        im.transpose(2, 0, 1))[None].astype(np.float32)) for im in images]


def run_ladder(args, results: dict) -> None:
    """Eager fp32, eager bf16 + channels-last (native bf16 only), ONNX
    Runtime fp32 and int8: same model and weights, same input, same
    threads, interleaved; label agreement with eager fp32 on held-out
    images."""
    import tempfile

    from mmengine.runner import load_checkpoint

    from inceptionnext_seg import deploy
    from inceptionnext_seg.analysis.cpu_ladder import (EAGER_BF16,
                                                       EAGER_FP32,
                                                       cpu_features,
                                                       fastest_verified,
                                                       onnx_path, save_ladder)
    from inceptionnext_seg.engine.mixed_precision import bf16_supported
    from inceptionnext_seg.utils.quiet import init_weights_quietly
    cpu = cpu_features()
    threads = torch.get_num_threads()
    size = args.seg_size
    calibration = ladder_images(None, size, range(4))
    held_out = ladder_images(args.ladder_images, size, range(100, 104))
    print(f'CPU: {cpu["name"]} ({cpu["isa"]}; '
          f'{", ".join(cpu["features"]) or "no AVX2"}), {threads} threads',
          flush=True)
    checkpoints = dict(zip(SEGMENTORS, args.ladder_checkpoints or []))
    results['ladder'] = dict(cpu=cpu, threads=threads, size=size,
                             date=datetime.date.today().isoformat())
    for head in SEGMENTORS:
        torch.manual_seed(0)
        model = build_segmentor(head, 'InceptionNeXt-T', size)
        if head in checkpoints:
            load_checkpoint(model, checkpoints[head], map_location='cpu')
        else:
            init_weights_quietly(model)
        wrapper = deploy.ExportableSegmentor(
            deploy.make_exportable(model)).eval()
        runs = {EAGER_FP32: wrapper}
        if bf16_supported('cpu'):
            fast = deploy.ExportableSegmentor(deploy.make_exportable(
                build_segmentor(head, 'InceptionNeXt-T', size))).eval()
            fast.load_state_dict(wrapper.state_dict())
            fast = fast.to(memory_format=torch.channels_last)

            def bf16(x, fast=fast):
                with torch.autocast('cpu', dtype=torch.bfloat16):
                    return fast(x.contiguous(
                        memory_format=torch.channels_last)).float()
            runs[EAGER_BF16] = bf16
        with tempfile.TemporaryDirectory() as tmp:
            fp32, int8 = f'{tmp}/fp32.onnx', f'{tmp}/int8.onnx'
            deploy.export_onnx(wrapper, fp32, (size, size), False, {})
            deploy.quantize_int8(fp32, int8,
                                 [x.numpy() for x in calibration], {})
            runs[onnx_path('fp32')] = deploy.onnx_runner(fp32, threads)
            runs[onnx_path('int8')] = deploy.onnx_runner(int8, threads)
            with torch.inference_mode():
                ref = [wrapper(x).argmax(1) for x in held_out]
                agreement = {
                    name: sum(int((run(x).argmax(1) == r).sum())
                              for x, r in zip(held_out, ref)) /
                    sum(r.numel() for r in ref) for name, run in runs.items()}
                image = held_out[0]
                secs = interleaved(
                    {name: (lambda run=run: run(image))
                     for name, run in runs.items()},
                    args.seg_warmup, args.seg_repeats, torch.device('cpu'))
        rows = [dict(path=name, precision=next(
                         p for p in ('fp32', 'bf16', 'int8') if p in name),
                     s_per_img=secs[name],
                     speedup=secs[EAGER_FP32] / secs[name],
                     agreement=agreement[name]) for name in runs]
        best = fastest_verified(rows)
        results['ladder'][head] = dict(
            rows=rows, weights=checkpoints.get(head, 'random'),
            fastest_verified=best and best['path'])
        weights = checkpoints.get(head, 'random weights')
        print(table(
            f'{head}-T CPU inference ladder, {size}x{size}, batch 1, '
            f'{threads} threads ({weights})',
            ['path', 's/img', 'vs eager fp32', 'label agreement %'],
            [[r['path'], r['s_per_img'], r['speedup'], 100 * r['agreement']]
             for r in rows]), flush=True)
        if not bf16_supported('cpu'):
            print('eager bf16 + channels-last: not run, no native bf16 on '
                  'this CPU (it would be emulated, slower than fp32)')
        print(f'fastest verified path: '
              f'{best["path"] if best else "none"} (label agreement >= '
              f'99.9% for fp32 paths, >= 99% for bf16/int8)', flush=True)
        if head not in checkpoints:
            print('note: random weights have near-ties between classes at '
                  'most pixels, so their agreement understates a trained '
                  "model's; give --ladder-checkpoints for real figures.",
                  flush=True)
    kept = save_ladder(results['ladder'])
    print(f'ladder kept for tools/infer.py (which names and, with '
          f'--fastest, takes the fastest verified path): {kept}')


PARTS = ['backbone', 'segmentor', 'memory', 'recommended', 'export',
         'ladder']
# Parts that run a segmentor in training mode: UperNet's pooling pyramid
# normalises 1x1 maps with BatchNorm there, which needs 2 images or more.
TRAINING_PARTS = ('segmentor', 'memory', 'recommended')


def parse_args(argv=None):
    cuda = torch.cuda.is_available()
    parser = argparse.ArgumentParser(
        description='Speed and memory of InceptionNeXt against its timm '
        'reference, ConvNeXt-T and ResNet-50, of UperNet and FPN with '
        'InceptionNeXt-T against ConvNeXt-T, of the recommended settings, '
        'and of the ONNX export; medians of interleaved runs.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--device', default='cuda' if cuda else 'cpu',
                        help='cpu, cuda or cuda:N (default: cuda if '
                        'available)')
    parser.add_argument('--parts', nargs='+', default=PARTS, choices=PARTS,
                        help='what to measure')
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
                        help='torch.compile the backbones (opt-in)')
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
    parser.add_argument('--json', help='also write the figures to this file')
    parser.add_argument('--log-level', default='INFO',
                        choices=['DEBUG', 'INFO', 'WARNING'],
                        help="mmengine's log level (DEBUG also shows its "
                        'per-parameter initialisation log)')
    parser.add_argument('--memory-child', nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    training = [p for p in args.parts if p in TRAINING_PARTS]
    if args.seg_batch < 2 and training:
        parser.error(f'--seg-batch {args.seg_batch}: the parts '
                     f'{", ".join(training)} train UperNet, whose pooling '
                     f'pyramid normalises 1x1 maps with BatchNorm, which '
                     f'needs at least 2 images per batch; use --seg-batch 2 '
                     f'or more, or only --parts backbone export.')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    set_log_level(args.log_level)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.memory_child:
        memory_child(args)
        return {}
    torch.manual_seed(0)
    s = Settings(args)
    device_name = (torch.cuda.get_device_name(args.device)
                   if args.device.startswith('cuda') else
                   f'CPU, {torch.get_num_threads()} threads')
    print(f'Device: {device_name}; torch {torch.__version__}', flush=True)
    results = dict(device=device_name, settings=s.describe(), backbone={},
                   segmentor={}, memory={}, recommended={}, export={})
    if 'backbone' in args.parts:
        run_backbones(args, s, results)
    if 'segmentor' in args.parts:
        run_segmentors(args, s, results)
    if 'memory' in args.parts:
        run_memory(args, results)
    if 'recommended' in args.parts:
        run_recommended(args, results)
    for part, run in (('export', run_export), ('ladder', run_ladder)):
        if part in args.parts:
            if args.device != 'cpu':
                print(f'{part} part: CPU only (ONNX Runtime CPU provider)')
            else:
                run(args, results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


if __name__ == '__main__':
    main()
