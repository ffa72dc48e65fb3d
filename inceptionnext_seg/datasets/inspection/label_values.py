"""The label values of a split: what each stored value means for training
(a class, the ignore index, out of range), the out-of-range and class-0
findings, and what the other ``reduce_zero_label`` would do."""
from typing import Dict, List, Optional, Sequence, Tuple

from ..class_presence import hidden_class_message
from ..class_weights import median_frequency_weights
from ..masks import out_of_range_message, training_values
from .findings import FindingsByKind, SplitReport

__all__ = ['summarise_values']


def summarise_values(report: SplitReport, samples: List[dict],
                     findings: FindingsByKind, label_map: Optional[dict],
                     hint: str = '') -> None:
    """Fill ``report``'s label values and their meanings from the read
    ``samples`` and add the samples' problems and the value findings to
    ``findings``.

    Args:
        report: the split's report (its classes, ignore index and
            ``reduce_zero_label`` are read; ``values`` and ``meanings``
            written).
        samples: what :func:`~.reading.read_samples` gave.
        findings: the split's findings so far.
        label_map: the dataset's ``label_map``, if any.
        hint: what the dataset adds to an out-of-range finding.
    """
    num_classes = len(report.classes)
    values: Dict[int, list] = {}
    for sample in samples:
        for kind, path, detail in sample['problems']:
            findings.add(kind, path, detail)
        if sample['shape'] is not None:
            report.sizes[sample['shape']] += 1
        if sample['values'] is None:
            continue
        for value, count in zip(*sample['values']):
            entry = values.setdefault(value, [0, 0, []])
            entry[0] += count
            entry[1] += 1
            if len(entry[2]) < 3:
                entry[2].append(sample['mask_path'])
    report.values = values
    current = _meanings(values, num_classes, report.ignore_index,
                        report.reduce_zero_label, label_map, report.classes)
    report.meanings = {v: m for v, (m, _) in current.items()}
    report.class_pixels = [0] * num_classes
    for value, (_, train) in current.items():
        if 0 <= train < num_classes:
            report.class_pixels[train] += values[value][0]
    report.class_weights = _class_weights(samples, current,
                                          report.class_pixels)
    out_of_range = {v for v, (m, _) in current.items()
                    if m.startswith('OUT OF RANGE')}
    if out_of_range:
        other = _meanings(values, num_classes, report.ignore_index,
                          not report.reduce_zero_label, label_map,
                          report.classes)
        fixed = not any(m.startswith('OUT OF RANGE')
                        for m, _ in other.values())
        for sample in samples:
            if sample['values'] is None:
                continue
            bad = sorted(set(sample['values'][0]) & out_of_range)
            if bad:
                # the checked loader's words, in the file's own encoding
                findings.add('out_of_range', sample['mask_path'],
                             out_of_range_message(
                                 bad, num_classes, report.ignore_index,
                                 report.reduce_zero_label, fixed, hint))
    hidden = None if out_of_range else hidden_class_message(
        report.classes, {v: p for v, (p, _, _) in values.items()},
        report.ignore_index, report.reduce_zero_label, label_map)
    if hidden:
        findings.add('hidden_class', report.ann_dir, hidden)
    elif values and num_classes > 1 and not report.reduce_zero_label and \
            current.get(0, ('', -1))[1] != 0 and not out_of_range:
        name = report.classes[0] if report.classes else '0'
        findings.add('no_class_zero', report.ann_dir,
                     f'no mask holds 0 ({name!r}): if the masks are '
                     f'1-based (0 = unlabelled, class i stored as i + 1), '
                     f'reduce_zero_label=True is the setting and every '
                     f'class is now read one too high')
    report.other_setting = _other_setting(report, label_map)


def _class_weights(samples: List[dict],
                   current: Dict[int, Tuple[str, int]],
                   class_pixels: List[int]) -> List[float]:
    """:func:`~..class_weights.median_frequency_weights` of the split: the
    pixels of the masks in which each class occurs, counted per mask."""
    image_pixels = [0] * len(class_pixels)
    for sample in samples:
        if sample['values'] is None:
            continue
        stored, counts = sample['values']
        total = sum(counts)
        for train in {current[v][1] for v in stored}:
            if 0 <= train < len(image_pixels):
                image_pixels[train] += total
    return median_frequency_weights(class_pixels, image_pixels)


def _meanings(values: Dict[int, list], num_classes: int, ignore_index: int,
              reduce_zero_label: bool, label_map: Optional[dict],
              classes: Sequence[str]) -> Dict[int, Tuple[str, int]]:
    """(meaning, training value) of each stored value."""
    table = training_values(reduce_zero_label, label_map)
    out = {}
    for value in values:
        train = int(table[value % 256])
        wrap = f' (wraps to {value % 256})' if value > 255 else ''
        if 0 <= train < num_classes:
            meaning = f'class {train} {classes[train]}{wrap}'
        elif train == ignore_index:
            meaning = ('unlabelled: ignored (reduce_zero_label)'
                       if reduce_zero_label and value == 0 else
                       'ignore index') + wrap
            train = -1
        else:
            meaning = 'OUT OF RANGE' + (wrap or f' (read as {train})')
            train = -2
        out[value] = (meaning, train)
    return out


def _other_setting(report: SplitReport, label_map: Optional[dict]) -> str:
    """What the other ``reduce_zero_label`` would do, in counts."""
    if not report.values:
        return ''
    other = not report.reduce_zero_label
    meanings = _meanings(report.values, len(report.classes),
                         report.ignore_index, other, label_map,
                         report.classes)
    pixels = {v: p for v, (p, _, _) in report.values.items()}
    bad = [v for v, (m, _) in meanings.items() if m.startswith('OUT')]
    bad_px = sum(pixels[v] for v in bad)
    # files per value are counted, files per set of values are not
    bad_files = max((report.values[v][1] for v in bad), default=0)
    ignored = sum(pixels[v] for v, (_, t) in meanings.items() if t == -1)
    present = {t for _, t in meanings.values() if t >= 0}
    parts = [f'with reduce_zero_label={other} instead, stored i would be '
             + ('class i - 1 and 0 ignored' if other else
                'class i and 0 class 0')]
    if other and 0 in pixels:
        parts.append(f'the {pixels[0]:,} px stored as 0 would be ignored')
    if not other and 0 in pixels:
        parts.append(f'the {pixels[0]:,} px stored as 0 would be class 0 '
                     f'{report.classes[0]!r}' if report.classes else '')
    parts.append(f'{bad_px:,} px would be out of range'
                 + (f' (values {sorted(bad)[:5]}, in '
                    + ('at least ' if len(bad) > 1 else '')
                    + f'{bad_files} files)' if bad else ''))
    parts.append(f'{ignored:,} px ignored, {len(present)} of '
                 f'{len(report.classes)} classes present')
    return '; '.join(p for p in parts if p)
