"""Check a dataset before training: every image and mask read as the
config's loaders read them, every problem reported at once, each naming its
files (the package inceptionnext_seg/datasets/inspection/).

Reports image/mask pairs and orphans, sizes, every label value with its
pixels and files against the classes, the ignore index and
reduce_zero_label (and what the other setting would do), colour-coded, JPEG,
16-bit and alpha masks, images that their EXIF orientation turns on decode,
truncated files, and, for a config, heads, metrics and preprocessor that
disagree with the dataset. Writes report.json and a class-frequency picture
per split. Exit status: 0 when nothing found would make training wrong, 1
when something would, 2 for a usage error.

Examples:
    python tools/analysis_tools/check_dataset.py \
        configs/upernet_inceptionnext_t_ade20k.py
    python tools/analysis_tools/check_dataset.py CONFIG --split val \
        --cfg-options val_dataloader.dataset.data_root=data/my_ade
    python tools/analysis_tools/check_dataset.py --images data/x/images \
        --masks data/x/masks --classes-file data/x/classes.txt \
        --reduce-zero-label no
"""
import argparse
import json
import sys
import time
from pathlib import Path

from inceptionnext_seg.utils.quiet import quiet_library_warnings

quiet_library_warnings()  # before mmengine/mmcv/mmseg raise them at import

from mmengine.config import DictAction  # noqa: E402

from inceptionnext_seg.datasets.inspection import (  # noqa: E402
    InspectionReport, folder_dataset_config, format_report, inspect_config)
from inceptionnext_seg.utils.config import load_config  # noqa: E402
from inceptionnext_seg.visualization import plot_class_pixels  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    """The command line of this tool (builds the parser, parses nothing)."""
    parser = argparse.ArgumentParser(
        description='Check a dataset before training: read every image and '
        'mask as the config\'s loaders do and report everything that would '
        'make training wrong, naming the files. Give a CONFIG, or the '
        'folder form (--images, --masks and the label settings). Exits 0 '
        'when nothing would make training wrong, 1 when something would.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('config', nargs='?',
                        help='a config whose datasets to check')
    parser.add_argument('--split', nargs='+', default=['train', 'val', 'test'],
                        choices=['train', 'val', 'test'],
                        help='the config\'s splits to check')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value '
                        '(e.g. val_dataloader.dataset.data_root=DIR)')
    parser.add_argument('--images', help='folder form: the folder of images')
    parser.add_argument('--masks',
                        help='folder form: the folder of index masks')
    parser.add_argument('--classes-file',
                        help='folder form: class names, one a line, '
                        'optionally "NAME R G B"')
    parser.add_argument('--num-classes', type=int,
                        help='folder form: the number of classes (instead of '
                        '--classes-file)')
    parser.add_argument('--reduce-zero-label', choices=['yes', 'no'],
                        help='folder form: yes where 0 in the masks means '
                        '"unlabelled" and class i is stored as i + 1; no '
                        'where class i is stored as i')
    parser.add_argument('--ignore-index', type=int, default=255,
                        help='folder form: the mask value that counts for '
                        'nothing')
    parser.add_argument('--value-map', nargs='+', metavar='STORED:CLASS',
                        help='folder form: stored mask values read as '
                        'others, e.g. 255:1 for binary masks saved as 0/255 '
                        '(the dataset\'s value_map)')
    parser.add_argument('--img-suffix', default='.jpg',
                        help='folder form: the images\' file-name ending')
    parser.add_argument('--seg-map-suffix', default='.png',
                        help='folder form: the masks\' file-name ending')
    parser.add_argument('--out-dir',
                        help='where to write report.json and the pictures '
                        '(default: work_dirs/check_dataset/NAME)')
    parser.add_argument('--workers', type=int, default=1,
                        help='processes reading the samples')
    parser.add_argument('--files-shown', type=int, default=5,
                        help='files listed per finding (the JSON report has '
                        'all)')
    return parser


def parse_args(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    folder = [args.images, args.masks]
    if args.config and any(folder):
        parser.error('give a CONFIG or --images/--masks, not both')
    if not args.config:
        if not all(folder):
            parser.error('give a CONFIG, or --images and --masks')
        if (args.classes_file is None) == (args.num_classes is None):
            parser.error('the folder form needs --classes-file or '
                         '--num-classes (one of them)')
        if args.reduce_zero_label is None:
            parser.error('the folder form needs --reduce-zero-label yes|no')
        if args.cfg_options:
            parser.error('--cfg-options is for a CONFIG; the folder form '
                         'takes its settings as options (--ignore-index, '
                         '--img-suffix, ...)')
        try:
            args.value_map = dict(
                tuple(int(v) for v in item.split(':'))
                for item in args.value_map or [])
        except ValueError:
            parser.error(f'--value-map takes STORED:CLASS pairs of ints, '
                         f'e.g. 255:1; got {args.value_map}')
    elif args.value_map:
        parser.error('--value-map is for the folder form; in a config, set '
                     'value_map in the dataset')
    elif not Path(args.config).is_file():
        parser.error(f'config not found: {args.config}')
    if args.workers < 1:
        parser.error('--workers must be at least 1')
    return args


class Progress:
    """A line on stderr every 10 s (silent for quick checks)."""

    def __init__(self, every: float = 10.0) -> None:
        self.every, self.start, self.last = every, time.monotonic(), None

    def __call__(self, split: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done == 1 and self.last is None:  # a split starts
            self.start = now
        if now - (self.last or self.start) < self.every and not (
                done == total and self.last):
            return
        self.last = now
        rate = done / max(now - self.start, 1e-9)
        print(f'{split}: {done}/{total} images ({rate:.0f}/s)',
              file=sys.stderr, flush=True)
        if done == total:
            self.start, self.last = now, None


def inspect(args) -> InspectionReport:
    progress = Progress()
    if args.config:
        cfg = load_config(args.config, args.cfg_options)
        return inspect_config(cfg, args.split, args.workers, progress,
                              source=args.config)
    from mmengine.config import Config
    dataset = folder_dataset_config(
        args.images, args.masks, args.reduce_zero_label == 'yes',
        args.ignore_index, args.classes_file, args.num_classes,
        args.img_suffix, args.seg_map_suffix, args.value_map)
    cfg = Config(dict(data_dataloader=dict(dataset=dataset)))
    return inspect_config(cfg, ['data'], args.workers, progress,
                          source=f'{args.images} + {args.masks}')


def write_outputs(report: InspectionReport, out_dir: Path) -> list:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / 'report.json']
    written[0].write_text(json.dumps(report.to_json(), indent=1))
    for split in report.splits:
        if split.classes and split.values:
            path = out_dir / f'class_pixels_{split.name}.png'
            plot_class_pixels(split.classes, split.class_pixels, str(path),
                              title=f'{split.name} ({split.num_images} '
                              f'images)')
            written.append(path)
    return written


def main(argv=None) -> int:
    args = parse_args(argv)
    report = inspect(args)
    name = Path(args.config).stem if args.config else \
        Path(args.images).resolve().name
    out_dir = Path(args.out_dir or Path('work_dirs') / 'check_dataset' /
                   name)
    written = write_outputs(report, out_dir)
    print(format_report(report, shown=args.files_shown))
    print('Written: ' + ', '.join(str(p) for p in written))
    return 0 if report.ok else 1


if __name__ == '__main__':
    sys.exit(main())
