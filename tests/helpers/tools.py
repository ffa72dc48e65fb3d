"""Running the tools in tests: options for tiny CPU runs, subprocess helper."""
import atexit
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Optional

import torch

ROOT = Path(__file__).resolve().parents[2]
DEMO_CONFIG = 'configs/demo/fpn_inceptionnext_atto_demo.py'


def _on_the_fork() -> bool:
    from inceptionnext_seg.environment import installed_distributions
    return any(dist.startswith('onedl-')
               for dist, _ in installed_distributions('mmseg'))


#: Whether the maintained fork (the extra `onedl`) is installed.
ON_THE_FORK = _on_the_fork()


def tool_path(name: str) -> Path:
    """The script of ``tools/`` or one of its folders named ``name``
    (``benchmark`` is ``tools/analysis_tools/benchmark.py``)."""
    found = sorted((ROOT / 'tools').rglob(f'{name}.py'))
    assert len(found) == 1, f'tools/**/{name}.py: {found}'
    return found[0]


def load_tool(name):
    """A script of ``tools/`` (by name), or any script (by path), as a module
    (its ``main`` and helpers), loaded from its file: the tools are scripts,
    not a package."""
    import importlib.util
    path = Path(name) if str(name).endswith('.py') else tool_path(name)
    spec = importlib.util.spec_from_file_location(f'tool_{path.stem}', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def tool_parser(script):
    """The ``argparse`` parser a tool script builds (a name of ``tools/`` or
    a path): its ``build_parser()``, which every tool has
    (tests/test_tools/test_help.py) and which parses nothing."""
    return load_tool(script).build_parser()


def tool_args(script, argv):
    """The arguments (``argparse.Namespace``) a tool script takes from
    ``argv``: a tool of this project parses with its ``build_parser()``;
    mmseg's own tools build their parser inside ``parse_args()`` from
    ``sys.argv``, so theirs runs with ``sys.argv`` (and ``os.environ``, which
    its train.py and test.py write ``LOCAL_RANK`` to) set for the call and
    restored after. argparse exits (2) on an option the tool does not have or
    a value it refuses."""
    path = Path(script) if str(script).endswith('.py') else tool_path(script)
    tool = load_tool(path)
    if hasattr(tool, 'build_parser'):
        return tool.build_parser().parse_args([str(a) for a in argv])
    argv_before, env_before = sys.argv, dict(os.environ)
    sys.argv = [str(path)] + [str(a) for a in argv]
    try:
        return tool.parse_args()
    finally:
        sys.argv = argv_before
        os.environ.clear()
        os.environ.update(env_before)


def full_log(work_dir) -> str:
    """The complete log file of the newest run in ``work_dir`` (the console
    shows a digest of it: SegRunner)."""
    logs = sorted(Path(work_dir).glob('*/*.log'))
    assert logs, f'no log file in {work_dir}'
    return logs[-1].read_text()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def data_options(root, splits=('train', 'val', 'test')):
    return [f'{s}_dataloader.dataset.data_root={root}' for s in splits]


def tiny_run_options(root, max_iters=4, interval=2):
    """Options that make the demo config train in seconds on the CPU: the
    package's short schedule (``short_run_options``, as ``tools/misc/demo.py
    --iters``; a warm-up of 2, which a resumed 6-iteration run keeps), a
    batch of 2 and no worker processes."""
    from inceptionnext_seg.utils.short_run import short_run_options
    return data_options(root) + short_run_options(
        max_iters, interval=interval, warmup=2, log_interval=1) + [
        'train_dataloader.batch_size=2',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
    ]


def one_block_per_stage(arch: str = 'atto') -> dict:
    """An InceptionNeXt ``arch`` (by default the demo config's, atto: 2, 2,
    6, 2 blocks) with its widths and one block per stage, as
    ``merge_from_dict`` options (and as ``fault_config``'s changes for a
    config file): for the tests whose subject is not the depth and whose time
    is mostly spent on every block again: torch.compile's (dynamo traces each
    block: atto's twelve take 8 s of a compiled forward and backward, four
    take 6 s) and the exports of the S and B configs (27 blocks in stage 3)."""
    from backbones import InceptionNeXt
    settings = dict(InceptionNeXt.arch_settings[arch], depths=(1, 1, 1, 1))
    return {'model.backbone.arch': dict(settings, _delete_=True)}


def atto_model_options(head: str) -> list:
    """``--cfg-options`` that shrink a UperNet-T or FPN-T config's model to
    InceptionNeXt-atto with narrow heads (``head``: 'upernet' or 'fpn'),
    for the end-to-end runs whose subject is the data, the classes or the
    folders rather than the model (the full-size models are built, loaded
    and trained a step in process: tests/test_configs/
    test_ade20k_configs.py)."""
    backbone = ['model.backbone.arch=atto']
    if head == 'upernet':
        return backbone + [
            'model.decode_head.in_channels=[40,80,160,320]',
            'model.decode_head.channels=32',
            'model.auxiliary_head.in_channels=160',
            'model.auxiliary_head.channels=16']
    if head == 'fpn':
        return backbone + [
            'model.neck.in_channels=[40,80,160,320]',
            'model.neck.out_channels=32',
            'model.decode_head.in_channels=[32,32,32,32]',
            'model.decode_head.channels=32']
    raise ValueError(f'head: upernet or fpn, got {head!r}')


class ToolServer:
    """Runs python tools as children forked from tests/helpers/
    tool_server.py, which has imported torch, timm, mmengine and mmseg once
    (see that file): each run skips ~8 s of imports and is otherwise
    ``python SCRIPT ARGS``."""

    def __init__(self, env: dict):
        self.proc = subprocess.Popen(
            [sys.executable, '-m', 'tests.helpers.tool_server'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env=env, cwd=ROOT)
        self.lock = threading.Lock()

    def _answer(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError('tests/helpers/tool_server.py stopped')
        return json.loads(line)

    def run(self, argv, env, timeout, cwd, ranks=1):
        import tempfile
        with self.lock, tempfile.TemporaryDirectory() as tmp:
            out, err = Path(tmp) / 'stdout', Path(tmp) / 'stderr'
            self.proc.stdin.write(json.dumps(dict(
                argv=argv, cwd=str(cwd), env=env, stdout=str(out),
                stderr=str(err), ranks=ranks)) + '\n')
            self.proc.stdin.flush()
            pids = self._answer(60)['pids']
            answer = self._answer(timeout)
            if answer is None:
                for pid in pids:
                    os.kill(pid, signal.SIGKILL)
                self._answer(60)
                raise subprocess.TimeoutExpired(argv, timeout)
            return subprocess.CompletedProcess(
                argv, answer['returncode'], out.read_text(errors='replace'),
                err.read_text(errors='replace'))

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


_server = None


def _tool_server(env: dict) -> ToolServer:
    global _server
    if _server is None:
        _server = ToolServer(env)
        atexit.register(_server.close)
    return _server


def _tool_env(gpu: bool = False) -> dict:
    """The environment of a tool run: no GPU unless ``gpu``, one thread."""
    base = dict(os.environ, PYTHONWARNINGS='ignore', PYTHON=sys.executable,
                OMP_NUM_THREADS='1')
    if not gpu:
        base['CUDA_VISIBLE_DEVICES'] = ''
    return base


def run_tool(*args, env=None, timeout=600, check=True, gpu=False, cwd=ROOT,
             fresh=False):
    """Run a tool (python script or shell script), from the repo root unless
    ``cwd`` is given.

    The tool sees no GPU unless ``gpu`` (tests/test_gpu.py), so that the
    tiny CPU runs behave the same on machines with and without CUDA.
    Python tools run in a child of tests/helpers/tool_server.py (the
    libraries imported once) unless ``fresh``, ``gpu``,
    ``TOOL_RUNS=subprocess`` or a ``PYTHONPATH`` in ``env`` (only a new
    interpreter reads it) other than the clone's (the server's own import
    path starts with the clone: tests/helpers/tool_server.py): then in a
    new interpreter, as shell scripts (torchrun) always do."""
    args = [str(a) for a in args]
    base = _tool_env(gpu)
    full_env = dict(base, **(env or {}))
    if fresh or args[0].endswith('.sh') or gpu or \
            (env or {}).get('PYTHONPATH', str(ROOT)) != str(ROOT) or \
            os.environ.get('TOOL_RUNS') == 'subprocess':
        cmd = args if args[0].endswith('.sh') else [sys.executable] + args
        result = subprocess.run(cmd, cwd=cwd, capture_output=True,
                                text=True, env=full_env, timeout=timeout)
    else:
        # The server imports with the GPUs hidden (mmengine asks CUDA at
        # import time), as every run it serves has them hidden.
        result = _tool_server(base).run(args, full_env, timeout, cwd)
    if check and result.returncode != 0:
        raise AssertionError(
            f'{" ".join(args)} failed ({result.returncode}):\n'
            f'{result.stdout[-3000:]}\n{result.stderr[-5000:]}')
    return result


def run_ranks(ranks: int, script, *args, timeout=600):
    """Run a python tool as ``ranks`` processes of one gloo process group,
    forked from the tool server at once with the environment torchrun gives
    its processes on one node, and ``--launcher pytorch`` (tests/helpers/
    tool_server.py): a multi-process run without torchrun's start-up and its
    new interpreters'. (tools/dist_train.sh itself runs through torchrun:
    tests/test_reliability/test_preemption.py; the torchrun command of both
    dist scripts: tests/test_tools/test_launch_scripts.py.)"""
    args = [str(script)] + [str(a) for a in args] + ['--launcher', 'pytorch']
    base = _tool_env()
    port = str(free_port())
    if os.environ.get('TOOL_RUNS') == 'subprocess':  # new interpreters
        result = subprocess.run(
            [sys.executable, '-m', 'torch.distributed.run',
             f'--nproc_per_node={ranks}', f'--master_port={port}', *args],
            cwd=ROOT, capture_output=True, text=True, env=base,
            timeout=timeout)
    else:
        result = _tool_server(base).run(
            args, dict(base, MASTER_ADDR='127.0.0.1', MASTER_PORT=port),
            timeout, ROOT, ranks=ranks)
    if result.returncode != 0:
        raise AssertionError(
            f'{ranks} ranks of {" ".join(args)} failed '
            f'({result.returncode}):\n{result.stdout[-3000:]}\n'
            f'{result.stderr[-5000:]}')
    return result


def run_snippet(code: str, folder: Path, **kwargs):
    """Run ``code`` as a user's script in ``folder``: the project is
    installed (``make install``), no ``PYTHONPATH``."""
    script = Path(folder) / 'snippet.py'
    script.write_text(code)
    return run_tool(script, cwd=folder, **kwargs)


def mmseg_tool(name: str) -> str:
    """Path of one of mmseg's own tools, as its wheel ships them."""
    import mmseg
    return str(Path(mmseg.__file__).parent / '.mim' / 'tools' / name)


def run_mmseg_tool(name, *args, **kwargs):
    """Run mmseg's own tool (from the repo root unless ``cwd``): the project
    is installed, so the configs' ``custom_imports`` find its modules with
    no ``PYTHONPATH``."""
    return run_tool(mmseg_tool(name), *args, **kwargs)


class CodeRunningPayload:
    """An object whose unpickling would run ``touch MARKER``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def randomize_batchnorm(model: torch.nn.Module, seed: int = 0) -> None:
    """Give every BN layer non-trivial affine parameters and statistics."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            m.weight.data = 1 + 0.2 * torch.randn(n, generator=gen)
            m.bias.data = 0.2 * torch.randn(n, generator=gen)
            m.running_mean = 0.2 * torch.randn(n, generator=gen)
            m.running_var = 0.5 + torch.rand(n, generator=gen)
    for name, p in model.named_parameters():
        if name.endswith('gamma'):  # layer scale 1e-6 would hide the blocks
            p.data = 0.5 + torch.rand(p.shape, generator=gen)


def make_timm_model(arch: str, seed: int = 0,
                    depths: Optional[tuple] = None) -> torch.nn.Module:
    """timm's reference InceptionNeXt with random weights and BN stats (with
    other ``depths`` where given)."""
    import timm
    torch.manual_seed(seed)
    model = timm.create_model(f'inception_next_{arch}', pretrained=False,
                              **({'depths': depths} if depths else {}))
    randomize_batchnorm(model, seed)
    return model.eval()


def resume_copy(train, work_dir: Path, dest: Path, root: Path) -> str:
    """Copy a 4-iteration run's work dir to ``dest`` and resume it there from
    its latest checkpoint to 6 iterations with ``train(*args)`` (this
    project's or mmseg's train.py); check it continued at iteration 5 and
    wrote a checkpoint plain ``torch.load(weights_only=True)`` reads.

    Returns:
        The console output and the complete log file of the resumed run.
    """
    import shutil
    shutil.copytree(work_dir, dest)
    (dest / 'last_checkpoint').write_text(str(dest / 'iter_4.pth'))
    result = train(DEMO_CONFIG, '--work-dir', dest, '--resume',
                   '--cfg-options', *tiny_run_options(root, max_iters=6))
    log = result.stdout + result.stderr
    assert 'resumed epoch: 0, iter: 4' in log
    assert 'Iter(train) [5/6]' in log and 'Iter(train) [1/6]' not in log
    final = torch.load(dest / 'iter_6.pth', weights_only=True)
    assert final['meta']['iter'] == 6
    return log + full_log(dest)
