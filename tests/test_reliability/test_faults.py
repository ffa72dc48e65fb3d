"""Faults mid-run: kill -9 and resume, broken checkpoints, non-finite loss,
and an untrusted file refused by a tool (every loading path in process:
tests/test_checkpoint/test_loading_paths.py; a dead rank in a two-process
run: tests/test_reliability/test_preemption.py)."""
import os
import re
import subprocess
import sys

import pytest
import torch

from tests.helpers.faults import (FAULT_HOOKS_PATH, assert_same_training_state,
                                  deterministic, fault_config)
from tests.helpers.tools import (DEMO_CONFIG, ROOT, CodeRunningPayload,
                                 data_options, full_log,
                                 run_mmseg_tool, run_tool, tiny_run_options)


@pytest.mark.xdist_group('straight_run')
def test_kill_9_then_resume_equals_an_uninterrupted_run(straight_run,
                                                        demo_data, tmp_path):
    """The straight run uses this project's train.py, the killed and resumed
    one mmseg's own: exact resume comes from the config, for both doors."""
    killed = tmp_path / 'killed'
    config = fault_config(tmp_path, "dict(type='KillAtIterHook', at_iter=4)")
    result = run_mmseg_tool('train.py', config, '--work-dir', killed,
                            '--cfg-options', *deterministic(demo_data),
                            env=FAULT_HOOKS_PATH,
                            check=False)
    assert result.returncode == -9  # SIGKILL
    assert (killed / 'iter_4.pth').is_file()
    assert not (killed / 'iter_6.pth').exists()

    result = run_mmseg_tool('train.py', DEMO_CONFIG, '--work-dir', killed,
                            '--resume', '--cfg-options',
                            *deterministic(demo_data))
    assert 'resumed epoch: 0, iter: 4' in result.stdout + result.stderr
    assert_same_training_state(straight_run / 'iter_6.pth',
                               killed / 'iter_6.pth')


def test_resume_skips_a_broken_latest_checkpoint(trained, demo_data,
                                                 tmp_path):
    work_dir, _ = trained
    for name in ('iter_2.pth', 'iter_4.pth'):
        (tmp_path / name).write_bytes((work_dir / name).read_bytes())
    broken = tmp_path / 'iter_4.pth'
    broken.write_bytes(broken.read_bytes()[:len(broken.read_bytes()) // 2])
    (tmp_path / 'last_checkpoint').write_text(str(broken))
    result = run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', tmp_path,
                      '--resume', '--cfg-options',
                      *tiny_run_options(demo_data, max_iters=4))
    log = result.stdout + result.stderr
    assert f'Skipping broken checkpoint {broken}' in log
    assert 'resumed epoch: 0, iter: 2' in log
    assert torch.load(tmp_path / 'iter_4.pth',
                      weights_only=True)['meta']['iter'] == 4


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    from inceptionnext_seg.checkpoint import (AtomicLocalBackend,
                                              is_complete_checkpoint)
    target = tmp_path / 'iter_2.pth'
    torch.save({'a': torch.ones(3)}, target)
    before = target.read_bytes()

    def crash(*args):
        raise KeyboardInterrupt('killed while writing')

    monkeypatch.setattr(os, 'replace', crash)
    with pytest.raises(KeyboardInterrupt):
        AtomicLocalBackend().put(b'half a checkpoint', target)
    assert target.read_bytes() == before  # the old file is intact
    assert is_complete_checkpoint(target)
    assert [p.name for p in tmp_path.iterdir()] == ['iter_2.pth']


def test_training_checkpoints_use_the_atomic_backend(trained):
    work_dir, result = trained
    log = full_log(work_dir)
    assert "backend_args=dict(backend='atomic_local')" in log
    assert not list(work_dir.glob('*.tmp-*'))


def test_non_finite_loss_stops_the_run(demo_data, tmp_path):
    """Through mmseg's own train.py: the stop comes from the config."""
    config = fault_config(tmp_path, "dict(type='InjectNaNHook', at_iter=3)")
    result = run_mmseg_tool('train.py', config, '--work-dir', tmp_path,
                            '--cfg-options', *tiny_run_options(demo_data),
                            env=FAULT_HOOKS_PATH,
                            check=False)
    assert result.returncode != 0
    assert 'FloatingPointError: Non-finite loss at iteration 3' in \
        result.stderr
    assert not (tmp_path / 'iter_4.pth').exists()


def test_misspelt_config_argument_is_an_error(demo_data, tmp_path):
    result = run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', tmp_path,
                      '--cfg-options', *tiny_run_options(demo_data),
                      'model.backbone.drop_path_rat=0.1', check=False)
    assert result.returncode != 0
    assert ("unknown argument(s) 'drop_path_rat' (did you mean "
            "'drop_path_rate'?)") in result.stderr


