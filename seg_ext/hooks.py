"""mmengine hooks the configs add to every run (``configs/_base_/
default_runtime.py``): the check that the GPUs are usable, plain checkpoints,
exact resume, a stop on non-finite losses, a report of skipped samples, and
the tools' test progress bar."""
import math
import os

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.registry import HOOKS
from mmengine.utils import ProgressBar

from backbones.environment import (SKIP_VARIABLE, EnvironmentProblem,
                                   cuda_problem)

from .checkpoint_io import from_plain, to_plain

__all__ = ['CudaCheckHook', 'PlainCheckpointHook', 'ResumableRandomnessHook',
           'NonFiniteLossHook', 'CorruptSampleReportHook', 'ProgressBarHook']


@HOOKS.register_module()
class CudaCheckHook(Hook):
    """Stop before the run when this machine's NVIDIA GPUs cannot be used
    by this torch (a driver too old for its CUDA, a GPU it was not built
    for), instead of training on the CPU or failing at the first kernel.
    See :func:`backbones.environment.cuda_problem`."""

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        if os.environ.get(SKIP_VARIABLE) == '1':
            return
        problem = cuda_problem()
        if problem:
            raise EnvironmentProblem(
                f'{problem}\n(Set {SKIP_VARIABLE}=1 to go on anyway.)')


@HOOKS.register_module()
class PlainCheckpointHook(Hook):
    """Write checkpoints that plain ``torch.load(weights_only=True)`` reads.

    mmengine 0.10.7 pickles its message hub's ``HistoryBuffer`` objects, which
    torch >= 2.6 refuses by default. This hook stores them as tensors and
    plain values, so the files load anywhere without an allowlist, and turns
    them back into buffers on resume.
    """

    priority = 'VERY_HIGH'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.update(to_plain(dict(checkpoint)))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'message_hub' in checkpoint:
            checkpoint['message_hub'] = from_plain(checkpoint['message_hub'])


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
