"""Stand-ins for Slurm's ``srun`` and ``scontrol`` that behave as Slurm does
where the launch scripts depend on it (slurm's srun(1) man page):

* ``srun`` starts ``--ntasks`` tasks with ``SLURM_PROCID``/``SLURM_LOCALID``/
  ``SLURM_NTASKS`` set, forwards SIGTERM, SIGINT, SIGUSR1 and SIGUSR2 to all
  of them, and with ``--kill-on-bad-exit=1`` ends the others (SIGTERM, then
  SIGKILL after 5 s) as soon as one exits with a non-zero status; its own
  status is the highest of the tasks', a task ended by a signal counting
  128 + the signal (so a rank ended while shutting down makes it 143);
* ``scontrol requeue JOB`` is recorded, ``scontrol show hostname`` answers
  localhost.

The tasks run ``$SRUN_TASK`` (a Python file) instead of the command line
srun was given, which is recorded: train.py itself cannot take
``--launcher slurm`` on a machine without CUDA (mmengine binds a GPU per
task).
"""
import stat
from pathlib import Path

__all__ = ['slurm_stand_ins']

SRUN = r'''#!{python}
import os, signal, subprocess, sys, time
args = sys.argv[1:]
ntasks, kill_bad, command = 1, False, []
while args:
    arg = args.pop(0)
    if arg.startswith('--ntasks='):
        ntasks = int(arg.split('=', 1)[1])
    elif arg.startswith('--kill-on-bad-exit'):
        kill_bad = arg.split('=', 1)[-1] != '0'
    elif arg in ('-p', '--partition', '-J', '-n'):
        args.pop(0)
    elif arg.startswith('-'):
        continue
    else:
        command = [arg] + args
        break
with open(os.environ['SLURM_CALLS'], 'a') as f:
    f.write('srun ' + ' '.join(sys.argv[1:]) + '\n')
with open(os.environ['SLURM_CALLS'] + '.srun_pid', 'w') as f:
    f.write(str(os.getpid()))
tasks = [subprocess.Popen(
    [sys.executable, os.environ['SRUN_TASK']],
    env=dict(os.environ, SLURM_PROCID=str(i), SLURM_LOCALID=str(i),
             SLURM_NTASKS=str(ntasks)))
    for i in range(ntasks)]
def forward(signum, frame):
    for task in tasks:
        if task.poll() is None:
            task.send_signal(signum)
for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1,
               signal.SIGUSR2):
    signal.signal(signum, forward)
killed_at = None
while [t.poll() for t in tasks].count(None):
    if kill_bad and killed_at is None and any(
            t.returncode not in (None, 0) for t in tasks):
        killed_at = time.time()
        for task in tasks:
            if task.poll() is None:
                task.terminate()
    if killed_at and time.time() - killed_at > 5:
        for task in tasks:
            if task.poll() is None:
                task.kill()
    time.sleep(0.01)
codes = [t.returncode if t.returncode >= 0 else 128 - t.returncode
         for t in tasks]
sys.exit(max(codes))
'''

SCONTROL = '''#!/bin/bash
if [ "$1" = show ] && [ "$2" = hostname ]; then echo localhost; exit 0; fi
echo "scontrol $*" >> "$SLURM_CALLS"
'''


def slurm_stand_ins(folder: Path, python: str) -> Path:
    """Write ``srun`` and ``scontrol`` into ``folder`` (put it first on
    PATH; set SLURM_CALLS to the file that records the calls and SRUN_TASK
    to the tasks' program)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (('srun', SRUN.replace('{python}', python)),
                       ('scontrol', SCONTROL)):
        path = folder / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return folder
