"""The picture of a dataset's class frequencies: pixels per class, log
scale (drawn by ``tools/analysis_tools/check_dataset.py``)."""
from typing import Sequence

__all__ = ['plot_class_pixels']


def plot_class_pixels(classes: Sequence[str], pixels: Sequence[int],
                      path: str, title: str = '') -> None:
    """Draw a bar per class (its pixels, log scale, absent classes marked)
    into a PNG at ``path``. Uses matplotlib's object API (no pyplot, no
    change to the global backend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    count = len(classes)
    # ~0.12 in per bar keeps 150 names legible; at least a small figure
    figure = Figure(figsize=(max(6.0, 0.12 * count + 1.5), 4.5),
                    tight_layout=True)
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    positions = range(count)
    # log(0) is undefined: absent classes get no bar and a red name
    heights = [p if p > 0 else float('nan') for p in pixels]
    ax.bar(positions, heights, color='tab:blue', width=0.8)
    ax.set_yscale('log')
    ax.set_xticks(list(positions))
    ax.set_xticklabels(classes, rotation=90,
                       fontsize=7 if count > 40 else 9)
    for label, value in zip(ax.get_xticklabels(), pixels):
        if not value:
            label.set_color('tab:red')
    ax.set_xlim(-0.6, count - 0.4)
    ax.set_ylabel('pixels (log scale)')
    absent = sum(1 for p in pixels if not p)
    ax.set_title((title + ': ' if title else '') + f'{count} classes'
                 + (f', {absent} without pixels (red)' if absent else ''))
    figure.savefig(path, dpi=100)
