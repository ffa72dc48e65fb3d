"""Segment images or a video with an exported ONNX model: needs only
onnxruntime, numpy and OpenCV (no torch, no mmseg), and this project
installed without its dependencies (``pip install --no-deps .``): the tool
is a shell over ``inceptionnext_seg.inference``, which imports no torch.

It does what `tools/infer.py` does with the config and checkpoint: the
config's test-time resize (keep ratio to its scale, then up to a multiple of
its size divisor, as mmcv does; both stored in the ONNX file by
tools/deployment/export.py), whole-image inference, the logits resized back
to the image and the label map painted over the image with the dataset's
palette at the given opacity, as mmseg's visualizer paints it.

The input is an image, a folder of images (its subfolders too), a glob
pattern (quoted; ``**`` for any depth) or a video. Many images write an
output folder that keeps their paths under the folder (the pattern's fixed
leading folders) as PNG; a video writes an annotated video (``.mp4`` or
``.avi``) and, with --labels-out DIR, frame_000000.png, ... An image that
cannot be read is named, skipped, and makes the exit status 1.

Examples:
    python tools/deployment/infer_onnx.py demo.jpg model.onnx \
        --out result.png [--labels-out labels.png] [--opacity 0.5] \
        [--threads N]
    python tools/deployment/infer_onnx.py images/ model.onnx --out results/ \
        [--labels-out labels/]
    python tools/deployment/infer_onnx.py 'images/**/*.jpg' model.onnx \
        --out results/
    python tools/deployment/infer_onnx.py clip.mp4 model.onnx \
        --out clip_seg.mp4 [--labels-out frames/]
"""
import argparse
import sys

import cv2

from inceptionnext_seg.inference import (UNREADABLE, VIDEO_SUFFIXES, Item,
                                         Progress, Writer,
                                         add_output_arguments,
                                         check_outputs, count_items,
                                         describe, find_inputs, open_session,
                                         paint, read_items, read_metadata,
                                         segment)


def build_parser() -> argparse.ArgumentParser:
    """The command line of this tool (builds the parser, parses nothing)."""
    parser = argparse.ArgumentParser(
        description='Segment an image, a folder of images, a glob pattern or '
        'a video with an ONNX model written by tools/deployment/export.py, '
        'with '
        'onnxruntime, numpy and OpenCV only (no torch, no mmseg), and write '
        'the prediction painted over each image or frame.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('input', help='image file (anything OpenCV reads), '
                        'folder of images, glob pattern (quoted) or video '
                        'file (' + ', '.join(VIDEO_SUFFIXES) + ')')
    parser.add_argument('model', help='ONNX file written by '
                                      'tools/deployment/export.py')
    add_output_arguments(parser)
    parser.add_argument('--threads', type=int, default=0,
                        help='ONNX Runtime intra-op threads (0: its '
                        'choice)')
    return parser


def parse_args(argv=None):
    parser = build_parser()
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    inputs = find_inputs(args.input)
    check_outputs(inputs, args.input, args.out, args.labels_out)
    session = open_session(args.model, args.threads)
    meta = read_metadata(session)
    if not meta.get('palette'):
        # (exports of configs whose classes came from a classes file, made
        # before the export took them from the checkpoint, stored none)
        raise SystemExit(f'{args.model} has no palette metadata (no '
                         f'classes): export it again with '
                         f'tools/deployment/export.py.')
    plus_one = False
    if args.labels_out and not args.train_ids:
        if 'reduce_zero_label' not in meta:
            print(f'note: {args.model} does not say whether its dataset '
                  'counts classes from 1 (exported before '
                  'tools/deployment/export.py '
                  f'stored it); {args.labels_out} holds 0-based class '
                  f'indices. Export it again for the dataset\'s encoding.',
                  file=sys.stderr)
        plus_one = bool(meta.get('reduce_zero_label'))
    writer = Writer(inputs, args.out, args.labels_out)

    def segmented(item: Item) -> None:
        try:
            labels = segment(session, item.image, meta)
        except ValueError as err:  # a file of another size than the image
            raise SystemExit(f'{args.model}: {err}') from None
        writer.write(item, paint(item.image, labels, meta['palette'],
                                 args.opacity),
                     labels + 1 if plus_one else labels)

    print(f'model: {describe(meta)}')
    if inputs.kind == 'image':
        image = cv2.imread(args.input, cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f'{args.input}: {UNREADABLE}.')
        segmented(Item(inputs.names[0], image, inputs.files[0]))
        print(f'wrote {args.out}')
        return 0
    progress = Progress(count_items(inputs), inputs.kind)
    for item in read_items(inputs):
        if item.image is None:
            progress.skip(item)
        else:
            segmented(item)
        progress.update()
    writer.close()
    return progress.summary('ONNX Runtime', writer.wrote())


if __name__ == '__main__':
    sys.exit(main())
