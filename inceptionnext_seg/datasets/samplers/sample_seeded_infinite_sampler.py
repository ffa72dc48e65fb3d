"""mmengine's ``InfiniteSampler`` whose indices carry each sample's seed (the
training samplers of the configs)."""
from typing import Iterator

from mmengine.dataset import InfiniteSampler
from mmengine.logging import print_log
from mmseg.registry import DATA_SAMPLERS

from ..sample_randomness import SampleSeededDataset, SeededIndex

__all__ = ['SampleSeededInfiniteSampler']


@DATA_SAMPLERS.register_module()
class SampleSeededInfiniteSampler(InfiniteSampler):
    """The same index stream as ``InfiniteSampler`` (same seed, same order,
    the same slice per rank, and the fork's ``skip``), each index a
    :class:`~..sample_randomness.SeededIndex` whose seed is drawn from the
    run's seed and the index's position in the stream of all ranks.

    A dataset with :class:`~..sample_randomness.SampleSeededDataset` then
    draws each sample's augmentations from that seed, so a resumed run sees
    the augmentations of an uninterrupted one whichever way the stream is
    fast-forwarded. Any other dataset gets plain indices' behaviour; the
    sampler says so once.
    """

    def __init__(self, dataset, shuffle: bool = True, seed=None) -> None:
        super().__init__(dataset, shuffle=shuffle, seed=seed)
        if not isinstance(dataset, SampleSeededDataset):
            print_log(
                f'{type(dataset).__name__} does not seed its samples from '
                f'{type(self).__name__}\'s indices (it lacks '
                'inceptionnext_seg.datasets.SampleSeededDataset): its random '
                'augmentations after a resume depend on the dataloader '
                'workers and, on onedl-mmengine, differ from an uninterrupted '
                'run.', logger='current', level=30)

    def _infinite_indices(self) -> Iterator[int]:
        for position, index in enumerate(super()._infinite_indices()):
            yield SeededIndex(index, self.seed, position)
