"""Optimizer wrappers and constructors (mmseg's ``OPTIM_WRAPPERS`` and
``OPTIM_WRAPPER_CONSTRUCTORS``)."""
from .bf16_optim_wrapper import BF16OptimWrapper
from .layer_decay_optimizer_constructor import (
    InceptionNeXtLearningRateDecayOptimizerConstructor, convnext_name)

__all__ = [
    'BF16OptimWrapper', 'InceptionNeXtLearningRateDecayOptimizerConstructor',
    'convnext_name'
]
