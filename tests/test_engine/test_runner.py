"""SegRunner's jobs, each in this process with fakes (no training run):
where a run starts, preemption-safe workers, checkpoint metadata, the
preemption hooks released, the console digest and summary; and the former
registered name."""
import logging
import os
from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import CheckpointHook
from mmseg.registry import RUNNERS

from inceptionnext_seg.checkpoint import CheckpointError
from inceptionnext_seg.engine import auto_resume
from inceptionnext_seg.engine.console_log import DigestFormatter
from inceptionnext_seg.engine.hooks import (EvaluationReportHook,
                                            PreemptionHook)
from inceptionnext_seg.engine.runner import (SegRunner, checkpoint_metadata,
                                             console_digest,
                                             preemption_release,
                                             preemption_workers,
                                             training_start, worker_count)


def test_the_former_name_builds_the_same_runner():
    assert RUNNERS.get('SegRunner') is SegRunner
    assert RUNNERS.get('ReadableLogRunner') is SegRunner


class FakeRunner:
    """What load_or_resume uses of a Runner."""

    def __init__(self, **cfg):
        self.cfg, self.work_dir, self._has_loaded = cfg, '/work', False
        self.calls, self.notes = [], []
        self.logger = SimpleNamespace(info=self.notes.append)

    def resume(self, path):
        self.calls.append(('resume', path))

    def load_checkpoint(self, path):
        self.calls.append(('load', path))


@pytest.mark.parametrize('training', [True, False])
def test_auto_resume_applies_to_training_only(monkeypatch, training):
    seen = []

    def choose(resume, auto, load_from, work_dir, cfg):
        seen.append((resume, auto, load_from, work_dir))
        return auto_resume.StartPoint(
            resume_from='/work/iter_4.pth' if auto else None,
            load_from=None if auto else load_from, note='why')

    monkeypatch.setattr(auto_resume, 'choose_start', choose)
    runner = FakeRunner(auto_resume=True, load_from='w.pth')
    training_start.load_or_resume(runner, training=training)
    assert seen == [(False, training, 'w.pth', '/work')]
    assert runner.calls == ([('resume', '/work/iter_4.pth')] if training
                            else [('load', 'w.pth')])
    assert runner.notes == ['why'] and runner._has_loaded
    training_start.load_or_resume(runner, training=training)  # once only
    assert len(runner.calls) == 1


def test_a_run_with_nothing_to_load_starts_afresh(monkeypatch):
    monkeypatch.setattr(auto_resume, 'choose_start',
                        lambda *args: auto_resume.StartPoint())
    runner = FakeRunner()
    training_start.load_or_resume(runner, training=True)
    assert runner.calls == [] and runner.notes == []
    assert not runner._has_loaded


@pytest.mark.parametrize('rank', [0, 1])
def test_rank_0_chooses_the_start_and_tells_the_others(monkeypatch, rank):
    """On 8 GPUs one process reads the work dir's checkpoints to choose
    where to start (not 8), and every rank starts from its choice, or stops
    with its error."""
    decided = auto_resume.StartPoint(resume_from='/work/iter_4.pth')
    chosen = []

    def choose(*args):
        chosen.append(rank)
        return decided

    def broadcast(box, src):
        assert src == 0
        box[0] = (True, decided)  # what rank 0 sent

    monkeypatch.setattr(auto_resume, 'choose_start', choose)
    monkeypatch.setattr(training_start, 'is_distributed', lambda: True)
    monkeypatch.setattr(training_start, 'get_rank', lambda: rank)
    monkeypatch.setattr(training_start, 'broadcast_object_list', broadcast)
    runner = FakeRunner(auto_resume=True)
    training_start.load_or_resume(runner, training=True)
    assert chosen == ([0] if rank == 0 else [])
    assert runner.calls == [('resume', '/work/iter_4.pth')]

    def refused(box, src):
        box[0] = (False, 'written by another training config')

    monkeypatch.setattr(training_start, 'broadcast_object_list', refused)
    with pytest.raises(CheckpointError, match='another training config'):
        training_start.load_or_resume(FakeRunner(), training=True)


def test_workers_get_the_preemption_safe_init(monkeypatch):
    wrapped = []

    def fake(inner, method):
        wrapped.append((inner, method))
        return 'safe'

    monkeypatch.setattr(preemption_workers, 'worker_init_fn', fake)
    data = list(range(4))
    plain = torch.utils.data.DataLoader(data, num_workers=0)
    assert preemption_workers.preemption_safe_workers(plain) is plain
    assert plain.worker_init_fn is None and wrapped == []
    init = print
    loader = torch.utils.data.DataLoader(
        data, num_workers=2, worker_init_fn=init,
        multiprocessing_context='fork')
    preemption_workers.preemption_safe_workers(loader)
    assert loader.worker_init_fn == 'safe'
    assert wrapped == [(init, 'fork')]


