"""Segmenting with an exported ONNX file in ONNX Runtime, as ``tools/infer.py``
does with the config and checkpoint: the config's test-time resize (keep ratio
to its scale, then up to a multiple of its size divisor, as mmcv does; both
stored in the file by ``tools/deployment/export.py``), whole-image inference,
the logits resized back to the image as mmseg resizes them, and the label map
painted with the dataset's palette as mmseg's visualizer paints it. numpy and
OpenCV only (no torch, no mmseg)."""
import math
from typing import Any, Sequence

import cv2
import numpy as np

__all__ = ['open_session', 'segment', 'paint', 'test_resize',
           'interpolation_matrix']


def open_session(path: str, threads: int = 0) -> Any:
    """An ONNX Runtime session of ``path`` on the CPU (``threads``: its
    intra-op threads, 0: ONNX Runtime's choice)."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options,
                                providers=['CPUExecutionProvider'])


def test_resize(image: np.ndarray, scale: Sequence[int],
                size_divisor: int) -> np.ndarray:
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


def segment(session: Any, image_bgr: np.ndarray, meta: dict) -> np.ndarray:
    """Label map (H x W, int64) of an image at its own size."""
    resized = test_resize(image_bgr, meta.get('test_scale'),
                          meta.get('size_divisor'))
    batch = resized.transpose(2, 0, 1)[None].astype(np.float32)
    graph_input = session.get_inputs()[0]
    fixed = [d for d in graph_input.shape[2:] if isinstance(d, int)]
    if len(fixed) == 2 and tuple(fixed) != resized.shape[:2]:
        raise ValueError(
            f'the file takes {fixed[0]}x{fixed[1]} images only (exported '
            f'without --dynamic), and the config\'s test resize makes this '
            f'{image_bgr.shape[0]}x{image_bgr.shape[1]} image '
            f'{resized.shape[0]}x{resized.shape[1]}: export it again with '
            f'tools/deployment/export.py ... --dynamic.')
    out = session.run(None, {graph_input.name: batch})[0][0]
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
