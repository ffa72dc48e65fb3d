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
inceptionnext_seg.inference.media).

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
import time

from inceptionnext_seg.utils.quiet import quiet_library_warnings

quiet_library_warnings()  # before mmengine/mmcv/mmseg raise them at import

import torch
from mmengine.config import DictAction

from inceptionnext_seg.analysis.cpu_ladder import ladder_record_path
from inceptionnext_seg.deploy.policy import (EAGER_BF16, EAGER_FP32,
                                             InferencePath, verification_of)
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


def onnx_file(path: str) -> dict:
    """The file's precision and whether it passed its check at export
    (``tools/deployment/export.py`` writes ``verification``)."""
    from inceptionnext_seg.inference import read_metadata
    meta = read_metadata(path)
    if 'palette' not in meta:
        raise SystemExit(f'{path}: no tools/deployment/export.py metadata '
                         '(palette, '
                         f'test-time resize); export it with '
                         f'tools/deployment/export.py.')
    if meta.get('output') != 'logits':
        raise SystemExit(f'{path}: exported with --output '
                         f'{meta.get("output")}; tools/infer.py resizes '
                         f'logits to the image as mmseg does: export with '
                         f'--output logits.')
    return dict(precision=meta.get('precision', 'fp32'),
                checked=verification_of(meta) is not None,
                batch=onnx_batch(path))


def onnx_batch(path: str):
    """The batch size the file's input is fixed at (an export without
    ``--dynamic``: 1), or None where it takes any."""
    import onnx
    graph = onnx.load(path, load_external_data=False).graph
    dim = graph.input[0].type.tensor_type.shape.dim[0]
    return dim.dim_value if dim.HasField('dim_value') else None


def check_batch(args, file: dict, inputs) -> None:
    """Refuse --batch-size N on a file fixed at another batch size before
    the model is read (ONNX Runtime would stop at the first full batch);
    a run of one image makes batches of one."""
    fixed = file['batch']
    if inputs.kind != 'image' and fixed and args.batch_size > fixed:
        raise SystemExit(
            f'--batch-size {args.batch_size}: {args.onnx} takes batches of '
            f'{fixed} only (exported without --dynamic). Export it with '
            'python tools/deployment/export.py CONFIG CKPT --format onnx '
            '--dynamic '
            f'--out FILE, or run --batch-size {fixed}.')


def name_path(args, cfg, file: dict) -> InferencePath:
    """Print this CPU's fastest verified path for the config's segmentor
    and return the path this run takes."""
    from inceptionnext_seg.analysis import (choose_path, ladder_for_this_cpu,
                                            ladder_head)
    given = (InferencePath('onnxruntime', file['precision']) if file else
             EAGER_FP32)
    record = args.ladder
    entry = ladder_for_this_cpu(record)
    head = ladder_head(cfg.model.decode_head.type)
    if entry is None or head not in entry:
        why = (f'no ladder for this CPU in {record}' if entry is None else
               f'the ladder has no {cfg.model.decode_head.type} segmentor')
        if args.fastest:
            raise SystemExit(f'--fastest: {why}; run python '
                             'tools/analysis_tools/benchmark.py --parts '
                             'ladder --ladder '
                             f'{record} on this machine first (it keeps '
                             f'the ladder there).')
        print(f'CPU path: {given} ({why})')
        return given
    choice = choose_path(entry[head]['rows'], file)
    take, faster = choice['take'], choice['faster']
    print(f'CPU path: the fastest verified on this CPU for {head}: '
          f'{take["path"]}, {take["speedup"]:.2f}x eager fp32 (ladder of '
          f'{entry.get("date", "an unknown date")}, {record})')
    if faster:
        quantize = (' --quantize int8' if InferencePath.parse(
            faster['path']).precision == 'int8' else '')
        print(f'  faster: {faster["path"]}, {faster["speedup"]:.2f}x, with '
              f'an ONNX file of that precision that passes its check: '
              'tools/deployment/export.py CONFIG CKPT --format onnx '
              f'--dynamic{quantize} --out FILE, then --onnx FILE')
    if file and not file['checked']:
        print(f'  {args.onnx}: {given} without a passed check at export, '
              f'so not a verified path')
    fastest = InferencePath.parse(take['path'])
    path = fastest if args.fastest else given
    print(f'this run: {path}' + ('' if path == fastest else
                                 ' (--fastest takes the fastest)'))
    return path


def inference_pipeline(cfg, arrays: bool):
    """The config's test pipeline as ``mmseg.apis.inference_model`` builds
    it: without LoadAnnotations; LoadImageFromNDArray for decoded frames."""
    from mmengine.dataset import Compose
    pipeline = [dict(t) for t in cfg.test_pipeline
                if t['type'] != 'LoadAnnotations']
    if arrays:
        pipeline[0]['type'] = 'LoadImageFromNDArray'
    return Compose(pipeline)


def predict(model, path: InferencePath, onnx, batch: list) -> list:
    """One ``SegDataSample`` per packed pipeline output, all of one size.
    Eager: the model's ``test_step``, as ``inference_model`` runs it. ONNX
    Runtime (``onnx``: its runner): the exported file on the same inputs,
    its logits resized to each image as mmseg resizes them."""
    if not path.onnx:
        data = dict(inputs=[p['inputs'] for p in batch],
                    data_samples=[p['data_samples'] for p in batch])
        with torch.autocast('cpu', dtype=torch.bfloat16,
                            enabled=path == EAGER_BF16):
            return model.test_step(data)
    import torch.nn.functional as F
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    logits = onnx(torch.stack([p['inputs'] for p in batch]).float())
    results = []
    for i, packed in enumerate(batch):
        resized = F.interpolate(
            logits[i:i + 1], size=packed['data_samples'].ori_shape,
            mode='bilinear', align_corners=model.decode_head.align_corners)
        result = SegDataSample()
        result.seg_logits = PixelData(data=resized[0])
        result.pred_sem_seg = PixelData(
            data=resized[0].argmax(0, keepdim=True))
        results.append(result)
    return results


