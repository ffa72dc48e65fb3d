"""Train a segmentor (mmseg's train.py, on CPU as well as GPU).

Examples:
    python tools/train.py configs/upernet_inceptionnext_t_ade20k.py
    python tools/train.py CONFIG           # resumes its work dir's run, if any
    python tools/train.py CONFIG --resume  # latest in the work dir, any config
    python tools/train.py CONFIG --resume CKPT.pth   # a given checkpoint
    python tools/train.py CONFIG --fresh    # from the beginning
    python tools/train.py CONFIG --compile  # torch.compile (inductor)
    tools/dist_train.sh CONFIG 8                     # 8 GPUs (torchrun)
    tools/dist_train.sh CONFIG 2 --keep-recipe-batch 2 2  # 2 GPUs x 2 x 4
"""
import argparse
import os

from inceptionnext_seg.utils.quiet import quiet_library_warnings

quiet_library_warnings()  # before mmengine/mmcv/mmseg raise them at import

from mmengine.runner import Runner
from mmseg.registry import RUNNERS

from inceptionnext_seg.checkpoint import latest_good_checkpoint
from inceptionnext_seg.engine import (amp_optim_wrapper, end_cpu_processes,
                                      keep_recipe_batch)
from inceptionnext_seg.engine.runner.config_keys import (
    UnreadConfigKeyError, check_config_keys)
from inceptionnext_seg.utils.tool_args import add_common_args, config_from_args


def build_parser() -> argparse.ArgumentParser:
    """The command line of this tool (builds the parser, parses nothing)."""
    parser = argparse.ArgumentParser(
        description='Train a segmentor from a config (mmseg\'s train.py, on '
        'the CPU as well as on GPUs); what every run gets comes from the '
        'config, the options below are what this tool adds.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('config', help='train config file path')
    start = parser.add_mutually_exclusive_group()
    start.add_argument(
        '--resume', nargs='?', type=str, const='latest',
        help='resume from the newest complete checkpoint in the work dir '
        '(no value), whatever config wrote it, or from the given checkpoint. '
        "Without it the configs' auto_resume resumes from the work dir's "
        'newest checkpoint when the same training config wrote it')
    start.add_argument(
        '--fresh', action='store_true',
        help='start from the beginning even where the work dir holds a '
        'checkpoint (auto_resume=False)')
    parser.add_argument(
        '--amp', action='store_true',
        help='mixed precision: bf16 autocast (no loss scaler) on GPUs and '
        'CPUs with native bf16, fp16 with a dynamic loss scaler on older GPUs')
    parser.add_argument(
        '--amp-dtype', choices=['bf16', 'fp16'],
        help='force the --amp dtype (implies --amp); bf16 on a CPU without '
        'native support runs emulated')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rate by (GPUs x batch) / the recipe batch')
    parser.add_argument(
        '--keep-recipe-batch', nargs=2, type=int,
        metavar=('GPUS', 'BATCH_PER_GPU'),
        help="train the recipe's total batch on GPUS processes of "
        'BATCH_PER_GPU images through gradient accumulation; iteration '
        'counts are scaled, the lr curve per optimizer step is kept')
    add_common_args(parser)
    return parser


def parse_args():
    parser = build_parser()
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = config_from_args(args)
    notes = []
    try:
        if args.amp or args.amp_dtype:
            cfg.optim_wrapper, note = amp_optim_wrapper(cfg.optim_wrapper,
                                                        args.amp_dtype)
            notes.append(note)
        if args.keep_recipe_batch:
            if args.auto_scale_lr:
                raise ValueError('--keep-recipe-batch keeps the recipe\'s '
                                 'batch and lr; --auto-scale-lr would scale '
                                 'the lr: use one of them.')
            gpus, batch = args.keep_recipe_batch
            launched = 1 if args.launcher == 'none' else int(
                os.environ.get('WORLD_SIZE')
                or os.environ.get('SLURM_NTASKS') or 1)
            if gpus != launched:
                raise ValueError(
                    f'--keep-recipe-batch {gpus} {batch}, but this run has '
                    f'{launched} process(es) (tools/dist_train.sh CONFIG '
                    f'{gpus} ... starts {gpus}).')
            notes.append(keep_recipe_batch(cfg, gpus, batch))
    except ValueError as err:
        raise SystemExit(f'error: {err}') from None
    if args.fresh:
        cfg.resume = cfg.auto_resume = False
    elif args.resume == 'latest':
        # The newest complete checkpoint; a broken one is skipped with a
        # warning (mmengine would take `last_checkpoint` as it is).
        latest = latest_good_checkpoint(cfg.work_dir)
        cfg.resume = latest is not None
        cfg.load_from = latest or cfg.get('load_from')
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise SystemExit(f'{args.config} has no auto_scale_lr '
                             f'(base_batch_size); cannot scale the lr.')
        cfg.auto_scale_lr.enable = True
    try:
        if 'runner_type' not in cfg:  # SegRunner checks its config itself
            check_config_keys(cfg)
        runner = (Runner.from_cfg(cfg) if 'runner_type' not in cfg else
                  RUNNERS.build(cfg))
    except UnreadConfigKeyError as err:
        raise SystemExit(f'error: {err}') from None
    for note in notes:
        runner.logger.info(note)
    try:
        runner.train()
    except SystemExit:  # stopped by a signal, its checkpoint written
        end_cpu_processes()
        raise
    end_cpu_processes()


if __name__ == '__main__':
    main()
