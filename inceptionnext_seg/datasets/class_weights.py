"""Class weights for the loss from the class frequencies that the inspector
counts: median frequency balancing (Eigen and Fergus, "Predicting Depth,
Surface Normals and Semantic Labels with a Common Multi-Scale Convolutional
Architecture", ICCV 2015, section 4.4, as SegNet uses it):

    f_c = (pixels of class c) / (pixels of the images in which c occurs)
    w_c = median over the classes of f / f_c

A class with the median frequency weighs 1, a rarer one more, a commoner
one less. A class without pixels gets 1 (it has no loss term to weigh).
The project's ``WeightedCrossEntropyLoss`` takes them (both heads; mmseg's
own ``CrossEntropyLoss`` stops on class weights at the first ignored
pixel); the own-data templates take them in one line,
``class_weight = [...]``.
"""
from typing import Dict, List, Sequence

import numpy as np

__all__ = ['WEIGHTING', 'median_frequency_weights', 'class_weight_lines']

#: How the weights are computed, as the reports name it.
WEIGHTING = ('median frequency balancing (Eigen & Fergus 2015): w_c = '
             'median(f) / f_c, f_c = pixels of c / pixels of the images '
             'holding c')


def median_frequency_weights(class_pixels: Sequence[int],
                             image_pixels: Sequence[int],
                             digits: int = 3) -> List[float]:
    """Each class's weight (see the module docstring).

    Args:
        class_pixels: each class's labelled pixels.
        image_pixels: for each class, the pixels of the images (masks) in
            which it occurs.
        digits: decimals kept.
    """
    freq = np.array([p / n if n else 0.0
                     for p, n in zip(class_pixels, image_pixels)])
    present = freq > 0
    if not present.any():
        return [1.0] * len(freq)
    median = float(np.median(freq[present]))
    return [round(float(median / f), digits) if f > 0 else 1.0
            for f in freq]


def class_weight_lines(weights: Sequence[float]) -> Dict[str, str]:
    """The weights as a config takes them: the own-data templates' one line
    and the ``--cfg-options`` of any config with a decode and an auxiliary
    head (``WeightedCrossEntropyLoss`` in both)."""
    values = '[' + ', '.join(f'{w:g}' for w in weights) + ']'
    compact = values.replace(' ', '')
    options = ' '.join(
        f'model.{head}.loss_decode.type=WeightedCrossEntropyLoss '
        f'model.{head}.loss_decode.class_weight="{compact}"'
        for head in ('decode_head', 'auxiliary_head'))
    return {'template': f'class_weight = {values}',
            'cfg_options': f'--cfg-options {options}'}
