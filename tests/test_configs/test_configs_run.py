"""Each of the six ADE20K configs trains and evaluates through
tools/train.py and tools/test.py (two iterations on CPU, generated data,
ImageNet weights from a local official-format file)."""
import json
import re

import pytest
import torch

from tool_helpers import ROOT, data_options, run_tool

CONFIGS = sorted(ROOT.glob('configs/*_inceptionnext_*_ade20k.py'))
ARCH = dict(t='tiny', s='small', b='base')


def test_six_configs_found():
    assert len(CONFIGS) == 6


@pytest.fixture(scope='module')
def imagenet_weights(tmp_path_factory):
    """Official-format release files (plain state dicts with the head)."""
    from conftest import make_timm_model
    folder = tmp_path_factory.mktemp('imagenet')
    files = {}
    for arch in ARCH.values():
        files[arch] = folder / f'inceptionnext_{arch}.pth'
        torch.save(make_timm_model(arch).state_dict(), files[arch])
    return files


@pytest.mark.parametrize('config', CONFIGS, ids=[c.stem for c in CONFIGS])
def test_config_trains_and_evaluates(config, imagenet_weights, demo_data,
                                     tmp_path):
    arch = ARCH[config.stem.split('_')[2]]
    small = [
        'model.data_preprocessor.size=(64,64)',
        'train_dataloader.dataset.pipeline.2.scale=(128,64)',
        'train_dataloader.dataset.pipeline.3.crop_size=(64,64)',
        'test_dataloader.dataset.pipeline.1.scale=(128,64)',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
    ]
    result = run_tool(
        'tools/train.py', config, '--work-dir', tmp_path, '--cfg-options',
        *data_options(demo_data, ['train', 'val']), *small,
        f'model.backbone.init_cfg.checkpoint={imagenet_weights[arch]}',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=100',
        'default_hooks.checkpoint.interval=2',
        'default_hooks.checkpoint.save_optimizer=False',
        'default_hooks.logger.interval=1')
    log = result.stdout + result.stderr
    assert 'InceptionNeXt: loaded' in log
    assert str(imagenet_weights[arch]) in log
    # One process: mmengine itself runs the SyncBN of the recipe as BN.
    assert 'SyncBatchNorm (SyncBN) layers in the model will be ' \
        'automatically reverted' in log
    assert re.search(r'Iter\(train\) \[2/2\].*loss: \d', log)
    result = run_tool('tools/test.py', config, tmp_path / 'iter_2.pth',
                      '--work-dir', tmp_path / 'test', '--cfg-options',
                      *data_options(demo_data, ['test']), *small)
    assert 'Load checkpoint from' in result.stdout + result.stderr
    metrics = json.loads(next((tmp_path / 'test').glob(
        '*/test_metrics.json')).read_text())
    # Two iterations learn little; the run and the metric are what count.
    assert all(0 <= metrics[k] <= 100 for k in ('aAcc', 'mIoU', 'mAcc'))
    (tmp_path / 'iter_2.pth').unlink()  # up to 0.5 GB each
