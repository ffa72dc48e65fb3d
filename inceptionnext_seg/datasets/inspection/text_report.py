"""The short human report of an :class:`~.findings.InspectionReport`."""
from typing import List

from ..class_weights import WEIGHTING, class_weight_lines
from .findings import ERROR, Finding, InspectionReport

__all__ = ['format_report', 'WEIGHED_SPLITS']

#: The splits whose class weights are printed: training's (``data``: the
#: folder form).
WEIGHED_SPLITS = ('train', 'data')


def _files(finding: Finding, shown: int) -> List[str]:
    lines = []
    for path in finding.files[:shown]:
        detail = finding.details.get(path)
        lines.append(f'      {path}' + (f': {detail}' if detail else ''))
    if len(finding.files) > shown:
        lines.append(f'      ... and {len(finding.files) - shown} more '
                     f'(all in the JSON report)')
    return lines


def _finding_lines(finding: Finding, shown: int) -> List[str]:
    label = 'ERROR' if finding.severity == ERROR else 'warning'
    return [f'  {label}: {finding.title} ({len(finding.files)})'] + \
        _files(finding, shown)


def format_report(report: InspectionReport, shown: int = 5,
                  all_values: int = 40) -> str:
    """The short human report: per split the images, sizes, label values
    and findings (``shown`` files each), then the config's findings and the
    verdict."""
    lines = [f'Dataset check: {report.source}']
    for split in report.splits:
        lines.append('')
        lines.append(f'[{split.name}] {split.dataset_type}: '
                     f'{split.num_images} images in {split.img_dir or "?"}'
                     + (f', masks in {split.ann_dir}' if split.ann_dir
                        else ''))
        if split.classes:
            lines.append(f'  {len(split.classes)} classes, ignore_index '
                         f'{split.ignore_index}, reduce_zero_label '
                         f'{split.reduce_zero_label}')
        if split.sizes:
            sizes = split.sizes.most_common()
            shown_sizes = ', '.join(f'{w}x{h} ({n})'
                                    for (h, w), n in sizes[:3])
            lines.append(f'  image sizes (w x h): {len(sizes)} distinct: '
                         f'{shown_sizes}' + (' ...' if len(sizes) > 3
                                             else ''))
        if split.values:
            lines.append('  label values as stored -> as training reads '
                         'them (pixels, files):')
            items = sorted(split.values.items())
            plain = [v for v, _ in items
                     if split.meanings[v].startswith('class')]
            for value, (pixels, files, _) in items:
                if len(items) > all_values and value in plain:
                    continue
                lines.append(f'    {value:>5}  {split.meanings[value]:<36} '
                             f'{pixels:>12,} px {files:>6} file(s)')
            if len(items) > all_values:
                lines.append(f'    ({len(plain)} values that are classes '
                             f'not listed: see the JSON report)')
            absent = [c for c, n in zip(split.classes, split.class_pixels)
                      if not n]
            if absent:
                lines.append(f'  {len(absent)} classes without pixels: '
                             + ', '.join(absent[:8])
                             + (' ...' if len(absent) > 8 else ''))
            lines.append(f'  {split.other_setting}')
            # from the masks as read: not while they would train wrong
            if split.class_weights and split.name in WEIGHED_SPLITS and \
                    not split.errors:
                snippets = class_weight_lines(split.class_weights)
                lines.append(f'  class weights for the loss, by {WEIGHTING}:')
                lines.append(f'    {snippets["template"]}   # the own-data '
                             f'templates\' line')
                lines.append(f'    {snippets["cfg_options"]}')
        for finding in split.findings:
            lines.extend(_finding_lines(finding, shown))
        if not split.findings:
            lines.append('  nothing found')
    if report.findings:
        lines.append('')
        lines.append('[config]')
        for finding in report.findings:
            lines.extend(_finding_lines(finding, shown))
    for note in report.notes:
        lines.append(f'note: {note}')
    errors = sum(len(s.errors) for s in report.splits) + sum(
        f.severity == ERROR for f in report.findings)
    lines.append('')
    lines.append('OK: nothing found that would make training wrong.'
                 if report.ok else
                 f'FAILED: {errors} kind(s) of problem would make training '
                 f'wrong (above).')
    return '\n'.join(lines)
