"""Drawing segmentations with mmseg's visualizer, without its two failures."""
import os

import mmcv
import numpy as np
from mmengine import fileio
from mmengine.registry import HOOKS
from mmseg.engine.hooks import SegVisualizationHook
from mmseg.registry import VISUALIZERS
from mmseg.visualization import SegLocalVisualizer

__all__ = ['ContiguousSegLocalVisualizer', 'TestVisualizationHook']


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


@HOOKS.register_module()
class TestVisualizationHook(SegVisualizationHook):
    """mmseg's ``SegVisualizationHook`` that works without a training set.

    mmseg 1.2.2 passes ``runner.iter`` as the step of each drawing; at test
    time that builds the training loop and its dataset, so
    ``test.py --show-dir`` fails on a machine that has only the validation
    images. Test drawings here use step 0 (file names stay unique).
    """

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs=None) -> None:
        if not self.draw:
            return
        for output in outputs:
            img_bytes = fileio.get(output.img_path,
                                   backend_args=self.backend_args)
            img = mmcv.imfrombytes(img_bytes, channel_order='rgb')
            self._visualizer.add_datasample(
                f'test_{os.path.basename(output.img_path)}', img,
                data_sample=output, show=self.show,
                wait_time=self.wait_time, step=0)
