"""The two Cityscapes configs: the recipe values they state, the parameter
and MAC counts, and a run of each (train, validate, test; at atto size) on
generated data in Cityscapes' own layout."""
import json
import re

import pytest
import torch
from mmseg.datasets import CityscapesDataset

from inceptionnext_seg.utils.config import (build_segmentor_for_analysis,
                                            load_config)
from tests.helpers.datasets import make_cityscapes_like
from tests.helpers.tools import (ROOT, atto_model_options, make_timm_model,
                                 run_tool)

pytestmark = pytest.mark.compat

CONFIGS = sorted(ROOT.glob('configs/*_inceptionnext_*_cityscapes.py'))
NAMES = [p.stem for p in CONFIGS]
ADE20K = {p.stem.split('_')[0]: p for p in
          ROOT.glob('configs/*_inceptionnext_t_ade20k.py')}

# The data side follows mmseg's Cityscapes recipes, the optimizer the
# paper's ADE20K ones (the configs' comments say why).
RECIPES = {
    'upernet': dict(lr=6e-5, weight_decay=0.01, max_iters=80000,
                    interval=8000, drop_path=0.2),
    'fpn': dict(lr=1e-4, weight_decay=1e-4, max_iters=40000, interval=4000,
                drop_path=0.1),
}
# Computed once (2026-12-02) and checked against an independent estimate:
# the ADE20K config's count (README: 56.40M, 28.35M) less the class convs'
# 150 -> 19 difference, (in_channels + 1) x 131 per head.
PARAMS = dict(upernet=56_297_470, fpn=28_333_419)
ADE20K_PARAMS = dict(upernet=56_398_340, fpn=28_350_318)
HEAD_CHANNELS = dict(upernet=(512, 256), fpn=(128, ))
# MACs at 512x1024 (tools/analysis_tools/get_flops.py --shape 512 1024,
# 2026-12-02).
MACS_512x1024 = dict(upernet=464.7, fpn=86.7)


def test_both_configs_found():
    assert NAMES == ['fpn_inceptionnext_t_cityscapes',
                     'upernet_inceptionnext_t_cityscapes']


@pytest.mark.parametrize('path', CONFIGS, ids=NAMES)
def test_recipe_values(path):
    head = path.stem.split('_')[0]
    recipe = RECIPES[head]
    cfg = load_config(str(path))
    backbone = cfg.model.backbone
    assert (backbone.type, backbone.arch) == ('InceptionNeXt', 'tiny')
    assert backbone.drop_path_rate == recipe['drop_path']
    assert backbone.norm_cfg.type == 'SyncBN'
    assert backbone.init_cfg == dict(
        type='Pretrained',
        checkpoint='https://github.com/sail-sg/inceptionnext/releases/'
        'download/model/inceptionnext_tiny.pth')
    # 512x1024 crops of the 2048x1024 images (mmseg's Cityscapes recipe)
    assert cfg.crop_size == (512, 1024)
    assert cfg.model.data_preprocessor.size == (512, 1024)
    steps = {t.type: t for t in cfg.train_pipeline}
    assert steps['RandomCrop'].crop_size == (512, 1024)
    assert steps['RandomResize'].scale == (2048, 1024)
    assert steps['RandomResize'].ratio_range == (0.5, 2.0)
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        resize = loader.dataset.pipeline[1]
        assert (resize.type, resize.scale) == ('Resize', (2048, 1024))
    # sliding-window test in windows of the training crop, overlapping
    assert cfg.model.test_cfg == dict(mode='slide', crop_size=(512, 1024),
                                      stride=(384, 768))
    # 19 classes in both heads and in the dataset
    assert cfg.model.decode_head.num_classes == 19
    if head == 'upernet':
        assert cfg.model.auxiliary_head.num_classes == 19
    else:
        assert 'auxiliary_head' not in cfg.model
    opt = cfg.optim_wrapper.optimizer
    assert opt.type == 'AdamW'
    assert (opt.lr, opt.weight_decay) == (recipe['lr'],
                                          recipe['weight_decay'])
    assert cfg.train_cfg.max_iters == recipe['max_iters']
    assert cfg.train_cfg.val_interval == recipe['interval']
    assert cfg.default_hooks.checkpoint.interval == recipe['interval']
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.auto_scale_lr == dict(enable=False, base_batch_size=16)
    if head == 'upernet':
        assert opt.betas == (0.9, 0.999)
        assert cfg.optim_wrapper.paramwise_cfg.norm_decay_mult == 0.0
        warmup, poly = cfg.param_scheduler
        assert (warmup.type, warmup.end) == ('LinearLR', 1500)
        assert (poly.type, poly.power, poly.eta_min) == ('PolyLR', 1.0, 0.0)
        assert (poly.begin, poly.end) == (1500, 80000)
    else:
        (poly, ) = cfg.param_scheduler
        assert (poly.type, poly.power, poly.eta_min) == ('PolyLR', 0.9, 0.0)
        assert (poly.begin, poly.end) == (0, 40000)
    # the dataset: checked, Cityscapes' layout and encoding
    assert cfg.train_dataloader.sampler == dict(
        type='SampleSeededInfiniteSampler', shuffle=True)
    for split, loader in (('train', cfg.train_dataloader),
                          ('val', cfg.val_dataloader),
                          ('val', cfg.test_dataloader)):
        assert loader.dataset.type == 'CheckedCityscapesDataset'
        assert loader.dataset.data_root == 'data/cityscapes/'
        assert loader.dataset.data_prefix == dict(
            img_path=f'leftImg8bit/{split}', seg_map_path=f'gtFine/{split}')
    assert cfg.val_evaluator.type == 'ClassIoUMetric'
    assert cfg.tta_pipeline[1].type == 'TestTimeAug'
    # The rest is the ADE20K config's: model type, heads, runtime, hooks.
    ade = load_config(str(ADE20K[head]))
    assert cfg.model.type == 'StrictEncoderDecoder'
    for key in ('custom_imports', 'custom_hooks', 'runner_type',
                'auto_resume', 'visualizer', 'env_cfg'):
        assert cfg[key] == ade[key], key
    for key in ('backbone', 'neck'):
        assert cfg.model.get(key) == ade.model.get(key), key
    hooks = {k: dict(v, interval=None) for k, v in cfg.default_hooks.items()}
    assert hooks == {k: dict(v, interval=None)
                     for k, v in ade.default_hooks.items()}
    ade_decode = dict(ade.model.decode_head, num_classes=19)
    assert cfg.model.decode_head == ade_decode
    if head == 'upernet':
        assert cfg.optim_wrapper == ade.optim_wrapper


