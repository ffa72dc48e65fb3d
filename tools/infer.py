"""Segment one image and write the coloured result.

On a CPU it names the fastest verified inference path for this CPU (from
the ladder `tools/benchmark.py --parts ladder` measured and kept on this
machine) and, with --fastest, takes it: eager float32, eager bf16 +
channels-last (CPUs with native bf16), or ONNX Runtime on an exported file
(--onnx; an int8 file counts once it passed its own check at export).

Examples:
    python tools/infer.py demo.jpg configs/upernet_inceptionnext_t_ade20k.py \
        CKPT.pth --out result.png [--opacity 0.5] [--device cuda:0]
    python tools/infer.py demo.jpg CONFIG CKPT.pth --out result.png \
        --fastest --onnx model_int8.onnx
"""
import argparse
import time

from inceptionnext_seg.utils.quiet import quiet_library_warnings

quiet_library_warnings()  # before mmengine/mmcv/mmseg raise them at import

import torch
from mmengine.config import DictAction

from inceptionnext_seg.analysis.cpu_ladder import (EAGER_BF16, EAGER_FP32,
                                                   onnx_path)
from inceptionnext_seg.utils.config import load_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Segment one image with a config and its checkpoint and '
        'write the prediction painted over the image. On a CPU, names the '
        'fastest verified path this CPU\'s ladder gives and, with '
        '--fastest, takes it.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('image', help='image file')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', required=True, help='output image file')
    parser.add_argument('--device', default=None,
                        help='device to run on (default: cuda:0 if '
                        'available, else cpu)')
    parser.add_argument('--onnx', metavar='FILE',
                        help='CPU: run this file, exported from the same '
                        'config and checkpoint by tools/export.py, with ONNX '
                        'Runtime (with --fastest: where it is the fastest '
                        'verified path)')
    parser.add_argument('--fastest', action='store_true',
                        help="CPU: take the fastest verified path of this "
                        "CPU's ladder")
    parser.add_argument('--ladder', metavar='FILE',
                        help='the ladder record (default: the one '
                        'tools/benchmark.py --parts ladder keeps, '
                        '$INCEPTIONNEXT_LADDER or ~/.cache/inceptionnext_seg/'
                        'cpu_ladder.json)')
    parser.add_argument('--threads', type=int, default=0,
                        help="CPU threads (0: torch's and ONNX Runtime's "
                        'choice)')
    parser.add_argument('--opacity', type=float, default=0.5,
                        help='opacity of the painted mask, in (0, 1]')
    parser.add_argument('--with-labels', action='store_true',
                        help='write class names on the image')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    args = parser.parse_args(argv)
    args.device = args.device or ('cuda:0' if torch.cuda.is_available()
                                  else 'cpu')
    if args.device != 'cpu' and (args.onnx or args.fastest):
        parser.error(f'--onnx and --fastest are CPU paths; --device '
                     f'{args.device} runs eager PyTorch there.')
    return args


def onnx_file(path: str) -> dict:
    """The file's precision and whether it passed its check at export
    (``tools/export.py`` writes ``verification``)."""
    from inceptionnext_seg.deploy import read_metadata
    meta = read_metadata(path)
    if 'palette' not in meta:
        raise SystemExit(f'{path}: no tools/export.py metadata (palette, '
                         f'test-time resize); export it with '
                         f'tools/export.py.')
    if meta.get('output') != 'logits':
        raise SystemExit(f'{path}: exported with --output '
                         f'{meta.get("output")}; tools/infer.py resizes '
                         f'logits to the image as mmseg does: export with '
                         f'--output logits.')
    check = meta.get('verification')
    return dict(precision=meta.get('precision', 'fp32'),
                checked=isinstance(check, dict) and bool(check.get('ok')))


