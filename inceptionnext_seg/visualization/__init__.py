"""Drawing (mmseg's ``VISUALIZERS``): the visualizer for any image layout,
the training curves and a dataset's class frequencies; ``report``, the HTML
evaluation report (imported by name: nothing in it is registered)."""
from .class_frequencies import plot_class_pixels
from .local_visualizer import ContiguousSegLocalVisualizer
from .training_curves import plot_curves

__all__ = ['ContiguousSegLocalVisualizer', 'plot_class_pixels',
           'plot_curves']
