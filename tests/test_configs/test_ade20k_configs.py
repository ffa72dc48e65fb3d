"""The six ADE20K configs: they build, run, follow the paper's recipes and
have the paper's parameter counts."""
from pathlib import Path

import pytest
import torch
from mmengine.optim import build_optim_wrapper

from inceptionnext_seg.utils.config import (build_segmentor_for_analysis,
                                            load_config)
from inceptionnext_seg.utils.synthetic_batch import synthetic_batch
from tests.helpers.tools import (make_timm_model, one_block_per_stage,
                                 run_tool)

pytestmark = pytest.mark.compat  # in every row of `make compat`

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted(ROOT.glob('configs/*_inceptionnext_*_ade20k.py'))
NAMES = [p.stem for p in CONFIGS]

# Paper section 4.2, appendix A.2, table 10; params from tables 6 and 7 (M).
RECIPES = {
    'upernet': dict(lr=6e-5, weight_decay=0.01, max_iters=160000,
                    batch_per_gpu=2, base_batch=16,
                    drop_path=dict(t=0.2, s=0.3, b=0.4),
                    params=dict(t=56, s=78, b=115)),
    'fpn': dict(lr=2e-4, weight_decay=1e-4, max_iters=40000,
                batch_per_gpu=4, base_batch=32,
                drop_path=dict(t=0.1, s=0.2, b=0.2),
                params=dict(t=28, s=50, b=85)),
}
ARCH = dict(t='tiny', s='small', b='base')
DIMS = dict(t=[96, 192, 384, 768], s=[96, 192, 384, 768],
            b=[128, 256, 512, 1024])


def test_all_six_configs_found():
    assert NAMES == sorted(f'{head}_inceptionnext_{v}_ade20k'
                           for head in ('upernet', 'fpn') for v in 'tsb')


def split(name):
    head, _, variant, _ = name.split('_')
    return head, variant


