"""Transforms (mmseg's ``TRANSFORMS``): loaders that name a corrupt file."""
from .loading import (CheckedLoadAnnotations, CheckedLoadImageFromFile,
                      CorruptSampleError, jpeg_truncation)

__all__ = [
    'CheckedLoadAnnotations', 'CheckedLoadImageFromFile',
    'CorruptSampleError', 'jpeg_truncation'
]
