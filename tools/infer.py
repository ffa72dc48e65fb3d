"""Segment an image, a folder of images, a glob pattern or a video and
write the prediction painted over each image or frame.

On a CPU it names the fastest verified inference path for this CPU (from
the ladder record --ladder FILE that
`tools/analysis_tools/benchmark.py --parts ladder` wrote; both tools default
to the same file) and, with --fastest, takes it:
eager float32, eager bf16 + channels-last (CPUs with native bf16), or ONNX
Runtime on an exported file (--onnx; an int8 file counts once it passed its
own check at export). --onnx and --fastest run on the CPU whatever GPU the
machine has.

Many images write an output folder that keeps their paths under the
folder (or under the glob pattern's fixed leading folders), as PNG. They go
in batches (--batch-size) of images of one size (before and after the test
pipeline): mmseg's test-time preprocessor refuses a batch of several sizes,
and padding would change the prediction near the padded edges; so every
image is computed as the single-image form computes it (the same pixels in
float32 on the CPU, as tested; --onnx batches need a --dynamic export). A
video writes an
annotated video and, with --labels-out DIR, each frame's label map
(frame_000000.png, ...).
An image that cannot be read is named, skipped, and makes the exit status 1.
Inputs and outputs follow tools/deployment/infer_onnx.py's rules (both use
inceptionnext_seg.inference.media); the work is inceptionnext_seg.apis'.

Examples:
    python tools/infer.py demo.jpg configs/upernet_inceptionnext_t_ade20k.py \
        CKPT.pth --out result.png [--opacity 0.5] [--device cuda:0]
    python tools/infer.py demo.jpg CONFIG CKPT.pth --out result.png \
        --fastest --onnx model_int8.onnx
    python tools/infer.py images/ CONFIG CKPT.pth --out results/ \
        --batch-size 4 [--labels-out labels/]
    python tools/infer.py 'images/**/*.jpg' CONFIG CKPT.pth --out results/
    python tools/infer.py clip.mp4 CONFIG CKPT.pth --out clip_seg.mp4 \
        [--labels-out frames/]
"""
import argparse
import sys

from inceptionnext_seg.utils.quiet import quiet_library_warnings

quiet_library_warnings()  # before mmengine/mmcv/mmseg raise them at import

import torch
from mmengine.config import DictAction

from inceptionnext_seg.analysis.cpu_ladder import ladder_record_path
from inceptionnext_seg.apis import (check_onnx_batch, choose_cpu_path,
                                    onnx_file, segment)
from inceptionnext_seg.deploy.policy import EAGER_FP32
from inceptionnext_seg.engine.compile import backend_name
from inceptionnext_seg.inference import media
from inceptionnext_seg.utils.config import load_config


def build_parser() -> argparse.ArgumentParser:
    """The command line of this tool (builds the parser, parses nothing)."""
    parser = argparse.ArgumentParser(
        description='Segment an image, a folder of images, a glob pattern or '
        'a video with a config and its checkpoint and write the prediction '
        'painted over each image or frame. On a CPU, names the '
        'fastest verified path this CPU\'s ladder gives and, with '
        '--fastest, takes it.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('input', help='image file, folder of images, glob '
                        'pattern (quoted) or video file (' +
                        ', '.join(media.VIDEO_SUFFIXES) + ')')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    media.add_output_arguments(parser)
    parser.add_argument('--batch-size', type=int, default=1,
                        help='images or frames per forward pass (a batch '
                        'holds images of one size)')
    parser.add_argument('--device', default=None,
                        help='device to run on (default: cpu with --onnx '
                        'or --fastest, which are CPU paths; else cuda:0 if '
                        'available, else cpu)')
    parser.add_argument('--onnx', metavar='FILE',
                        help='CPU: run this file, exported from the same '
                        'config and checkpoint by '
                        'tools/deployment/export.py, with ONNX '
                        'Runtime (with --fastest: where it is the fastest '
                        'verified path)')
    parser.add_argument('--fastest', action='store_true',
                        help="CPU: take the fastest verified path of this "
                        "CPU's ladder")
    parser.add_argument('--ladder', metavar='FILE',
                        default=str(ladder_record_path()),
                        help='the ladder record that '
                             'tools/analysis_tools/benchmark.py '
                        '--parts ladder --ladder FILE wrote (the default is '
                        'both tools\' default: $INCEPTIONNEXT_LADDER, else '
                        'inceptionnext_seg/cpu_ladder.json in '
                        '$XDG_CACHE_HOME or ~/.cache)')
    parser.add_argument('--threads', type=int, default=0,
                        help="CPU threads (0: torch's and ONNX Runtime's "
                        'choice)')
    parser.add_argument('--label-values', nargs='+', type=int,
                        metavar='VALUE',
                        help='the value --labels-out writes for each class, '
                        'in class order: 0 255 for binary masks as most '
                        'tools store them, 0 1 for 0/1 (default: the '
                        "dataset's own encoding)")
    parser.add_argument('--compile', nargs='?', const='inductor',
                        metavar='BACKEND', type=backend_name,
                        help='torch.compile the backbone and heads of the '
                        "eager paths (torch's backend name; no value: "
                        'inductor); the first batch includes the '
                        'compilation, which is reported')
    parser.add_argument('--with-labels', action='store_true',
                        help='write class names on the image')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    return parser


