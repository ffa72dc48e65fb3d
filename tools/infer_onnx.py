"""Segment one image with an exported ONNX model: needs only onnxruntime,
numpy and OpenCV (no torch, no mmseg).

It does what `tools/infer.py` does with the config and checkpoint: the
config's test-time resize (keep ratio to its scale, then up to a multiple of
its size divisor, as mmcv does; both stored in the ONNX file by
tools/export.py), whole-image inference, the logits resized back to the
image and the label map painted over the image with the dataset's palette
at the given opacity, as mmseg's visualizer paints it.

Example:
    python tools/infer_onnx.py demo.jpg model.onnx --out result.png \
        [--labels-out labels.png] [--opacity 0.5] [--threads N]
"""
import argparse
import json
import math
import sys

import cv2
import numpy as np


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Segment one image with an ONNX model written by '
        'tools/export.py, with onnxruntime, numpy and OpenCV only (no torch, '
        'no mmseg), and write the prediction painted over the image.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('image', help='image file (anything OpenCV reads)')
    parser.add_argument('model', help='ONNX file written by tools/export.py')
    parser.add_argument('--out', required=True, help='coloured result')
    parser.add_argument('--labels-out',
                        help="also write the label map (PNG) in the "
                        "dataset's own encoding, as tools/test.py --out "
                        'writes it (ADE20K: 1..150)')
    parser.add_argument('--train-ids', action='store_true',
                        help='write --labels-out as 0-based class indices '
                        '(the model\'s outputs) instead')
    parser.add_argument('--opacity', type=float, default=0.5,
                        help='opacity of the painted mask, in (0, 1]')
    parser.add_argument('--threads', type=int, default=0,
                        help='ONNX Runtime intra-op threads (0: its '
                        'choice)')
    return parser.parse_args(argv)


def test_resize(image: np.ndarray, scale, size_divisor) -> np.ndarray:
    """mmcv's ``imrescale`` (keep ratio) and ``imresize_to_multiple``."""
    if scale:
        h, w = image.shape[:2]
        factor = min(max(scale) / max(h, w), min(scale) / min(h, w))
        size = (int(w * factor + 0.5), int(h * factor + 0.5))
        image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    if size_divisor:
        h, w = image.shape[:2]
        size = (int(math.ceil(w / size_divisor)) * size_divisor,
                int(math.ceil(h / size_divisor)) * size_divisor)
        image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    return image


def segment(session, image_bgr: np.ndarray, meta: dict) -> np.ndarray:
    """Label map (H x W, int64) of an image at its own size."""
    resized = test_resize(image_bgr, meta.get('test_scale'),
                          meta.get('size_divisor'))
    batch = resized.transpose(2, 0, 1)[None].astype(np.float32)
    out = session.run(None, {session.get_inputs()[0].name: batch})[0][0]
    h, w = image_bgr.shape[:2]
    if meta.get('output') == 'labels':
        return cv2.resize(out.astype(np.int32), (w, h),
                          interpolation=cv2.INTER_NEAREST).astype(np.int64)
    rows = interpolation_matrix(out.shape[1], h)
    cols = interpolation_matrix(out.shape[2], w)
    logits = np.einsum('hy,cyx,wx->chw', rows, out, cols, optimize=True)
    return logits.argmax(0)


def interpolation_matrix(size_in: int, size_out: int) -> np.ndarray:
    """size_out x size_in weights of torch's bilinear resize with
    align_corners=False (what mmseg uses to bring logits to the image)."""
    dst = np.arange(size_out, dtype=np.float64)
    src = np.maximum((dst + 0.5) * size_in / size_out - 0.5, 0)
    low = np.minimum(np.floor(src).astype(np.int64), size_in - 1)
    high = np.minimum(low + 1, size_in - 1)
    frac = (src - low).astype(np.float32)
    weights = np.zeros((size_out, size_in), np.float32)
    np.add.at(weights, (np.arange(size_out), low), 1 - frac)
    np.add.at(weights, (np.arange(size_out), high), frac)
    return weights


def paint(image_bgr: np.ndarray, labels: np.ndarray, palette,
          opacity: float) -> np.ndarray:
    """mmseg's ``SegLocalVisualizer._draw_sem_seg`` (no label text)."""
    rgb = image_bgr[..., ::-1]
    colours = np.zeros((max(len(palette), 1), 3), np.uint8)
    colours[:len(palette)] = np.asarray(palette, np.uint8)
    mask = np.zeros_like(rgb)
    valid = labels < len(palette)
    mask[valid] = colours[labels[valid]]
    drawn = (rgb * (1 - opacity) + mask * opacity).astype(np.uint8)
    return np.ascontiguousarray(drawn[..., ::-1])


def read_metadata(session) -> dict:
    """tools/export.py's entries (JSON); others, such as ONNX Runtime's
    quantizer notes in an int8 file, as they are."""
    meta = {}
    for key, value in session.get_modelmeta().custom_metadata_map.items():
        try:
            meta[key] = json.loads(value)
        except json.JSONDecodeError:
            meta[key] = value
    return meta


def describe(meta: dict) -> str:
    """The file's precision and, for int8, its check at export."""
    check = meta.get('verification')
    if meta.get('precision') != 'int8' or not isinstance(check, dict):
        return 'float32'
    line = (f'int8, checked at export ({check.get("date")}) on '
            f'{check.get("images")} image(s) of {check.get("source")!r}: '
            f'{100 * check.get("agreement", 0):.2f}% class agreement with '
            f'float32')
    if 'miou_drop' in check:
        line += f', mIoU change {-check["miou_drop"]:+.2f}'
    return line


def main(argv=None) -> int:
    import onnxruntime as ort
    args = parse_args(argv)
    options = ort.SessionOptions()
    if args.threads:
        options.intra_op_num_threads = args.threads
    session = ort.InferenceSession(args.model, options,
                                   providers=['CPUExecutionProvider'])
    meta = read_metadata(session)
    if 'palette' not in meta:
        raise SystemExit(f'{args.model} has no palette metadata: export it '
                         f'with tools/export.py.')
    image = cv2.imread(args.image, cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f'{args.image}: not an image OpenCV can read.')
    labels = segment(session, image, meta)
    cv2.imwrite(args.out, paint(image, labels, meta['palette'],
                                args.opacity))
    if args.labels_out:
        if 'reduce_zero_label' not in meta and not args.train_ids:
            print(f'note: {args.model} does not say whether its dataset '
                  f'counts classes from 1 (exported before tools/export.py '
                  f'stored it); {args.labels_out} holds 0-based class '
                  f'indices. Export it again for the dataset\'s encoding.',
                  file=sys.stderr)
        elif meta.get('reduce_zero_label') and not args.train_ids:
            labels = labels + 1  # the dataset's encoding (0 is "other")
        cv2.imwrite(args.labels_out, labels.astype(np.uint16 if labels.max()
                                                   > 255 else np.uint8))
    print(f'model: {describe(meta)}')
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
