"""Loading transforms that name the file when an image or annotation is bad."""
from pathlib import Path

import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS

_JPEG_SUFFIXES = ('.jpg', '.jpeg')
_JPEG_EOI = b'\xff\xd9'


class CorruptSampleError(ValueError):
    """An image or annotation that cannot be used, naming the file."""


def _check_jpeg_complete(path: str) -> None:
    """OpenCV decodes a truncated JPEG silently (grey bottom rows); the end of
    image marker tells a complete file from a cut one."""
    if not path.lower().endswith(_JPEG_SUFFIXES):
        return
    with open(path, 'rb') as f:
        if f.read(2) != b'\xff\xd8':
            return  # not a JPEG at all: the decoder says so
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - 4096))
        tail = f.read()
    if _JPEG_EOI not in tail:
        raise CorruptSampleError(
            f'{path}: truncated JPEG (no end-of-image marker, {size} bytes)')


@TRANSFORMS.register_module()
class CheckedLoadImageFromFile(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` raising :class:`CorruptSampleError` with
    the file name for a missing, empty, truncated or undecodable image."""

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        try:
            if Path(path).is_file():
                _check_jpeg_complete(path)
            loaded = super().transform(results)
        except CorruptSampleError:
            raise
        except Exception as err:  # noqa: BLE001 - decoder errors vary
            raise CorruptSampleError(
                f'{path}: cannot read image ({type(err).__name__}: {err})'
            ) from err
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