@pytest.mark.parametrize('path', CONFIGS, ids=NAMES)
def test_recipe_values(path):
    head, v = split(path.stem)
    recipe = RECIPES[head]
    cfg = load_config(str(path))
    backbone = cfg.model.backbone
    assert backbone.type == 'InceptionNeXt'
    assert backbone.arch == ARCH[v]
    assert backbone.drop_path_rate == recipe['drop_path'][v]
    assert backbone.norm_cfg.type == 'SyncBN'
    assert backbone.init_cfg == dict(
        type='Pretrained',
        checkpoint='https://github.com/sail-sg/inceptionnext/releases/'
        f'download/model/inceptionnext_{ARCH[v]}.pth')
    opt = cfg.optim_wrapper.optimizer
    assert opt.type == 'AdamW'
    assert opt.lr == recipe['lr'] and opt.weight_decay == recipe[
        'weight_decay']
    assert cfg.train_cfg.max_iters == recipe['max_iters']
    assert cfg.train_dataloader.batch_size == recipe['batch_per_gpu']
    assert cfg.auto_scale_lr.base_batch_size == recipe['base_batch']
    assert cfg.crop_size == (512, 512)
    assert cfg.model.data_preprocessor.size == (512, 512)
    crop = [t for t in cfg.train_pipeline if t.type == 'RandomCrop']
    assert crop[0].crop_size == (512, 512)
    assert cfg.train_dataloader.dataset.data_root == \
        'data/ade/ADEChallengeData2016'
    assert cfg.model.decode_head.num_classes == 150
    if head == 'upernet':
        assert opt.betas == (0.9, 0.999)
        assert cfg.optim_wrapper.paramwise_cfg.norm_decay_mult == 0.0
        warmup, poly = cfg.param_scheduler
        assert (warmup.type, warmup.end) == ('LinearLR', 1500)
        assert (poly.type, poly.power, poly.eta_min) == ('PolyLR', 1.0, 0.0)
        assert (poly.begin, poly.end) == (1500, 160000)
        assert cfg.model.decode_head.type == 'UPerHead'
        assert cfg.model.decode_head.channels == 512
        assert cfg.model.decode_head.pool_scales == (1, 2, 3, 6)
        assert cfg.model.decode_head.in_channels == DIMS[v]
        aux = cfg.model.auxiliary_head
        assert (aux.in_index, aux.in_channels) == (2, DIMS[v][2])
        assert aux.loss_decode.loss_weight == 0.4
    else:
        (poly, ) = cfg.param_scheduler
        assert (poly.type, poly.power, poly.eta_min) == ('PolyLR', 0.9, 0.0)
        assert poly.end == 40000
        assert cfg.model.neck.in_channels == DIMS[v]
        assert cfg.model.neck.out_channels == 256
        assert cfg.model.decode_head.channels == 128
        # mmseg's PoolFormer FPN port: resize to a multiple of 32 at test.
        for loader in (cfg.val_dataloader, cfg.test_dataloader):
            steps = [(t.type, t.get('size_divisor'))
                     for t in loader.dataset.pipeline]
            assert steps == [('LoadImageFromFile', None), ('Resize', None),
                             ('ResizeToMultiple', 32),
                             ('LoadAnnotations', None),
                             ('PackSegInputs', None)]
    if head == 'upernet':
        assert 'ResizeToMultiple' not in str(cfg.test_dataloader)
    # What every run gets, whichever tool starts it.
    assert cfg.model.type == 'StrictEncoderDecoder'
    assert cfg.custom_imports.imports == [
        'backbones', 'inceptionnext_seg.models', 'inceptionnext_seg.datasets',
        'inceptionnext_seg.engine', 'inceptionnext_seg.visualization',
        'inceptionnext_seg.evaluation',
        'inceptionnext_seg.checkpoint',
        'inceptionnext_seg.checkpoint.mmengine_loader']
    assert [h.type for h in cfg.custom_hooks] == [
        'CudaCheckHook', 'HeadDatasetCheckHook', 'PlainCheckpointHook',
        'ResumableRandomnessHook',
        'NonFiniteLossHook', 'CorruptSampleReportHook', 'TrainingCurvesHook',
        'PreemptionHook', 'CheckpointDiskHook', 'EvaluationReportHook',
        'ClassScalarsHook']
    assert cfg.custom_hooks[-4].signals == ['SIGTERM', 'SIGUSR1']
    assert cfg.auto_resume is True and cfg.resume is False
    assert cfg.default_hooks.checkpoint.max_keep_ckpts == 3
    assert cfg.default_hooks.checkpoint.save_best == 'mIoU'
    assert cfg.default_hooks.checkpoint.backend_args == dict(
        backend='atomic_local')
    assert cfg.default_hooks.visualization.type == 'TestVisualizationHook'
    assert cfg.visualizer.type == 'ContiguousSegLocalVisualizer'
    for split_ in ('train', 'val', 'test'):
        assert cfg[f'{split_}_dataloader'].dataset.type == \
            'CheckedADE20KDataset'
    assert cfg.train_dataloader.sampler == dict(
        type='SampleSeededInfiniteSampler', shuffle=True)
    # Both test modes are there: single scale and multi-scale + flip.
    assert cfg.test_dataloader.dataset.pipeline[1].type == 'Resize'
    assert cfg.tta_pipeline[1].type == 'TestTimeAug'
    assert cfg.tta_model.type == 'SegTTAModel'


@pytest.fixture(scope='module')
def imagenet_weights(tmp_path_factory):
    """Official-format release files (plain state dicts with the head) of
    timm's models with random weights and BN statistics: tiny at full depth,
    small and base at one block per stage (as their configs are trained
    below)."""
    folder = tmp_path_factory.mktemp('imagenet')
    files = {}
    for arch in ARCH.values():
        files[arch] = folder / f'inceptionnext_{arch}.pth'
        depths = None if arch == 'tiny' else (1, 1, 1, 1)
        torch.save(make_timm_model(arch, depths=depths).state_dict(),
                   files[arch])
    return files


