"""Loading transforms that name the file when an image or annotation is bad."""
from pathlib import Path
from typing import Optional

import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS
from PIL import Image

__all__ = ['CorruptSampleError', 'CheckedLoadImageFromFile',
           'CheckedLoadAnnotations', 'jpeg_truncation']

_JPEG_MAGIC = b'\xff\xd8\xff'


class CorruptSampleError(ValueError):
    """An image or annotation that cannot be used, naming the file."""


def jpeg_truncation(path: str) -> Optional[str]:
    """Ask a JPEG decoder whether the file ends before the image does.

    Some OpenCV builds decode a truncated JPEG without an error, filling the
    missing rows with grey. Pillow's decoder says "image file is truncated"
    when the data ends before the last scan is complete; it decodes at 1/8
    scale here (``draft``), which still reads every entropy-coded block but
    skips most of the inverse DCT. Only that answer counts: a file Pillow
    cannot open or decode for another reason (a format or feature it lacks)
    is left to the decoder that loads the pixels, so valid files are never
    refused (data after the end-of-image marker, progressive, restart
    markers, CMYK, EXIF, ...). Honours Pillow's ``LOAD_TRUNCATED_IMAGES``.

    Returns:
        The decoder's message if the JPEG is truncated, else None.
    """
    with open(path, 'rb') as f:
        if f.read(3) != _JPEG_MAGIC:
            return None
    try:
        image = Image.open(path)
    except (OSError, SyntaxError, ValueError):
        return None
    with image:
        try:
            image.draft(image.mode, (max(1, image.width // 8),
                                     max(1, image.height // 8)))
            image.load()
        except OSError as err:
            return str(err) if 'truncated' in str(err) else None
        except (SyntaxError, ValueError):
            return None
    return None


@TRANSFORMS.register_module()
class CheckedLoadImageFromFile(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` raising :class:`CorruptSampleError` with
    the file name for a missing, empty, truncated or undecodable image."""

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        loaded, error = None, None
        try:
            loaded = super().transform(results)
        except Exception as err:  # noqa: BLE001 - decoder errors vary
            error = err
        truncated = Path(path).is_file() and jpeg_truncation(path)
        if truncated:
            raise CorruptSampleError(
                f'{path}: truncated JPEG ({truncated})') from error
        if error is not None:
            raise CorruptSampleError(
                f'{path}: cannot read image ({type(error).__name__}: '
                f'{error})') from error
        if loaded is None or loaded.get('img') is None:
            raise CorruptSampleError(f'{path}: cannot decode image')
        return loaded


@TRANSFORMS.register_module()
class CheckedLoadAnnotations(LoadAnnotations):
    """mmseg's ``LoadAnnotations`` that checks the label map.

    Raises :class:`CorruptSampleError`, naming the file, for an annotation
    that cannot be decoded, is not single-channel, has a size other than its
    image's, or holds values outside ``0..num_classes`` (with
    ``reduce_zero_label``, ADE20K's encoding: 0 = other, 1..150 = classes)
    other than the ignore value 255.

    Args:
        num_classes: Number of classes of the dataset.
        **kwargs: mmseg's ``LoadAnnotations`` arguments.
    """

    def __init__(self, num_classes: int = 150, **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_classes = num_classes

    def _load_seg_map(self, results: dict) -> None:
        path = results['seg_map_path']
        try:
            super()._load_seg_map(results)
        except Exception as err:  # noqa: BLE001 - decoder errors vary
            raise CorruptSampleError(
                f'{path}: cannot read annotation ({type(err).__name__}: '
                f'{err})') from err
        seg = results['gt_seg_map']
        if seg.ndim != 2:
            raise CorruptSampleError(
                f'{path}: annotation has shape {seg.shape}; expected a '
                f'single-channel label map')
        expected = results.get('ori_shape')
        if expected is not None and tuple(seg.shape) != tuple(expected[:2]):
            raise CorruptSampleError(
                f'{path}: annotation size {seg.shape} differs from its image '
                f'{results.get("img_path")} {tuple(expected[:2])}')
        bad = np.unique(seg[(seg >= self.num_classes) & (seg != 255)])
        if bad.size:
            offset = 1 if self.reduce_zero_label else 0
            raise CorruptSampleError(
                f'{path}: label values {(bad + offset).tolist()[:10]} outside '
                f'0..{self.num_classes - 1 + offset}'
                + (' (0 = other, ignored)' if offset else '') +
                ' and the ignore value 255')
