"""The hooks that behave differently on N ranks, in process with the ranks
stood in for (``runner.world_size``, mmengine's collectives patched)."""
import io

import pytest
import torch

from inceptionnext_seg.engine.hooks import (CorruptSampleReportHook,
                                            NonFiniteLossHook, ProgressBarHook)
from inceptionnext_seg.engine.hooks import corrupt_sample_report_hook
from inceptionnext_seg.engine.hooks import non_finite_loss_hook


class _Runner:

    def __init__(self, rank=0, world_size=1, **kwargs):
        self.rank, self.world_size, self.iter = rank, world_size, 0
        self.work_dir = '/work'
        self.__dict__.update(kwargs)


def test_the_test_progress_bar_counts_every_ranks_share(monkeypatch):
    """Each of 4 ranks iterates over 3 batches: rank 0's bar goes to 12, 4
    per iteration (it stopped at 3, 100% after a quarter of the test)."""
    import mmengine.utils.progressbar as progressbar
    monkeypatch.setattr(progressbar, 'get_terminal_size',
                        lambda fallback=None: (80, 24), raising=False)
    hook, runner = ProgressBarHook(), _Runner(world_size=4,
                                              test_dataloader=[0, 1, 2])
    hook.before_test_epoch(runner)
    hook._bar.file = io.StringIO()
    hook.after_test_iter(runner, 0)
    assert (hook._bar.completed, hook._bar.task_num) == (4, 12)
    hook.after_test_iter(runner, 1)
    hook.after_test_iter(runner, 2)
    assert hook._bar.completed == 12


def test_skipped_samples_of_every_rank_are_reported(monkeypatch):
    logged = []
    monkeypatch.setattr(corrupt_sample_report_hook, 'is_distributed',
                        lambda: True)
    monkeypatch.setattr(corrupt_sample_report_hook, 'all_gather_object',
                        lambda mine: [mine, ['rank1/b.jpg', 'rank1/c.jpg']])
    monkeypatch.setattr(corrupt_sample_report_hook, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    dataset = type('D', (), {'skipped_samples': lambda self: ['a.jpg']})()
    loader = type('L', (), {'dataset': dataset})()
    CorruptSampleReportHook().after_train(_Runner(train_dataloader=loader))
    assert logged and 'Skipped 3 corrupt' in logged[0]
    assert all(n in logged[0] for n in ('a.jpg', 'rank1/b.jpg', 'rank1/c.jpg'))
    logged.clear()
    CorruptSampleReportHook().after_train(_Runner(rank=1,
                                                  train_dataloader=loader))
    assert not logged  # rank 0 says it once


def test_a_non_finite_loss_on_one_rank_stops_every_rank(monkeypatch):
    """Rank 1's loss is NaN: rank 0, whose loss is finite, stops in the same
    iteration instead of waiting for rank 1 in the next collective."""
    monkeypatch.setattr(non_finite_loss_hook, 'is_distributed', lambda: True)

    def all_reduce(flag, op):
        assert op == 'max'
        flag.fill_(1)  # what rank 1 contributes

    monkeypatch.setattr(non_finite_loss_hook, 'all_reduce', all_reduce)
    with pytest.raises(FloatingPointError, match='on another rank'):
        NonFiniteLossHook().after_train_iter(
            _Runner(), 0, outputs={'loss': torch.tensor(0.5)})
    with pytest.raises(FloatingPointError, match='loss = nan'):
        NonFiniteLossHook().after_train_iter(
            _Runner(), 0, outputs={'loss': torch.tensor(float('nan'))})
