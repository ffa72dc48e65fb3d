"""Each training sample's random augmentations drawn from its own seed.

The seed is a function of the run's seed and the sample's position in the
training stream (:class:`~.samplers.SampleSeededInfiniteSampler` hands it over
with the index). So a sample's augmentations do not depend on which process
loads it, how many workers there are, or how the stream was fast-forwarded on
a resume: mmengine replays the skipped batches through the dataloader, the
maintained fork (onedl-mmengine) skips them at the sampler without loading
them, and both then see the same augmentations as an uninterrupted run.
"""
import random
from contextlib import contextmanager
from typing import Iterator, Optional

import numpy as np
import torch

__all__ = ['SeededIndex', 'sample_seed', 'seeded_randomness',
           'SampleSeededDataset']


def sample_seed(run_seed: int, position: int) -> int:
    """The 32-bit seed of the sample at ``position`` of a run's stream."""
    entropy = [int(run_seed) % 2**64, int(position)]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


class SeededIndex(int):
    """A dataset index that carries the run's seed and its position in the
    training stream, from which its sample's randomness is seeded
    (:attr:`seed`, computed where the sample is loaded).

    It is an ``int`` everywhere else (indexing, arithmetic, a dataset that
    ignores the seed), and it pickles with both into dataloader workers.
    """

    def __new__(cls, index: int, run_seed: int,
                position: int) -> 'SeededIndex':
        obj = super().__new__(cls, index)
        obj.run_seed, obj.position = run_seed, position
        return obj

    def __getnewargs__(self):
        return int(self), self.run_seed, self.position

    @property
    def seed(self) -> int:
        return sample_seed(self.run_seed, self.position)

    def __repr__(self) -> str:
        return (f'SeededIndex({int(self)}, run_seed={self.run_seed}, '
                f'position={self.position})')


@contextmanager
def seeded_randomness(seed: Optional[int]) -> Iterator[None]:
    """Seed Python's, NumPy's and torch's CPU generators with ``seed`` inside,
    and give them back their states after (the training step's RNG in the
    main process is left as it was). ``None`` leaves them alone."""
    if seed is None:
        yield
        return
    py_state, np_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        random.seed(seed)
        np.random.seed(seed)
        torch.default_generator.manual_seed(seed)
        try:
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)


class SampleSeededDataset:
    """Mixin for an mmengine ``BaseDataset``: a :class:`SeededIndex` seeds
    everything random in loading that sample, the pipeline's augmentations
    and the replacement drawn for a skipped one. Plain indices (validation,
    test, another sampler) load as before."""

    def __getitem__(self, idx: int) -> dict:
        with seeded_randomness(getattr(idx, 'seed', None)):
            return super().__getitem__(idx)