@pytest.mark.parametrize('head', ['upernet', 'fpn'])
def test_parameters_are_the_ade20k_configs_less_the_class_convs(head):
    # the independent estimate of the pinned count
    fewer = sum((c + 1) * (150 - 19) for c in HEAD_CHANNELS[head])
    assert PARAMS[head] == ADE20K_PARAMS[head] - fewer
    model = build_segmentor_for_analysis(
        str(ROOT / f'configs/{head}_inceptionnext_t_cityscapes.py'))
    assert sum(p.numel() for p in model.parameters()) == PARAMS[head]


def test_get_flops_prints_the_params_and_macs():
    # One tool run, at a quarter of the side (MACs scale with the pixels:
    # x16); the full size takes ~100 s on 2 cores and gave the figures above.
    path = 'configs/upernet_inceptionnext_t_cityscapes.py'
    result = run_tool('tools/analysis_tools/get_flops.py', path, '--shape',
                      '128', '256')
    assert 'parameters: 56.30M (auxiliary head included)' in result.stdout
    macs = float(result.stdout.split('MACs:')[1].strip().rstrip('G'))
    assert abs(macs * 16 - MACS_512x1024['upernet']) < 1.0


@pytest.fixture(scope='module')
def cityscapes(tmp_path_factory):
    root = tmp_path_factory.mktemp('data') / 'cityscapes'
    return make_cityscapes_like(root, per_city=2, size=(64, 128))


@pytest.fixture(scope='module')
def imagenet_atto(tmp_path_factory):
    path = tmp_path_factory.mktemp('imagenet') / 'inceptionnext_atto.pth'
    torch.save(make_timm_model('atto').state_dict(), path)
    return path


def small_run_options(root, weights, head):
    """The configs at a tiny size: InceptionNeXt-atto with narrow heads
    (the configs' models are the ADE20K ones less the class convs: above),
    64x128 crops of the 64x128 images, tested in two overlapping 64x96
    windows (stride 64x32), one iteration of batch 2."""
    loaders = [f'{s}_dataloader.{k}={v}' for s in ('train', 'val', 'test')
               for k, v in (('dataset.data_root', root), ('num_workers', 0),
                            ('persistent_workers', False))]
    return loaders + atto_model_options(head) + [
        f'model.backbone.init_cfg.checkpoint={weights}',
        'model.data_preprocessor.size=(64,128)',
        'model.test_cfg.crop_size=(64,96)', 'model.test_cfg.stride=(64,32)',
        'train_dataloader.dataset.pipeline.2.scale=(128,64)',
        'train_dataloader.dataset.pipeline.3.crop_size=(64,128)',
        'val_dataloader.dataset.pipeline.1.scale=(128,64)',
        'test_dataloader.dataset.pipeline.1.scale=(128,64)',
        'train_dataloader.batch_size=2', 'train_cfg.max_iters=1',
        'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1',
        'default_hooks.checkpoint.save_optimizer=False',
        'default_hooks.logger.interval=1']


@pytest.mark.parametrize('path', CONFIGS, ids=NAMES)
def test_trains_a_step_validates_and_tests_on_cityscapes_layout(
        path, cityscapes, imagenet_atto, tmp_path):
    options = small_run_options(cityscapes, imagenet_atto,
                                path.stem.split('_')[0])
    result = run_tool('tools/train.py', path, '--work-dir', tmp_path,
                      '--cfg-options', *options)
    log = result.stdout + result.stderr
    assert f'from {imagenet_atto}' in log  # the ImageNet init_cfg
    assert re.search(r'Iter\(train\) \[1/1\].*loss: \d', log)
    # validated on the one val city (2 images), in sliding windows
    assert re.search(r'Iter\(val\) \[2/2\]\s+aAcc: [\d.]+\s+mIoU: [\d.]+',
                     log), log[-3000:]
    checkpoint = tmp_path / 'iter_1.pth'
    assert checkpoint.is_file()
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    assert state['decode_head.conv_seg.weight'].shape[0] == 19
    tested = run_tool('tools/test.py', path, checkpoint, '--work-dir',
                      tmp_path / 'test', '--cfg-options', *options)
    out = tested.stdout + tested.stderr
    assert re.search(r'Iter\(test\) \[2/2\].*mIoU: [\d.]+', out), out[-3000:]
    (metrics, ) = (tmp_path / 'test').glob('*/test_metrics.json')
    per_class = json.loads(metrics.read_text())['per_class']
    assert list(per_class) == list(CityscapesDataset.METAINFO['classes'])
