"""Shared start-up of the tools: import path, project modules, device setup."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tools run from anywhere, no `pip install -e`
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import seg_ext  # noqa: E402,F401  (safe checkpoint loading, CPU DDP, hooks)
from seg_ext.runtime import adapt_to_device, load_config  # noqa: E402

# Hooks every training run gets (seg_ext/engine.py says why).
TRAIN_HOOKS = ('PlainCheckpointHook', 'ResumableRandomnessHook',
               'NonFiniteLossHook', 'CorruptSampleReportHook')


def add_common_args(parser) -> None:
    """The options train.py and test.py share (as mmseg's tools)."""
    from mmengine.config import DictAction
    parser.add_argument('--work-dir',
                        help='the dir to save logs, models and metrics')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings in the config, key=value (a.b=1 c=[1,2])')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def config_from_args(args):
    """Read ``args.config`` (registering the project's modules), merge
    ``--cfg-options`` and set the work dir (``work_dirs/CONFIG_NAME`` by
    default)."""
    cfg = load_config(args.config, args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = os.path.join('./work_dirs',
                                    Path(args.config).stem)
    return cfg


def add_hook(cfg, hook_type: str) -> None:
    """Append one of this project's hooks to ``custom_hooks`` once."""
    hooks = list(cfg.get('custom_hooks', []))
    if not any(h.get('type') == hook_type for h in hooks):
        hooks.append(dict(type=hook_type))
    cfg.custom_hooks = hooks


def setup_training(cfg) -> None:
    """Checkpoints that resume with weights_only=True and are written
    atomically, exact resume, and stops on non-finite losses."""
    for hook in TRAIN_HOOKS:
        add_hook(cfg, hook)
    checkpoint = cfg.default_hooks.get('checkpoint')
    if checkpoint is not None and not checkpoint.get('backend_args'):
        checkpoint['backend_args'] = dict(backend='atomic_local')


def setup_launcher(cfg, launcher: str) -> None:
    """Record the launcher; without CUDA, start torch.distributed on gloo.

    mmengine 0.10.7's ``pytorch`` launcher calls ``torch.cuda.set_device``
    unconditionally, so CPU processes are initialised here and the Runner
    finds the process group ready. With CUDA, the Runner initialises it as
    mmseg users know.
    """
    cfg.launcher = launcher
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = '0'
    adapt_to_device(cfg)
    if launcher == 'none' or torch.cuda.is_available():
        return
    import torch.distributed as dist
    if launcher != 'pytorch':
        raise SystemExit(f'--launcher {launcher} needs CUDA here; on CPU use '
                         f'--launcher pytorch (tools/dist_train.sh).')
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
