"""Writing checkpoints that are safe to read back: plain values only,
atomic files, and finding the newest complete checkpoint of a work dir."""
import os
import zipfile
from pathlib import Path
from typing import Any, List, Optional, Union

import numpy as np
import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import HistoryBuffer, print_log

__all__ = ['to_plain', 'from_plain', 'AtomicLocalBackend',
           'is_complete_checkpoint', 'latest_good_checkpoint']

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
    ``HistoryBuffer``s (anything else is returned as it is)."""
    if isinstance(obj, dict):
        if obj.get(_BUFFER_TAG):
            return HistoryBuffer(obj['log'].numpy(), obj['count'].numpy(),
                                 obj['max_length'])
        return type(obj)((k, from_plain(v)) for k, v in obj.items())
    return obj


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """Local files written to a temporary name, synced, then renamed.

    A process killed while writing a checkpoint (or ``last_checkpoint``)
    leaves the previous file intact and never a half-written one under the
    final name. The configs select it for the checkpoint hook with
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
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    def put_text(self, obj: str, filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)


def is_complete_checkpoint(path: Union[str, Path]) -> bool:
    """Whether a ``torch.save`` zip file is complete (CRCs checked)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (OSError, zipfile.BadZipFile, EOFError):
        return False


def latest_good_checkpoint(work_dir: Union[str, Path]) -> Optional[str]:
    """The newest readable checkpoint of a work dir, skipping broken ones.

    Starts with the file named in ``last_checkpoint``, then ``iter_*.pth`` /
    ``epoch_*.pth`` from the newest; a broken file is skipped with a warning.
    """
    work_dir = Path(work_dir)
    candidates: List[Path] = []
    last = work_dir / 'last_checkpoint'
    if last.is_file():
        candidates.append(Path(last.read_text().strip()))
    numbered = [p for p in work_dir.glob('*_*.pth')
                if p.stem.split('_')[0] in ('iter', 'epoch')
                and p.stem.split('_')[-1].isdigit()]
    candidates += sorted(numbered, key=lambda p: int(p.stem.split('_')[-1]),
                         reverse=True)
    seen = set()
    for path in candidates:
        if path in seen or not path.exists():
            continue
        seen.add(path)
        if is_complete_checkpoint(path):
            return str(path)
        print_log(f'Skipping broken checkpoint {path} (incomplete or '
                  f'corrupt); trying the previous one.', logger='current',
                  level=30)
    return None
