"""Train a segmentor (mmseg's train.py, on CPU as well as GPU).

Examples:
    python tools/train.py configs/upernet_inceptionnext_t_ade20k.py
    python tools/train.py CONFIG --resume            # latest in the work dir
    python tools/train.py CONFIG --resume CKPT.pth   # a given checkpoint
    tools/dist_train.sh CONFIG 8                     # 8 GPUs (torchrun)
"""
import argparse
import os.path as osp

from _common import setup_launcher, setup_training
from mmengine.config import Config, DictAction
from mmengine.runner import Runner
from seg_ext import latest_good_checkpoint


def parse_args():
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the latest checkpoint in the work dir, or from the '
        'given checkpoint')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision training (CUDA)')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rate by (GPUs x batch) / the recipe batch')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings in the config, key=value (a.b=1 c=[1,2])')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
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
    setup_training(cfg)
    setup_launcher(cfg, args.launcher)
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
