"""mmseg extensions of this project: importing the package registers them.

Configs import it with ``custom_imports`` next to ``backbones``.
"""
import backbones  # noqa: F401  (mmcv-lite shim first, backbone registered)

from .datasets import ADE20K_HELP, CheckedADE20KDataset  # noqa: E402
from .engine import (CPUDistributedDataParallel,  # noqa: E402
                     PlainCheckpointHook, ProgressBarHook,
                     load_local_checkpoint_safely)

__all__ = [
    'CheckedADE20KDataset', 'ADE20K_HELP', 'CPUDistributedDataParallel',
    'PlainCheckpointHook', 'ProgressBarHook', 'load_local_checkpoint_safely'
]
