"""What a mask file holds and what training reads from it: the one place for
the decisions that the checked loader (``transforms/loading.py``, which
raises at the first problem) and the inspector (``inspection/``, which
collects them all) share.

A mask is decoded as mmseg 1.x's ``LoadAnnotations._load_seg_map`` decodes
it (``mmcv.imfrombytes(..., flag='unchanged')``), but before its
``squeeze().astype(np.uint8)``, which would hide colour, alpha and 16-bit
values (300 would become 44); what training then reads is
:func:`training_values` of the uint8 values (a test compares both with
mmseg's loader).
"""
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ['MASK_PROBLEMS', 'JPEG_MAGIC', 'decode_mask', 'in_range',
           'mask_problems', 'out_of_range_message', 'training_values']

JPEG_MAGIC = b'\xff\xd8\xff'

#: Each kind of problem a mask file can have, and what is said about it.
#: Every one would make training wrong.
MASK_PROBLEMS: Dict[str, str] = {
    'colour_mask': 'colour-coded masks (a colour per class); convert them '
                   'with tools/dataset_converters/convert_colour_masks.py',
    'grey_as_rgb_mask': 'grey masks saved with 3 equal channels; save them '
                        'single-channel',
    'alpha_mask': 'masks with an alpha channel; save them single-channel',
    'jpeg_mask': 'JPEG masks: lossy compression smears the values between '
                 'classes; save index masks as PNG',
    'deep_mask': '16-bit masks with values above 255, which wrap around when '
                 'LoadAnnotations casts to uint8',
}


def decode_mask(content: bytes, backend: str) -> Optional[np.ndarray]:
    """The mask as ``LoadAnnotations`` decodes it (mmseg 1.2, loading.py),
    before its ``squeeze().astype(np.uint8)``."""
    import mmcv
    return mmcv.imfrombytes(content, flag='unchanged', backend=backend)


def mask_problems(raw: np.ndarray, content: bytes, backend: str,
                  mode: Callable[[], str]) -> List[Tuple[str, str]]:
    """The (kind, detail) problems of a decoded mask (:data:`MASK_PROBLEMS`).

    Args:
        raw: :func:`decode_mask`'s array.
        content: The file's bytes.
        backend: The decoding backend (``imdecode_backend``).
        mode: The stored image mode (Pillow's), asked only for the details.
    """
    problems = []
    if content[:3] == JPEG_MAGIC:
        problems.append(('jpeg_mask', ''))
    seg = raw.squeeze()
    if seg.ndim == 3:
        channels = seg.shape[2]
        # grey + alpha (2: pillow's LA; 4: cv2 expands LA to BGRA) or
        # colour + alpha
        colour = 1 if channels == 2 else 3
        equal = all(np.array_equal(seg[..., 0], seg[..., c])
                    for c in range(1, colour))
        if channels in (2, 4):
            problems.append(('alpha_mask', f'{channels} channels ({mode()})'
                             + ('' if equal else ', colour-coded')))
        elif equal:
            problems.append(('grey_as_rgb_mask',
                             f'{channels} equal channels'))
        else:
            from .colour_masks import colours_found
            colours = colours_found(seg[..., 2::-1])  # BGR(A) -> RGB
            detail = (f'{len(colours)} colours, e.g. RGB '
                      f'{colours[0][0]} x {colours[0][1]} px')
            if mode() == 'P' and backend != 'pillow':
                detail += (' (a palette PNG: its indices are what LoadAnnotat'
                           "ions reads with imdecode_backend='pillow', "
                           "mmseg's default)")
            problems.append(('colour_mask', detail))
    elif seg.dtype != np.uint8 and seg.size and seg.max() > 255:
        problems.append(('deep_mask',
                         f'{seg.dtype}, values up to {int(seg.max())}'))
    return problems


def training_values(reduce_zero_label: bool,
                    label_map: Optional[Dict[int, int]] = None
                    ) -> np.ndarray:
    """The value training sees for each stored uint8 value: mmseg 1.2's
    ``LoadAnnotations._load_seg_map`` steps (reduce_zero_label, then the
    dataset's label_map) applied to 0..255 (a test compares this with the
    loader itself)."""
    seg = np.arange(256, dtype=np.uint8)
    if reduce_zero_label:
        seg[seg == 0] = 255
        seg = seg - 1
        seg[seg == 254] = 255
    if label_map:
        copy_ = seg.copy()
        for old, new in label_map.items():
            seg[copy_ == old] = new
    return seg


def out_of_range_message(stored: Sequence[int], num_classes: int,
                         ignore_index: int, reduce_zero_label: bool,
                         in_range_with_the_other_setting: bool,
                         hint: str = '') -> str:
    """What is said of stored values that are neither a class nor the
    ignore index (in the file's own encoding)."""
    offset = 1 if reduce_zero_label else 0
    message = (
        f'label values {list(stored)[:10]} outside '
        f'0..{num_classes - 1 + offset}'
        + (f' (0 = unlabelled, the {num_classes} classes stored as '
           f'1..{num_classes})' if offset else '')
        + f' and the ignore value {ignore_index}')
    if in_range_with_the_other_setting:
        message += (
            '; every value is in range with reduce_zero_label='
            f'{not reduce_zero_label}' + (
                ' (0 = unlabelled, class i stored as i + 1)'
                if not reduce_zero_label else
                ' (class i stored as i)'))
    if num_classes == 2 and len(set(stored)) > 2:
        # many values between two classes: soft edges, or a JPEG's
        message += ('; a binary mask with many values in between has soft '
                    '(anti-aliased) edges or was saved lossy: threshold it '
                    '(e.g. value >= 128 as the foreground) and save it as '
                    'PNG')
    if hint:
        message += f'. {hint}'
    return message


def in_range(stored: Sequence[int], num_classes: int, ignore_index: int,
             reduce_zero_label: bool,
             label_map: Optional[Dict[int, int]] = None) -> bool:
    """Whether every stored value is a class or the ignore index once read
    with this ``reduce_zero_label``."""
    table = training_values(reduce_zero_label, label_map)
    for value in stored:
        if not 0 <= value <= 255:
            return False
        train = int(table[value])
        if not (0 <= train < num_classes or train == ignore_index):
            return False
    return True
