"""mmseg extensions of this project: importing the package registers them.

Configs import it with ``custom_imports`` next to ``backbones``.
"""
import backbones  # noqa: F401  (mmcv-lite shim first, backbone registered)

from .datasets import ADE20K_HELP, CheckedADE20KDataset  # noqa: E402
from .engine import (AtomicLocalBackend,  # noqa: E402
                     CorruptSampleReportHook, CPUDistributedDataParallel,
                     NonFiniteLossHook, PlainCheckpointHook, ProgressBarHook,
                     ResumableRandomnessHook, TestVisualizationHook,
                     latest_good_checkpoint,
                     load_local_checkpoint_safely)
from .speed import (BF16OptimWrapper,  # noqa: E402
                    ChannelsLastSegDataPreProcessor, bf16_supported)
from .transforms import (CheckedLoadAnnotations,  # noqa: E402
                         CheckedLoadImageFromFile, CorruptSampleError)

__all__ = [
    'CheckedADE20KDataset', 'ADE20K_HELP', 'CPUDistributedDataParallel',
    'PlainCheckpointHook', 'ProgressBarHook', 'load_local_checkpoint_safely',
    'AtomicLocalBackend', 'CorruptSampleReportHook', 'NonFiniteLossHook',
    'ResumableRandomnessHook', 'TestVisualizationHook',
    'latest_good_checkpoint',
    'CheckedLoadAnnotations', 'CheckedLoadImageFromFile', 'CorruptSampleError',
    'BF16OptimWrapper', 'ChannelsLastSegDataPreProcessor', 'bf16_supported'
]
