"""Drawing (mmseg's ``VISUALIZERS``): the visualizer for any image layout and
the training curves; ``report``, the HTML evaluation report (imported by
name: nothing in it is registered)."""
from .local_visualizer import ContiguousSegLocalVisualizer
from .training_curves import plot_curves

__all__ = ['ContiguousSegLocalVisualizer', 'plot_curves']
