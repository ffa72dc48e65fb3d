"""mmseg's visualizer, drawing images of any memory layout, and with a
caption over each pane of the pictures it writes to a file."""
from typing import List, Optional

import cv2
import mmcv
import numpy as np
from mmseg.registry import VISUALIZERS
from mmseg.visualization import SegLocalVisualizer

__all__ = ['ContiguousSegLocalVisualizer', 'with_captions']

#: The height of the caption strip over the panes, in pixels.
CAPTION_HEIGHT = 22


def with_captions(drawn: np.ndarray, captions: List[str]) -> np.ndarray:
    """``drawn`` (panes of equal width side by side, RGB) under a white
    strip that names each pane."""
    height, width = drawn.shape[:2]
    strip = np.full((CAPTION_HEIGHT, width, 3), 255, np.uint8)
    pane = width // max(len(captions), 1)
    for i, caption in enumerate(captions):
        cv2.putText(strip, caption, (i * pane + 4, CAPTION_HEIGHT - 7),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1,
                    cv2.LINE_AA)
    return np.concatenate([strip, drawn], axis=0)


@VISUALIZERS.register_module()
class ContiguousSegLocalVisualizer(SegLocalVisualizer):
    """mmseg's ``SegLocalVisualizer`` for images of any memory layout, whose
    pictures written to a file (``out_file``) say what each pane is.

    mmseg 1.2.2 writes class names with ``cv2.rectangle`` into
    ``np.zeros_like(image)``, which OpenCV refuses when the image is not
    C-contiguous; mmseg's own ``browse_dataset.py`` passes such images
    (channel-flipped views of CHW tensors), so it fails on every dataset
    (open-mmlab/mmsegmentation#3405). The image is made contiguous first.
    mmseg puts the ground truth and the prediction side by side with no
    caption; the written file has one over each.
    """

    _captured: Optional[list] = None

    def add_datasample(self, name, image, data_sample=None, draw_gt=True,
                       draw_pred=True, show=False, wait_time=0,
                       out_file=None, step=0, **kwargs):
        image = np.ascontiguousarray(image)
        if out_file is None or show:
            return super().add_datasample(
                name, image, data_sample, draw_gt, draw_pred, show,
                wait_time, out_file, step, **kwargs)
        # mmseg's drawing, taken where it would go to the backends
        self._captured = []
        try:
            super().add_datasample(name, image, data_sample, draw_gt,
                                   draw_pred, False, wait_time, None, step,
                                   **kwargs)
            drawn = self._captured[0]
        finally:
            self._captured = None
        captions = [caption for caption, drawn_pane in (
            ('ground truth', draw_gt and data_sample is not None
             and 'gt_sem_seg' in data_sample),
            ('prediction', draw_pred and data_sample is not None
             and 'pred_sem_seg' in data_sample)) if drawn_pane]
        if not captions:
            captions = ['image']
        mmcv.imwrite(mmcv.rgb2bgr(with_captions(drawn, captions)), out_file)

    def add_image(self, name: str, image: np.ndarray, step: int = 0) -> None:
        if self._captured is not None:
            self._captured.append(image)
            return
        super().add_image(name, image, step)
