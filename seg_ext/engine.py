"""Runtime pieces for mmengine's Runner: CPU DDP, safe checkpoint loading and
a test progress bar."""
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import HOOKS, MODEL_WRAPPERS
from mmengine.runner import CheckpointLoader
from mmengine.utils import ProgressBar

from backbones.checkpoint import read_checkpoint

_BUFFER_TAG = '__mmengine_history_buffer__'


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_local_checkpoint_safely(filename: str,
                                 map_location: Optional[str] = None):
    """mmengine's local checkpoint loader, without unpickling code.

    Replaces ``mmengine.runner.checkpoint.load_from_local`` for every local
    file (``resume``, ``load_from``, ``tools/test.py CHECKPOINT``): the file is
    read with ``weights_only=True``, and a file that would run code when
    unpickled is refused with a message. Checkpoints written with
    :class:`PlainCheckpointHook` hold only tensors and plain values.
    """
    checkpoint = read_checkpoint(filename)
    if map_location not in (None, 'cpu'):
        checkpoint = _to_device(checkpoint, map_location)
    return checkpoint


def _to_device(obj, device):
    if torch.is_tensor(obj):
        return obj.to(device)
    if isinstance(obj, dict):
        return type(obj)((k, _to_device(v, device)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_device(v, device) for v in obj)
    return obj


def _to_plain(obj):
    """Replace mmengine/numpy objects by tensors and plain containers."""
    if isinstance(obj, HistoryBuffer):
        return {_BUFFER_TAG: True, 'max_length': obj.max_length,
                'log': torch.from_numpy(np.asarray(obj._log_history)),
                'count': torch.from_numpy(np.asarray(obj._count_history))}
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return type(obj)((k, _to_plain(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_plain(v) for v in obj)
    return obj


def _from_plain(obj):
    if isinstance(obj, dict):
        if obj.get(_BUFFER_TAG):
            buffer = HistoryBuffer(max_length=obj['max_length'])
            buffer._log_history = obj['log'].numpy()
            buffer._count_history = obj['count'].numpy()
            return buffer
        return type(obj)((k, _from_plain(v)) for k, v in obj.items())
    return obj


@HOOKS.register_module()
class PlainCheckpointHook(Hook):
    """Write checkpoints that ``torch.load(weights_only=True)`` can read.

    mmengine 0.10.7 pickles its message hub's ``HistoryBuffer`` objects, whose
    pickles call ``getattr``: torch >= 2.6 then refuses to resume from them,
    and allowing ``getattr`` would let any file run code. This hook stores the
    buffers as tensors and plain values, and turns them back on load.
    """

    priority = 'VERY_HIGH'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.update(_to_plain(dict(checkpoint)))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'message_hub' in checkpoint:
            checkpoint['message_hub'] = _from_plain(checkpoint['message_hub'])


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """mmengine's DDP wrapper for processes without a GPU.

    The Runner passes ``device_ids=[LOCAL_RANK]``, which DDP rejects for CPU
    modules; this wrapper drops them.
    """

    def __init__(self, module, device_ids=None, **kwargs):
        kwargs.setdefault('broadcast_buffers', False)
        super().__init__(module=module, device_ids=None, **kwargs)


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """A progress bar over the test or validation set (rank 0 only)."""

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._bar = None

    def _start(self, runner, dataloader) -> None:
        if runner.rank == 0:
            self._bar = ProgressBar(len(dataloader))

    def _step(self, runner) -> None:
        if self._bar is not None:
            # Each rank sees its share of the data; rank 0 counts them all.
            for _ in range(runner.world_size):
                if self._bar.completed < self._bar.task_num:
                    self._bar.update()

    def _end(self, runner) -> None:
        if self._bar is not None:
            self._bar.file.write('\n')
            self._bar = None

    def before_test_epoch(self, runner) -> None:
        self._start(runner, runner.test_dataloader)

    def before_val_epoch(self, runner) -> None:
        self._start(runner, runner.val_dataloader)

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None) -> None:
        self._step(runner)

    def after_val_iter(self, runner, batch_idx, data_batch=None,
                       outputs=None) -> None:
        self._step(runner)

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._end(runner)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._end(runner)
