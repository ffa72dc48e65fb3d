"""The recipe's batch on fewer GPUs (gradient accumulation) and the
mixed-precision choice of `tools/train.py --amp`."""
import copy
import warnings
from types import SimpleNamespace

import pytest
import torch
from mmengine.registry import PARAM_SCHEDULERS, init_default_scope

from inceptionnext_seg.engine import (UpdateParamSchedulerHook,
                                      keep_recipe_batch)
from inceptionnext_seg.engine.mixed_precision import amp_optim_wrapper
from inceptionnext_seg.utils.config import load_config
from tests.helpers.tools import DEMO_CONFIG, ROOT, run_tool, tiny_run_options

UPERNET_T = str(ROOT / 'configs/upernet_inceptionnext_t_ade20k.py')
FPN_T = str(ROOT / 'configs/fpn_inceptionnext_t_ade20k.py')


def test_upernet_on_one_gpu_accumulates_eight_iterations():
    cfg = load_config(UPERNET_T)
    log = keep_recipe_batch(cfg, 1, 2)
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.optim_wrapper.accumulative_counts == 8
    assert cfg.train_cfg.max_iters == 8 * 160000
    assert cfg.train_cfg.val_interval == 8 * 16000
    assert cfg.default_hooks.checkpoint.interval == 8 * 16000
    assert cfg.default_hooks.param_scheduler == dict(
        type='UpdateParamSchedulerHook', every=8)
    # the schedulers keep the recipe's numbers (optimizer steps)
    assert cfg.param_scheduler == load_config(UPERNET_T).param_scheduler
    assert 'Recipe batch 16 kept as 1 GPU(s) x 2 images x 8' in log
    assert 'max_iters 160000 -> 1280000 (160000 optimizer steps' in log


def test_upernet_needs_two_images_in_one_process():
    """UPerHead's 1x1 pyramid bin and its BatchNorm: one image in one process
    stops at the first iteration ("Expected more than 1 value per
    channel"); refused up front. Two processes (SyncBN) or FPN are fine."""
    with pytest.raises(ValueError, match='UPerHead needs at least 2 images'):
        keep_recipe_batch(load_config(UPERNET_T), 1, 1)
    assert keep_recipe_batch(load_config(UPERNET_T), 2, 1)
    assert keep_recipe_batch(load_config(FPN_T), 1, 1)


def test_fpn_on_two_gpus_and_refusals():
    cfg = load_config(FPN_T)
    keep_recipe_batch(cfg, 2, 4)
    assert cfg.optim_wrapper.accumulative_counts == 4
    assert cfg.train_cfg.max_iters == 4 * 40000
    with pytest.raises(ValueError, match=r'recipe batch 16 is not a multiple '
                       r'of 3 GPU\(s\) x 2; .*\[\]'):
        keep_recipe_batch(load_config(UPERNET_T), 3, 2)
    with pytest.raises(ValueError, match=r'multiple of 1 GPU\(s\) x 3; '
                       r'batches per GPU that divide it: \[2, 4, 8, 16\]'):
        keep_recipe_batch(load_config(UPERNET_T), 1, 3)
    epoch = load_config(UPERNET_T)
    epoch.param_scheduler[1].by_epoch = True
    with pytest.raises(ValueError, match='PolyLR is epoch-based'):
        keep_recipe_batch(epoch, 1, 2)
    twice = load_config(UPERNET_T)
    keep_recipe_batch(twice, 1, 2)
    with pytest.raises(ValueError, match='accumulative_counts is already 8'):
        keep_recipe_batch(twice, 1, 2)


def lr_per_update(cfg, iterations: int, hook) -> list:
    """Drive cfg's schedulers through `hook` as mmengine's runner does
    (one optimizer update per `accumulative_counts` iterations), and return
    the lr each update used."""
    init_default_scope('mmseg')
    every = cfg.optim_wrapper.get('accumulative_counts', 1)
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))],
                                  lr=cfg.optim_wrapper.optimizer.lr)
    schedulers = [PARAM_SCHEDULERS.build(dict(s, optimizer=optimizer))
                  for s in cfg.param_scheduler]
    runner = SimpleNamespace(param_schedulers=schedulers, iter=0)
    used = []
    with warnings.catch_warnings():
        # stepping a scheduler before the first update is the point of the
        # negative check below; torch warns about it
        warnings.simplefilter('ignore', UserWarning)
        for i in range(iterations):
            runner.iter = i
            if (i + 1) % every == 0:
                used.append(optimizer.param_groups[0]['lr'])
                optimizer.step()
            hook.after_train_iter(runner, i)
    return used


