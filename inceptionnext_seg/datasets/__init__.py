"""Datasets and transforms (mmseg's ``DATASETS`` and ``TRANSFORMS``)."""
from .ade20k import ADE20K_HELP, CheckedADE20KDataset
from .cityscapes import CITYSCAPES_HELP, CheckedCityscapesDataset
from .folder import (CheckedFolderDataset, DatasetConfigError,
                     DatasetLayoutError, read_classes_file)
from .sample_randomness import SampleSeededDataset, SeededIndex
from .samplers import SampleSeededInfiniteSampler
from .transforms import (CheckedLoadAnnotations, CheckedLoadImageFromFile,
                         CorruptSampleError)

__all__ = [
    'ADE20K_HELP', 'CITYSCAPES_HELP', 'CheckedADE20KDataset',
    'CheckedCityscapesDataset', 'CheckedFolderDataset', 'DatasetConfigError',
    'DatasetLayoutError', 'read_classes_file', 'SampleSeededDataset',
    'SampleSeededInfiniteSampler', 'SeededIndex', 'CheckedLoadAnnotations',
    'CheckedLoadImageFromFile', 'CorruptSampleError'
]
