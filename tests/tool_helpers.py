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
        f'train_cfg.max_iters={max_iters}', f'train_cfg.val_interval={interval}',
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


def run_tool(*args, env=None, timeout=600, check=True):
    """Run a tool (python script or shell script) from the repo root."""
    args = [str(a) for a in args]
    cmd = args if args[0].endswith('.sh') else [sys.executable] + args
    full_env = dict(os.environ, PYTHONWARNINGS='ignore', PYTHON=sys.executable,
                    OMP_NUM_THREADS='1', **(env or {}))
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                            env=full_env, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f'{" ".join(args)} failed ({result.returncode}):'
                             f'\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}')
    return result


def make_batch(n=2, size=64, num_classes=150):
    """A random uint8 batch with labels, as mmseg's dataloader gives it."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    torch.manual_seed(0)
    inputs = [torch.randint(0, 255, (3, size, size), dtype=torch.uint8)
              for _ in range(n)]
    samples = []
    for _ in range(n):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(
            data=torch.randint(0, num_classes, (1, size, size)))
        s.set_metainfo(dict(img_shape=(size, size), ori_shape=(size, size),
                            pad_shape=(size, size)))
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def mmseg_tool(name: str) -> str:
    """Path of one of mmseg's own tools, as its wheel ships them."""
    import mmseg
    return str(Path(mmseg.__file__).parent / '.mim' / 'tools' / name)


def run_mmseg_tool(name, *args, env=None, **kwargs):
    """Run mmseg's own tool from the repo root with ``PYTHONPATH=.``, as
    mmseg's projects are run."""
    return run_tool(mmseg_tool(name), *args,
                    env=dict(PYTHONPATH=str(ROOT), **(env or {})), **kwargs)


class CodeRunningPayload:
    """An object whose unpickling would run ``touch MARKER``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))
