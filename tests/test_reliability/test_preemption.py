"""Preemption and time limits: a signal stops the run after its iteration
with that iteration's checkpoint and exit status 75; the same command resumes
from it by itself (auto_resume) to the weights of an uninterrupted run, in
one process and in two; torchrun restarts resume the same way; the disk the
checkpoints need is said at the start and a full disk keeps the previous
checkpoint; tools/slurm_train.sh requeues the job."""
import errno
import os
import re
import signal
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from inceptionnext_seg.checkpoint import (AtomicLocalBackend, CheckpointError,
                                          is_complete_checkpoint)
from inceptionnext_seg.engine import PREEMPTED_EXIT_CODE, choose_start
from inceptionnext_seg.engine.auto_resume import training_record
from tests.helpers.faults import (FAULT_HOOKS_PATH, assert_same_training_state,
                                  deterministic, fault_config)
from tests.helpers.tools import (DEMO_CONFIG, ROOT, free_port,
                                 one_block_per_stage, run_mmseg_tool,
                                 run_tool)

SIGNAL_AT_3 = ("dict(type='SignalAtIterHook', at_iter=3, signum='SIGTERM', "
               "again='SIGUSR1')")


def test_the_exit_status_is_ex_tempfail():
    assert PREEMPTED_EXIT_CODE == 75
    assert f'PREEMPTED={PREEMPTED_EXIT_CODE}' in (
        ROOT / 'tools' / 'slurm_train.sh').read_text()


@pytest.mark.compat
@pytest.mark.xdist_group('straight_run')
def test_a_signal_stops_after_its_iteration_and_the_same_command_resumes(
        straight_run, demo_data, tmp_path):
    """mmseg's own train.py on a config: SIGTERM during iteration 3 (to the
    main process and its dataloader worker, whose own torch handler would
    die of it) writes iter_3.pth and exits 75; a SIGUSR1 during that save is
    ignored; the same command then resumes from iteration 3 to the weights
    of an uninterrupted run."""
    config = fault_config(tmp_path, SIGNAL_AT_3)
    work = tmp_path / 'work'
    command = ['train.py', config, '--work-dir', work, '--cfg-options',
               *deterministic(demo_data)]
    stopped = run_mmseg_tool(*command, env=FAULT_HOOKS_PATH, check=False)
    log = stopped.stdout + stopped.stderr
    assert stopped.returncode == PREEMPTED_EXIT_CODE, log[-3000:]
    assert 'sent SIGTERM to 1 worker(s) and the main process' in log
    assert 'Stopping on SIGTERM after iteration 3: writing its checkpoint' \
        in log
    assert '1 more signal(s) received while stopping: ignored' in log
    assert f'checkpoint: {work / "iter_3.pth"}. Run the same command again' \
        in log
    assert is_complete_checkpoint(work / 'iter_3.pth')
    assert (work / 'last_checkpoint').read_text() == str(work / 'iter_3.pth')
    assert torch.load(work / 'iter_3.pth',
                      weights_only=True)['meta']['iter'] == 3
    assert not (work / 'iter_4.pth').exists()
    # What the checkpoints take, said at the start: within 10% of the file.
    each = float(re.search(r'Checkpoints: about (\d+) MB each', log)[1])
    assert abs(each - (work / 'iter_3.pth').stat().st_size / 1e6) < \
        0.1 * each
    assert 'up to 4 kept (the newest 3 + the best)' in log

    resumed = run_mmseg_tool(*command, env=FAULT_HOOKS_PATH)
    log = resumed.stdout + resumed.stderr
    assert f"auto_resume: resuming from {work / 'iter_3.pth'} " \
        '(iteration 3)' in log
    assert 'Iter(train) [4/6]' in log and 'Iter(train) [3/6]' not in log
    assert torch.load(work / 'iter_6.pth', weights_only=True)['meta'][
        'iter'] == 6
    assert_same_training_state(straight_run / 'iter_6.pth',
                               work / 'iter_6.pth')


