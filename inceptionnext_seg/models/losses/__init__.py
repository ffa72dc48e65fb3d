"""Losses (mmseg's ``MODELS``)."""
from .weighted_cross_entropy_loss import WeightedCrossEntropyLoss

__all__ = ['WeightedCrossEntropyLoss']
