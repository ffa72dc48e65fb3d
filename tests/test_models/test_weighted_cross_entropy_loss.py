"""WeightedCrossEntropyLoss: PyTorch's weighted mean over the labelled
pixels, ignored ones left out; and the mmseg bug it is there for."""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

import inceptionnext_seg.models  # noqa: F401  (registers the loss)


def build(**cfg):
    init_default_scope('mmseg')
    return MODELS.build(cfg)


def test_the_weighted_mean_over_labelled_pixels():
    loss = build(type='WeightedCrossEntropyLoss', class_weight=[0.5, 2.0],
                 loss_weight=0.4)
    torch.manual_seed(0)
    logits = torch.randn(2, 2, 4, 4)
    labels = torch.randint(0, 2, (2, 4, 4))
    labels[0, :2] = 255
    expected = torch.nn.functional.cross_entropy(
        logits, labels, weight=torch.tensor([0.5, 2.0]), ignore_index=255)
    assert float(loss(logits, labels, ignore_index=255)) == pytest.approx(
        0.4 * float(expected), rel=1e-5)
    assert loss.loss_name == 'loss_ce'
    with pytest.raises(ValueError, match='2 values for 3 classes'):
        loss(torch.zeros(1, 3, 2, 2), torch.zeros(1, 2, 2, dtype=torch.long))
    with pytest.raises(ValueError, match='use_sigmoid'):
        build(type='WeightedCrossEntropyLoss', class_weight=[1.0, 1.0],
              use_sigmoid=True)


def test_mmsegs_own_loss_still_fails_on_ignored_pixels_with_weights():
    """Why WeightedCrossEntropyLoss: mmseg 1.2's CrossEntropyLoss indexes
    the class weights with every label, the ignore index included (when
    this fails, mmseg has fixed it and its own loss will do)."""
    init_default_scope('mmseg')
    loss = MODELS.build(dict(type='CrossEntropyLoss',
                             class_weight=[1.0, 2.0]))
    with pytest.raises(IndexError, match='255'):
        loss(torch.zeros(1, 2, 2, 2), torch.tensor([[[0, 1], [1, 255]]]),
             ignore_index=255)
