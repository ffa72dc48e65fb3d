"""Start-up server for the tool runs of the test suite.

Importing torch, torchvision, timm, mmengine, mmseg and matplotlib takes 3 to 8
s on a 2-core CPU, longer than most tiny tool runs themselves. This process
imports those third-party libraries once (nothing of this project: `backbones`,
`inceptionnext_seg` and the configs' `custom_imports` are imported by each run,
as in a fresh interpreter) and then forks one child per request, which runs the
tool as ``python SCRIPT ARGS`` would: ``sys.argv``, environment (``TMPDIR``
too), working directory, warnings filters and torch's thread count come from
the request, stdout/stderr go to the given files, the exit handlers run at its
end (its temporary files removed), and the exit status is the tool's (a signal
gives -N). The import path is the server's own (the tools import the
installed project, nothing beside them), which starts with the clone (``python
-m`` from it), as ``PYTHONPATH=<clone>`` would have it (the fault tests' hooks,
``tests.helpers.fault_hooks``); a request that sets another ``PYTHONPATH`` runs
in a new interpreter instead (tests/helpers/tools.py).

A request with ``"ranks": N`` (N > 1) forks N children at once, the processes
of one process group as torchrun starts them on one node: each gets
``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE`` and ``LOCAL_WORLD_SIZE`` (the request
gives ``MASTER_ADDR`` and ``MASTER_PORT``), and they write to the same stdout
and stderr, as torchrun's processes do; the first to fail ends the others
(SIGKILL, as torchrun does) and gives the status.

Protocol (one JSON object per line): request ``{"argv", "cwd", "env",
"stdout", "stderr"[, "ranks"]}`` on stdin; the server answers ``{"pids":
[N, ...]}`` at once and ``{"returncode": N}`` when the children end.
tests/helpers/tools.py drives it; ``TOOL_RUNS=subprocess`` makes every run a
fresh interpreter instead.
"""
import json
import os
import signal
import sys

import cv2  # noqa: F401,E402
# mmengine's visualizer draws with matplotlib's object API (every runner)
import matplotlib.backends.backend_agg  # noqa: F401,E402
import matplotlib.figure  # noqa: F401,E402
import mmengine.runner  # noqa: F401,E402
import mmseg.apis  # noqa: F401,E402
import mmseg.models  # noqa: F401,E402
# What every tool run imports, in the order a fresh interpreter would.
import numpy  # noqa: F401,E402
import timm  # noqa: F401,E402
import torch  # noqa: E402
import torchvision  # noqa: F401,E402


def run_child(request: dict) -> None:
    """In the forked child: become ``python SCRIPT ARGS``; never returns."""
    code = 1
    try:
        # (created empty by the server; appended to, as by several ranks)
        out = os.open(request['stdout'], os.O_WRONLY | os.O_APPEND)
        err = os.open(request['stderr'], os.O_WRONLY | os.O_APPEND)
        null = os.open(os.devnull, os.O_RDONLY)
        for fd, target in ((null, 0), (out, 1), (err, 2)):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request['cwd'])
        os.environ.clear()
        os.environ.update(request['env'])
        script = os.path.abspath(request['argv'][0])
        sys.argv = [script] + request['argv'][1:]
        import warnings
        warnings.resetwarnings()
        for spec in filter(None, os.environ.get('PYTHONWARNINGS',
                                                '').split(',')):
            warnings.simplefilter(spec.split(':')[0])
        threads = os.environ.get('OMP_NUM_THREADS')
        if threads:
            torch.set_num_threads(int(threads))
        import runpy
        runpy.run_path(script, run_name='__main__')
        code = 0
    except SystemExit as exit_:
        if exit_.code is None:
            code = 0
        elif isinstance(exit_.code, int):
            code = exit_.code
        else:
            print(exit_.code, file=sys.stderr)
            code = 1
    except BaseException:  # noqa: B902 (report everything, as python does)
        import traceback
        traceback.print_exc()
        code = 1
    finally:
        # The exit handlers run, as at an interpreter's end (the tool's
        # temporary files, multiprocessing's folder, logging's flush; the
        # server's handlers too, as a new interpreter has its own), but
        # without waiting for non-daemon threads or tearing the imported
        # libraries down.
        import atexit
        atexit._run_exitfuncs()  # (private: tests/test_tool_runs.py)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    # The imported libraries' objects out of the garbage collector's full
    # passes in every child (each would otherwise walk them again; mmengine's
    # dataset set-up calls one per dataset): 0.3-0.5 s of a 2 s tool run.
    # Nothing else changes: they live as long as the process anyway.
    import gc
    gc.freeze()
    # Where its config folder is not writable, matplotlib made a temporary
    # one that it removes at exit: every child uses it, none may remove it.
    import atexit
    import shutil
    atexit.unregister(shutil.rmtree)
    for line in sys.stdin:
        request = json.loads(line)
        for name in ('stdout', 'stderr'):
            open(request[name], 'w').close()
        ranks = request.get('ranks', 1)
        sys.stdout.flush()
        pids = []
        for rank in range(ranks):
            if ranks > 1:
                request['env'].update(
                    RANK=str(rank), LOCAL_RANK=str(rank),
                    WORLD_SIZE=str(ranks), LOCAL_WORLD_SIZE=str(ranks))
            pid = os.fork()
            if pid == 0:
                run_child(request)
            pids.append(pid)
        print(json.dumps({'pids': pids}), flush=True)
        running, returncode = set(pids), 0
        while running:
            pid, status = os.wait()
            running.discard(pid)
            code = os.waitstatus_to_exitcode(status)
            if code and not returncode:
                returncode = code
                for other in running:  # ranks waiting on the failed one
                    os.kill(other, signal.SIGKILL)
        print(json.dumps({'returncode': returncode}), flush=True)


if __name__ == '__main__':
    main()
