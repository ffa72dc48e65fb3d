"""tools/dist_*.sh and tools/slurm_*.sh: usage on --help or missing
arguments, the project's Python without activating anything, and the srun
request the Slurm scripts make (checked with a stand-in srun), and a
preempted Slurm job requeued under an srun that behaves as Slurm's."""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.slurm import slurm_stand_ins
from tests.helpers.tools import ROOT, free_port

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
    (fake / 'srun').write_text('#!/bin/sh\necho "srun $*"\n'
                               'echo "MASTER_PORT=$MASTER_PORT" >&2\n')
    (fake / 'srun').chmod(0o755)
    result = script(name, 'gpu', 'seg', 'CONFIG.py', 'DIR_OR_CKPT', '--tta',
                    env=dict(PATH=f'{fake}:{os.environ["PATH"]}',
                             PYTHON='/opt/py', GPUS='16',
                             SRUN_ARGS='--qos=high --time=24:00:00',
                             SLURM_JOB_ID='123456', MASTER_PORT=''),
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # Two jobs on one node: each its own port (mmengine's default, 29500,
    # for all of them otherwise).
    assert 'MASTER_PORT=23456' in result.stderr
    expected = (
        'srun -p gpu --job-name=seg --gres=gpu:8 --ntasks=16 '
        '--ntasks-per-node=8 --cpus-per-task=5 --kill-on-bad-exit=1 '
        + ('--signal=USR1@180 ' if tool == 'train.py' else '') +
        f'--qos=high --time=24:00:00 /opt/py -u {ROOT}/tools/{tool} '
        'CONFIG.py ' + ('--work-dir=DIR_OR_CKPT' if tool == 'train.py'
                        else 'DIR_OR_CKPT') + ' --tta --launcher=slurm')
    assert result.stdout.strip() == expected


@pytest.mark.parametrize('name,tool,args', [
    ('dist_train.sh', 'train.py', ['CONFIG.py', '2', '--amp']),
    ('dist_test.sh', 'test.py', ['CONFIG.py', 'CKPT.pth', '2', '--tta'])])
def test_dist_scripts_start_the_tool_through_torchrun(name, tool, args,
                                                      tmp_path):
    """The torchrun command of each script (a stand-in Python prints it;
    dist_train.sh's real torchrun run: the two-process preemption test, whose
    processes the two-process test.py run of test_train_test.py is started
    as), on one node and on the second of two."""
    python = tmp_path / 'python'
    python.write_text('#!/bin/sh\necho "$@"\n')
    python.chmod(0o755)
    rest = ' '.join(a for a in args if a != '2')
    expected = (f'-m torch.distributed.run --nnodes={{}} --node_rank={{}} '
                f'--master_addr={{}} --nproc_per_node=2 --master_port={{}} '
                f'{ROOT}/tools/{tool} {rest} --launcher pytorch')
    one = script(name, *args, env=dict(PYTHON=str(python), NNODES='',
                                       NODE_RANK='', MASTER_ADDR='',
                                       PORT=''))
    assert one.returncode == 0, one.stderr
    assert one.stdout.strip() == expected.format(1, 0, '127.0.0.1', 29500)
    second = script(name, *args, env=dict(PYTHON=str(python), NNODES='2',
                                          NODE_RANK='1', MASTER_ADDR='node0',
                                          PORT='29700'))
    assert second.stdout.strip() == expected.format(2, 1, 'node0', 29700)


def stand_ins(tmp_path, **programs):
    """A bin folder of shell scripts standing in for srun, scontrol, ..."""
    fake = tmp_path / 'bin'
    fake.mkdir(exist_ok=True)
    for name, body in programs.items():
        (fake / name).write_text('#!/bin/bash\n' + body)
        (fake / name).chmod(0o755)
    return f'{fake}:{os.environ["PATH"]}'


@pytest.mark.parametrize('status,job', [
    (75, '4242'),   # stopped with its checkpoint (the training requeued)
    (75, None),     # the same, srun from a login node
    (0, '4242'),    # done
    (1, '4242')])   # failed
def test_slurm_train_passes_the_status_on_and_never_requeues_itself(
        tmp_path, status, job):
    """The requeue is the training's (PreemptionHook, before any rank
    exits): the script leaves scontrol alone, whatever srun reports."""
    calls = tmp_path / 'calls'
    path = stand_ins(
        tmp_path,
        srun=f'echo "srun $*" >> {calls}; exit {status}\n',
        scontrol=f'echo "scontrol $*" >> {calls}\n')
    env = {k: v for k, v in os.environ.items() if k != 'SLURM_JOB_ID'}
    env.update(PATH=path, PYTHON='/opt/py', SIGNAL_BEFORE_END='300')
    if job:
        env['SLURM_JOB_ID'] = job
    result = subprocess.run(
        ['bash', str(ROOT / 'tools' / 'slurm_train.sh'), 'gpu', 'seg',
         'CONFIG.py', 'WORK'], capture_output=True, text=True, env=env,
        cwd=tmp_path)
    assert result.returncode == status, result.stderr
    lines = calls.read_text().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith('srun ') and '--signal=USR1@300' in lines[0]
    assert ('run the same command again to resume from WORK' in
            result.stderr) == (status == 75 and not job)


def test_a_signalled_slurm_job_is_requeued_once_its_checkpoint_is_written(
        tmp_path):
    """srun as Slurm's behaves (tests/helpers/slurm.py): the time limit's
    SIGUSR1 (a preemption's SIGTERM is handled alike) reaches both ranks,
    which stop after the same iteration; rank 0 requeues the job before
    either exits. The first rank out with 75 makes srun end the other
    (--kill-on-bad-exit=1), so srun reports 143: a script that requeued on
    srun's 75 would not requeue this job."""
    calls = tmp_path / 'calls'
    bin_dir = slurm_stand_ins(tmp_path / 'bin', sys.executable)
    env = dict(os.environ, PATH=f'{bin_dir}:{os.environ["PATH"]}',
               SLURM_JOB_ID='4242', SLURM_CALLS=str(calls),
               SRUN_TASK=str(ROOT / 'tests' / 'helpers' / 'slurm_task.py'),
               MASTER_ADDR='127.0.0.1', MASTER_PORT=str(free_port()),
               PYTHON=sys.executable, GPUS='2', GPUS_PER_NODE='2',
               PYTHONPATH=str(ROOT))
    job = subprocess.Popen(
        ['bash', str(ROOT / 'tools' / 'slurm_train.sh'), 'gpu', 'seg',
         'CONFIG.py', str(tmp_path / 'work')], env=env, cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 120
    while not all(Path(f'{calls}.ready{r}').exists() for r in (0, 1)):
        assert job.poll() is None and time.time() < deadline, \
            job.communicate()[0][-3000:]
        time.sleep(0.1)
    os.kill(int(Path(f'{calls}.srun_pid').read_text()), signal.SIGUSR1)
    output = job.communicate(timeout=120)[0]
    assert job.returncode == 143, output[-3000:]
    recorded = calls.read_text().splitlines()
    assert recorded[1:] == ['scontrol requeue 4242'], output[-3000:]
    assert Path(f'{calls}.checkpoint').exists()
    assert 'Requeued Slurm job 4242' in output


FAKE_TORCHRUN = """\
# Stands in for `python -m torch.distributed.run ...`: records each start,
# fails the first one, and on SIGTERM exits as torchrun does when its
# processes stopped (1).
echo start >> {calls}
echo "shutdown timeout $TORCH_ELASTIC_SHUTDOWN_TIMEOUT" >> {calls}.env
trap 'echo TERM >> {calls}; kill $! 2>/dev/null; exit 1' TERM
if [ "$(grep -c start {calls})" -eq 1 ] && [ -z "$WAIT" ]; then exit 1; fi
if [ -n "$WAIT" ]; then touch {calls}.ready; sleep 30 & wait; fi
exit 0
"""


def test_dist_train_restarts_after_a_failure(tmp_path):
    calls = tmp_path / 'calls'
    path = stand_ins(tmp_path, python=FAKE_TORCHRUN.format(calls=calls))
    env = dict(os.environ, PATH=path, PYTHON=str(tmp_path / 'bin/python'),
               MAX_RESTARTS='2')
    result = subprocess.run(['bash', str(ROOT / 'tools/dist_train.sh'),
                             'CONFIG.py', '2'], capture_output=True,
                            text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert calls.read_text().split() == ['start', 'start']
    assert 'start 1 of 2 restarts, resuming from the newest checkpoint' in \
        result.stderr


def test_dist_train_stops_on_sigterm_without_a_restart(tmp_path):
    import time
    calls = tmp_path / 'calls'
    path = stand_ins(tmp_path, python=FAKE_TORCHRUN.format(calls=calls))
    env = dict(os.environ, PATH=path, PYTHON=str(tmp_path / 'bin/python'),
               MAX_RESTARTS='2', WAIT='1')
    proc = subprocess.Popen(['bash', str(ROOT / 'tools/dist_train.sh'),
                             'CONFIG.py', '2'], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 30
    while not (tmp_path / 'calls.ready').exists() and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(15)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 75, err
    # torchrun's 30 s before SIGKILL would cut a validation or a save short
    assert (tmp_path / 'calls.env').read_text().split('\n')[0] == \
        'shutdown timeout 600'
    assert calls.read_text().split() == ['start', 'TERM']
    assert 'Stopped by a signal; run the same command again' in err
