"""Building blocks of the report's pages: the page shell, tables whose
cells carry their sort value, the gallery's items."""
import html
import json
from pathlib import Path
from typing import Iterable, List, Optional, Sequence

import numpy as np

from .assets import CSS, SCRIPT
from .images import (classes_in, colorize, error_map, read_rgb, thumbnail,
                     write_png)

__all__ = ['page', 'table', 'num', 'text', 'swatch', 'gallery_item',
           'lazy_table', 'rounded']

esc = html.escape


def rounded(value: float) -> Optional[float]:
    """A figure for the pages' tables and inline JSON: two decimals, None
    for NaN."""
    return None if np.isnan(value) else round(float(value), 2)


def page(title: str, body: str) -> str:
    """A complete HTML document: style and script inline."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<title>{esc(title)}</title><style>{CSS}</style></head>'
            f'<body>{body}<script>{SCRIPT}</script></body></html>\n')


def num(value: Optional[float], digits: int = 2, cls: str = '') -> str:
    """A number cell whose ``data-v`` the sort reads (empty for None)."""
    if value is None or (isinstance(value, (float, np.floating))
                         and np.isnan(value)):
        return '<td data-v="" class="muted">&ndash;</td>'
    shown = f'{value:.{digits}f}' if digits else f'{int(value)}'
    klass = f' class="{cls}"' if cls else ''
    # The sort key exactly: integers as they are (pixel counts past 1e6
    # must not tie), floats with repr (the shortest that reads back).
    if isinstance(value, (int, np.integer)):
        key = str(int(value))
    else:
        key = repr(float(value))
    return f'<td data-v="{key}"{klass}>{shown}</td>'


def text(value: str, prefix: str = '') -> str:
    return f'<td class="text">{prefix}{esc(str(value))}</td>'


def swatch(rgb: Sequence[int]) -> str:
    r, g, b = (int(c) for c in rgb)
    return f'<span class="sw" style="background:rgb({r},{g},{b})"></span>'


def table(table_id: str, headers: Sequence[str], rows: Iterable[str],
          sortable: bool = True) -> str:
    """A table; ``rows`` are the ``<td>`` strings of each row."""
    klass = ' class="sortable"' if sortable else ''
    head = ''.join(f'<th>{esc(h)}</th>' for h in headers)
    body = ''.join(f'<tr>{r}</tr>' for r in rows)
    return (f'<table id="{table_id}"{klass}><thead><tr>{head}</tr></thead>'
            f'<tbody>{body}</tbody></table>')


def lazy_table(details_id: str, summary: str, headers: Sequence[str],
               rows: List[list]) -> str:
    """A table drawn only when opened: its rows are inline JSON, so a run
    of thousands of images does not slow the page's opening."""
    data = json.dumps(rows, separators=(',', ':')).replace('</', '<\\/')
    head = ''.join(f'<th>{esc(h)}</th>' for h in headers)
    return (f'<details id="{details_id}" data-json="{details_id}-json">'
            f'<summary>{esc(summary)}</summary><div class="scroll">'
            f'<table id="{details_id}-table" class="sortable"><thead><tr>'
            f'{head}</tr></thead><tbody></tbody></table></div></details>'
            f'<script type="application/json" id="{details_id}-json">{data}'
            f'</script>')


def gallery_item(out_dir: Path, key: str, title: str, img_path: str,
                 label: np.ndarray, preds: Sequence[tuple], classes,
                 palette, ignore_index: int) -> str:
    """One image of a gallery: input | label | each prediction | error map
    of the last prediction, written as PNG/JPEG files under
    ``out_dir/img``, and a legend of the classes shown.

    Args:
        out_dir: the report folder.
        key: unique file prefix.
        title: the caption line (name and scores).
        img_path: the input image.
        label: the label map (0-based, ``ignore_index`` kept).
        preds: (caption, prediction map) pairs.
        classes: class names.
        palette: RGB per class.
        ignore_index: label value not counted.
    """
    import cv2
    rgb = read_rgb(img_path)
    if rgb.shape[:2] != label.shape:
        # The label is at the metric's resolution; show the input at it.
        rgb = cv2.resize(rgb, label.shape[::-1], interpolation=cv2.INTER_AREA)
    pictures = [('image', thumbnail(rgb, nearest=False), 'jpg'),
                ('label', thumbnail(colorize(label, palette, ignore_index)),
                 'png')]
    for i, (caption, pred) in enumerate(preds):
        pictures.append((caption, thumbnail(colorize(pred, palette,
                                                     ignore_index)), 'png'))
    pictures.append(('errors', thumbnail(error_map(preds[-1][1], label,
                                                   ignore_index)), 'png'))
    counted = label[label != ignore_index]
    shown = classes_in(counted, *[p for _, p in preds],
                       num_classes=len(classes))
    names = ', '.join(classes[c] for c in shown)
    figures = []
    for i, (caption, picture, ext) in enumerate(pictures):
        rel = f'img/{key}_{i}.{ext}'
        if ext == 'jpg':
            (out_dir / 'img').mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(out_dir / rel), picture[..., ::-1],
                        [cv2.IMWRITE_JPEG_QUALITY, 85])
        else:
            write_png(out_dir / rel, picture)
        figures.append(f'<figure><img src="{rel}" alt="{esc(caption)}" '
                       f'title="{esc(caption)}: {esc(names)}">'
                       f'<figcaption>{esc(caption)}</figcaption></figure>')
    legend = ''.join(f'<span>{swatch(palette[c])}{esc(classes[c])}</span>'
                     for c in shown)
    return (f'<div class="item"><div>{esc(title)}</div><div class="gallery">'
            f'{"".join(figures)}</div><div class="legend">{legend}'
            f'<span>{swatch((40, 120, 40))}right</span>'
            f'<span>{swatch((230, 40, 40))}wrong</span>'
            f'<span>{swatch((0, 0, 0))}not counted</span></div></div>')
