"""Speed switches leave the results unchanged; the benchmark tool runs.

Speed itself is measured by tools/benchmark.py, not asserted here."""
import json
import re

import pytest
import torch

from seg_ext.runtime import build_segmentor_for_analysis
from seg_ext.speed import BF16OptimWrapper, bf16_supported
from tool_helpers import ROOT, make_batch, run_tool


def build_segmentor(config, **preprocessor):
    options = {f'model.data_preprocessor.{k}': v
               for k, v in dict(size=(64, 64), **preprocessor).items()}
    return build_segmentor_for_analysis(str(ROOT / config), options)


def test_channels_last_preprocessor_gives_the_same_logits():
    torch.manual_seed(0)
    plain = build_segmentor('configs/upernet_inceptionnext_t_ade20k.py')
    fast = build_segmentor('configs/upernet_inceptionnext_t_ade20k.py',
                           type='ChannelsLastSegDataPreProcessor')
    fast.load_state_dict(plain.state_dict())
    plain.eval()
    fast.eval()
    batch = make_batch(2)
    a = plain.data_preprocessor(batch, False)
    b = fast.data_preprocessor(batch, False)
    assert b['inputs'].is_contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        torch.testing.assert_close(plain._forward(a['inputs']),
                                   fast._forward(b['inputs']),
                                   rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(not bf16_supported('cpu'), reason='no native CPU bf16')
def test_bf16_optim_wrapper_trains_close_to_fp32():
    torch.manual_seed(0)
    model = build_segmentor('configs/fpn_inceptionnext_t_ade20k.py')
    data = model.data_preprocessor(make_batch(2), True)
    model.train()
    fp32 = model.loss(**data)['decode.loss_ce']
    wrapper = BF16OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.))
    with wrapper.optim_context(model):
        feats = model.backbone.stem[0](data['inputs'])
        losses = model.loss(**data)
    assert feats.dtype == torch.bfloat16
    assert losses['decode.loss_ce'].item() == pytest.approx(fp32.item(),
                                                            rel=2e-2)
    wrapper.update_params(losses['decode.loss_ce'])  # backward + step


SMALL = ['--sizes', '32', '--seg-size', '64', '--memory-size', '32',
         '--warmup', '0', '--repeats', '1', '--seg-warmup', '0',
         '--seg-repeats', '1']


def test_benchmark_tool_speed_tables_and_ratios(tmp_path):
    out = tmp_path / 'bench.json'
    result = run_tool('tools/benchmark.py', *SMALL, '--parts', 'backbone',
                      'segmentor', 'recommended', '--json', out)
    text = result.stdout
    for title in ('Backbones at 32x32', 'Segmentors at 64x64',
                  'UperNet-T: recommended settings'):
        assert title in text, text
    for name in ('InceptionNeXt-T (ours)', 'InceptionNeXt-T (timm)',
                 'ConvNeXt-T (timm)', 'ResNet-50 (timm)',
                 'UperNet + InceptionNeXt-T', 'FPN + ConvNeXt-T'):
        assert name in text
    figures = json.loads(out.read_text())
    # The ratios are the measured speeds divided, as the tables say.
    backbone = figures['backbone']
    ours, ref = backbone['InceptionNeXt-T (ours)@32'], backbone[
        'ConvNeXt-T (timm)@32']
    assert ours['train_vs_convnext'] == pytest.approx(
        ours['train_img_s'] / ref['train_img_s'])
    assert ours['infer_vs_convnext'] == pytest.approx(
        ours['infer_img_s'] / ref['infer_img_s'])
    timm_ref = backbone['InceptionNeXt-T (timm)@32']
    vs_timm = backbone['ours_vs_timm@32']
    assert vs_timm['train'] == pytest.approx(
        ours['train_img_s'] / timm_ref['train_img_s'])
    assert (f'ours vs timm reference: train {vs_timm["train"]:.2f}x, '
            f'infer {vs_timm["infer"]:.2f}x') in text
    segmentor = figures['segmentor']
    for head in ('UperNet', 'FPN'):
        a, b = segmentor[f'{head}+InceptionNeXt-T'], segmentor[
            f'{head}+ConvNeXt-T']
        assert a['train_vs_convnext'] == pytest.approx(
            b['train_s_per_iter'] / a['train_s_per_iter'])
    # The recommended settings leave the predictions (nearly) unchanged.
    assert 90 < figures['recommended']['argmax_agreement_pct'] <= 100


def test_benchmark_tool_memory_table(tmp_path):
    out = tmp_path / 'bench.json'
    result = run_tool('tools/benchmark.py', *SMALL, '--parts', 'memory',
                      '--json', out)
    assert 'Memory of a train step, MB' in result.stdout
    memory = json.loads(out.read_text())['memory']
    # Activation checkpointing saves fewer activations, in both models.
    assert memory['UperNet|InceptionNeXt-T']['saved_mb'] > memory[
        'UperNet|InceptionNeXt-T with_cp']['saved_mb'] > 0
    assert memory['InceptionNeXt-T (ours)']['saved_mb'] > memory[
        'InceptionNeXt-T (ours, with_cp)']['saved_mb'] > 0


@pytest.mark.skipif(not bf16_supported('cpu'), reason='no native CPU bf16')
def test_train_amp_on_cpu_uses_bf16(trained, demo_data, tmp_path):
    from tool_helpers import DEMO_CONFIG, tiny_run_options
    result = run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', tmp_path,
                      '--amp', '--cfg-options',
                      *tiny_run_options(demo_data, max_iters=3),
                      'model.data_preprocessor.type='
                      'ChannelsLastSegDataPreProcessor')
    log = result.stdout + result.stderr
    assert "type='BF16OptimWrapper'" in log
    assert "type='ChannelsLastSegDataPreProcessor'" in log
    assert re.search(r'Iter\(train\) \[3/3\].*loss: \d+\.\d+', log)