@pytest.mark.parametrize('path', CONFIGS, ids=NAMES)
def test_full_size_config_initialises_from_imagenet_and_trains_a_step(
        path, imagenet_weights):
    """In one process: the paper's parameter count at full size, the
    backbone initialised from the official file through the config's own
    init_cfg, one step of the config's optimizer, and a prediction. T's
    configs at full depth; S's and B's, once counted, with their own widths
    and heads and one block per stage (the same block as T's, 27 of them in
    stage 3 at full depth)."""
    head, v = split(path.stem)
    weights = imagenet_weights[ARCH[v]]
    options = {'model.data_preprocessor.size': (64, 64),
               'model.backbone.init_cfg.checkpoint': str(weights)}
    with torch.device('meta'):  # the count needs no values
        full = build_segmentor_for_analysis(str(path), options)
    params = sum(p.numel() for p in full.parameters()) / 1e6
    assert abs(params - RECIPES[head]['params'][v]) < 1.0
    if v != 't':
        options.update(one_block_per_stage(ARCH[v]))
    model = build_segmentor_for_analysis(str(path), options,
                                         keep_init_cfg=True)
    assert len(model.backbone.stages[2].blocks) == (9 if v == 't' else 1)
    model.init_weights()
    own = model.backbone.state_dict()
    official = torch.load(weights, weights_only=True)
    loaded = [k for k in official if not k.startswith('head.')]
    assert len(loaded) > (100 if v == 't' else 50)
    for key in loaded:
        assert torch.equal(own[key], official[key]), key

    model.train()
    optim_wrapper = build_optim_wrapper(model,
                                        load_config(str(path)).optim_wrapper)
    before = model.decode_head.conv_seg.weight.detach().clone()
    data = model.data_preprocessor(synthetic_batch(), training=True)
    losses = model(**data, mode='loss')
    assert 'decode.loss_ce' in losses
    if head == 'upernet':
        assert 'aux.loss_ce' in losses
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    optim_wrapper.update_params(total)
    assert model.backbone.stem[0].weight.grad is None  # zeroed after step
    assert not torch.equal(model.decode_head.conv_seg.weight, before)
    model.eval()
    with torch.no_grad():
        preds = model(**model.data_preprocessor(synthetic_batch(1), False),
                      mode='predict')
    assert preds[0].pred_sem_seg.data.shape == (1, 64, 64)


def test_get_flops_prints_params_and_macs():
    result = run_tool('tools/analysis_tools/get_flops.py',
                      'configs/fpn_inceptionnext_t_ade20k.py', '--shape',
                      '128', '128')
    assert 'parameters: 28.35M' in result.stdout
    macs = float(result.stdout.split('MACs:')[1].strip().rstrip('G'))
    # MACs scale with the pixel count: 44G at 512x512 in the paper.
    assert abs(macs * 16 - 44) < 1.5


def test_fpn_test_pipeline_gives_multiples_of_32_and_full_size_labels(
        tmp_path):
    import cv2
    import numpy as np
    from mmcv.transforms import Compose
    from mmseg.registry import TRANSFORMS
    cfg = load_config(str(ROOT / 'configs/fpn_inceptionnext_t_ade20k.py'))
    image, label = tmp_path / 'img.jpg', tmp_path / 'seg.png'
    cv2.imwrite(str(image), np.zeros((61, 97, 3), np.uint8))
    cv2.imwrite(str(label), np.ones((61, 97), np.uint8))
    pipeline = Compose([TRANSFORMS.build(t)
                        for t in cfg.test_dataloader.dataset.pipeline])
    sample = pipeline(dict(
        img_path=str(image), seg_map_path=str(label), seg_fields=[],
        reduce_zero_label=True))
    height, width = sample['inputs'].shape[1:]
    assert height % 32 == 0 and width % 32 == 0
    # 61x97 -> 512x814 (keep ratio) -> 512x832 (up to a multiple of 32)
    assert (height, width) == (512, 832)
    assert sample['data_samples'].gt_sem_seg.data.shape == (1, 61, 97)


@pytest.mark.parametrize('config', sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / 'configs').rglob('*.py')
    if '_base_' not in p.parts))
def test_every_config_fixes_its_seed(config):
    """mmengine builds the training sampler with the run's seed before a
    resume reads the checkpoint's: without a fixed seed, a requeued run
    would see another data order than an uninterrupted one."""
    cfg = load_config(str(ROOT / config))
    assert cfg.get('randomness', {}).get('seed') is not None
