"""Convert colour-coded masks (a colour per class) to the single-channel
index masks mmseg reads (class i stored as i: reduce_zero_label=False).

The palette (RGB, class i at line/position i) comes from a config's dataset,
a classes file ("NAME R G B" per line) or an mmseg dataset type. Pixels of a
colour outside the palette become the ignore index, or (--unknown error) the
mask is refused with the colours found and their pixel counts. The share of
such unknown pixels is printed per mask that has any and in total; a mask
with more than --max-unknown of them is refused (exit 1): a palette in the
wrong channel order, or the wrong palette, makes every pixel unknown.
Refused up front (exit 2): an ignore index that is a class, DST == SRC.

Examples:
    python tools/dataset_converters/convert_colour_masks.py data/x/colour \
        data/x/masks --classes-file data/x/classes.txt
    python tools/dataset_converters/convert_colour_masks.py IN OUT \
        --dataset-type CityscapesDataset
    python tools/dataset_converters/convert_colour_masks.py IN OUT \
        --config CONFIG --split train
"""
import argparse
import sys
from pathlib import Path

from inceptionnext_seg.utils.quiet import quiet_library_warnings

quiet_library_warnings()  # before mmengine/mmcv/mmseg raise them at import

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from inceptionnext_seg.datasets.colour_masks import (  # noqa: E402
    colour_to_index)


def build_parser() -> argparse.ArgumentParser:
    """The command line of this tool (builds the parser, parses nothing)."""
    parser = argparse.ArgumentParser(
        description='Convert colour-coded masks to single-channel PNG index '
        'masks (class i stored as i) given the classes\' RGB palette.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('src', help='folder of colour masks (searched '
                        'recursively)')
    parser.add_argument('dst', help='folder for the index masks (same '
                        'relative paths, .png)')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--classes-file',
                        help='"NAME R G B" per line, class i on line i')
    source.add_argument('--config', help='a config: its dataset\'s palette')
    source.add_argument('--dataset-type',
                        help='an mmseg dataset type, e.g. CityscapesDataset')
    parser.add_argument('--split', default='train',
                        choices=['train', 'val', 'test'],
                        help='with --config: the split whose dataset to use')
    parser.add_argument('--suffix', default='.png',
                        help='file-name ending of the colour masks')
    parser.add_argument('--unknown', default='ignore',
                        choices=['ignore', 'error'],
                        help='a colour outside the palette: the ignore '
                        'index, or refuse the mask listing the colours')
    parser.add_argument('--ignore-index', type=int, default=255,
                        help='value written for unknown colours (not a '
                        'class index)')
    parser.add_argument('--void', nargs=3, type=int, action='append',
                        default=[], metavar=('R', 'G', 'B'),
                        help='a colour that marks pixels to ignore (void, '
                        'borders): written as the ignore index, not counted '
                        'as unknown; repeat for several')
    parser.add_argument('--max-unknown', type=float, default=0.05,
                        help='the largest share of unknown pixels a mask may '
                        'have (0..1); a mask with more is refused')
    return parser


def parse_args(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 0 <= args.max_unknown <= 1:
        parser.error('--max-unknown is a share: 0..1')
    if Path(args.src).resolve() == Path(args.dst).resolve():
        parser.error('dst is src: the colour masks would be overwritten; '
                     'give another folder')
    return args


def palette_of(args):
    """The classes and their RGB colours."""
    if args.classes_file:
        from inceptionnext_seg.datasets import read_classes_file
        names, palette = read_classes_file(args.classes_file)
        if palette is None:
            raise SystemExit(f'{args.classes_file}: no colours; write '
                             f'"NAME R G B" per line')
        return names, palette
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    if args.config:
        from inceptionnext_seg.utils.config import load_config
        cfg = load_config(args.config)
        init_default_scope(cfg.get('default_scope', 'mmseg'))
        dataset = dict(cfg[f'{args.split}_dataloader']['dataset'])
        dataset.update(lazy_init=True)
        metainfo = DATASETS.build(dataset).metainfo
    else:
        init_default_scope('mmseg')
        kind = DATASETS.get(args.dataset_type)
        if kind is None:
            raise SystemExit(f'no dataset type {args.dataset_type!r} in '
                             f'mmseg\'s DATASETS')
        metainfo = kind.METAINFO
    return list(metainfo['classes']), [list(c) for c in metainfo['palette']]


def main(argv=None) -> int:
    args = parse_args(argv)
    names, palette = palette_of(args)
    if args.ignore_index < len(palette):
        print(f'--ignore-index {args.ignore_index} is class '
              f'{args.ignore_index} ({names[args.ignore_index]!r}) of the '
              f'{len(palette)}: unknown colours would become that class; '
              f'give {len(palette)} or above (255 as a rule)',
              file=sys.stderr)
        return 2
    src, dst = Path(args.src), Path(args.dst)
    paths = sorted(src.rglob(f'*{args.suffix}'))
    if not paths:
        raise SystemExit(f'no *{args.suffix} files in {src}')
    failed = unknown_px = total_px = 0
    for path in paths:
        # cv2 reads BGR(A), palettes are RGB; a palette PNG is expanded to
        # its colours, which is what is converted here
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None or image.ndim != 3:
            print(f'{path}: not a colour image (shape '
                  f'{None if image is None else image.shape})',
                  file=sys.stderr)
            failed += 1
            continue
        rgb = image[..., 2::-1]
        try:
            index = colour_to_index(rgb, palette, args.unknown,
                                    args.ignore_index, name=str(path),
                                    void=args.void)
        except ValueError as err:  # unknown colours (refused), not uint8
            print(err, file=sys.stderr)
            failed += 1
            continue
        # the ignore index is no class: its pixels are the unknown colours
        # and the void ones
        void_px = sum(int(np.all(rgb[..., :3] == colour, axis=-1).sum())
                      for colour in args.void)
        unknown = int((index == args.ignore_index).sum()) - void_px
        unknown_px += unknown
        total_px += index.size
        share = unknown / index.size
        if share > args.max_unknown:
            print(f'{path}: {share:.1%} of the pixels have a colour outside '
                  f'the palette (more than --max-unknown '
                  f'{args.max_unknown:.1%}): not written; is the palette '
                  f'the masks\' (RGB order)?', file=sys.stderr)
            failed += 1
            continue
        if unknown:
            print(f'{path}: {share:.1%} unknown pixels ({unknown:,})')
        out = (dst / path.relative_to(src)).with_suffix('.png')
        out.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(out), index)  # 2-D uint8: a single-channel PNG
    print(f'{len(paths) - failed} of {len(paths)} masks written to {dst} '
          f'({len(names)} classes, class i stored as i, unknown colours '
          + (f'-> {args.ignore_index}' if args.unknown == 'ignore'
             else 'refused')
          + (f', void colours {[tuple(c) for c in args.void]} -> '
             f'{args.ignore_index}' if args.void else '')
          + f'; {unknown_px / max(total_px, 1):.1%} unknown pixels in all '
          f'read)')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