def counts_from_one(args, cfg) -> bool:
    """Whether --labels-out adds 1 to the class indices: the dataset's own
    encoding (ADE20K: 1..150), as tools/deployment/export.py stores it for
    tools/deployment/infer_onnx.py."""
    if not args.labels_out or args.train_ids:
        return False
    from mmseg.registry import DATASETS

    from inceptionnext_seg.deploy.export import reduce_zero_label
    dataset = cfg.test_dataloader.dataset
    dataset_cls = DATASETS.get(dataset.type)
    if dataset_cls is None:
        return bool(dataset.get('reduce_zero_label', False))
    return bool(reduce_zero_label(dataset, dataset_cls))


def segment(args, model, path: InferencePath, inputs) -> int:
    """Segment the inputs, write their pictures (and label maps), print the
    summary; the exit status (1 where an image was skipped)."""
    from mmseg.apis import show_result_pyplot

    from inceptionnext_seg import deploy
    video = inputs.kind == 'video'
    pipeline = inference_pipeline(model.cfg, arrays=video)
    onnx = deploy.onnx_runner(args.onnx, args.threads) if path.onnx else None
    writer = media.Writer(inputs, args.out, args.labels_out)
    plus_one = counts_from_one(args, model.cfg)

    def packed(item):
        return pipeline(dict(img=item.image) if video else
                        dict(img_path=str(item.path)))

    def draw(group, results) -> None:
        for (item, _), result in zip(group, results):
            # mmseg's own picture: it reads an image file itself (RGB) and
            # writes it; a frame is given as RGB and drawn for the video.
            drawn = show_result_pyplot(
                model, item.image[..., ::-1] if video else str(item.path),
                result, opacity=args.opacity, with_labels=args.with_labels,
                show=False,
                out_file=None if video else str(writer.picture_path(item)))
            labels = result.pred_sem_seg.data[0].cpu().numpy()
            writer.write(item, drawn[..., ::-1] if video else None,
                         labels + 1 if plus_one else labels)

    if inputs.kind == 'image':
        item = next(media.read_items(inputs, decode=False))
        try:
            one = packed(item)
        except Exception as error:  # mmcv's loader asserts, or raises
            raise SystemExit(f'{item.path}: {media.UNREADABLE} ({error}).')
        started = time.perf_counter()
        with torch.no_grad():
            result = predict(model, path, onnx, [one])[0]
        seconds = time.perf_counter() - started
        draw([(item, one)], [result])
        print(f'segmented in {seconds:.2f} s ({path}); wrote {args.out}')
        return 0
    progress = media.Progress(media.count_items(inputs), inputs.kind)
    pending = {}  # (pipeline size, image size) -> [(item, packed)]

    def flush(size) -> None:
        group = pending.pop(size)
        with torch.no_grad():
            draw(group, predict(model, path, onnx, [p for _, p in group]))
        progress.update(len(group))

    for item in media.read_items(inputs, decode=video):
        try:
            one = packed(item)
        except Exception as error:  # mmcv's loader asserts, or raises
            progress.skip(item, f'{media.UNREADABLE} ({error})')
            progress.update()
            continue
        # One size in and out per batch: mmseg's preprocessor refuses
        # inputs of several sizes, and warns where the images' own differ.
        size = (tuple(one['inputs'].shape), one['data_samples'].ori_shape)
        pending.setdefault(size, []).append((item, one))
        if len(pending[size]) == args.batch_size:
            flush(size)
        elif sum(map(len, pending.values())) >= 4 * args.batch_size:
            # Many sizes: the fullest batch goes, so that memory stays at
            # a few batches.
            flush(max(pending, key=lambda s: len(pending[s])))
    for size in list(pending):
        flush(size)
    writer.close()
    return progress.summary(f'{path}, batch {args.batch_size}',
                            writer.wrote())


def main(argv=None) -> int:
    from mmseg.apis import init_model

    from inceptionnext_seg.engine.compile import compile_segmentor
    from inceptionnext_seg.engine.mixed_precision import bf16_supported
    args = parse_args(argv)
    inputs = media.find_inputs(args.input)
    media.check_outputs(inputs, args.input, args.out, args.labels_out)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_config(args.config, args.cfg_options)
    cfg.model.backbone.init_cfg = None  # weights come from the checkpoint
    file = onnx_file(args.onnx) if args.onnx else None
    path = (name_path(args, cfg, file) if args.device == 'cpu' else
            EAGER_FP32)
    if path.onnx:
        check_batch(args, file, inputs)
    if path == EAGER_BF16:
        if not bf16_supported('cpu'):
            raise SystemExit(f'{EAGER_BF16}: this CPU has no native bf16 '
                             f'(the ladder was measured on another CPU?)')
        cfg.model.data_preprocessor.type = 'ChannelsLastSegDataPreProcessor'
    model = init_model(cfg, args.checkpoint, device=args.device)
    if path == EAGER_BF16:
        model = model.to(memory_format=torch.channels_last)
    if args.compile and not path.onnx:
        parts = compile_segmentor(model, args.compile)
        print(f'--compile: {", ".join(parts)} compiled with backend '
              f'{args.compile!r}; the first batch includes the compilation',
              flush=True)
    elif args.compile:
        print(f'--compile: not applied, {path} runs ONNX Runtime',
              flush=True)
    return segment(args, model, path, inputs)


if __name__ == '__main__':
    sys.exit(main())