def name_path(args, cfg, file: dict) -> str:
    """Print this CPU's fastest verified path for the config's segmentor
    and return the path this run takes."""
    from inceptionnext_seg.analysis import (choose_path, ladder_for_this_cpu,
                                            ladder_head, ladder_record_path)
    given = onnx_path(file['precision']) if file else EAGER_FP32
    record = args.ladder or ladder_record_path()
    entry = ladder_for_this_cpu(record)
    head = ladder_head(cfg.model.decode_head.type)
    if entry is None or head not in entry:
        why = (f'no ladder for this CPU in {record}' if entry is None else
               f'the ladder has no {cfg.model.decode_head.type} segmentor')
        if args.fastest:
            raise SystemExit(f'--fastest: {why}; run python '
                             f'tools/benchmark.py --parts ladder on this '
                             f'machine first (it keeps the ladder there).')
        print(f'CPU path: {given} ({why})')
        return given
    choice = choose_path(entry[head]['rows'], file)
    take, faster = choice['take'], choice['faster']
    print(f'CPU path: the fastest verified on this CPU for {head}: '
          f'{take["path"]}, {take["speedup"]:.2f}x eager fp32 (ladder of '
          f'{entry.get("date", "an unknown date")}, {record})')
    if faster:
        print(f'  faster: {faster["path"]}, {faster["speedup"]:.2f}x, with '
              f'an ONNX file of that precision that passes its check: '
              f'tools/export.py CONFIG CKPT --format onnx --dynamic '
              f'--quantize int8 --out FILE, then --onnx FILE')
    if file and not file['checked']:
        print(f'  {args.onnx}: {given} without a passed check at export, '
              f'so not a verified path')
    path = take['path'] if args.fastest else given
    print(f'this run: {path}' + ('' if path == take['path'] else
                                 ' (--fastest takes the fastest)'))
    return path


def segment_eager(args, model, bf16: bool):
    from mmseg.apis import inference_model
    if not bf16:
        return inference_model(model, args.image)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        return inference_model(model, args.image)


def segment_onnx(args, cfg, model):
    """The exported file on the image read through the config's test
    pipeline, its logits resized to the image as mmseg resizes them."""
    import torch.nn.functional as F
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample

    from inceptionnext_seg import deploy
    item = next(deploy.pipeline_images(cfg, args.image))
    logits = deploy.onnx_runner(args.onnx, args.threads)(
        torch.from_numpy(item.image))
    logits = F.interpolate(logits, size=item.original_shape,
                           mode='bilinear',
                           align_corners=model.decode_head.align_corners)
    result = SegDataSample()
    result.seg_logits = PixelData(data=logits[0])
    result.pred_sem_seg = PixelData(data=logits[0].argmax(0, keepdim=True))
    return result


def main(argv=None):
    from mmseg.apis import init_model, show_result_pyplot

    from inceptionnext_seg.engine.mixed_precision import bf16_supported
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_config(args.config, args.cfg_options)
    cfg.model.backbone.init_cfg = None  # weights come from the checkpoint
    file = onnx_file(args.onnx) if args.onnx else None
    path = (name_path(args, cfg, file) if args.device == 'cpu' else
            EAGER_FP32)
    if path == EAGER_BF16:
        if not bf16_supported('cpu'):
            raise SystemExit(f'{EAGER_BF16}: this CPU has no native bf16 '
                             f'(the ladder was measured on another CPU?)')
        cfg.model.data_preprocessor.type = 'ChannelsLastSegDataPreProcessor'
    model = init_model(cfg, args.checkpoint, device=args.device)
    if path == EAGER_BF16:
        model = model.to(memory_format=torch.channels_last)
    started = time.perf_counter()
    with torch.no_grad():
        if path not in (EAGER_FP32, EAGER_BF16):
            result = segment_onnx(args, cfg, model)
        else:
            result = segment_eager(args, model, path == EAGER_BF16)
    seconds = time.perf_counter() - started
    show_result_pyplot(model, args.image, result, opacity=args.opacity,
                       with_labels=args.with_labels, show=False,
                       out_file=args.out)
    print(f'segmented in {seconds:.2f} s ({path}); wrote {args.out}')


if __name__ == '__main__':
    main()
