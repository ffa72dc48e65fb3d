"""The comparison of two runs on the same images: per-class IoU
differences and the images whose mIoU changed most."""
from pathlib import Path
from typing import Optional

import numpy as np

from ...evaluation.run_results import RunResults
from .page import (esc, gallery_item, lazy_table, num, page, rounded,
                   swatch, table, text)

__all__ = ['write_comparison', 'check_comparable']


def check_comparable(a: RunResults, b: RunResults) -> None:
    """Raise ValueError unless both runs evaluated the same classes on the
    same images (in any order)."""
    if list(a.classes) != list(b.classes):
        raise ValueError(f'{a.root} and {b.root} have different classes '
                         f'({len(a.classes)} and {len(b.classes)}); a '
                         f'comparison needs the same dataset')
    only_a = sorted(set(a.names) - set(b.names))
    only_b = sorted(set(b.names) - set(a.names))
    if only_a or only_b:
        raise ValueError(f'{a.root} and {b.root} evaluated different images: '
                         f'{len(only_a)} only in the first (e.g. '
                         f'{only_a[:3]}), {len(only_b)} only in the second '
                         f'(e.g. {only_b[:3]})')


def write_comparison(a: RunResults, b: RunResults, out_dir,
                     gallery_size: int = 8, labels=('A', 'B'),
                     title: Optional[str] = None) -> Path:
    """Write ``out_dir/index.html``: run B against run A.

    Args:
        a: the first run (the reference).
        b: the second run.
        out_dir: the comparison's folder.
        gallery_size: how many most changed images to show.
        labels: the runs' short names.
        title: the page's title.

    Returns:
        The path of the page.
    """
    check_comparable(a, b)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    la, lb = labels
    title = title or f'Comparison: {lb} against {la}'
    sa, sb = a.summary(), b.summary()
    heads = ''.join(f'<th>{esc(k)}</th>' for k in sa)
    summary = (f'<table id="summary" class="summary"><thead><tr><th></th>'
               f'{heads}</tr></thead><tbody>' +
               ''.join(f'<tr><th class="text">{esc(name)}</th>' +
                       ''.join(num(s[k]) for k in s) + '</tr>'
                       for name, s in ((la, sa), (lb, sb))) +
               f'<tr><th class="text">{esc(lb)} &minus; {esc(la)}</th>' +
               ''.join(num(sb[k] - sa[k], cls=_sign(sb[k] - sa[k]))
                       for k in sa) + '</tr></tbody></table>')
    runs = ''.join(f'<tr><th class="text">{esc(name)}</th><td class="text">'
                   f'{esc(str(r.root))}</td><td class="text">'
                   f'{esc(str(r.run.get("checkpoint", "")))}</td>'
                   f'<td class="text">{esc(str(r.run.get("date", "")))}</td>'
                   f'</tr>' for name, r in ((la, a), (lb, b)))
    parts = [f'<h1>{esc(title)}</h1>', summary,
             f'<table id="runs"><thead><tr><th>run</th><th>report</th>'
             f'<th>checkpoint</th><th>date</th></tr></thead><tbody>{runs}'
             f'</tbody></table>']

    ca, cb = a.per_class(), b.per_class()
    rows = []
    for i, name in enumerate(a.classes):
        ia, ib = ca[name]['IoU'], cb[name]['IoU']
        diff = None if ia is None or ib is None else round(ib - ia, 2)
        rows.append(text(name, swatch(a.palette[i])) + num(ia) + num(ib) +
                    num(diff, cls=_sign(diff)) + num(ca[name]['pixels'], 0))
    parts += ['<h2 id="classes">Per-class IoU</h2>',
              '<p>Click a column to sort (e.g. the difference, to see what '
              'got better or worse).</p><div class="scroll">',
              table('class-diff', ['class', f'IoU {la} %', f'IoU {lb} %',
                                   f'{lb} − {la}', 'pixels'], rows),
              '</div>']

    index_b = {n: i for i, n in enumerate(b.names)}
    order_b = [index_b[n] for n in a.names]
    ma, mb = a.image_miou(), b.image_miou()[order_b]
    delta = mb - ma
    valid = np.flatnonzero(~np.isnan(delta))
    changed = valid[np.argsort(-np.abs(delta[valid]), kind='stable')]
    items = []
    for rank, i in enumerate(changed[:gallery_size]):
        j = order_b[i]
        items.append(gallery_item(
            out_dir, f'changed{rank}',
            f'{rank + 1}. {a.names[i]}  mIoU {la} {ma[i]:.2f} -> {lb} '
            f'{mb[i]:.2f} ({delta[i]:+.2f})', a.img_paths[i],
            a.label_map('label', i),
            [(f'prediction {la}', a.label_map('pred', i)),
             (f'prediction {lb}', b.label_map('pred', j))],
            a.classes, a.palette, a.ignore_index))
    parts += [f'<h2 id="changed">The {len(items)} images that changed '
              f'most</h2>',
              f'<p>image | label | prediction {esc(la)} | prediction '
              f'{esc(lb)} | errors of {esc(lb)}; by |per-image mIoU '
              f'difference|.</p>',
              f'<div id="changed-items">{"".join(items)}</div>',
              '<h2 id="images">Every image</h2>',
              lazy_table('all-images', f'All {len(a.names)} images (click '
                         f'to open)', ['image', f'mIoU {la}', f'mIoU {lb}',
                                       'difference'],
                         [[a.names[i], rounded(ma[i]), rounded(mb[i]),
                           rounded(delta[i])] for i in range(len(a.names))])]
    path = out_dir / 'index.html'
    path.write_text(page(title, ''.join(parts)), encoding='utf-8')
    return path


def _sign(value: Optional[float]) -> str:
    if value is None or value == 0:
        return ''
    return 'pos' if value > 0 else 'neg'
