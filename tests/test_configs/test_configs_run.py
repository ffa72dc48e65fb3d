"""A full-size config trains and evaluates through tools/train.py (two
iterations on CPU and a validation, generated data, ImageNet weights from a
local official-format file). The other five run in one process in
test_ade20k_configs.py; the tiny demo config does the multi-iteration
train / resume / test runs of tests/test_tools."""
import re

import torch

from tests.helpers.tools import ROOT, data_options, make_timm_model, run_tool

CONFIG = ROOT / 'configs' / 'fpn_inceptionnext_t_ade20k.py'


def test_fpn_t_trains_and_evaluates_through_the_tools(demo_data, tmp_path):
    weights = tmp_path / 'inceptionnext_tiny.pth'
    official = make_timm_model('tiny').state_dict()
    torch.save(official, weights)
    backbone_tensors = [k for k in official if not k.startswith('head.')]
    small = [
        'model.data_preprocessor.size=(64,64)',
        'train_dataloader.dataset.pipeline.2.scale=(128,64)',
        'train_dataloader.dataset.pipeline.3.crop_size=(64,64)',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
    ]
    result = run_tool(
        'tools/train.py', CONFIG, '--work-dir', tmp_path, '--cfg-options',
        *data_options(demo_data, ['train', 'val']), *small,
        f'model.backbone.init_cfg.checkpoint={weights}',
        'val_dataloader.dataset.pipeline.1.scale=(128,64)',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2',
        'default_hooks.checkpoint.save_optimizer=False',
        'default_hooks.logger.interval=1')
    log = result.stdout + result.stderr
    assert (f'InceptionNeXt: loaded {len(backbone_tensors)} tensors from '
            f'{weights}') in log
    # One process: mmengine itself runs the SyncBN of the recipe as BN.
    assert 'SyncBatchNorm (SyncBN) layers in the model will be ' \
        'automatically reverted' in log
    assert re.search(r'Iter\(train\) \[2/2\].*loss: \d', log)
    # Evaluated on the validation set after the last iteration, and the best
    # checkpoint by mIoU written, as the recipe's hooks ask.
    found = re.search(r'Iter\(val\) \[4/4\]\s+aAcc: ([\d.]+)\s+mIoU: '
                      r'([\d.]+)', log)
    assert found, log[-3000:]
    best = list(tmp_path.glob('best_mIoU_iter_2.pth'))
    assert best and (tmp_path / 'iter_2.pth').is_file()
