"""Print a segmentor's parameters and MACs (mmengine's complexity counter).

Example:
    python tools/analysis_tools/get_flops.py \
        configs/upernet_inceptionnext_t_ade20k.py --shape 512 2048
"""
import argparse

from inceptionnext_seg.utils.quiet import quiet_library_warnings

quiet_library_warnings()  # before mmengine/mmcv/mmseg raise them at import

from mmengine.config import DictAction

from inceptionnext_seg.analysis import segmentor_complexity
from inceptionnext_seg.utils.config import build_segmentor_for_analysis


def build_parser() -> argparse.ArgumentParser:
    """The command line of this tool (builds the parser, parses nothing)."""
    parser = argparse.ArgumentParser(
        description="Print a segmentor's parameters (auxiliary head included) "
        "and MACs (inference path) with mmengine's complexity counter.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('config', help='config file')
    parser.add_argument('--shape', type=int, nargs=2, default=[512, 512],
                        metavar=('H', 'W'), help='input size (the paper '
                        'counts UperNet MACs at 512 2048)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings, key=value')
    return parser


def parse_args():
    parser = build_parser()
    return parser.parse_args()


def main():
    args = parse_args()
    model = build_segmentor_for_analysis(args.config, args.cfg_options)
    h, w = args.shape
    params, macs = segmentor_complexity(model, (h, w))
    print(f'config:     {args.config}')
    print(f'input:      1x3x{h}x{w}')
    aux = ' (auxiliary head included)' if getattr(
        model, 'with_auxiliary_head', False) else ''
    print(f'parameters: {params / 1e6:.2f}M{aux}')
    print(f'MACs:       {macs / 1e9:.1f}G')


if __name__ == '__main__':
    main()
