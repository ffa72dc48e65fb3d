"""Drawing (mmseg's ``VISUALIZERS``): the visualizer for any image layout,
the training curves and a dataset's class frequencies; ``report``, the HTML
evaluation report rendered from the results ``evaluation`` saved (imported
by name: nothing in it is registered; the one module here that reads
``evaluation``, which never imports this package)."""
from .class_frequencies import plot_class_pixels
from .local_visualizer import ContiguousSegLocalVisualizer
from .training_curves import plot_curves

__all__ = ['ContiguousSegLocalVisualizer', 'plot_class_pixels',
           'plot_curves']
