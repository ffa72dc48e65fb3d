"""Print a segmentor's parameters and MACs (mmengine's complexity counter).

Example:
    python tools/get_flops.py configs/upernet_inceptionnext_t_ade20k.py \
        --shape 512 2048
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmengine.config import DictAction  # noqa: E402

from seg_ext.profiling import segmentor_complexity  # noqa: E402
from seg_ext.runtime import build_segmentor_for_analysis  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--shape', type=int, nargs=2, default=[512, 512],
                        metavar=('H', 'W'), help='input size (default 512 '
                        '512; the paper counts UperNet MACs at 512 2048)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings, key=value')
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
