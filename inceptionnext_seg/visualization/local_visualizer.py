"""mmseg's visualizer, drawing images of any memory layout."""
import numpy as np
from mmseg.registry import VISUALIZERS
from mmseg.visualization import SegLocalVisualizer

__all__ = ['ContiguousSegLocalVisualizer']


@VISUALIZERS.register_module()
class ContiguousSegLocalVisualizer(SegLocalVisualizer):
    """mmseg's ``SegLocalVisualizer`` for images of any memory layout.

    mmseg 1.2.2 writes class names with ``cv2.rectangle`` into
    ``np.zeros_like(image)``, which OpenCV refuses when the image is not
    C-contiguous; mmseg's own ``browse_dataset.py`` passes such images
    (channel-flipped views of CHW tensors), so it fails on every dataset
    (open-mmlab/mmsegmentation#3405). The image is made contiguous first.
    """

    def add_datasample(self, name, image, *args, **kwargs):
        return super().add_datasample(name, np.ascontiguousarray(image),
                                      *args, **kwargs)
