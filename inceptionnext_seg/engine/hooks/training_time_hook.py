"""How long the training will take, said after its second iteration:
mmengine's first ``eta`` comes with the first log line, 50 iterations in
(UperNet-T at 130 s per iteration on 2 CPU cores: 108 minutes of
silence)."""
import time
from typing import Optional

from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ...utils.expected_time import duration

__all__ = ['TrainingTimeHook']


@HOOKS.register_module()
class TrainingTimeHook(Hook):
    """Logs the pace of the second iteration of a run (the first carries
    one-time costs) and the time the rest of the training takes at that
    pace. ``SegRunner`` registers it for every iteration-based training.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._started: Optional[int] = None
        self._last: Optional[float] = None

    def before_train(self, runner) -> None:
        self._started = runner.iter

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        self._last = time.perf_counter()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if self._started is None or runner.iter != self._started + 1 \
                or self._last is None:
            return
        seconds = time.perf_counter() - self._last
        left = runner.max_iters - runner.iter - 1
        if left <= 0:  # a two-iteration run: nothing left to announce
            return
        runner.logger.info(
            f'Training pace: {seconds:.2f} s per iteration; the remaining '
            f'{left} iterations take about {duration(seconds * left)} at '
            f'this pace, validation not included (the log\'s eta follows '
            f'with the next log line).')
