"""Export a trained segmentor to ONNX or TorchScript and verify the result.

The exported model takes float32 N x 3 x H x W BGR images in 0..255 (what
OpenCV reads) and returns logits or the label map at the input size, for
whole-image inference (see inceptionnext_seg/deploy/exportable.py, also
for slide inference).
After export the file is run (ONNX Runtime on the CPU, or torch.jit.load)
next to PyTorch on the same images, at the export size and, with
--dynamic, at two other sizes; the largest logit difference and the share
of pixels whose class agrees are printed, and an export outside the
tolerance is deleted and the tool exits with 1; an ONNX file that passes
records its check in its metadata. The tolerances and that policy are the
package's (inceptionnext_seg/deploy/policy.py and checked.py; at present
max |diff| <= 1e-3 of the largest logit and >= 99.9% of pixels agreeing).

With --quantize int8 (ONNX), the verified float32 graph is quantized with
ONNX Runtime's static quantization (per-channel int8 weights, uint8
activations), calibrated on real images read through the config's test
pipeline (--calib: a folder, or a split of the config's dataset), and the
int8 file is checked against the float32 PyTorch model on held-out images
(--verify-on; the images after the calibration ones when both name the same
source): at least 99% of the pixels must get the same class and, where the
images have labels, the mIoU may drop by at most 1 point; otherwise the file
is deleted and the tool exits with 1.

Examples:
    python tools/deployment/export.py CONFIG CKPT --format onnx \
        --out model.onnx --shape 512 512 --dynamic
    python tools/deployment/export.py CONFIG CKPT --format torchscript \
        --out model.pt
    python tools/deployment/export.py CONFIG CKPT --format onnx \
        --out model_int8.onnx --quantize int8 --calib train --verify-on val
    python tools/deployment/infer_onnx.py image.jpg model.onnx --out result.png
"""
import argparse
import os
import sys

from inceptionnext_seg.utils.quiet import quiet_library_warnings

quiet_library_warnings()  # before mmengine/mmcv/mmseg raise them at import

from mmengine.config import DictAction

from inceptionnext_seg.utils.config import load_config


