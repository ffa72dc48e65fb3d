"""Loading transforms that name the file when an image or annotation is bad."""
from pathlib import Path
from typing import Optional

import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS
from PIL import Image

from ..masks import JPEG_MAGIC

__all__ = ['APPLIES_ORIENTATION', 'CorruptSampleError',
           'CheckedLoadImageFromFile', 'CheckedLoadAnnotations',
           'exif_orientation', 'jpeg_truncation']

# LoadImageFromFile colour types whose decode applies the EXIF orientation
# (mmcv 2.1, cv2 and pillow backends; pinned by tests/test_datasets/
# test_inspection.py); masks are read with 'unchanged', which never turns.
APPLIES_ORIENTATION = ('color', 'grayscale')
_ORIENTATION_TAG = 0x0112


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
        if f.read(3) != JPEG_MAGIC:
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


def exif_orientation(path: str) -> Optional[int]:
    """The EXIF orientation of an image file (None where it has none or
    cannot be read), from its header: Pillow opens lazily, no decode."""
    try:
        with Image.open(path) as image:
            return image.getexif().get(_ORIENTATION_TAG)
    except Exception:  # noqa: BLE001 - a bad EXIF block is no error here
        return None


@TRANSFORMS.register_module()
class CheckedLoadImageFromFile(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` raising :class:`CorruptSampleError` with
    the file name for a missing, empty, truncated or undecodable image.

    Where the decode turns the image by its EXIF orientation (``color_type``
    ``'color'`` or ``'grayscale'``), the orientation and the stored size go
    into ``results['exif_orientation']``; :class:`CheckedLoadAnnotations`
    refuses the sample where the mask is the stored one (not turned with
    the image).
    """

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
        if (self.color_type in APPLIES_ORIENTATION
                and self.imdecode_backend in ('cv2', 'pillow')
                and Path(path).is_file()):
            orientation = exif_orientation(path)
            if orientation not in (None, 1):
                with Image.open(path) as image:
                    width, height = image.size
                loaded['exif_orientation'] = (orientation, (height, width),
                                              self.color_type)
        return loaded


@TRANSFORMS.register_module()
class CheckedLoadAnnotations(LoadAnnotations):
    """mmseg's ``LoadAnnotations`` that checks the label map.

    Raises :class:`CorruptSampleError`, naming the file, for an annotation
    that cannot be decoded, is colour-coded or otherwise not single-channel,
    has a size other than its image's, or holds values other than the
    classes and the ignore value (read as mmseg reads them: with
    ``reduce_zero_label``, ADE20K's encoding, 0 = unlabelled and class ``i``
    stored as ``i + 1``). The error says the values in the file's own
    encoding and, where the values look like it, that
    ``reduce_zero_label`` is set the wrong way.

    Args:
        num_classes: Number of classes of the dataset (the checked datasets
            set it from their classes).
        ignore_index: The value of pixels that count for nothing.
        hint: Said after an error about values outside the classes.
        **kwargs: mmseg's ``LoadAnnotations`` arguments.
    """

    def __init__(self, num_classes: int = 150, ignore_index: int = 255,
                 hint: str = '', **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.hint = hint

    def _load_seg_map(self, results: dict) -> None:
        from mmengine import fileio

        from ..masks import (MASK_PROBLEMS, decode_mask, in_range,
                             mask_problems, training_values)
        path = results['seg_map_path']
        try:
            content = fileio.get(path, backend_args=self.backend_args)
            raw = decode_mask(content, self.imdecode_backend)
        except Exception as err:  # noqa: BLE001 - decoder errors vary
            raise CorruptSampleError(
                f'{path}: cannot read annotation ({type(err).__name__}: '
                f'{err})') from err
        if raw is None:
            raise CorruptSampleError(f'{path}: cannot decode annotation')
        problems = mask_problems(raw, content, self.imdecode_backend,
                                 lambda: _stored_mode(content))
        if problems:
            kind, detail = problems[0]
            raise CorruptSampleError(
                f'{path}: {MASK_PROBLEMS[kind]}'
                + (f' ({detail})' if detail else ''))
        seg = raw.squeeze()
        if seg.ndim != 2:
            raise CorruptSampleError(
                f'{path}: annotation has shape {raw.shape}; expected a '
                f'single-channel label map')
        # mmseg's steps after its decode (LoadAnnotations._load_seg_map,
        # mmseg 1.2), as one lookup: a test compares both
        if self.reduce_zero_label is None:
            self.reduce_zero_label = results['reduce_zero_label']
        if self.reduce_zero_label != results.get('reduce_zero_label',
                                                 self.reduce_zero_label):
            raise CorruptSampleError(
                f'{path}: LoadAnnotations has reduce_zero_label='
                f'{self.reduce_zero_label}, the dataset '
                f'{results["reduce_zero_label"]}')
        label_map = results.get('label_map')
        seg = training_values(self.reduce_zero_label,
                              label_map)[seg.astype(np.uint8)]
        results['gt_seg_map'] = seg
        results['seg_fields'].append('gt_seg_map')
        expected = results.get('ori_shape')
        _check_orientation(results, seg.shape)
        if expected is not None and tuple(seg.shape) != tuple(expected[:2]):
            raise CorruptSampleError(
                f'{path}: annotation size {seg.shape} differs from its image '
                f'{results.get("img_path")} {tuple(expected[:2])}')
        bad = (seg >= self.num_classes) & (seg != self.ignore_index)
        if bad.any():
            from ..masks import out_of_range_message
            stored = np.unique(raw.squeeze()[bad]).tolist()
            values = np.unique(raw.squeeze()).tolist()
            raise CorruptSampleError(f'{path}: ' + out_of_range_message(
                stored, self.num_classes, self.ignore_index,
                self.reduce_zero_label,
                in_range(values, self.num_classes, self.ignore_index,
                         not self.reduce_zero_label, label_map),
                self.hint))


def _check_orientation(results: dict, mask_shape: tuple) -> None:
    """Refuse an image that its EXIF orientation turned on decode while its
    mask is the stored one: the inspector's ``exif_rotation`` (a square
    image, or a flip, keeps its size, so nothing else notices). A mask of
    the turned image's size (drawn on the turned image) is accepted."""
    oriented = results.get('exif_orientation')
    decoded = results.get('ori_shape')
    if not oriented or decoded is None:
        return
    orientation, stored, color_type = oriented
    decoded = tuple(decoded[:2])
    if tuple(mask_shape) != tuple(stored):
        return  # drawn on the turned image; the size check names the rest
    raise CorruptSampleError(
        f'{results.get("img_path")}: EXIF orientation {orientation} turns or '
        f'flips the image on decode (LoadImageFromFile color_type='
        f'{color_type!r}: stored {tuple(stored)}, decoded {decoded}) while '
        f'its mask {results["seg_map_path"]} is read as stored, so the '
        f'labels would not line up. Save the image with the orientation '
        f'applied to its pixels (PIL.ImageOps.exif_transpose) and turn the '
        f'mask the same way, or, where the mask was drawn on the stored '
        f'pixels, load the images with LoadImageFromFile(color_type='
        f"'color_ignore_orientation')")


def _stored_mode(content: bytes) -> str:
    """The stored image mode (Pillow's), for the messages."""
    import io
    try:
        with Image.open(io.BytesIO(content)) as image:
            return image.mode
    except Exception:  # noqa: BLE001 - only said in a message
        return '?'
