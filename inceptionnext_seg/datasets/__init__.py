"""Datasets and transforms (mmseg's ``DATASETS`` and ``TRANSFORMS``)."""
from .ade20k import ADE20K_HELP, CheckedADE20KDataset, DatasetLayoutError
from .sample_randomness import SampleSeededDataset, SeededIndex
from .samplers import SampleSeededInfiniteSampler
from .transforms import (CheckedLoadAnnotations, CheckedLoadImageFromFile,
                         CorruptSampleError)

__all__ = [
    'ADE20K_HELP', 'CheckedADE20KDataset', 'DatasetLayoutError',
    'SampleSeededDataset', 'SampleSeededInfiniteSampler', 'SeededIndex',
    'CheckedLoadAnnotations', 'CheckedLoadImageFromFile', 'CorruptSampleError'
]
