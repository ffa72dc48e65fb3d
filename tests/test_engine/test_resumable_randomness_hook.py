"""ResumableRandomnessHook in process: the training step's random numbers
depend on (seed, iteration) only, not on what the process drew before, so a
resumed run draws the same dropout and drop-path masks as an uninterrupted
one."""
from types import SimpleNamespace

import torch

from inceptionnext_seg.engine.hooks import ResumableRandomnessHook


def _masks(seed: int, iteration: int, drawn_before: int) -> torch.Tensor:
    """The dropout mask of iteration ``iteration`` in a process that drew
    ``drawn_before`` numbers before it (another history: a fresh process
    after a resume, or one that ran the earlier iterations)."""
    torch.rand(drawn_before)
    runner = SimpleNamespace(seed=seed, iter=iteration)
    ResumableRandomnessHook().before_train_iter(runner, batch_idx=0)
    return torch.nn.functional.dropout(torch.ones(64), p=0.5)


def test_an_iteration_draws_the_same_masks_whatever_came_before():
    assert torch.equal(_masks(7, 5, drawn_before=0),
                       _masks(7, 5, drawn_before=1000))


def test_masks_change_with_the_iteration_and_the_seed():
    first = _masks(7, 5, drawn_before=0)
    assert not torch.equal(first, _masks(7, 6, drawn_before=0))
    assert not torch.equal(first, _masks(8, 5, drawn_before=0))
