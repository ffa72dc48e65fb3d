"""tools/dist_*.sh and tools/slurm_*.sh: usage on --help or missing
arguments, the project's Python without activating anything, and the srun
request the Slurm scripts make (checked with a stand-in srun)."""
import os
import shutil
import subprocess

import pytest

from tests.helpers.tools import ROOT

SCRIPTS = {'dist_train.sh': 2, 'dist_test.sh': 3, 'slurm_train.sh': 4,
           'slurm_test.sh': 4}


def script(name, *args, env=None, cwd=ROOT):
    return subprocess.run(['bash', str(ROOT / 'tools' / name),
                           *map(str, args)],
                          capture_output=True, text=True, cwd=cwd,
                          env=dict(os.environ, **(env or {})))


@pytest.mark.parametrize('name', sorted(SCRIPTS))
def test_usage_on_help_and_on_missing_arguments(name):
    shown = script(name, '--help')
    assert shown.returncode == 0
    assert shown.stdout.startswith('usage: ') and name in shown.stdout
    missing = script(name, *['x'] * (SCRIPTS[name] - 1))
    assert missing.returncode == 2
    assert missing.stderr.startswith('usage: ') and missing.stdout == ''


def test_the_python_is_the_projects_environment(tmp_path):
    """$PYTHON, else the clone's .venv, else python3 from PATH."""
    tools = tmp_path / 'clone' / 'tools'
    tools.mkdir(parents=True)
    shutil.copy(ROOT / 'tools' / 'launch_env.sh', tools)

    def chosen(python=None):
        env = {k: v for k, v in os.environ.items() if k != 'PYTHON'}
        env['DIR'] = str(tools)
        if python:
            env['PYTHON'] = python
        return subprocess.run(
            ['bash', '-c', 'source "$DIR/launch_env.sh"; project_python'],
            capture_output=True, text=True, env=env, check=True).stdout.strip()

    assert chosen() == shutil.which('python3')
    venv_python = tmp_path / 'clone' / '.venv' / 'bin' / 'python'
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text('#!/bin/sh\n')
    venv_python.chmod(0o755)
    assert chosen() == str(venv_python)
    assert chosen('/opt/my/python') == '/opt/my/python'


@pytest.mark.parametrize('name,tool', [('slurm_train.sh', 'train.py'),
                                       ('slurm_test.sh', 'test.py')])
def test_slurm_request(name, tool, tmp_path):
    fake = tmp_path / 'bin'
    fake.mkdir()
    (fake / 'srun').write_text('#!/bin/sh\necho "srun $*"\n')
    (fake / 'srun').chmod(0o755)
    result = script(name, 'gpu', 'seg', 'CONFIG.py', 'DIR_OR_CKPT', '--tta',
                    env=dict(PATH=f'{fake}:{os.environ["PATH"]}',
                             PYTHON='/opt/py', GPUS='16',
                             SRUN_ARGS='--qos=high --time=24:00:00'),
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    expected = (
        'srun -p gpu --job-name=seg --gres=gpu:8 --ntasks=16 '
        '--ntasks-per-node=8 --cpus-per-task=5 --kill-on-bad-exit=1 '
        f'--qos=high --time=24:00:00 /opt/py -u {ROOT}/tools/{tool} '
        'CONFIG.py ' + ('--work-dir=DIR_OR_CKPT' if tool == 'train.py'
                        else 'DIR_OR_CKPT') + ' --tta --launcher=slurm')
    assert result.stdout.strip() == expected
