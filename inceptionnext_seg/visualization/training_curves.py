"""The picture of a training run: loss, learning rate and validation metrics
against iterations (drawn by ``TrainingCurvesHook``)."""
from typing import Dict

__all__ = ['plot_curves']


def plot_curves(history: Dict[str, list], path: str, title: str = '') -> None:
    """Draw ``history`` (``train``: [iter, loss, lr] rows, ``val``:
    [iter, {metric: value}] rows) into a PNG at ``path``. Uses matplotlib's
    object API (no pyplot, no change to the global backend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    figure = Figure(figsize=(7, 8), tight_layout=True)
    FigureCanvasAgg(figure)
    loss_ax, lr_ax, val_ax = figure.subplots(3, 1, sharex=True)
    train = history.get('train', [])
    if train:
        iters = [row[0] for row in train]
        loss_ax.plot(iters, [row[1] for row in train], color='tab:blue')
        lr_ax.plot(iters, [row[2] for row in train], color='tab:orange')
    loss_ax.set_ylabel('train loss')
    lr_ax.set_ylabel('learning rate')
    lr_ax.ticklabel_format(axis='y', style='sci', scilimits=(-2, 2))
    val = history.get('val', [])
    for name in sorted({k for _, metrics in val for k in metrics}):
        points = [(it, m[name]) for it, m in val if name in m]
        val_ax.plot([p[0] for p in points], [p[1] for p in points],
                    marker='o', label=name)
    if val:
        val_ax.legend(loc='lower right')
    val_ax.set_ylabel('validation (%)')
    val_ax.set_xlabel('iteration')
    for ax in (loss_ax, lr_ax, val_ax):
        ax.grid(alpha=0.3)
    if title:
        loss_ax.set_title(title)
    figure.savefig(path, dpi=100)
