from .loading import (CheckedLoadAnnotations, CheckedLoadImageFromFile,
                      CorruptSampleError, jpeg_truncation)

__all__ = [
    'CheckedLoadAnnotations', 'CheckedLoadImageFromFile',
    'CorruptSampleError', 'jpeg_truncation'
]