def test_workers_are_capped_at_the_usable_cpus(monkeypatch):
    """The template's num_workers=4 on 2 cores: torch warned "suggested
    max number of worker ... is 2"; the runner lowers it and says so."""
    import warnings
    monkeypatch.setattr(worker_count, 'usable_cpus', lambda: 2)
    monkeypatch.setattr(os, 'sched_getaffinity', lambda pid: {0, 1})
    config = dict(num_workers=4, batch_size=1, dataset=list(range(4)),
                  sampler=dict(type='DefaultSampler', shuffle=False))
    assert worker_count.workers_for_this_machine(config)['num_workers'] == 2
    assert worker_count.workers_for_this_machine(
        dict(num_workers=1))['num_workers'] == 1
    loader = torch.utils.data.DataLoader(list(range(4)), num_workers=0)
    assert worker_count.workers_for_this_machine(loader) is loader
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # torch's warning on too many workers
        built = SegRunner.build_dataloader(
            dict(num_workers=4, batch_size=1, dataset=list(range(4)),
                 sampler=dict(type='DefaultSampler', shuffle=False)))
        assert built.num_workers == 2
        next(iter(built))


def test_checkpoints_record_the_training_config(monkeypatch):
    monkeypatch.setattr(auto_resume, 'training_record',
                        lambda cfg: dict(model=cfg['model']))
    given = dict(seed=3)
    meta = checkpoint_metadata.checkpoint_meta(dict(model='m'), given)
    assert meta == dict(seed=3, training_config=dict(model='m'))
    assert given == dict(seed=3)
    assert checkpoint_metadata.checkpoint_meta(dict(model='m')) == dict(
        training_config=dict(model='m'))


def test_only_preemption_hooks_are_released():
    released = []
    hook = PreemptionHook.__new__(PreemptionHook)
    hook.release = lambda: released.append(hook)
    other = SimpleNamespace(release=lambda: released.append('other'))
    preemption_release.release_preemption_hooks([other, hook])
    assert released == [hook]


def test_the_console_gets_the_digest_once(tmp_path):
    logger = logging.getLogger('test_the_console_gets_the_digest_once')
    console = logging.StreamHandler()
    console.setFormatter(logging.Formatter('%(message)s'))
    file = logging.FileHandler(tmp_path / 'run.log')
    logger.handlers = [console, file]
    try:
        console_digest.digest_console(logger)
        console_digest.digest_console(logger)
        assert isinstance(console.formatter, DigestFormatter)
        assert console.formatter.log_file == str(tmp_path / 'run.log')
        assert not isinstance(file.formatter, DigestFormatter)
        assert len(console.filters) == 1
        assert console_digest.log_file_of(logger) == str(tmp_path /
                                                         'run.log')
    finally:
        logger.handlers = []
        file.close()
    # no log file to point to: the console is left as it is
    bare = logging.getLogger('test_the_console_gets_the_digest_once.bare')
    bare.handlers = [logging.StreamHandler()]
    console_digest.digest_console(bare)
    assert not isinstance(bare.handlers[0].formatter, DigestFormatter)
    bare.handlers = []


def test_the_summary_names_metrics_and_files(tmp_path):
    (tmp_path / 'training_curves.png').write_bytes(b'')
    checkpoint = CheckpointHook.__new__(CheckpointHook)
    checkpoint.last_ckpt, checkpoint.best_ckpt_path = 'i4.pth', 'best.pth'
    files = console_digest.training_files([checkpoint], str(tmp_path))
    assert files == {'last checkpoint': 'i4.pth',
                     'best checkpoint': 'best.pth',
                     'training curves': str(tmp_path / 'training_curves.png')}
    hub = SimpleNamespace(log_scalars={
        'val/mIoU': SimpleNamespace(current=lambda: 41.5),
        'train/loss': SimpleNamespace(current=lambda: 1.0)})
    metrics = console_digest.last_validation(hub)
    assert metrics == {'mIoU': 41.5}
    text = console_digest.run_summary('Training done',
                                      dict(metrics, data_time=0.1), files,
                                      'wd', 'wd/run.log')
    lines = text.strip('\n').splitlines()
    assert lines[0] == lines[-1] == console_digest.RULE
    assert lines[1] == 'Training done'
    assert lines[2] == '  metrics: mIoU 41.50'  # times left out
    assert lines[-3:-1] == ['  work dir:        wd',
                            '  full log:        wd/run.log']


def test_the_test_summary_names_label_maps_and_reports():
    report = EvaluationReportHook()
    report.pages = ['r/index.html']
    cfg = dict(test_evaluator=[dict(type='IoUMetric', output_dir='preds'),
                               dict(type='IoUMetric')])
    assert console_digest.files_of_test_run(cfg, [report, object()]) == {
        'label maps': 'preds', 'evaluation report': 'r/index.html'}
    assert console_digest.files_of_test_run(dict(), []) == {}
