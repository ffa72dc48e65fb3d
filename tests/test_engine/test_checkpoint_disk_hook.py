"""CheckpointDiskHook in process: the size of one checkpoint, how many are
kept and the disk they take, said at the start of training, with a warning
when the disk is short."""
from collections import namedtuple
from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import CheckpointHook

from inceptionnext_seg.engine.hooks import checkpoint_disk_hook
from inceptionnext_seg.engine.hooks.checkpoint_disk_hook import (
    CheckpointDiskHook, checkpoint_bytes)

Usage = namedtuple('Usage', 'total used free')
WEIGHTS = (1000 * 1000 + 1000) * 4  # nn.Linear(1000, 1000) in float32


class _Logger:

    def __init__(self):
        self.infos, self.warnings = [], []

    def info(self, msg):
        self.infos.append(msg)

    def warning(self, msg):
        self.warnings.append(msg)


def _runner(tmp_path, optimizer='AdamW', **checkpoint):
    model = torch.nn.Linear(1000, 1000)
    hook = CheckpointHook(**dict(dict(interval=2, by_epoch=False,
                                      max_keep_ckpts=2, save_best='mIoU'),
                                 **checkpoint))
    optim = getattr(torch.optim, optimizer)(model.parameters(), lr=0.1)
    return SimpleNamespace(hooks=[hook], model=model, max_iters=10,
                           optim_wrapper=SimpleNamespace(optimizer=optim),
                           work_dir=str(tmp_path), logger=_Logger())


def test_checkpoint_bytes_counts_the_state_the_optimizer_will_make():
    model = torch.nn.Linear(1000, 1000)
    adamw = torch.optim.AdamW(model.parameters())
    assert checkpoint_bytes(model, adamw) == (WEIGHTS, 2 * WEIGHTS)
    sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    assert checkpoint_bytes(model, sgd) == (WEIGHTS, 0)
    momentum = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    assert checkpoint_bytes(model, momentum) == (WEIGHTS, WEIGHTS)
    model(torch.ones(1, 1000)).sum().backward()
    adamw.step()  # now the state exists: exp_avg, exp_avg_sq, step
    weights, state = checkpoint_bytes(model, adamw)
    assert weights == WEIGHTS and 2 * WEIGHTS <= state <= 2 * WEIGHTS + 64


@pytest.mark.parametrize('free,said,short', [
    (10**12, '1000.00 GB', False), (10**7, '10 MB', True)])
def test_the_disk_the_kept_checkpoints_take_is_said(tmp_path, monkeypatch,
                                                    free, said, short):
    monkeypatch.setattr(checkpoint_disk_hook.shutil, 'disk_usage',
                        lambda path: Usage(0, 0, free))
    runner = _runner(tmp_path)
    CheckpointDiskHook().before_train(runner)
    # 12 MB each (weights 4 MB, AdamW state 8 MB), 2 newest + the best.
    assert runner.logger.infos == [
        f'Checkpoints: about 12 MB each (weights 4 MB, optimizer state '
        f'8 MB), up to 3 kept (the newest 2 + the best): about 36 MB; '
        f'{said} free on {tmp_path}.']
    assert bool(runner.logger.warnings) == short
    if short:
        assert 'less than the 36 MB the checkpoints will take' in \
            runner.logger.warnings[0]


def test_without_the_optimizer_or_a_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint_disk_hook.shutil, 'disk_usage',
                        lambda path: Usage(0, 0, 10**12))
    runner = _runner(tmp_path, save_optimizer=False, max_keep_ckpts=-1,
                     save_best=None)
    CheckpointDiskHook().before_train(runner)
    # 10 iterations, every 2: 5 kept, 4 MB each.
    assert 'about 4 MB each (weights 4 MB), up to 5 kept (every one): ' \
        'about 20 MB' in runner.logger.infos[0]


def test_nothing_is_said_without_a_checkpoint_hook(tmp_path):
    runner = _runner(tmp_path)
    runner.hooks = []
    CheckpointDiskHook().before_train(runner)
    assert not runner.logger.infos and not runner.logger.warnings