@pytest.mark.xdist_group('dist_run')
def test_two_processes_agree_restart_and_resume(dist_run, demo_data,
                                                tmp_path):
    """dist_train.sh, two gloo processes, MAX_RESTARTS=1: rank 1 dies after
    iteration 2 (kill -9, with its dataloader worker), which stops rank 0 there
    rather than at a time-out, and dist_train.sh starts both again, which
    resume from iter_2; SIGUSR1 reaches rank 0 during iteration 3 and rank 1
    would get it in iteration 4: both stop after iteration 3 with one
    checkpoint and status 75, the training state of iteration 3 of an
    uninterrupted two-process run (``dist_run``, the same options). (That a
    requeue resumes from such a stop's checkpoint to the end: one process,
    test_a_signal_stops_after_its_iteration_and_the_same_command_resumes; two
    processes resume here from iter_2 by the same auto_resume.)"""
    # (Rank 0 fails in iteration 2's validation, a collective, before its
    # signal hook's iteration 3: the signal comes in the restart. Without
    # that validation it came in the first start, once per work dir.)
    config = fault_config(
        tmp_path, "dict(type='KillAtIterHook', at_iter=2, rank=1, "
        "children=True), "
        "dict(type='SignalAtIterHook', at_iter={0: 3, 1: 4})")
    work = tmp_path / 'work'
    stopped = run_tool('tools/dist_train.sh', config, 2, '--work-dir', work,
                       '--cfg-options', *deterministic(demo_data),
                       env=dict(FAULT_HOOKS_PATH, PORT=str(free_port()),
                                MAX_RESTARTS='1'),
                       check=False, timeout=600)
    log = stopped.stdout + stopped.stderr
    assert stopped.returncode != 0
    assert 'Signal 9' in log or 'SIGKILL' in log
    # the first start got no further than iteration 2 (it cannot finish 3
    # without rank 1's gradients), the restart took up from there
    assert log.count('Iter(train) [2/6]') == 1
    assert log.count('auto_resume: no checkpoint in') == 1  # rank 0 logs
    assert f"auto_resume: resuming from {work / 'iter_2.pth'}" in log
    assert 'Stopping on SIGUSR1 after iteration 3' in log  # rank 0
    assert 'start 1 of 1 restarts, resuming from the newest checkpoint' in log
    assert re.search(r'exitcode\s*: 75', log), log[-3000:]
    assert sorted(p.name for p in work.glob('iter_*.pth')) == [
        'iter_2.pth', 'iter_3.pth']
    assert (work / 'last_checkpoint').read_text() == str(work / 'iter_3.pth')
    assert_same_training_state(dist_run[0] / 'iter_3.pth',
                               work / 'iter_3.pth')


def saved_config(tmp_path, **changes) -> Config:
    cfg = Config.fromfile(ROOT / DEMO_CONFIG)
    cfg.work_dir = str(tmp_path)
    cfg.merge_from_dict(changes)
    return cfg


def write_checkpoint(tmp_path, config: Config, iteration: int, **meta):
    path = tmp_path / f'iter_{iteration}.pth'
    meta = dict(dict(iter=iteration, cfg=config.pretty_text,
                     training_config=training_record(config)), **meta)
    torch.save({'meta': meta, 'state_dict': {}}, path)
    (tmp_path / 'last_checkpoint').write_text(str(path))
    return str(path)


def test_auto_resume_needs_the_same_training_config(tmp_path):
    cfg = saved_config(tmp_path)
    start = choose_start(False, True, None, str(tmp_path), cfg)
    assert start.resume_from is None and 'no checkpoint in' in start.note
    path = write_checkpoint(tmp_path, cfg, 4)
    # Other logging, hooks or validation: still the same training.
    same = saved_config(tmp_path, **{'default_hooks.logger.interval': 5,
                                     'val_dataloader.batch_size': 2})
    assert choose_start(False, True, None, str(tmp_path),
                        same).resume_from == path
    other = saved_config(tmp_path, **{'optim_wrapper.optimizer.lr': 1.0,
                                      'train_cfg.max_iters': 9})
    with pytest.raises(CheckpointError, match=(
            r'auto_resume:.*iter_4.pth \(iteration 4\).*another training '
            r'config: train_cfg, optim_wrapper differ\).*--resume.*--fresh'
            r'.*auto_resume=False')):
        choose_start(False, True, None, str(tmp_path), other)
    # --resume takes it whatever wrote it; with both off nothing resumes.
    for auto in (True, False):
        assert choose_start(True, auto, None, str(tmp_path),
                            other).resume_from == path
    assert choose_start(False, False, 'w.pth', str(tmp_path),
                        cfg).load_from == 'w.pth'
    assert choose_start(False, False, None, str(tmp_path),
                        cfg).resume_from is None


def test_auto_resume_reads_no_code_and_needs_a_training_record(tmp_path):
    """The comparison reads the checkpoint's JSON record, never its config
    text (whose parsing would run it); a checkpoint without the record
    (plain mmengine) is not resumed on its own."""
    cfg = saved_config(tmp_path)
    marker = tmp_path / 'PWNED'
    path = write_checkpoint(tmp_path, cfg, 2, cfg=(
        f"import os\nos.system('touch {marker}')\n"))
    assert choose_start(False, True, None, str(tmp_path),
                        cfg).resume_from == path
    assert not marker.exists()
    write_checkpoint(tmp_path, cfg, 4, training_config=None)
    with pytest.raises(CheckpointError, match='holds no record of its '
                       'training config: plain mmengine'):
        choose_start(False, True, None, str(tmp_path), cfg)


