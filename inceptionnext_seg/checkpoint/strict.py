"""The one strict comparison of a state dict with a model's, for the
backbone's ImageNet weights and for every segmentor checkpoint.

mmengine (and the ConvNeXt segmentation code) load with ``strict=False`` and
only log what did not fit, so a wrong checkpoint silently trains or evaluates
a half-random model. Here a difference is an error that names the missing and
unexpected keys and the shape mismatches; only the keys a caller names as
allowed to differ are let through.
"""
from dataclasses import dataclass, field
from typing import Callable, List, Mapping

import torch

from .reading import CheckpointError

__all__ = ['CheckpointMismatchError', 'StateDictDiff', 'compare_state_dicts']

#: How many keys of each kind an error message lists.
SHOWN_KEYS = 8


class CheckpointMismatchError(CheckpointError):
    """A checkpoint whose keys or shapes do not fit the model."""


def _never(key: str) -> bool:
    return False


@dataclass
class StateDictDiff:
    """What separates a checkpoint's state dict from a model's.

    Attributes:
        missing: Keys of the model that the checkpoint lacks.
        unexpected: Keys of the checkpoint that the model lacks.
        mismatched: ``'key: checkpoint (shape) vs model (shape)'`` entries.
        exempt_mismatched: Keys whose shapes differ but which the caller let
            through (they must not be loaded).
    """

    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mismatched: List[str] = field(default_factory=list)
    exempt_mismatched: List[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.missing or self.unexpected or self.mismatched)

    def lines(self) -> List[str]:
        """One line per kind of difference, listing up to ``SHOWN_KEYS``."""
        lines = []
        for name, keys in (('missing keys', self.missing),
                           ('unexpected keys', self.unexpected),
                           ('shape mismatches', self.mismatched)):
            if keys:
                shown = ', '.join(keys[:SHOWN_KEYS])
                more = ', ...' if len(keys) > SHOWN_KEYS else ''
                lines.append(f'{name} ({len(keys)}): {shown}{more}')
        return lines


def compare_state_dicts(
        model: Mapping[str, torch.Tensor],
        checkpoint: Mapping[str, torch.Tensor],
        exempt: Callable[[str], bool] = _never,
        may_be_missing: Callable[[str], bool] = _never,
        may_be_unexpected: Callable[[str], bool] = _never) -> StateDictDiff:
    """Compare a checkpoint's state dict with a model's, key by key.

    BatchNorm's ``num_batches_tracked`` counters may always be missing
    (older checkpoints lack them and they do not change results).

    Args:
        model: The model's state dict (the keys it needs, with their shapes).
        checkpoint: The state dict to load.
        exempt: Keys that may be missing, unexpected or of another shape
            (e.g. a head for another number of classes).
        may_be_missing: Keys the checkpoint need not have (new layers).
        may_be_unexpected: Keys the model ignores (parts not built).

    Returns:
        The differences; falsy when the checkpoint fits.
    """
    diff = StateDictDiff()
    for key in model:
        if key not in checkpoint and not (
                key.endswith('num_batches_tracked') or exempt(key)
                or may_be_missing(key)):
            diff.missing.append(key)
    for key, value in checkpoint.items():
        if key not in model:
            if not (exempt(key) or may_be_unexpected(key)):
                diff.unexpected.append(key)
        elif tuple(value.shape) != tuple(model[key].shape):
            if exempt(key):
                diff.exempt_mismatched.append(key)
            else:
                diff.mismatched.append(
                    f'{key}: checkpoint {tuple(value.shape)} vs model '
                    f'{tuple(model[key].shape)}')
    return diff