def parse_args(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error(f'--batch-size {args.batch_size}: at least 1.')
    if args.label_values and not args.labels_out:
        parser.error('--label-values is for the maps of --labels-out; give '
                     '--labels-out DIR_OR_FILE')
    if args.label_values and (args.train_ids or not all(
            0 <= v <= 65535 for v in args.label_values)):
        parser.error('--label-values: one value 0..65535 per class, without '
                     '--train-ids')
    args.device = choose_device(parser, args)
    return args


def choose_device(parser: argparse.ArgumentParser, args) -> str:
    """--device, or its default: the CPU for --onnx and --fastest (CPU
    paths, whatever GPU the machine has), else cuda:0 where CUDA is usable.
    An explicit GPU with --onnx or --fastest is refused."""
    cpu_paths = args.onnx or args.fastest
    if args.device is None:
        return 'cpu' if cpu_paths or not torch.cuda.is_available() else \
            'cuda:0'
    if cpu_paths and args.device != 'cpu':
        parser.error(f'--onnx and --fastest are CPU paths (ONNX Runtime on '
                     f'the CPU, the ladder of this CPU); --device '
                     f'{args.device} would run eager PyTorch on the GPU. '
                     f'Leave --device out (or give cpu), or drop --onnx and '
                     f'--fastest to run on {args.device}.')
    return args.device


def main(argv=None) -> int:
    from mmseg.apis import init_model

    from inceptionnext_seg.engine.compile import (compile_segmentor,
                                                  compiled_message)
    from inceptionnext_seg.engine.mixed_precision import bf16_supported
    args = parse_args(argv)
    inputs = media.find_inputs(args.input)
    media.check_outputs(inputs, args.input, args.out, args.labels_out)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_config(args.config, args.cfg_options)
    cfg.model.backbone.init_cfg = None  # weights come from the checkpoint
    file = onnx_file(args.onnx) if args.onnx else None
    path = (choose_cpu_path(cfg, file, args.ladder, args.fastest, args.onnx,
                            compiling=bool(args.compile))
            if args.device == 'cpu' else EAGER_FP32)
    if path.onnx:
        check_onnx_batch(args.batch_size, args.onnx, file, inputs.kind)
    if path.eager_bf16:
        if not bf16_supported('cpu'):
            raise SystemExit(f'{path}: this CPU has no native bf16 '
                             f'(the ladder was measured on another CPU?)')
        cfg.model.data_preprocessor.type = 'ChannelsLastSegDataPreProcessor'
    model = init_model(cfg, args.checkpoint, device=args.device)
    if path.eager_bf16:
        model = model.to(memory_format=torch.channels_last)
    if args.compile and not path.onnx:
        parts = compile_segmentor(model, args.compile)
        print(compiled_message(parts, args.compile), flush=True)
    elif args.compile:
        print(f'--compile: not applied, {path} runs ONNX Runtime',
              flush=True)
    return segment(model, path, inputs, args.out, args.labels_out,
                   args.batch_size, args.onnx, args.threads, args.opacity,
                   args.with_labels, args.train_ids, args.label_values)


if __name__ == '__main__':
    sys.exit(main())
