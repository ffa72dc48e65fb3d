"""Writing checkpoints that are safe to read back: plain values only
(``PlainCheckpointHook``) and atomic files (the ``atomic_local`` backend)."""
import errno
import os
import shutil
from pathlib import Path
from typing import Any, Union

import numpy as np
import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import HistoryBuffer

from .reading import CheckpointError

__all__ = ['to_plain', 'from_plain', 'AtomicLocalBackend']

_BUFFER_TAG = '__mmengine_history_buffer__'


def to_plain(obj: Any) -> Any:
    """Replace mmengine ``HistoryBuffer``s and numpy objects by tensors and
    plain containers, so ``torch.load(weights_only=True)`` reads them with no
    allowlist."""
    if isinstance(obj, HistoryBuffer):
        log, count = obj.data
        return {_BUFFER_TAG: True, 'max_length': obj.max_length,
                'log': torch.from_numpy(np.asarray(log)),
                'count': torch.from_numpy(np.asarray(count))}
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return type(obj)((k, to_plain(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_plain(v) for v in obj)
    return obj


def from_plain(obj: Any) -> Any:
    """Turn the buffers stored by :func:`to_plain` back into
    ``HistoryBuffer``s (anything else is returned as it is).

    The tensors may be on a GPU: mmengine's ``Runner.resume`` loads with
    ``map_location=get_device()``, so on a GPU machine they arrive there, and
    a ``HistoryBuffer`` holds numpy arrays, which only CPU tensors give.
    """
    if isinstance(obj, dict):
        if obj.get(_BUFFER_TAG):
            return HistoryBuffer(obj['log'].cpu().numpy(),
                                 obj['count'].cpu().numpy(),
                                 obj['max_length'])
        return type(obj)((k, from_plain(v)) for k, v in obj.items())
    return obj


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """Local files written to a temporary name, synced, then renamed.

    A process killed while writing a checkpoint (or ``last_checkpoint``)
    leaves the previous file intact and never a half-written one under the
    final name; a full disk stops the run with a
    :class:`~inceptionnext_seg.checkpoint.CheckpointError` that says so.
    The configs select it for the checkpoint hook with
    ``backend_args=dict(backend='atomic_local')``.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        filepath = str(filepath)
        os.makedirs(os.path.dirname(filepath) or '.', exist_ok=True)
        tmp = f'{filepath}.tmp-{os.getpid()}'
        try:
            with open(tmp, 'wb') as f:
                f.write(obj)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, filepath)
        except OSError as err:
            if err.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            folder = os.path.dirname(filepath) or '.'
            raise CheckpointError(
                f'The disk is full: could not write {filepath} '
                f'({len(obj) / 1e6:.0f} MB; {os.strerror(err.errno)}; '
                f'{shutil.disk_usage(folder).free / 1e6:.0f} MB free in '
                f'{folder}). Nothing was written under that name and the '
                f'previous checkpoints are intact: free space (or lower '
                f'max_keep_ckpts), then run the same command to resume from '
                f'the newest of them.') from err
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    def put_text(self, obj: str, filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)
