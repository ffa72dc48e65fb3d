"""A progress bar over the test or validation set (``tools/test.py``)."""
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar
from mmseg.registry import HOOKS

__all__ = ['ProgressBarHook']


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """A progress bar over the test or validation set (rank 0 only)."""

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._bar = None

    def _start(self, runner, dataloader) -> None:
        if runner.rank == 0:
            # Each rank iterates over its share (len(dataloader)); rank 0
            # steps the bar once per rank and iteration.
            self._bar = ProgressBar(len(dataloader) * runner.world_size)

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
