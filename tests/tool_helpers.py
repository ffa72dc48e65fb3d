"""Running the tools in tests: options for tiny CPU runs, subprocess helper."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = 'configs/demo/fpn_inceptionnext_atto_demo.py'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def data_options(root, splits=('train', 'val', 'test')):
    return [f'{s}_dataloader.dataset.data_root={root}' for s in splits]


def tiny_run_options(root, max_iters=4, interval=2):
    """Options that make the demo config train in seconds on the CPU."""
    return data_options(root) + [
        f'train_cfg.max_iters={max_iters}',
        f'train_cfg.val_interval={interval}',
        f'default_hooks.checkpoint.interval={interval}',
        'default_hooks.logger.interval=1',
        'train_dataloader.batch_size=2',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'param_scheduler.0.end=2', 'param_scheduler.1.begin=2',
        f'param_scheduler.1.end={max_iters}',
    ]


def run_tool(*args, env=None, timeout=600, check=True, gpu=False):
    """Run a tool (python script or shell script) from the repo root.

    The tool sees no GPU unless ``gpu`` (tests/test_gpu.py), so that the
    tiny CPU runs behave the same on machines with and without CUDA."""
    args = [str(a) for a in args]
    cmd = args if args[0].endswith('.sh') else [sys.executable] + args
    full_env = dict(os.environ, PYTHONWARNINGS='ignore', PYTHON=sys.executable,
                    OMP_NUM_THREADS='1')
    if not gpu:
        full_env['CUDA_VISIBLE_DEVICES'] = ''
    full_env.update(env or {})
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                            env=full_env, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(
            f'{" ".join(args)} failed ({result.returncode}):\n'
            f'{result.stdout[-3000:]}\n{result.stderr[-5000:]}')
    return result


def mmseg_tool(name: str) -> str:
    """Path of one of mmseg's own tools, as its wheel ships them."""
    import mmseg
    return str(Path(mmseg.__file__).parent / '.mim' / 'tools' / name)


def run_mmseg_tool(name, *args, env=None, **kwargs):
    """Run mmseg's own tool from the repo root with ``PYTHONPATH=.``, as
    mmseg's projects are run."""
    return run_tool(mmseg_tool(name), *args,
                    env={'PYTHONPATH': str(ROOT), **(env or {})}, **kwargs)


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


def make_timm_model(arch: str, seed: int = 0) -> torch.nn.Module:
    """timm's reference InceptionNeXt with random weights and BN stats."""
    import timm
    torch.manual_seed(seed)
    model = timm.create_model(f'inception_next_{arch}', pretrained=False)
    randomize_batchnorm(model, seed)
    return model.eval()


def resume_copy(train, work_dir: Path, dest: Path, root: Path) -> str:
    """Copy a 4-iteration run's work dir to ``dest`` and resume it there from
    its latest checkpoint to 6 iterations with ``train(*args)`` (this
    project's or mmseg's train.py); check it continued at iteration 5 and
    wrote a checkpoint plain ``torch.load(weights_only=True)`` reads.

    Returns:
        The log of the resumed run.
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
    return log
