"""The options and config handling that ``tools/train.py`` and
``tools/test.py`` share (as mmseg's tools have them).

The tools only add options: what every run gets (checked data, strict and
safe checkpoint loading, plain atomic checkpoints, exact resume, the stop on a
non-finite loss) comes from the configs, so mmseg's own tools get it too.
"""
import os
from pathlib import Path

from ..engine.compile import backend_name, compile_option
from ..engine.cpu_distributed import use_cpu_processes
from ..engine.process_group import set_local_rank
from .config import load_config

__all__ = ['add_common_args', 'config_from_args', 'add_hook']


def add_common_args(parser) -> None:
    """The options train.py and test.py share (as mmseg's tools)."""
    from mmengine.config import DictAction
    parser.add_argument('--work-dir',
                        help='the dir to save logs, models and metrics '
                        '(default: work_dirs/CONFIG_NAME)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings in the config, key=value (a.b=1 c=[1,2])')
    parser.add_argument(
        '--compile', nargs='?', const='inductor', metavar='BACKEND',
        type=backend_name,
        help="torch.compile the segmentor's backbone and heads (torch's "
        "backend name; no value: inductor; the config's compile key). "
        'Checkpoints keep plain names; the first iterations include the '
        'compilation (minutes on a CPU)')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        help='job launcher (tools/dist_*.sh and '
                        'tools/slurm_*.sh set it)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0,
                        help='this process\'s rank on its node (set by the '
                        'launcher)')


def config_from_args(args):
    """Read ``args.config`` (registering the project's modules), merge
    ``--cfg-options``, set the work dir (``work_dirs/CONFIG_NAME`` by default),
    the launcher and ``--compile`` (mmengine's ``compile``)."""
    cfg = load_config(args.config, args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = os.path.join('./work_dirs',
                                    Path(args.config).stem)
    cfg.launcher = args.launcher
    if getattr(args, 'compile', None):
        # mmengine's own key; SegRunner (and test.py with any runner)
        # compiles the segmentor's parts with it (engine/compile.py).
        cfg.compile = compile_option(args.compile)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    set_local_rank(args.launcher)  # mpi: the MPI variable, not that 0
    # mmengine's `pytorch` launcher needs CUDA; on CPUs start gloo here.
    use_cpu_processes(cfg, args.launcher)
    return cfg


def add_hook(cfg, hook_type: str) -> None:
    """Append a hook to ``custom_hooks`` once."""
    hooks = list(cfg.get('custom_hooks', []))
    if not any(h.get('type') == hook_type for h in hooks):
        hooks.append(dict(type=hook_type))
    cfg.custom_hooks = hooks
