"""Shared start-up of the tools: import path, option parsing, launcher.

The tools only add options: what every run gets (checked data, strict and
safe checkpoint loading, plain atomic checkpoints, exact resume, the stop on a
non-finite loss) comes from the configs, so mmseg's own tools get it too.
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tools run from anywhere, no `pip install -e`
    sys.path.insert(0, str(ROOT))

# Known-bad library combinations stop here, with the fix, before mmseg's
# imports fail on them less clearly.
from backbones.environment import check_environment  # noqa: E402

check_environment()

try:
    import mmseg.models  # noqa: E402,F401
except ModuleNotFoundError as err:
    if err.name != 'mmcv._ext':
        raise
    raise SystemExit(
        'mmseg cannot import mmcv.ops: this environment has mmcv-lite (no '
        'compiled ops) without the stand-in for mmcv.ops. Install it with\n'
        f'  {sys.executable} {ROOT / "tools" / "mmcv_lite_ops.py"} install\n'
        '(`make install` does this for .venv), or install the full mmcv.'
    ) from err

from seg_ext.distributed import use_cpu_processes  # noqa: E402
from seg_ext.runtime import load_config  # noqa: E402


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
    ``--cfg-options``, set the work dir (``work_dirs/CONFIG_NAME`` by default)
    and the launcher."""
    cfg = load_config(args.config, args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = os.path.join('./work_dirs',
                                    Path(args.config).stem)
    cfg.launcher = args.launcher
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    # mmengine's `pytorch` launcher needs CUDA; on CPUs start gloo here.
    use_cpu_processes(cfg, args.launcher)
    return cfg


def add_hook(cfg, hook_type: str) -> None:
    """Append a hook to ``custom_hooks`` once."""
    hooks = list(cfg.get('custom_hooks', []))
    if not any(h.get('type') == hook_type for h in hooks):
        hooks.append(dict(type=hook_type))
    cfg.custom_hooks = hooks