def test_truncated_checkpoint_for_test_is_named(trained, demo_data,
                                                tmp_path):
    work_dir, _ = trained
    cut = tmp_path / 'cut.pth'
    cut.write_bytes((work_dir / 'iter_4.pth').read_bytes()[:50_000])
    result = run_tool('tools/test.py', DEMO_CONFIG, cut, '--work-dir',
                      tmp_path, '--cfg-options',
                      *data_options(demo_data, ['test']), check=False)
    assert result.returncode != 0
    assert f'{cut} is not a readable PyTorch checkpoint' in result.stderr


@pytest.fixture
def malicious(trained, tmp_path):
    """A real checkpoint with a payload that creates a marker file."""
    work_dir, _ = trained
    ckpt = torch.load(work_dir / 'iter_4.pth', weights_only=True)
    marker = tmp_path / 'PWNED'
    ckpt['meta']['payload'] = CodeRunningPayload(marker)
    path = tmp_path / 'evil.pth'
    torch.save(ckpt, path)
    return path, marker


def test_untrusted_checkpoint_is_refused_by_test_py(malicious, demo_data,
                                                    tmp_path):
    """The tool's wiring, once: every loading path (load_from, --resume,
    test.py, infer.py, init_model) refuses the file in process
    (tests/test_checkpoint/test_loading_paths.py)."""
    path, marker = malicious
    result = run_tool('tools/test.py', DEMO_CONFIG, path, '--work-dir',
                      tmp_path / 'wd', '--cfg-options',
                      *data_options(demo_data, ['test']), check=False)
    assert result.returncode != 0
    assert f'Refused to load {path}' in result.stderr
    assert not marker.exists()


def test_the_payload_is_live(malicious):
    """The same file runs code when unpickled unsafely: the tests above are
    real."""
    path, marker = malicious
    subprocess.run([sys.executable, '-c',
                    f'import torch; torch.load({str(path)!r}, '
                    f'weights_only=False)'], check=True, cwd=ROOT)
    assert marker.exists()


def test_a_bad_label_is_skipped_and_reported(demo_data, tmp_path):
    """skip_corrupt through train.py's --cfg-options: the sample is skipped,
    named and counted at the end of training, which finishes, and the run
    leaves nothing in TMPDIR (the skipped samples' list, shared by the
    dataloader workers, is removed at exit). That a bad label stops
    training without it, naming the file, is shown in process
    (tests/test_datasets/test_checked_ade20k.py: the same loader on the
    same dataset)."""
    import shutil

    import cv2
    root = tmp_path / 'ADEChallengeData2016'
    shutil.copytree(demo_data, root)
    bad = root / 'annotations' / 'training' / 'ADE_train_00000003.png'
    label = cv2.imread(str(bad), cv2.IMREAD_UNCHANGED)
    label[5, 5] = 180
    cv2.imwrite(str(bad), label)
    # 3 x 4 draws: the first epoch of the 12 shuffled images hits every one
    opts = tiny_run_options(root, max_iters=3, interval=3) + [
        'train_dataloader.batch_size=4']
    tmp = tmp_path / 'tmp'
    tmp.mkdir()
    result = run_tool('tools/train.py', DEMO_CONFIG, '--work-dir',
                      tmp_path / 'skip', '--cfg-options', *opts,
                      'train_dataloader.dataset.skip_corrupt=True',
                      env=dict(TMPDIR=str(tmp)))
    log = result.stdout + result.stderr
    assert re.search(r'Skipped \d+ corrupt training sample\(s\)', log)
    assert 'ADE_train_00000003.png: label values [180]' in log
    assert (tmp_path / 'skip' / 'iter_3.pth').is_file()
    assert list(tmp.iterdir()) == []
