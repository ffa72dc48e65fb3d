"""Stop a run before its first iteration when the model's heads and the
dataset disagree on the classes or the ignore index (in every config's
``custom_hooks``)."""
from typing import Iterator, Tuple

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS
from torch import nn

__all__ = ['HeadDatasetCheckHook', 'HeadDatasetMismatch']


class HeadDatasetMismatch(ValueError):
    """A head's ``num_classes`` or ``ignore_index`` is not its dataset's."""


def _leaf(dataset):
    """The dataset inside mmengine's wrappers (Repeat, ClassBalanced,
    Concat: the first, whose classes the others share)."""
    while True:
        if hasattr(dataset, 'datasets'):
            dataset = dataset.datasets[0]
        elif hasattr(dataset, 'dataset'):
            dataset = dataset.dataset
        else:
            return dataset


def _heads(model) -> Iterator[Tuple[str, nn.Module]]:
    model = model.module if is_model_wrapper(model) else model
    for name in ('decode_head', 'auxiliary_head'):
        head = getattr(model, name, None)
        if isinstance(head, nn.ModuleList):
            for i, one in enumerate(head):
                yield f'{name}.{i}', one
        elif head is not None:
            yield name, head


@HOOKS.register_module()
class HeadDatasetCheckHook(Hook):
    """Stop before training, validating or testing when a decode or
    auxiliary head's ``num_classes`` differs from the dataset's classes or
    its ``ignore_index`` from the dataset's.

    Neither stops mmseg: a head with more classes than the dataset trains and
    is evaluated on the dataset's classes only (its predictions of the others
    count for nothing), one with fewer fails in the loss far from its cause,
    and a head that ignores another value than the dataset trains on the
    ignored pixels. ``tools/analysis_tools/check_dataset.py CONFIG`` says the
    same before any model is built."""

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        self._check(runner, runner.train_loop.dataloader.dataset, 'train')

    def before_val(self, runner) -> None:
        self._check(runner, runner.val_loop.dataloader.dataset, 'val')

    def before_test(self, runner) -> None:
        self._check(runner, runner.test_loop.dataloader.dataset, 'test')

    @staticmethod
    def _check(runner, dataset, split: str) -> None:
        dataset = _leaf(dataset)
        classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
        ignore_index = getattr(dataset, 'ignore_index', None)
        where = f'the {split} dataset ({type(dataset).__name__})'
        for name, head in _heads(runner.model):
            num_classes = getattr(head, 'num_classes', None)
            if classes and num_classes is not None \
                    and num_classes != len(classes):
                raise HeadDatasetMismatch(
                    f'model.{name}.num_classes={num_classes}, but {where} '
                    f'has {len(classes)} classes: set num_classes='
                    f'{len(classes)} for every head (or give the dataset '
                    f'the classes the model was built for)')
            head_ignore = getattr(head, 'ignore_index', None)
            if ignore_index is not None and head_ignore is not None \
                    and head_ignore != ignore_index:
                raise HeadDatasetMismatch(
                    f'model.{name}.ignore_index={head_ignore}, but {where} '
                    f'has ignore_index={ignore_index}: the loss would '
                    f'train on the pixels the dataset ignores; use one '
                    f'value for both')
