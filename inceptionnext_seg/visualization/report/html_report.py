"""The evaluation report of one run: ``index.html`` plus its pictures."""
import os
import urllib.parse
from pathlib import Path
from typing import Optional

import numpy as np

from ...evaluation.run_results import DATA, RunResults
from .page import (esc, gallery_item, lazy_table, num, page, rounded,
                   swatch, table, text)

__all__ = ['write_report', 'worst_and_best']


def worst_and_best(miou: np.ndarray, k: int):
    """Indices of the ``k`` lowest and ``k`` highest per-image mIoU (images
    with no counted pixel left out), worst first and best first; an image
    is in one list only (runs of fewer than 2k images)."""
    valid = np.flatnonzero(~np.isnan(miou))
    order = valid[np.argsort(miou[valid], kind='stable')]
    n_worst = min(k, len(order) - len(order) // 2)
    worst = order[:n_worst]
    best = order[n_worst:][::-1][:k]
    return [int(i) for i in worst], [int(i) for i in best]


def write_report(run: RunResults, out_dir, gallery_size: int = 8,
                 heat_classes: int = 20, pairs: int = 30,
                 title: Optional[str] = None) -> Path:
    """Write ``out_dir/index.html`` (and ``out_dir/img/``).

    Args:
        run: the run's results (saved, for the label maps).
        out_dir: the report folder.
        gallery_size: how many worst and best images to show.
        heat_classes: the confusion picture's classes, most frequent first.
        pairs: how many most confused pairs to list.
        title: the page's title.

    Returns:
        The path of ``index.html``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = run.summary()
    per_class = run.per_class()
    miou, acc = run.image_miou(), run.image_acc()
    title = title or 'Evaluation report'
    parts = [f'<h1>{esc(title)}</h1>', _run_table(run, summary)]

    total = max(sum(r['pixels'] for r in per_class.values()), 1)
    keys = [k for k in next(iter(per_class.values())) if k not in
            ('pixels', 'images')]
    rows = []
    for i, (name, row) in enumerate(per_class.items()):
        rows.append(num(i, 0) + text(name, swatch(run.palette[i])) +
                    ''.join(num(row[k]) for k in keys) +
                    num(100 * row['pixels'] / total, 3) +
                    num(row['pixels'], 0) + num(row['images'], 0))
    parts += ['<h2 id="classes">Per class</h2>',
              '<p>Click a column to sort. Pixel frequency: the share of the '
              'labelled pixels. &ndash;: undefined (the class is neither in '
              'the labels nor predicted).</p>',
              '<div class="scroll">',
              table('per-class', ['#', 'class'] + [f'{k} %' for k in keys] +
                    ['pixel freq. %', 'pixels', 'images'], rows),
              '</div>']

    pair_rows = [text(p['label']) + text(p['pred']) + num(p['pixels'], 0) +
                 num(p['of_label']) + num(p['of_all'], 3)
                 for p in run.confused_pairs(pairs)]
    parts += ['<h2 id="confused">Most confused class pairs</h2>',
              '<p>From the full confusion matrix ('
              f'<a href="{_link(run, out_dir, "confusion.csv")}">CSV</a>, '
              f'<a href="{_link(run, out_dir, "confusion.npy")}">.npy</a>: '
              'rows the label, columns the prediction).</p>',
              table('confused-pairs', ['label', 'predicted as', 'pixels',
                                       '% of the label\'s pixels',
                                       '% of all pixels'], pair_rows)]
    parts += [f'<h2 id="confusion">Confusion among the {heat_classes} most '
              f'frequent classes</h2>',
              '<p>Each row is a label class, each cell the share of its '
              'pixels predicted as the column\'s class (hover for '
              'names).</p>', _heatmap(run, heat_classes)]

    worst, best = worst_and_best(miou, gallery_size)
    for section, indices in (('worst', worst), ('best', best)):
        items = [gallery_item(
            out_dir, f'{section}{rank}',
            f'{rank + 1}. {run.names[i]}  mIoU {miou[i]:.2f}  '
            f'acc {acc[i]:.2f}', run.img_paths[i], run.label_map('label', i),
            [('prediction', run.label_map('pred', i))], run.classes,
            run.palette, run.ignore_index) for rank, i in enumerate(indices)]
        parts += [f'<h2 id="gallery-{section}">The {len(indices)} {section} '
                  f'images by per-image mIoU</h2>',
                  '<p>image | label | prediction | errors; per-image mIoU: '
                  'the mean IoU over the classes in the image\'s label or '
                  'prediction. Hover a picture for its classes.</p>',
                  f'<div id="gallery-{section}-items">{"".join(items)}</div>']

    image_rows = [[run.names[i], rounded(miou[i]), rounded(acc[i]),
                   int(run.areas[i, 3].sum())] for i in range(len(run.names))]
    parts += ['<h2 id="images">Every image</h2>',
              lazy_table('all-images', f'All {len(run.names)} images '
                         f'(click to open)', ['image', 'mIoU %', 'acc %',
                                              'labelled pixels'],
                         image_rows)]
    path = out_dir / 'index.html'
    path.write_text(page(title, ''.join(parts)), encoding='utf-8')
    return path


def _link(run: RunResults, out_dir: Path, name: str) -> str:
    """The page's link to a file of the run's ``data/``: relative to the
    page, wherever ``tools/analysis_tools/report.py --out`` puts it."""
    if run.root is None:
        raise ValueError('these results are not saved: no data/ to link')
    rel = os.path.relpath(Path(run.root).resolve() / DATA / name,
                          out_dir.resolve())
    return esc(urllib.parse.quote(Path(rel).as_posix()))


def _run_table(run: RunResults, summary: dict) -> str:
    info = dict(run.run)
    info.setdefault('images', len(run.names))
    rows = ''.join(f'<tr><th class="text">{esc(str(k))}</th>'
                   f'<td class="text">{esc(str(v))}</td></tr>'
                   for k, v in info.items())
    metrics = ''.join(f'<td class="big" id="summary-{esc(k)}">{v:.2f}</td>'
                      for k, v in summary.items())
    heads = ''.join(f'<th>{esc(k)}</th>' for k in summary)
    return (f'<table id="summary" class="summary"><thead><tr>{heads}</tr>'
            f'</thead><tbody><tr>{metrics}</tr></tbody></table>'
            f'<table id="run"><tbody>{rows}</tbody></table>')


def _heatmap(run: RunResults, n: int) -> str:
    labelled = run.confusion.sum(1)
    top = [int(c) for c in np.argsort(labelled, kind='stable')[::-1][:n]
           if labelled[c] > 0]
    names = [run.classes[c] for c in top]
    head = '<th></th>' + ''.join(f'<th class="col">{esc(m)}</th>'
                                 for m in names)
    rows = []
    for c, name in zip(top, names):
        cells = []
        for p, pname in zip(top, names):
            share = 100 * run.confusion[c, p] / labelled[c]
            alpha = min(1.0, share / 100) ** 0.5
            colour = (f'rgba(30,90,200,{alpha:.3f})' if c == p else
                      f'rgba(220,40,40,{alpha:.3f})')
            cells.append(f'<td style="background:{colour}" '
                         f'title="{esc(name)} predicted as {esc(pname)}: '
                         f'{share:.2f}%">{share:.0f}</td>')
        rows.append(f'<tr><th class="row">{esc(name)}</th>{"".join(cells)}'
                    f'</tr>')
    return (f'<table id="confusion-heat" class="heat"><thead><tr>{head}</tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table>')
