"""Layer-wise / stage-wise lr decay for InceptionNeXt: every parameter's lr
and weight decay against an independent reading of mmseg's ConvNeXt rules."""
import re

import pytest
import torch
from mmengine.optim import build_optim_wrapper

from inceptionnext_seg.utils.config import (build_segmentor_for_analysis,
                                            load_config)
from inceptionnext_seg.utils.synthetic_batch import synthetic_batch
from tests.helpers.tools import ROOT

EXAMPLE = (ROOT / 'configs' / 'alternatives' /
           'upernet_inceptionnext_t_ade20k_lr_decay.py')
UPERNET_T = ROOT / 'configs/upernet_inceptionnext_t_ade20k.py'
BASE_LR, BASE_WD = 1e-4, 0.05


def expected_id(name: str, decay_type: str, n: int) -> int:
    """mmseg's ConvNeXt ids (get_layer_id_for_convnext /
    get_stage_id_for_convnext), written out for InceptionNeXt's names."""
    stem = name.startswith('backbone.stem.')
    down = re.match(r'backbone\.stages\.(\d)\.downsample\.', name)
    block = re.match(r'backbone\.stages\.(\d)\.blocks\.(\d+)\.', name)
    if decay_type == 'stage_wise':
        if stem or down:
            return 0
        return int(block[1]) + 1 if block else n + 1
    if stem:
        return 0
    if down:
        return {1: 2, 2: 3, 3: n}[int(down[1])]
    if block:
        stage, index = int(block[1]), int(block[2])
        return {0: 1, 1: 2, 2: 3 + index // 3, 3: n}[stage]
    return n + 1


@pytest.fixture(scope='module')
def upernet_t():
    return build_segmentor_for_analysis(str(UPERNET_T))


def build(model, decay_type, num_layers, decay_rate=0.9):
    return build_optim_wrapper(model, dict(
        type='OptimWrapper',
        constructor='InceptionNeXtLearningRateDecayOptimizerConstructor',
        optimizer=dict(type='AdamW', lr=BASE_LR, weight_decay=BASE_WD),
        paramwise_cfg=dict(decay_rate=decay_rate, decay_type=decay_type,
                           num_layers=num_layers)))


@pytest.mark.parametrize('decay_type,num_layers',
                         [('stage_wise', 6), ('layer_wise', 6),
                          ('layer_wise', 12)])
def test_every_parameter_gets_convnexts_lr_and_weight_decay(
        upernet_t, decay_type, num_layers):
    wrapper = build(upernet_t, decay_type, num_layers)
    names = {id(p): n for n, p in upernet_t.named_parameters()}
    seen = []
    for group in wrapper.optimizer.param_groups:
        for param in group['params']:
            name = names[id(param)]
            seen.append(name)
            layer = expected_id(name, decay_type, num_layers)
            assert group['lr'] == pytest.approx(
                BASE_LR * 0.9**(num_layers + 1 - layer)), name
            no_decay = param.ndim == 1 or name.endswith('.bias')
            assert group['weight_decay'] == (0. if no_decay else BASE_WD), \
                name
    assert sorted(seen) == sorted(n for n, p in upernet_t.named_parameters()
                                  if p.requires_grad)
    # The ids cover what ConvNeXt's do: stem (lowest rate), the stages, and
    # the top rate for heads, neck and output norms.
    lrs = {n: g['lr'] for g in wrapper.optimizer.param_groups
           for n in g['param_names']}
    assert lrs['backbone.stem.0.weight'] == min(lrs.values())
    assert lrs['decode_head.conv_seg.weight'] == lrs[
        'backbone.norm3.weight'] == BASE_LR


def test_stage_wise_table_for_upernet_t(upernet_t):
    lrs = {n: g['lr'] / BASE_LR for g in build(
        upernet_t, 'stage_wise', 6).optimizer.param_groups
        for n in g['param_names']}
    table = {
        'backbone.stem.0.weight': 0.9**7,
        'backbone.stages.1.downsample.1.weight': 0.9**7,
        'backbone.stages.0.blocks.2.mlp.fc1.weight': 0.9**6,
        'backbone.stages.1.blocks.0.gamma': 0.9**5,
        'backbone.stages.2.blocks.8.token_mixer.dwconv_w.weight': 0.9**4,
        'backbone.stages.3.blocks.2.norm.weight': 0.9**3,
        'decode_head.lateral_convs.0.conv.weight': 1.0,
        'auxiliary_head.conv_seg.bias': 1.0,
    }
    for name, scale in table.items():
        assert lrs[name] == pytest.approx(scale), name


def test_example_config_trains_a_step_with_the_decay():
    cfg = load_config(str(EXAMPLE))
    assert cfg.optim_wrapper.constructor == \
        'InceptionNeXtLearningRateDecayOptimizerConstructor'
    assert cfg.optim_wrapper.optimizer.lr == BASE_LR
    assert cfg.optim_wrapper.optimizer.weight_decay == BASE_WD
    model = build_segmentor_for_analysis(
        str(EXAMPLE), {'model.backbone.arch': 'atto',
                       'model.backbone.drop_path_rate': 0.0,
                       'model.decode_head.in_channels': [40, 80, 160, 320],
                       'model.auxiliary_head.in_channels': 160,
                       'model.data_preprocessor.size': (64, 64)})
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    model.train()
    data = model.data_preprocessor(synthetic_batch(2), True)
    stem = model.backbone.stem[0].weight
    head = model.decode_head.conv_seg.weight
    before = stem.detach().clone(), head.detach().clone()
    losses = model(**data, mode='loss')
    wrapper.update_params(sum(v for k, v in losses.items() if 'loss' in k))
    # AdamW's first step moves each weight by about its lr: the stem's is
    # 0.9^7 of the head's.
    ratio = ((stem.detach() - before[0]).abs().mean() /
             (head.detach() - before[1]).abs().mean())
    assert ratio == pytest.approx(0.9**7, rel=0.2)


def test_refusals(upernet_t):
    with pytest.raises(ValueError, match=r"needs paramwise_cfg keys "
                       r"\['num_layers'\]"):
        build_optim_wrapper(upernet_t, dict(
            constructor='InceptionNeXtLearningRateDecayOptimizerConstructor',
            optimizer=dict(type='AdamW', lr=1e-4),
            paramwise_cfg=dict(decay_rate=0.9)))
    with pytest.raises(ValueError, match="decay_type must be one of"):
        build(upernet_t, 'block_wise', 6)
    with pytest.raises(ValueError, match=r"Unknown paramwise_cfg keys "
                       r"\['norm_decay_mult'\]"):
        build_optim_wrapper(upernet_t, dict(
            constructor='InceptionNeXtLearningRateDecayOptimizerConstructor',
            optimizer=dict(type='AdamW', lr=1e-4),
            paramwise_cfg=dict(decay_rate=0.9, num_layers=6,
                               norm_decay_mult=0.)))
    other = torch.nn.Module()
    other.backbone = torch.nn.Sequential(torch.nn.Linear(2, 2))
    with pytest.raises(TypeError, match='needs a segmentor with an '
                       'InceptionNeXt backbone, got Sequential'):
        build(other, 'stage_wise', 6)
    # 27 blocks in stage 2 (S, B): mmseg's ids reach 3 + 26 // 3 = 11.
    from backbones import InceptionNeXt
    deep = torch.nn.Module()
    deep.backbone = InceptionNeXt(arch=dict(depths=(1, 1, 27, 1),
                                            dims=(8, 16, 32, 64)))
    with pytest.raises(ValueError, match='needs num_layers >= 12, got 6'):
        build(deep, 'layer_wise', 6)
    build(deep, 'layer_wise', 12)
