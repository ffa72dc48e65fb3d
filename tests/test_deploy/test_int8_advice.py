"""Why an int8 file was refused: the check tells near-ties (a barely trained
model, whose best two classes are nearly tied at most pixels) from a bad
calibration (clearly decided pixels flipped), and the advice follows."""
import torch

from inceptionnext_seg.deploy.images import PipelineImage
from inceptionnext_seg.deploy.quantize import (int8_failure_advice,
                                               verify_on_images)


class _Wrapper(torch.nn.Module):
    align_corners = False

    def __init__(self, logits):
        super().__init__()
        self.logits = logits

    def forward(self, image):
        return self.logits


def _report(flip):
    # 2 classes, 10 pixels: the first 8 near-ties (margin 1% of the
    # largest logit), the last 2 clearly class 0.
    logits = torch.zeros(1, 2, 1, 10)
    logits[0, 0] = torch.tensor([1.01] * 8 + [10.0, 10.0])
    logits[0, 1] = torch.tensor([1.0] * 8 + [0.0, 0.0])
    flipped = logits.clone()
    flipped[0, :, 0, flip] = flipped[0, :, 0, flip].flip(0)
    image = PipelineImage(name='x', image=torch.zeros(1, 3, 1, 10).numpy(),
                          labels=None, original_shape=(1, 10))
    return verify_on_images(lambda x: flipped, _Wrapper(logits), [image], 2)


def test_flipped_near_ties_point_at_the_training():
    report = _report(flip=list(range(8)))
    assert not report['ok'] and report['agreement'] == 0.2
    assert report['near_tie_share'] == 0.8
    assert report['decided_agreement'] == 1.0
    advice = int8_failure_advice(report)
    assert 'near-ties: 80.0% of the pixels' in advice
    assert 'train it longer, or use the float32 ONNX file' in advice


def test_flipped_decided_pixels_point_at_the_calibration():
    report = _report(flip=[8, 9])
    assert report['decided_agreement'] == 0.0
    assert 'calibrate on more images' in int8_failure_advice(report)
