"""The picture of a dataset's class frequencies: pixels per class (drawn
by ``tools/analysis_tools/check_dataset.py``). A linear axis from 0 unless
the classes span more than :data:`LOG_SPAN` (a log axis cut at the smallest
class made 181k pixels look empty next to 248k); the counts are written on
the bars."""
from typing import Sequence

__all__ = ['plot_class_pixels', 'uses_log_scale', 'LOG_SPAN']

#: The ratio of the largest to the smallest non-zero class above which the
#: axis is logarithmic (below it a linear axis shows every class).
LOG_SPAN = 100


def uses_log_scale(pixels: Sequence[int]) -> bool:
    """Whether :func:`plot_class_pixels` draws ``pixels`` on a log axis."""
    present = [p for p in pixels if p > 0]
    return bool(present) and max(present) > LOG_SPAN * min(present)


def _short(count: int) -> str:
    for unit, size in (('M', 1e6), ('k', 1e3)):
        if count >= size:
            return f'{count / size:.3g}{unit}'
    return str(count)


def plot_class_pixels(classes: Sequence[str], pixels: Sequence[int],
                      path: str, title: str = '') -> None:
    """Draw a bar per class (its pixels, absent classes marked) into a PNG
    at ``path``: a linear axis from 0, or a log axis from a tenth of the
    smallest class where the classes span more than :data:`LOG_SPAN`.
    Uses matplotlib's object API (no pyplot, no change to the global
    backend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    count = len(classes)
    # ~0.12 in per bar keeps 150 names legible; at least a small figure
    figure = Figure(figsize=(max(6.0, 0.12 * count + 1.5), 4.5),
                    tight_layout=True)
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    positions = range(count)
    # absent classes get no bar (log(0) is undefined) and a red name
    heights = [p if p > 0 else float('nan') for p in pixels]
    bars = ax.bar(positions, heights, color='tab:blue', width=0.8)
    log = uses_log_scale(pixels)
    if log:
        ax.set_yscale('log')
        ax.set_ylim(bottom=min(p for p in pixels if p > 0) / 10)
    else:
        ax.set_ylim(bottom=0)
    if count <= 40:  # room for a number on each bar
        ax.bar_label(bars, labels=[_short(p) if p else '' for p in pixels],
                     fontsize=8)
    ax.set_xticks(list(positions))
    ax.set_xticklabels(classes, rotation=90,
                       fontsize=7 if count > 40 else 9)
    for label, value in zip(ax.get_xticklabels(), pixels):
        if not value:
            label.set_color('tab:red')
    ax.set_xlim(-0.6, count - 0.4)
    ax.set_ylabel('pixels (log scale)' if log else 'pixels')
    absent = sum(1 for p in pixels if not p)
    ax.set_title((title + ': ' if title else '') + f'{count} classes'
                 + (f', {absent} without pixels (red)' if absent else ''))
    figure.savefig(path, dpi=100)
