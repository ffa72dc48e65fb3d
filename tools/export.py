"""Export a trained segmentor to ONNX or TorchScript and verify the result.

The exported model takes float32 N x 3 x H x W BGR images in 0..255 (what
OpenCV reads) and returns logits or the label map at the input size, for
whole-image inference (see inceptionnext_seg/deploy/exportable.py, also
for slide inference).
After export the file is run (ONNX Runtime on the CPU, or torch.jit.load)
next to PyTorch on the same images, at the export size and, with
--dynamic, at two other sizes; the largest logit difference and the share
of pixels whose class agrees are printed, and an export outside the
tolerance (max |diff| <= 1e-3 of the largest logit, >= 99.9% of pixels
agreeing) is deleted and the tool exits with 1.

Examples:
    python tools/export.py CONFIG CKPT --format onnx --out model.onnx \
        --shape 512 512 --dynamic
    python tools/export.py CONFIG CKPT --format torchscript --out model.pt
    python tools/infer_onnx.py image.jpg model.onnx --out result.png
"""
import argparse
import os
import sys

from inceptionnext_seg.utils.quiet import quiet_library_warnings

quiet_library_warnings()  # before mmengine/mmcv/mmseg raise them at import

from mmengine.config import DictAction

from inceptionnext_seg.utils.config import load_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Export a trained segmentor to ONNX or TorchScript '
        '(preprocessing included: float32 BGR 0..255 images in, logits or '
        'labels at the input size out) and verify the file against PyTorch; '
        'an export outside the tolerance is deleted and the tool exits 1.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('config', help='config file of the run')
    parser.add_argument('checkpoint', help="the run's checkpoint; 'none' "
                        'exports the initial weights')
    parser.add_argument('--format', choices=['onnx', 'torchscript'],
                        required=True, help='file format (ONNX runs in ONNX '
                        'Runtime, TorchScript with torch.jit.load)')
    parser.add_argument('--out', required=True, help='file to write')
    parser.add_argument('--shape', type=int, nargs=2, default=[512, 512],
                        metavar=('H', 'W'), help='export (and check) size')
    parser.add_argument('--dynamic', action='store_true',
                        help='any batch, height and width (checked at two '
                        'more sizes, multiples of 32)')
    parser.add_argument('--output', choices=['logits', 'labels'],
                        default='logits', help='what the graph returns: '
                        'N x C x H x W logits or the N x H x W argmax')
    parser.add_argument('--opset', type=int, default=17,
                        help='ONNX opset version')
    parser.add_argument('--log-level', default='INFO',
                        choices=['DEBUG', 'INFO', 'WARNING'],
                        help="mmengine's log level (DEBUG also shows its "
                        'per-parameter initialisation log)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    return parser.parse_args(argv)


def check_shapes(shape, dynamic):
    h, w = shape
    shapes = [(h, w)]
    if dynamic:
        shapes += [(h + 64, max(32, w - 64)), (max(32, h - 32), w + 96)]
    return shapes


def main(argv=None) -> int:
    import torch
    from mmengine.runner import load_checkpoint

    from inceptionnext_seg import deploy
    from inceptionnext_seg.utils.config import build_segmentor_for_analysis
    from inceptionnext_seg.utils.quiet import (init_weights_quietly,
                                               set_log_level)
    args = parse_args(argv)
    set_log_level(args.log_level)
    cfg = load_config(args.config, args.cfg_options)
    model = build_segmentor_for_analysis(args.config, args.cfg_options)
    if args.checkpoint.lower() != 'none':
        # strict (StrictEncoderDecoder) and safe (the configs' loader)
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    else:
        init_weights_quietly(model)
    model = deploy.make_exportable(model,
                                   pooling=args.format == 'onnx').eval()
    wrapper = deploy.ExportableSegmentor(model, args.output).eval()
    torch.set_grad_enabled(False)
    if args.format == 'onnx':
        deploy.export_onnx(wrapper, args.out, args.shape, args.dynamic,
                           deploy.metadata_for(cfg, args.checkpoint,
                                               args.output), args.opset)
        run = deploy.onnx_runner(args.out)
    else:
        if not args.dynamic:
            print('note: a TorchScript trace runs at any size; --dynamic '
                  'only adds the checks at other sizes.')
        deploy.export_torchscript(wrapper, args.out, args.shape)
        run = deploy.torchscript_runner(args.out)
    print(f'wrote {args.out} ({os.path.getsize(args.out) / 2**20:.1f} MB, '
          f'{args.format}, output {args.output}, input 1x3x{args.shape[0]}'
          f'x{args.shape[1]}{", dynamic" if args.dynamic else ""})')
    mode = cfg.model.get('test_cfg', {}).get('mode', 'whole')
    if mode != 'whole':
        print(f'note: the config tests with {mode!r} inference; the export '
              f'is whole-image (see inceptionnext_seg/deploy/exportable.py '
              f'for slide).')
    report = deploy.verify(run, wrapper, check_shapes(args.shape,
                                                      args.dynamic))
    print('verification against PyTorch (random images):')
    for r in report:
        print(f'  {r["shape"][0]}x{r["shape"][1]}: max |logit diff| '
              f'{r["max_abs_diff"]:.2e} ({r["max_rel_diff"]:.2e} of the '
              f'largest logit), class agreement {100 * r["agreement"]:.3f}%'
              f'  {"ok" if r["ok"] else "FAILED"}')
    if not all(r['ok'] for r in report):
        os.remove(args.out)
        print(f'error: the export disagrees with PyTorch beyond the '
              f'tolerance {deploy.TOLERANCE}; {args.out} was deleted.',
              file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
