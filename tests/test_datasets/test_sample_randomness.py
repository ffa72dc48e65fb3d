"""Each training sample's augmentations come from (run seed, its position in
the stream), however the stream is reached: iterated, sliced per rank, or
fast-forwarded with the fork's ``InfiniteSampler.skip``."""
import itertools
import pickle
import random

import numpy as np
import pytest
import torch
from mmengine.dataset import InfiniteSampler
from mmengine.registry import init_default_scope

from inceptionnext_seg.datasets import (CheckedADE20KDataset,
                                        SampleSeededInfiniteSampler,
                                        SeededIndex)
from inceptionnext_seg.datasets.synthetic_ade20k import make_ade20k_like

pytestmark = pytest.mark.compat

# Random in every way mmseg's training pipelines are: a crop, a flip and
# photometric distortion (NumPy), and a resize ratio range.
PIPELINE = [
    dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(96, 64), ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=(32, 32)),
    dict(type='RandomFlip', prob=0.5), dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')]


def take(sampler_or_iterator, count):
    return [(int(i), i.seed)
            for i in itertools.islice(iter(sampler_or_iterator), count)]


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    root = make_ade20k_like(tmp_path_factory.mktemp('d') / 'ADE', num_train=3,
                            num_val=1, size=(64, 96))
    init_default_scope('mmseg')
    return CheckedADE20KDataset(
        data_root=str(root), pipeline=PIPELINE,
        data_prefix=dict(img_path='images/training',
                         seg_map_path='annotations/training'))


def test_the_index_stream_is_mmengines_with_a_seed_per_position():
    seeded = SampleSeededInfiniteSampler(list(range(5)), seed=3)
    plain = InfiniteSampler(list(range(5)), seed=3)
    stream = take(seeded, 12)
    assert [i for i, _ in stream] == list(itertools.islice(iter(plain), 12))
    assert len({s for _, s in stream}) == 12  # a new seed at every position
    assert take(SampleSeededInfiniteSampler(list(range(5)), seed=3), 12) == \
        stream
    assert take(SampleSeededInfiniteSampler(list(range(5)), seed=4), 12) != \
        stream


def test_each_rank_gets_its_slice_of_the_one_stream():
    whole = take(SampleSeededInfiniteSampler(list(range(5)), seed=3), 12)
    for rank in (0, 1):
        sampler = SampleSeededInfiniteSampler(list(range(5)), seed=3)
        sampler.rank, sampler.world_size = rank, 2
        sampler.indices = sampler._indices_of_rank()
        assert take(sampler, 6) == whole[rank::2]


@pytest.mark.compat
def test_a_fast_forwarded_stream_continues_with_the_same_seeds():
    """The fork's loop resumes with ``sampler.skip(n)``; mmengine's replays
    the batches. Both continue the stream at the same indices and seeds."""
    whole = take(SampleSeededInfiniteSampler(list(range(5)), seed=3), 12)
    replayed = iter(SampleSeededInfiniteSampler(list(range(5)), seed=3))
    take(replayed, 8)
    assert take(replayed, 4) == whole[8:]
    skipped = SampleSeededInfiniteSampler(list(range(5)), seed=3)
    if not hasattr(skipped, 'skip'):
        pytest.skip("this mmengine's InfiniteSampler has no skip (only "
                    "onedl-mmengine's has)")
    skipped.skip(8)
    assert take(skipped, 4) == whole[8:]


def test_a_seeded_index_is_an_int_that_pickles_with_its_seed():
    index = SeededIndex(4, 7, 123)
    again = pickle.loads(pickle.dumps(index))
    assert (again, again.seed, again + 1) == (4, index.seed, 5)
    assert [10, 11, 12, 13, 14][again] == 14


def fingerprint(sample):
    return (sample['inputs'].numpy().tobytes(),
            sample['data_samples'].gt_sem_seg.data.numpy().tobytes())


def test_a_sample_is_augmented_from_its_own_seed(dataset):
    """The same seeded index gives the same sample whatever the generators'
    states; another position gives other augmentations; the generators of
    the process are left as they were."""
    first = fingerprint(dataset[SeededIndex(1, 7, 5)])
    random.seed(1), np.random.seed(1), torch.manual_seed(1)
    states = (random.getstate(), np.random.get_state()[1].copy(),
              torch.get_rng_state())
    assert fingerprint(dataset[SeededIndex(1, 7, 5)]) == first
    assert random.getstate() == states[0]
    assert np.array_equal(np.random.get_state()[1], states[1])
    assert torch.equal(torch.get_rng_state(), states[2])
    others = {fingerprint(dataset[SeededIndex(1, 7, p)]) for p in range(6, 9)}
    assert first not in others and len(others) == 3


def test_plain_indices_use_the_process_generators(dataset):
    """Validation and other samplers: as mmengine does it."""
    np.random.seed(2)
    a = fingerprint(dataset[1])
    assert fingerprint(dataset[1]) != a
    np.random.seed(2)
    assert fingerprint(dataset[1]) == a


def test_a_dataset_that_ignores_the_seeds_is_named(dataset, monkeypatch):
    from inceptionnext_seg.datasets.samplers import \
        sample_seeded_infinite_sampler as module
    said = []
    monkeypatch.setattr(module, 'print_log',
                        lambda message, **kwargs: said.append(message))
    SampleSeededInfiniteSampler(dataset, seed=0)
    assert said == []
    SampleSeededInfiniteSampler(list(range(3)), seed=0)
    assert len(said) == 1 and said[0].startswith(
        'list does not seed its samples') and 'onedl-mmengine' in said[0]
