"""Classes that no mask holds while the ignore value covers many pixels: the
one decision that the checked datasets (at the start of a run, on a sample
of the masks) and the inspector (on every mask) share.

The commonest way to get there is a binary mask saved as 0/255, as most
annotation tools, image editors and tutorials write one, read with the
usual ``ignore_index=255``: every foreground pixel is ignored, the
foreground class is never trained, and the metric is computed on the
background alone. Nothing else notices: every value is a class or the ignore
index. The same happens with a class stored under a value that a wrong
``reduce_zero_label`` turns into the ignore index.

Refused where a class has no pixels and either the ignored pixels are at
least :data:`IGNORED_SHARE` of all, or at most one class has pixels (a
binary dataset with a small foreground). A class absent from a split whose
ignored share is small stays accepted: a subset of ADE20K (3.5 % of the
three ADE20K samples' pixels are unlabelled) or Cityscapes misses rare
classes and trains right.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .masks import training_values

__all__ = ['IGNORED_SHARE', 'hidden_class_message', 'class_pixels_of',
           'stored_histogram']

#: The share of ignored pixels above which a class without pixels is
#: refused (below it, only where at most one class has pixels). The three
#: ADE20K samples: 3.5 % unlabelled; their "sky" saved as a 0/255 binary
#: mask: 38 % ignored.
IGNORED_SHARE = 0.25


def class_pixels_of(stored: Dict[int, int], num_classes: int,
                    ignore_index: int, reduce_zero_label: bool,
                    label_map: Optional[Dict[int, int]] = None
                    ) -> Tuple[List[int], int]:
    """Each class's pixels and the ignored pixels, as training reads the
    ``stored`` values (stored value -> pixels)."""
    table = training_values(reduce_zero_label, label_map)
    pixels, ignored = [0] * num_classes, 0
    for value, count in stored.items():
        train = int(table[value % 256])
        if 0 <= train < num_classes:
            pixels[train] += count
        elif train == ignore_index:
            ignored += count
    return pixels, ignored


def hidden_class_message(classes: Sequence[str], stored: Dict[int, int],
                         ignore_index: int, reduce_zero_label: bool,
                         label_map: Optional[Dict[int, int]] = None,
                         where: str = 'any mask') -> Optional[str]:
    """What to say where classes have no pixels while the ignore value
    covers many (see the module docstring), naming the settings that would
    give every class its pixels; None where nothing is wrong.

    Args:
        classes: the class names, in index order.
        stored: each stored mask value and its pixels, over the masks read.
        ignore_index: the dataset's ignore index.
        reduce_zero_label: the dataset's setting.
        label_map: the dataset's ``label_map`` (``value_map``), if any.
        where: what was read, for the message (``'any mask'``, ``'any of
            the 256 masks read'``).
    """
    num_classes = len(classes)
    total = sum(stored.values())
    if num_classes < 2 or not total:
        return None
    pixels, ignored = class_pixels_of(stored, num_classes, ignore_index,
                                      reduce_zero_label, label_map)
    absent = [i for i, n in enumerate(pixels) if not n]
    present = num_classes - len(absent)
    share = ignored / total
    if not absent or not ignored or (share < IGNORED_SHARE and present > 1):
        return None
    names = [classes[i] for i in absent]
    message = (f'{len(absent)} of {num_classes} classes ({names[:5]}'
               + (' ...' if len(names) > 5 else '') + f') have no pixels in '
               f'{where}, '
               f'while the ignore value {ignore_index} covers {share:.1%} '
               f'of the pixels ({ignored:,} px): training would never see '
               f'those classes and the metric would leave them out')
    fixes = _fixes(classes, stored, absent, ignore_index, reduce_zero_label,
                   label_map)
    if fixes:
        message += '. Fix: ' + '; or '.join(fixes)
    else:
        message += ('. Check which stored value holds these classes and '
                    'map it to them with value_map={VALUE: CLASS} in the '
                    'dataset, or leave the classes out of the classes')
    return message


def _fixes(classes: Sequence[str], stored: Dict[int, int],
           absent: List[int], ignore_index: int, reduce_zero_label: bool,
           label_map: Optional[Dict[int, int]]) -> List[str]:
    """The settings that give every class pixels (and keep every value in
    range), checked on the same values."""
    fixes = []
    num_classes = len(classes)

    def complete(rzl: bool, mapping: Optional[Dict[int, int]]) -> bool:
        table = training_values(rzl, mapping)
        trains = {int(table[v % 256]) for v in stored}
        return all(0 <= t < num_classes or t == ignore_index
                   for t in trains) and \
            set(range(num_classes)) <= trains
    literal = [v for v in stored
               if v == ignore_index and int(training_values(
                   reduce_zero_label, label_map)[v]) == ignore_index]
    if literal and len(absent) == 1 and not reduce_zero_label:
        value, index = literal[0], absent[0]
        mapping = {**(label_map or {}), value: index}
        if complete(False, mapping):
            fixes.append(
                f'the masks store class {index} {classes[index]!r} as '
                f'{value} (a binary mask saved as 0/{value}): give the '
                f'dataset value_map={{{value}: {index}}} (check_dataset.py '
                f'--value-map {value}:{index}), or save the masks with '
                f'{classes[index]!r} as {index}')
    if complete(not reduce_zero_label, label_map):
        fixes.append(f'reduce_zero_label={not reduce_zero_label} (then every '
                     f'class has pixels)')
    return fixes


def stored_histogram(seg: np.ndarray) -> Dict[int, int]:
    """Each value of a single-channel uint8 mask and its pixels."""
    counts = np.bincount(seg.ravel(), minlength=256)
    values = np.flatnonzero(counts)
    return {int(v): int(counts[v]) for v in values}