def test_lr_per_optimizer_step_equals_the_recipe():
    from mmengine.hooks import ParamSchedulerHook
    short = {'train_cfg.max_iters': 300, 'param_scheduler.0.end': 30,
             'param_scheduler.1.begin': 30, 'param_scheduler.1.end': 300}
    recipe = load_config(UPERNET_T, short)
    expected = lr_per_update(recipe, 300, ParamSchedulerHook())
    kept = copy.deepcopy(recipe)
    keep_recipe_batch(kept, 1, 2)
    got = lr_per_update(kept, kept.train_cfg.max_iters,
                        UpdateParamSchedulerHook(every=8))
    assert len(got) == len(expected) == 300
    assert got == pytest.approx(expected, rel=1e-12, abs=0)
    assert expected[0] < expected[29] and expected[-1] < expected[30]
    # Stepping the recipe's schedulers every iteration instead would not.
    plain = lr_per_update(kept, kept.train_cfg.max_iters,
                          ParamSchedulerHook())
    assert plain != pytest.approx(expected, rel=1e-3)


def test_accumulating_2x1_trains_like_batch_2(demo_data, tmp_path):
    """Through tools/train.py: accumulation 2 x batch 1 ends with the
    weights of batch 2 (a model without batch-dependent layers: GN, no
    dropout; SGD so that tiny gradients do not flip Adam's first step)."""
    same = tiny_run_options(demo_data, max_iters=3, interval=3) + [
        'model.backbone.norm_cfg.type=GN', 'model.backbone.norm_cfg.'
        'num_groups=8', 'model.decode_head.norm_cfg.type=GN',
        'model.decode_head.norm_cfg.num_groups=8',
        'model.decode_head.dropout_ratio=0.0', 'randomness.seed=0',
        'optim_wrapper.optimizer.type=SGD', 'optim_wrapper.optimizer.lr=0.1',
        'optim_wrapper.optimizer.momentum=0.9', 'auto_scale_lr.'
        'base_batch_size=2', 'train_cfg.val_interval=100']
    run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', tmp_path / 'b2',
             '--cfg-options', *same, 'default_hooks.checkpoint.interval=1')
    result = run_tool('tools/train.py', DEMO_CONFIG, '--work-dir',
                      tmp_path / 'acc', '--keep-recipe-batch', '1', '1',
                      '--cfg-options', *same)
    log = result.stdout + result.stderr
    assert 'Recipe batch 2 kept as 1 GPU(s) x 1 images x 2' in log
    assert 'Iter(train) [6/6]' in log
    weights = {name: torch.load(tmp_path / name, weights_only=True)[
        'state_dict'] for name in ('b2/iter_1.pth', 'b2/iter_3.pth',
                                   'acc/iter_6.pth')}
    a, b = weights['b2/iter_3.pth'], weights['acc/iter_6.pth']
    moved = differ = 0.
    for key, value in a.items():
        if value.is_floating_point():
            moved = max(moved, (value - weights['b2/iter_1.pth'][key]).abs()
                        .max().item())
            differ = max(differ, (value - b[key]).abs().max().item())
    # Two SGD steps move the weights by far more than the two runs differ.
    assert differ < 1e-3 * moved, (differ, moved)


@pytest.mark.parametrize('cuda,native,dtype,expected,note', [
    (True, True, None, 'BF16OptimWrapper', 'GPU with native bf16'),
    (True, False, None, 'AmpOptimWrapper', 'GPU without native bf16'),
    (True, True, 'fp16', 'AmpOptimWrapper', 'asked for'),
    (True, False, 'bf16', 'BF16OptimWrapper', 'emulated'),
    (False, True, None, 'BF16OptimWrapper', 'CPU with native bf16'),
    (False, False, 'bf16', 'BF16OptimWrapper', 'emulated'),
])
def test_amp_picks_the_dtype(monkeypatch, cuda, native, dtype, expected,
                             note):
    import inceptionnext_seg.engine.mixed_precision as mixed_precision
    monkeypatch.setattr(mixed_precision, 'bf16_supported', lambda d: native)
    base = dict(type='AmpOptimWrapper', loss_scale=512.,
                optimizer=dict(type='AdamW', lr=1e-4), clip_grad=None)
    wrapper, log = amp_optim_wrapper(base, dtype, cuda=cuda)
    assert wrapper['type'] == expected and note in log
    assert wrapper['optimizer'] == base['optimizer']
    assert wrapper.get('loss_scale') == (
        'dynamic' if expected == 'AmpOptimWrapper' else None)


def test_amp_refusals(monkeypatch):
    import inceptionnext_seg.engine.mixed_precision as mixed_precision
    monkeypatch.setattr(mixed_precision, 'bf16_supported', lambda d: False)
    base = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-4))
    with pytest.raises(ValueError, match='fp16 mixed precision needs CUDA'):
        amp_optim_wrapper(base, 'fp16', cuda=False)
    with pytest.raises(ValueError, match='no native bf16.*--amp-dtype bf16'):
        amp_optim_wrapper(base, cuda=False)