def test_auto_resume_of_a_fine_tuning_config_loads_its_weights_first(
        tmp_path):
    cfg = saved_config(tmp_path)
    start = choose_start(False, True, 'ade20k.pth', str(tmp_path), cfg)
    assert (start.resume_from, start.load_from) == (None, 'ade20k.pth')
    path = write_checkpoint(tmp_path, cfg, 2)
    start = choose_start(False, True, 'ade20k.pth', str(tmp_path), cfg)
    assert (start.resume_from, start.load_from) == (path, None)


def test_a_full_disk_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    target = tmp_path / 'iter_4.pth'
    torch.save({'a': torch.ones(3)}, target)
    before = target.read_bytes()

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, 'fsync', full)
    with pytest.raises(CheckpointError, match=(
            r'The disk is full: could not write .*iter_4.pth .*No space '
            r'left on device.*previous checkpoints are intact')):
        AtomicLocalBackend().put(b'x' * 1000, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ['iter_4.pth']


def test_outside_training_a_signal_has_its_usual_effect(tmp_path):
    """The handlers exist from the runner's construction (before the
    dataloader workers fork); a test run, or a run still starting, dies of
    SIGTERM as usual."""
    code = ('import os, signal\n'
            'from inceptionnext_seg.engine import PreemptionHook\n'
            'hook = PreemptionHook()\n'
            'os.kill(os.getpid(), signal.SIGTERM)\n'
            'print("survived")\n')
    result = subprocess.run([sys.executable, '-c', code], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == -signal.SIGTERM
    assert 'survived' not in result.stdout


def test_unknown_signal_names_are_refused():
    from inceptionnext_seg.engine import PreemptionHook
    with pytest.raises(ValueError, match=r"unknown signal\(s\) \['SIGFOO'\]"):
        PreemptionHook(signals=['SIGTERM', 'SIGFOO'])


def test_auto_resume_across_gpu_generations_with_amp(tmp_path):
    """--amp is bf16 on an A100 and fp16 with a loss scaler on a V100: a job
    requeued onto the other kind trains the same recipe and resumes; another
    lr does not."""
    cfg = saved_config(tmp_path, **{
        'optim_wrapper.type': 'AmpOptimWrapper',
        'optim_wrapper.loss_scale': 'dynamic'})
    path = write_checkpoint(tmp_path, cfg, 4)
    bf16 = saved_config(tmp_path, **{'optim_wrapper.type':
                                     'BF16OptimWrapper'})
    assert choose_start(False, True, None, str(tmp_path),
                        bf16).resume_from == path
    other = saved_config(tmp_path, **{'optim_wrapper.type':
                                      'BF16OptimWrapper',
                                      'optim_wrapper.optimizer.lr': 1.0})
    with pytest.raises(CheckpointError, match='optim_wrapper'):
        choose_start(False, True, None, str(tmp_path), other)


def test_a_compiled_run_stops_on_a_signal_and_resumes_by_itself(demo_data,
                                                                tmp_path):
    """tools/train.py --compile (dynamo's 'eager' backend: inductor takes
    minutes on a CPU): SIGTERM during iteration 3 writes iter_3.pth and
    exits 75; the same command resumes from it by itself (auto_resume); the
    checkpoint has the plain names and loads strictly into an uncompiled
    segmentor (and so an uncompiled run's into a compiled one). One
    backbone block per stage: dynamo traces every block."""
    from inceptionnext_seg.utils.config import build_segmentor_for_analysis
    config = fault_config(tmp_path, SIGNAL_AT_3, one_block_per_stage())
    work = tmp_path / 'work'
    # no validation: it would compile the eval-mode graphs (5 s), which
    # test_compile.py's training and test.py --compile check
    command = ['tools/train.py', config, '--work-dir', work, '--compile',
               'eager', '--cfg-options', *deterministic(demo_data),
               'train_cfg.val_begin=7']
    stopped = run_tool(*command, env=FAULT_HOOKS_PATH, check=False)
    log = stopped.stdout + stopped.stderr
    assert stopped.returncode == PREEMPTED_EXIT_CODE, log[-3000:]
    assert "compile: backbone, decode_head compiled with backend 'eager'" \
        in log
    assert 'Stopping on SIGTERM after iteration 3' in log
    assert torch.load(work / 'iter_3.pth',
                      weights_only=True)['meta']['iter'] == 3
    resumed = run_tool(*command, env=FAULT_HOOKS_PATH)
    log = resumed.stdout + resumed.stderr
    assert f"auto_resume: resuming from {work / 'iter_3.pth'} " \
        '(iteration 3)' in log
    assert 'Iter(train) [4/6]' in log and 'Iter(train) [3/6]' not in log
    assert 'Iter(val)' not in log
    state = torch.load(work / 'iter_6.pth', weights_only=True)
    assert state['meta']['iter'] == 6
    assert not any('_orig_mod' in k for k in state['state_dict'])
    build_segmentor_for_analysis(
        DEMO_CONFIG, one_block_per_stage()).load_state_dict(
            state['state_dict'], strict=True)
