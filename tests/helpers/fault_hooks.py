"""Test-only hooks that inject faults into a training run.

Imported by test configs through ``custom_imports``
(``tests.helpers.fault_hooks``, with the clone on ``PYTHONPATH``).
"""
import os
import signal
import subprocess
from pathlib import Path

import torch
from mmengine.hooks import Hook
from mmseg.registry import HOOKS


@HOOKS.register_module()
class KillAtIterHook(Hook):
    """SIGKILL this process after iteration ``at_iter`` (checkpoint written),
    on ``rank`` only if given; with ``children``, its dataloader workers
    first, as a node's failure takes them all (the workers of a main
    process killed alone hold its process group's sockets, which they
    inherited, until their watchdog sees the parent gone: up to 5 s more
    before the other ranks fail)."""

    priority = 'LOWEST'  # after the checkpoint hook

    def __init__(self, at_iter: int, rank=None, children: bool = False):
        self.at_iter = at_iter
        self.rank = rank
        self.children = children

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.at_iter and (
                self.rank is None or runner.rank == self.rank):
            if self.children:
                pid = os.getpid()
                with open(f'/proc/{pid}/task/{pid}/children') as f:
                    for child in f.read().split():
                        os.kill(int(child), signal.SIGKILL)
            os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module()
class InjectNaNHook(Hook):
    """Turn the stem's weights into NaN before iteration ``at_iter``."""

    def __init__(self, at_iter: int):
        self.at_iter = at_iter

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.at_iter:
            model = getattr(runner.model, 'module', runner.model)
            with torch.no_grad():
                model.backbone.stem[0].weight.fill_(float('nan'))


@HOOKS.register_module()
class SignalAtIterHook(Hook):
    """Send this process ``signum`` during iteration ``at_iter`` (before its
    forward pass, as a signal arrives at any moment of an iteration), and
    its child processes (the dataloader workers) as Slurm signals every
    process of a job step; with ``again`` set, send that signal too while
    the checkpoint of the stop is written. ``at_iter`` may be a dict
    {rank: iteration}. Once per work dir (a marker file there): the run that
    resumes, the same command, is not signalled again."""

    priority = 'HIGHEST'

    def __init__(self, at_iter, signum='SIGUSR1', again=None):
        self.at_iter = at_iter
        self.signum = getattr(signal, signum)
        self.again = getattr(signal, again) if again else None
        self.sent = False

    @staticmethod
    def children():
        found = []
        for stat in Path('/proc').glob('[0-9]*/stat'):
            try:
                fields = stat.read_text().rsplit(')', 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid():  # the parent's pid
                found.append(int(stat.parent.name))
        return found

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        at = self.at_iter.get(runner.rank) if isinstance(self.at_iter, dict) \
            else self.at_iter
        marker = Path(runner.work_dir) / 'signal_sent'
        if runner.iter + 1 == at and not marker.exists():
            marker.touch()
            self.sent = True
            workers = self.children()
            if workers:
                # From another process, as from Slurm: torch's workers treat
                # a SIGTERM from their parent as a shutdown request.
                subprocess.run(['kill', f'-{self.signum.name[3:]}',
                                *map(str, workers)], check=True)
            runner.logger.info(f'SignalAtIterHook: sent {self.signum.name} '
                               f'to {len(workers)} worker(s) and the main '
                               f'process')
            os.kill(os.getpid(), self.signum)

    def before_save_checkpoint(self, runner, checkpoint):
        if self.sent and self.again is not None:
            os.kill(os.getpid(), self.again)
