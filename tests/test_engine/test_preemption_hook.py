"""PreemptionHook in process: a signal during training stops the run after
its iteration with that iteration's checkpoint and exit status 75, once,
also when the signal came to another rank, at the end of an accumulation
window, and without a second save when the checkpoint hook has just written
it. The real signals go to this process (SIGUSR1, handled by the hook)."""
import os
import signal

import pytest
from mmengine.hooks import CheckpointHook
from mmengine.logging import MessageHub

from inceptionnext_seg.engine.hooks import (PREEMPTED_EXIT_CODE,
                                            PreemptionHook, preemption_hook)


class IterBasedTrainLoop:  # the name the hook reads

    stop_training = False


class _Checkpoints(CheckpointHook):
    """The checkpoint hook, saving into a list."""

    def __init__(self):
        super().__init__(interval=10, by_epoch=False)
        self.saved = []

    def _save_checkpoint(self, runner):
        self.saved.append(runner.iter + 1)
        runner.message_hub.update_info(
            'last_ckpt', f'/work/{self.filename_tmpl.format(runner.iter + 1)}')


class _Logger:

    def __init__(self):
        self.infos = []

    def info(self, msg):
        self.infos.append(msg)

    warning = info


class _Runner:

    def __init__(self, name, optim_wrapper=None):
        self.iter, self.max_iters, self.rank = 0, 10, 0
        self.launcher = 'none'
        self.checkpoints = _Checkpoints()
        self.hooks = [self.checkpoints]
        self.train_loop = IterBasedTrainLoop()
        self.message_hub = MessageHub.get_instance(name)
        self.logger = _Logger()
        self.optim_wrapper = optim_wrapper


@pytest.fixture
def hook(monkeypatch):
    # the module's worker state, as it was before this hook
    monkeypatch.setattr(preemption_hook, '_SHIELD', preemption_hook._SHIELD)
    monkeypatch.setattr(preemption_hook, '_WORKER_SIGNALS',
                        list(preemption_hook._WORKER_SIGNALS))
    hook = PreemptionHook(signals=['SIGUSR1'])
    yield hook
    hook.release()


def _iterations(hook, runner, count, signal_at=None):
    """``count`` iterations; SIGUSR1 to this process during iteration
    ``signal_at`` (1-based); stops where the train loop would."""
    for _ in range(count):
        if runner.iter + 1 == signal_at:
            os.kill(os.getpid(), signal.SIGUSR1)
        hook.after_train_iter(runner, runner.iter)
        runner.iter += 1
        if runner.train_loop.stop_training:
            return


def test_a_signal_stops_after_its_iteration_with_its_checkpoint(hook):
    runner = _Runner('preemption_stops')
    hook.before_train(runner)
    _iterations(hook, runner, 10, signal_at=3)
    assert runner.iter == 3 and runner.train_loop.stop_training
    assert runner.checkpoints.saved == [3]
    assert 'Stopping on SIGUSR1 after iteration 3: writing its checkpoint.' \
        in runner.logger.infos
    hook.after_train_iter(runner, 3)  # once stopped, nothing more
    assert runner.checkpoints.saved == [3]
    with pytest.raises(SystemExit) as stopped:
        hook.after_run(runner)
    assert stopped.value.code == PREEMPTED_EXIT_CODE == 75
    assert runner.logger.infos[-1].startswith(
        'Stopped after iteration 3 of 10; checkpoint: /work/iter_3.pth. '
        'Run the same command again')
    # released: the signal has its usual handler again
    assert signal.getsignal(signal.SIGUSR1) != hook._on_signal


def test_without_a_signal_the_run_goes_on(hook):
    runner = _Runner('preemption_none')
    hook.before_train(runner)
    _iterations(hook, runner, 10)
    assert runner.iter == 10 and not runner.train_loop.stop_training
    assert runner.checkpoints.saved == []
    hook.after_run(runner)  # no SystemExit


def test_a_second_signal_is_counted_and_ignored(hook):
    runner = _Runner('preemption_again')
    hook.before_train(runner)
    os.kill(os.getpid(), signal.SIGUSR1)
    os.kill(os.getpid(), signal.SIGUSR1)
    _iterations(hook, runner, 10)
    assert runner.iter == 1 and runner.checkpoints.saved == [1]
    with pytest.raises(SystemExit):
        hook.after_run(runner)
    assert '1 more signal(s) received while stopping: ignored' in \
        ' '.join(runner.logger.infos)


def test_the_checkpoint_just_written_is_not_written_again(hook):
    runner = _Runner('preemption_written')
    hook.before_train(runner)
    runner.iter = 9  # iteration 10: the checkpoint hook's interval
    runner.message_hub.update_info('last_ckpt', '/work/iter_10.pth')
    os.kill(os.getpid(), signal.SIGUSR1)
    _iterations(hook, runner, 1)
    assert runner.train_loop.stop_training
    assert runner.checkpoints.saved == []


def test_the_stop_waits_for_the_end_of_an_accumulation_window(hook):
    updates = iter([False, False, True])

    class Accumulating:

        def should_update(self):
            return next(updates)

    runner = _Runner('preemption_window', optim_wrapper=Accumulating())
    hook.before_train(runner)
    _iterations(hook, runner, 10, signal_at=1)
    assert runner.iter == 3 and runner.checkpoints.saved == [3]
    with pytest.raises(SystemExit):
        hook.after_run(runner)


def test_a_signal_on_another_rank_stops_this_one(hook, monkeypatch):
    monkeypatch.setattr(preemption_hook, 'is_distributed', lambda: True)
    monkeypatch.setattr(preemption_hook, 'barrier', lambda: None)

    def all_reduce(flag, op):
        assert op == 'max'
        if runner.iter + 1 == 2:
            flag.fill_(1)  # another rank was signalled in iteration 2

    monkeypatch.setattr(preemption_hook, 'all_reduce', all_reduce)
    runner = _Runner('preemption_other_rank')
    hook.before_train(runner)
    _iterations(hook, runner, 10)
    assert runner.iter == 2 and runner.checkpoints.saved == [2]
    assert 'Stopping on a signal on another rank after iteration 2: ' \
        'writing its checkpoint.' in runner.logger.infos
    with pytest.raises(SystemExit):
        hook.after_run(runner)


def _forked_child_status(sig):
    """A child forked from this process, blocked; ``sig`` sent to it, then
    SIGKILL after a moment if it is still alive: how it ended."""
    import time
    pid = os.fork()
    if pid == 0:  # the child: wait for signals, never return to pytest
        try:
            while True:
                time.sleep(0.05)
        finally:
            os._exit(3)
    time.sleep(0.2)
    os.kill(pid, sig)
    for _ in range(40):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return 'survived'


def test_a_forked_process_keeps_the_usual_effect_outside_training(hook):
    """A process forked from one whose hook is built (a multiprocessing
    pool's worker; the dataset check forks its readers) dies of the signal
    outside training: one that ignored it hung the pool's terminate(),
    which sends SIGTERM and waits. While training, a forked process leaves
    it to its main process (the dataloader workers, before their own
    handler)."""
    assert _forked_child_status(signal.SIGUSR1) == signal.SIGUSR1
    runner = _Runner('preemption_forked')
    hook.before_train(runner)
    assert _forked_child_status(signal.SIGUSR1) == 'survived'
    hook.release()
    import multiprocessing
    hook = PreemptionHook(signals=['SIGTERM'])
    try:
        pool = multiprocessing.get_context('fork').Pool(1)
        assert pool.apply(os.getpid) != os.getpid()
        pool.terminate()  # returns
        pool.join()
    finally:
        hook.release()
