"""UpdateParamSchedulerHook in process: iteration-based schedulers step once
per optimizer update (every ``every`` iterations), epoch-based ones as
mmengine's hook steps them. test_recipe_batch.py drives the recipes' real
schedulers through it."""
from types import SimpleNamespace

import pytest

from inceptionnext_seg.engine.hooks import UpdateParamSchedulerHook


class _Scheduler:

    def __init__(self, by_epoch=False):
        self.by_epoch, self.steps = by_epoch, []

    def step(self):
        self.steps.append(self.iteration())


def test_iteration_schedulers_step_after_each_update():
    runner = SimpleNamespace(iter=0, param_schedulers=None)
    per_iter, per_epoch = _Scheduler(), _Scheduler(by_epoch=True)
    per_iter.iteration = per_epoch.iteration = lambda: runner.iter + 1
    runner.param_schedulers = [per_iter, per_epoch]
    hook = UpdateParamSchedulerHook(every=4)
    for runner.iter in range(12):
        hook.after_train_iter(runner, runner.iter)
    assert per_iter.steps == [4, 8, 12]
    assert per_epoch.steps == []  # stepped after epochs (not iterations)


def test_every_1_steps_each_iteration():
    runner = SimpleNamespace(iter=0, param_schedulers=None)
    scheduler = _Scheduler()
    scheduler.iteration = lambda: runner.iter + 1
    runner.param_schedulers = [scheduler]
    hook = UpdateParamSchedulerHook()
    for runner.iter in range(3):
        hook.after_train_iter(runner, runner.iter)
    assert scheduler.steps == [1, 2, 3]


@pytest.mark.parametrize('every', [0, 2.0, None])
def test_every_is_checked(every):
    with pytest.raises(ValueError, match='every must be an int >= 1'):
        UpdateParamSchedulerHook(every=every)
