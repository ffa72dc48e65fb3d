"""Train a segmentor (mmseg's train.py, on CPU as well as GPU).

Examples:
    python tools/train.py configs/upernet_inceptionnext_t_ade20k.py
    python tools/train.py CONFIG --resume            # latest in the work dir
    python tools/train.py CONFIG --resume CKPT.pth   # a given checkpoint
    tools/dist_train.sh CONFIG 8                     # 8 GPUs (torchrun)
"""
import argparse

import torch
from _common import add_common_args, config_from_args
from mmengine.runner import Runner
from mmseg.registry import RUNNERS
from seg_ext import bf16_supported, latest_good_checkpoint


def parse_args():
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the latest checkpoint in the work dir, or from the '
        'given checkpoint')
    parser.add_argument(
        '--amp', action='store_true',
        help='mixed precision: fp16 with a loss scaler on CUDA (as mmseg), '
        'bf16 autocast on CPUs with native bf16')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rate by (GPUs x batch) / the recipe batch')
    add_common_args(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = config_from_args(args)
    if args.amp and torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    elif args.amp:
        if not bf16_supported('cpu'):
            raise SystemExit('--amp on a CPU needs native bf16 (AVX512-BF16 '
                             'or AMX); this CPU has neither.')
        cfg.optim_wrapper.type = 'BF16OptimWrapper'
    if args.resume == 'auto':
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
    runner = (Runner.from_cfg(cfg) if 'runner_type' not in cfg else
              RUNNERS.build(cfg))
    runner.train()


if __name__ == '__main__':
    main()
