"""mmseg's softmax cross-entropy with class weights that works where the
labels hold the ignore index.

mmseg 1.2's ``cross_entropy`` (``models/losses/cross_entropy_loss.py``)
averages a class-weighted loss over the pixels' class weights, which it
looks up by indexing ``class_weight`` with every label, the ignore index
included: the first crop with a padded or void pixel stops training with
``IndexError: index 255 is out of bounds for dimension 0 with size C``. With
``avg_non_ignore=False`` (its default) the ignored pixels' weights would
count in the mean as well. Here the mean is PyTorch's weighted mean
(``F.cross_entropy(..., weight=class_weight)``): the sum of each labelled
pixel's loss times its class's weight over the sum of those weights, the
ignored pixels left out of both.
"""
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmseg.models.losses import CrossEntropyLoss
from mmseg.models.losses.utils import weight_reduce_loss
from mmseg.registry import MODELS

__all__ = ['WeightedCrossEntropyLoss']


@MODELS.register_module()
class WeightedCrossEntropyLoss(CrossEntropyLoss):
    """Softmax cross-entropy weighted by class (see the module docstring).

    Args:
        class_weight: One weight per class (a list, or a file as mmseg's
            ``get_class_weight`` reads it), e.g. the line
            ``tools/analysis_tools/check_dataset.py`` prints.
        **kwargs: mmseg's ``CrossEntropyLoss`` arguments (``loss_weight``,
            ``loss_name``, ``reduction``); not ``use_sigmoid`` or
            ``use_mask``.
    """

    def __init__(self, class_weight: Union[Sequence[float], str],
                 **kwargs) -> None:
        if kwargs.get('use_sigmoid') or kwargs.get('use_mask'):
            raise ValueError('WeightedCrossEntropyLoss is the softmax '
                             'cross-entropy: use_sigmoid and use_mask are '
                             "mmseg's CrossEntropyLoss")
        if class_weight is None:
            raise ValueError('WeightedCrossEntropyLoss needs class_weight '
                             "(without it, mmseg's CrossEntropyLoss)")
        kwargs.setdefault('avg_non_ignore', True)  # no warning: we always do
        super().__init__(class_weight=class_weight, **kwargs)

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                ignore_index: int = 255, **kwargs) -> torch.Tensor:
        reduction = reduction_override or self.reduction
        class_weight = cls_score.new_tensor(self.class_weight)
        if class_weight.numel() != cls_score.shape[1]:
            raise ValueError(
                f'class_weight has {class_weight.numel()} values for '
                f'{cls_score.shape[1]} classes: give one per class')
        loss = F.cross_entropy(cls_score, label, weight=class_weight,
                               reduction='none', ignore_index=ignore_index)
        if avg_factor is None and reduction == 'mean':
            avg_factor = class_weight[label[label != ignore_index]].sum()
        if weight is not None:
            weight = weight.float()
        return self.loss_weight * weight_reduce_loss(
            loss, weight=weight, reduction=reduction, avg_factor=avg_factor)
