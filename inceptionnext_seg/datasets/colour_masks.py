"""Colour-coded masks (a colour per class) to index masks (a class index per
pixel), which is what mmseg's ``LoadAnnotations`` reads.

Palettes are RGB, as in mmseg's ``METAINFO`` and the classes files
(:func:`~.folder.read_classes_file`); OpenCV and mmcv decode to BGR, so the
arrays taken here are RGB and the callers convert (``tools/
convert_colour_masks.py`` reads with ``cv2`` and flips the channels).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ['UnknownColoursError', 'colour_to_index', 'colours_found',
           'index_to_colour']


class UnknownColoursError(ValueError):
    """A mask holds colours that are not in the palette.

    Attributes:
        colours: ``[((R, G, B), pixels), ...]``, most frequent first.
    """

    def __init__(self, message: str,
                 colours: List[Tuple[Tuple[int, int, int], int]]) -> None:
        super().__init__(message)
        self.colours = colours


def _codes(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.int64)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def _decode(code: int) -> Tuple[int, int, int]:
    return (int(code) >> 16) & 255, (int(code) >> 8) & 255, int(code) & 255


def colours_found(rgb: np.ndarray) -> List[Tuple[Tuple[int, int, int], int]]:
    """The colours of an ``H x W x 3`` RGB array with their pixel counts,
    most frequent first."""
    codes, counts = np.unique(_codes(rgb[..., :3]), return_counts=True)
    order = np.argsort(-counts, kind='stable')
    return [(_decode(codes[i]), int(counts[i])) for i in order]


def colour_to_index(rgb: np.ndarray, palette: Sequence[Sequence[int]],
                    unknown: str = 'ignore', ignore_index: int = 255,
                    name: str = 'mask',
                    void: Sequence[Sequence[int]] = ()) -> np.ndarray:
    """The index mask of a colour-coded mask.

    Args:
        rgb: ``H x W x 3`` (or ``x 4``: the alpha channel is dropped) uint8
            array in RGB order.
        palette: One ``(R, G, B)`` per class, class ``i`` at position ``i``.
        unknown: What a colour outside the palette becomes: ``'ignore'``
            (the ignore index) or ``'error'`` (raise).
        ignore_index: The value written for unknown colours; not a class
            index (``len(palette)`` or above), or unknown colours would
            silently become that class.
        name: How the error names the mask (its file).
        void: ``(R, G, B)`` colours that mark pixels to ignore (a void or
            border colour): written as ``ignore_index``, never unknown.

    Returns:
        ``H x W`` uint8 array of class indices (and ``ignore_index``).

    Raises:
        UnknownColoursError: ``unknown='error'`` and some pixels have a
            colour outside the palette; lists those colours with counts.
        ValueError: The palette repeats a colour or has a void colour, the
            array is not uint8
            (a 16-bit colour PNG's values are no 8-bit palette colours: every
            pixel would be unknown), or a bad argument.
    """
    if unknown not in ('ignore', 'error'):
        raise ValueError(f"unknown must be 'ignore' or 'error', got "
                         f'{unknown!r}')
    if rgb.ndim != 3 or rgb.shape[2] not in (3, 4):
        raise ValueError(f'{name}: expected an H x W x 3 colour mask, got '
                         f'shape {rgb.shape}')
    if rgb.dtype != np.uint8:
        raise ValueError(f'{name}: a {rgb.dtype} colour mask; the palette '
                         f'is 8-bit RGB: save the masks with 8 bits per '
                         f'channel')
    if len(palette) > 255 or not 0 <= ignore_index <= 255:
        raise ValueError('index masks are uint8: at most 255 classes and an '
                         'ignore index in 0..255')
    if ignore_index < len(palette):
        raise ValueError(f'ignore_index {ignore_index} is class '
                         f'{ignore_index} of the {len(palette)} in the '
                         f'palette: unknown colours would become that class; '
                         f'give an ignore index of {len(palette)} or above '
                         f'(255 as a rule)')
    table: Dict[int, int] = {}
    for index, colour in enumerate(palette):
        code = int(_codes(np.asarray(colour)[None])[0])
        if code in table:
            raise ValueError(f'palette colour {tuple(colour)} given to '
                             f'classes {table[code]} and {index}')
        table[code] = index
    for colour in void:
        code = int(_codes(np.asarray(colour)[None])[0])
        if code in table and table[code] != ignore_index:
            raise ValueError(f'void colour {tuple(colour)} is the colour of '
                             f'class {table[code]} in the palette')
        table[code] = ignore_index
    codes = _codes(rgb[..., :3])
    # one lookup over the colours present, not one pass per class
    present, inverse = np.unique(codes, return_inverse=True)
    values = np.array([table.get(int(c), -1) for c in present], np.int64)
    missing = values < 0
    if missing.any() and unknown == 'error':
        counts = np.bincount(inverse.ravel(), minlength=len(present))
        found = sorted(((_decode(c), int(n)) for c, n, m in
                        zip(present, counts, missing) if m),
                       key=lambda item: -item[1])
        listed = ', '.join(f'{c} x {n}' for c, n in found[:10])
        raise UnknownColoursError(
            f'{name}: {len(found)} colour(s) not in the palette '
            f'(RGB x pixels): {listed}'
            + (' ...' if len(found) > 10 else ''), found)
    values[missing] = ignore_index
    return values[inverse].reshape(codes.shape).astype(np.uint8)


def index_to_colour(index: np.ndarray, palette: Sequence[Sequence[int]],
                    ignore_colour: Optional[Sequence[int]] = (0, 0, 0)
                    ) -> np.ndarray:
    """The RGB colour mask of an index mask (the inverse of
    :func:`colour_to_index`).

    Args:
        index: ``H x W`` uint8 array of class indices.
        palette: One ``(R, G, B)`` per class, class ``i`` at position ``i``.
        ignore_colour: The colour of values outside the palette; None:
            such values are refused.

    Returns:
        ``H x W x 3`` uint8 array in RGB order.

    Raises:
        ValueError: ``ignore_colour`` is None and some values are outside
            the palette.
    """
    if ignore_colour is None:
        outside = np.unique(index[index >= len(palette)])
        if outside.size:
            raise ValueError(f'values outside the palette of '
                             f'{len(palette)} classes: '
                             f'{outside[:10].tolist()} (give ignore_colour '
                             f'to colour them)')
    table = np.zeros((256, 3), np.uint8)
    if ignore_colour is not None:
        table[:] = ignore_colour
    table[:len(palette)] = np.asarray(palette, np.uint8)
    return table[index]
