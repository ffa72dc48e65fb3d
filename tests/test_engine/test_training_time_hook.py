"""The training says how long it will take after its second iteration
(mmengine's first eta comes 50 iterations in: 108 minutes for UperNet-T on
2 CPU cores)."""
from types import SimpleNamespace

import pytest

from inceptionnext_seg.engine.hooks import training_time_hook
from inceptionnext_seg.engine.hooks.training_time_hook import \
    TrainingTimeHook
from inceptionnext_seg.utils.expected_time import duration


@pytest.mark.parametrize('seconds,said', [
    (45, '45 s'), (600, '10 min'), (130 * 19998, '30.1 days'),
    (3 * 3600, '3.0 h')])
def test_durations_read_as_people_say_them(seconds, said):
    assert duration(seconds) == said


def test_the_second_iteration_gives_the_pace(monkeypatch):
    clock = iter([0.0, 1000.0, 1130.0, 2000.0])
    monkeypatch.setattr(training_time_hook.time, 'perf_counter',
                        lambda: next(clock))
    said = []
    runner = SimpleNamespace(iter=100, max_iters=20000,
                             logger=SimpleNamespace(info=said.append))
    hook = TrainingTimeHook()
    hook.before_train(runner)  # a resumed run: from iteration 100
    for _ in range(3):
        hook.before_train_iter(runner, 0)
        hook.after_train_iter(runner, 0)
        runner.iter += 1
    assert said == ['Training pace: 130.00 s per iteration; the remaining '
                    '19898 iterations take about 29.9 days at this pace, '
                    "validation not included (the log's eta follows with "
                    'the next log line).']


def test_nothing_is_announced_when_nothing_is_left():
    said = []
    runner = SimpleNamespace(iter=0, max_iters=2,
                             logger=SimpleNamespace(info=said.append))
    hook = TrainingTimeHook()
    hook.before_train(runner)
    for _ in range(2):
        hook.before_train_iter(runner, 0)
        hook.after_train_iter(runner, 0)
        runner.iter += 1
    assert said == []
