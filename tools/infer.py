"""Segment one image and write the coloured result.

Example:
    python tools/infer.py demo.jpg configs/upernet_inceptionnext_t_ade20k.py \
        CKPT.pth --out result.png [--opacity 0.5] [--device cuda:0]
"""
import argparse

from inceptionnext_seg.utils.quiet import quiet_library_warnings

quiet_library_warnings()  # before mmengine/mmcv/mmseg raise them at import

import torch
from mmengine.config import DictAction

from inceptionnext_seg.utils.config import load_config


def parse_args():
    parser = argparse.ArgumentParser(
        description='Segment one image with a config and its checkpoint and '
        'write the prediction painted over the image.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('image', help='image file')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', required=True, help='output image file')
    parser.add_argument('--device', default=None,
                        help='device to run on (default: cuda:0 if '
                        'available, else cpu)')
    parser.add_argument('--opacity', type=float, default=0.5,
                        help='opacity of the painted mask, in (0, 1]')
    parser.add_argument('--with-labels', action='store_true',
                        help='write class names on the image')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    return parser.parse_args()


def main():
    from mmseg.apis import inference_model, init_model, show_result_pyplot
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    cfg.model.backbone.init_cfg = None  # weights come from the checkpoint
    device = args.device or ('cuda:0' if torch.cuda.is_available() else 'cpu')
    model = init_model(cfg, args.checkpoint, device=device)
    result = inference_model(model, args.image)
    show_result_pyplot(model, args.image, result, opacity=args.opacity,
                       with_labels=args.with_labels, show=False,
                       out_file=args.out)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