def build_parser() -> argparse.ArgumentParser:
    """The command line of this tool (builds the parser, parses nothing)."""
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
    parser.add_argument('--quantize', choices=['int8'],
                        help='ONNX only: write a static int8 model, '
                        'calibrated on --calib and verified on --verify-on')
    parser.add_argument('--calib', default='train', metavar='SOURCE',
                        help="calibration images: 'train', 'val' or 'test' "
                        "(the config's dataset) or a folder of images")
    parser.add_argument('--calib-images', type=int, default=32, metavar='N',
                        help='number of calibration images')
    parser.add_argument('--verify-on', default='val', metavar='SOURCE',
                        help='held-out images for the int8 check, as '
                        '--calib (labels give the mIoU change)')
    parser.add_argument('--verify-images', type=int, default=16,
                        metavar='N', help='number of held-out images')
    parser.add_argument('--log-level', default='INFO',
                        choices=['DEBUG', 'INFO', 'WARNING'],
                        help="mmengine's log level (DEBUG also shows its "
                        'per-parameter initialisation log)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    return parser


def parse_args(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.quantize and args.format != 'onnx':
        parser.error('--quantize int8 needs --format onnx (ONNX Runtime '
                     'runs the quantized model)')
    if args.quantize and not args.dynamic:
        parser.error('--quantize int8 needs --dynamic: the calibration and '
                     "check images keep the sizes the config's test "
                     'pipeline gives them')
    if args.quantize and args.output != 'logits':
        parser.error('--quantize int8 needs --output logits (the check '
                     'compares classes and mIoU from the logits)')
    if min(args.calib_images, args.verify_images) < 1:
        parser.error('--calib-images and --verify-images must be >= 1')
    return args


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
    # What would fail after the work fails before it: the classes of the
    # metadata, the folder of --out (made here).
    try:
        metadata = deploy.metadata_for(cfg, args.checkpoint, args.output)
    except ValueError as err:
        raise SystemExit(f'error: {err}') from None
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
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
    if args.quantize:
        return export_int8(args, cfg, wrapper, metadata)
    if args.format == 'onnx':
        deploy.export_onnx(wrapper, args.out, args.shape, args.dynamic,
                           metadata, args.opset)
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
    return 0 if verified_fp32(args, run, wrapper, args.out) else 1


def verified_fp32(args, run, wrapper, path) -> bool:
    """The float32 check on random images (the package's export policy:
    ``path`` is deleted on failure, an ONNX file stamped on success)."""
    from inceptionnext_seg import deploy
    try:
        report = deploy.export_checked(
            run, wrapper, path, check_shapes(args.shape, args.dynamic),
            stamp=args.format == 'onnx')
        failed = None
    except deploy.CheckFailed as error:
        report, failed = error.report, error
    print('verification against PyTorch (random images):')
    for r in report:
        print(f'  {r["shape"][0]}x{r["shape"][1]}: max |logit diff| '
              f'{r["max_abs_diff"]:.2e} ({r["max_rel_diff"]:.2e} of the '
              f'largest logit), class agreement {100 * r["agreement"]:.3f}%'
              f'  {"ok" if r["ok"] else "FAILED"}')
    if failed:
        print(f'error: {failed}', file=sys.stderr)
        return False
    return True


def export_int8(args, cfg, wrapper, metadata: dict) -> int:
    """float32 ONNX (checked as without --quantize), then int8 calibrated on
    real images and checked on held-out ones (the package's export policy:
    deleted on failure, stamped on success)."""
    import tempfile

    from inceptionnext_seg import deploy
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = os.path.join(tmp, 'fp32.onnx')
        deploy.export_onnx(wrapper, fp32, args.shape, args.dynamic,
                           metadata, args.opset)
        if not verified_fp32(args, deploy.onnx_runner(fp32), wrapper, fp32):
            return 1
        calibration = [item.image for item in deploy.pipeline_images(
            cfg, args.calib, count=args.calib_images)]
        held_out = list(deploy.pipeline_images(
            cfg, args.verify_on, count=args.verify_images,
            skip=len(calibration) if args.verify_on == args.calib else 0))
        if not held_out:
            print(f'error: no held-out images in {args.verify_on!r} after '
                  f'the {len(calibration)} calibration images; give '
                  f'--verify-on another source or fewer --calib-images.',
                  file=sys.stderr)
            return 1
        print(f'calibrating on {len(calibration)} image(s) of '
              f'{args.calib!r} (the config\'s test pipeline)...', flush=True)
        try:
            report = deploy.quantize_checked(
                fp32, args.out, calibration, held_out, wrapper,
                wrapper.segmentor.decode_head.num_classes, args.verify_on,
                dict(calibration=dict(source=args.calib,
                                      images=len(calibration))))
            failed = None
        except deploy.CheckFailed as error:
            report, failed = error.report, error
    size = (f'{os.path.getsize(args.out) / 2**20:.1f} MB, ' if failed is None
            else '')
    print(f'wrote {args.out} ({size}onnx int8, input 1x3x{args.shape[0]}x'
          f'{args.shape[1]}{", dynamic" if args.dynamic else ""})')
    line = (f'int8 against float32 PyTorch on {report["images"]} held-out '
            f'image(s) of {args.verify_on!r}: class agreement '
            f'{100 * report["agreement"]:.2f}%')
    if report['labelled']:
        line += (f', mIoU {report["miou_int8"]:.2f} vs '
                 f'{report["miou_fp32"]:.2f} (change '
                 f'{-report["miou_drop"]:+.2f})')
    print(f'{line}  {"ok" if report["ok"] else "FAILED"}')
    if failed:
        print(f'error: {failed} {deploy.int8_failure_advice(report)}',
              file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
