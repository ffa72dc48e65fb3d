"""The report's pictures: input thumbnails, coloured label maps and error
maps, written as files beside the HTML (the page stays small however many
images the run has)."""
from pathlib import Path
from typing import List, Sequence

import numpy as np

__all__ = ['colorize', 'error_map', 'thumbnail', 'write_png']

#: Width of the gallery's pictures, in pixels.
THUMB_WIDTH = 320
#: Colours of the error map: right, wrong, not counted (label ignored).
RIGHT, WRONG, IGNORED = (40, 120, 40), (230, 40, 40), (0, 0, 0)


def colorize(label_map: np.ndarray, palette: Sequence[Sequence[int]],
             ignore_index: int) -> np.ndarray:
    """RGB picture of a label map; ignored and unknown values (negative
    ones too) black."""
    palette = np.asarray(palette, np.uint8)
    out = np.zeros(label_map.shape + (3, ), np.uint8)
    known = (label_map >= 0) & (label_map < len(palette)) & \
        (label_map != ignore_index)
    out[known] = palette[label_map[known]]
    return out


def error_map(pred: np.ndarray, label: np.ndarray,
              ignore_index: int) -> np.ndarray:
    """RGB picture: green where the prediction is right, red where wrong,
    black where the label is ignored (not counted by the metric)."""
    out = np.empty(label.shape + (3, ), np.uint8)
    out[:] = WRONG
    out[pred == label] = RIGHT
    out[label == ignore_index] = IGNORED
    return out


def thumbnail(rgb: np.ndarray, width: int = THUMB_WIDTH,
              nearest: bool = True) -> np.ndarray:
    """``rgb`` scaled to ``width`` (label maps with nearest neighbours, so
    no colour is invented)."""
    import cv2
    h, w = rgb.shape[:2]
    size = (width, max(1, round(h * width / w)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_NEAREST
                      if nearest else cv2.INTER_AREA)


def write_png(path: Path, rgb: np.ndarray) -> None:
    """Write an RGB array (OpenCV writes BGR)."""
    import cv2
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1])):
        raise OSError(f'could not write {path}')


def read_rgb(path: str) -> np.ndarray:
    """The input image as RGB, or a clear error naming the file."""
    import cv2
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(
            f'input image {path} (recorded in the run\'s data/meta.json) '
            f'is missing or unreadable')
    return image[..., ::-1]


def classes_in(*maps: np.ndarray, num_classes: int) -> List[int]:
    """The classes that occur in the maps, most pixels first."""
    # values outside the classes (ignored, negative) are no class
    counts = sum(np.bincount(m[(m >= 0) & (m < num_classes)],
                             minlength=num_classes) for m in maps)
    return [int(c) for c in np.argsort(counts)[::-1] if counts[c] > 0]
