"""Runtime pieces for mmengine's Runner: safe and atomic checkpoints, exact
resume, stops on non-finite losses, CPU DDP and a test progress bar."""
import math
import os
import zipfile
from pathlib import Path
from typing import List, Optional, Union

import mmcv
import numpy as np
import torch
from mmengine import fileio
from mmengine.fileio import LocalBackend, register_backend
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer, print_log
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import HOOKS, MODEL_WRAPPERS
from mmengine.runner import CheckpointLoader
from mmengine.utils import ProgressBar
from mmseg.engine.hooks import SegVisualizationHook

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
    return read_checkpoint(filename, map_location or 'cpu')


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


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """Local files written to a temporary name, synced, then renamed.

    A process killed while writing a checkpoint (or ``last_checkpoint``)
    leaves the previous file intact and never a half-written one under the
    final name. Used by the checkpoint hook through
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


@HOOKS.register_module()
class ResumableRandomnessHook(Hook):
    """Seed the training step's torch RNG from (seed, iteration).

    mmengine does not store RNG states in checkpoints, so dropout and drop
    path masks after a resume differ from an uninterrupted run. Seeding each
    iteration from the run's seed and the iteration number makes them the
    same; the data order and augmentations are replayed by the dataloader.
    """

    priority = 'VERY_HIGH'

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        seed = (int(runner.seed) * 1_000_003 + runner.iter) % (2**63)
        torch.manual_seed(seed)  # seeds every CUDA device too


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training on a NaN or infinite loss instead of training on."""

    priority = 'ABOVE_NORMAL'

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        for key, value in (outputs or {}).items():
            if 'loss' not in key:
                continue
            value = float(value.detach() if torch.is_tensor(value) else value)
            if not math.isfinite(value):
                raise FloatingPointError(
                    f'Non-finite loss at iteration {runner.iter + 1}: '
                    f'{key} = {value}. Stopping instead of training on. '
                    f'Lower the learning rate, check the data, or resume from '
                    f'the last checkpoint in {runner.work_dir}.')


@HOOKS.register_module()
class CorruptSampleReportHook(Hook):
    """At the end of training, report the samples that were skipped."""

    def after_train(self, runner) -> None:
        dataset = runner.train_dataloader.dataset
        skipped = getattr(dataset, 'skipped_samples', lambda: [])()
        if skipped:
            print_log(f'Skipped {len(skipped)} corrupt training sample(s):\n'
                      + '\n'.join(skipped), logger='current', level=30)


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


@HOOKS.register_module()
class TestVisualizationHook(SegVisualizationHook):
    """mmseg's ``SegVisualizationHook`` that works without a training set.

    mmseg 1.2.2 passes ``runner.iter`` as the step of each drawing; at test
    time that builds the training loop and its dataset, so
    ``test.py --show-dir`` fails on a machine that has only the validation
    images. Test drawings here use step 0 (file names stay unique).
    """

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs=None) -> None:
        if not self.draw:
            return
        for output in outputs:
            img_bytes = fileio.get(output.img_path,
                                   backend_args=self.backend_args)
            img = mmcv.imfrombytes(img_bytes, channel_order='rgb')
            self._visualizer.add_datasample(
                f'test_{os.path.basename(output.img_path)}', img,
                data_sample=output, show=self.show,
                wait_time=self.wait_time, step=0)
