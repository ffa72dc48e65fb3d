"""Speed switches leave the results unchanged; the benchmark tool runs.

Speed itself is measured by tools/benchmark.py, not asserted here."""
import json
import re

import pytest
import torch
from mmengine.optim import OptimWrapper

from seg_ext.runtime import build_segmentor_for_analysis, synthetic_batch
from seg_ext.speed import BF16OptimWrapper, bf16_supported
from tool_helpers import ROOT, run_tool


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
    batch = synthetic_batch(2)
    a = plain.data_preprocessor(batch, False)
    b = fast.data_preprocessor(batch, False)
    assert b['inputs'].is_contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        torch.testing.assert_close(plain(a['inputs'], mode='tensor'),
                                   fast(b['inputs'], mode='tensor'),
                                   rtol=1e-4, atol=1e-4)


def test_bf16_optim_wrapper_steps_like_fp32():
    """bf16 autocast in the forward, fp32 parameters and gradients, and an
    update close to the fp32 one (bf16 runs on any CPU, natively or not)."""
    from tool_helpers import DEMO_CONFIG
    torch.manual_seed(0)
    model = build_segmentor(DEMO_CONFIG).train()
    data = model.data_preprocessor(synthetic_batch(2), True)
    weight = model.decode_head.conv_seg.weight
    start = weight.detach().clone()

    def step(wrapper):
        torch.manual_seed(1)  # the same dropout and drop-path draws
        with wrapper.optim_context(model):
            feats = model.backbone.stem[0](data['inputs'])
            loss = model.loss(**data)['decode.loss_ce']
        wrapper.update_params(loss)  # backward, step, zero_grad
        update = weight.detach() - start
        weight.data.copy_(start)
        return feats.dtype, loss.item(), update

    lr = 0.1
    fp32 = step(OptimWrapper(torch.optim.SGD([weight], lr=lr)))
    bf16 = step(BF16OptimWrapper(torch.optim.SGD([weight], lr=lr)))
    assert fp32[0] == torch.float32 and bf16[0] == torch.bfloat16
    assert bf16[1] == pytest.approx(fp32[1], rel=2e-2)
    assert weight.dtype == torch.float32
    assert fp32[2].abs().max() > 0
    cosine = torch.nn.functional.cosine_similarity(
        bf16[2].flatten(), fp32[2].flatten(), dim=0)
    assert cosine > 0.99, cosine


def test_cpu_bf16_query_torch_private_api():
    """`bf16_supported('cpu')` asks oneDNN through a private torch op (no
    public query exists); if torch renames it, fix seg_ext/speed.py."""
    query = getattr(torch.ops.mkldnn, '_is_mkldnn_bf16_supported', None)
    assert query is not None, (
        'torch.ops.mkldnn._is_mkldnn_bf16_supported is gone: '
        'seg_ext.speed.bf16_supported now always answers False on CPUs')
    assert isinstance(query(), bool)
    assert bf16_supported('cpu') == (
        torch.backends.mkldnn.is_available() and query())


SMALL = ['--sizes', '32', '--seg-size', '64', '--memory-size', '32',
         '--warmup', '0', '--repeats', '1', '--seg-warmup', '0',
         '--seg-repeats', '1']


def test_benchmark_tool_speed_tables_and_ratios(tmp_path):
    out = tmp_path / 'bench.json'
    result = run_tool('tools/benchmark.py', *SMALL, '--parts', 'backbone',
                      'segmentor', 'recommended', 'export', '--json', out)
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
    assert 'Exported model (ONNX Runtime, CPU) vs PyTorch eager' in text
    for head in ('UperNet', 'FPN'):
        onnx = figures['export'][head]
        assert onnx['speedup'] == pytest.approx(
            onnx['eager_s'] / onnx['onnxruntime_s'])


def test_benchmark_tool_memory_table(tmp_path):
    out = tmp_path / 'bench.json'
    # Each row is a fresh process (~10 s here), so two rows: the backbone
    # pair. The segmentor rows build through segmentor_steps, which the
    # speed-table test runs.
    result = run_tool('tools/benchmark.py', *SMALL, '--parts', 'memory',
                      '--memory-models', 'InceptionNeXt-T (ours)',
                      'InceptionNeXt-T (ours, with_cp)', '--json', out)
    assert 'Memory of a train step, MB' in result.stdout
    memory = json.loads(out.read_text())['memory']
    assert sorted(memory) == ['InceptionNeXt-T (ours)',
                              'InceptionNeXt-T (ours, with_cp)']
    # Activation checkpointing saves fewer activations.
    assert memory['InceptionNeXt-T (ours)']['peak_mb'] > 0
    assert memory['InceptionNeXt-T (ours)']['saved_mb'] > memory[
        'InceptionNeXt-T (ours, with_cp)']['saved_mb'] > 0


def test_train_amp_bf16_with_channels_last(demo_data, tmp_path):
    """`--amp-dtype bf16` runs on any CPU (emulated where not native)."""
    from tool_helpers import DEMO_CONFIG, tiny_run_options
    result = run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', tmp_path,
                      '--amp-dtype', 'bf16', '--cfg-options',
                      *tiny_run_options(demo_data, max_iters=3),
                      'model.data_preprocessor.type='
                      'ChannelsLastSegDataPreProcessor')
    log = result.stdout + result.stderr
    assert "type='BF16OptimWrapper'" in log
    assert 'Mixed precision: bf16 autocast, no loss scaler' in log
    assert "type='ChannelsLastSegDataPreProcessor'" in log
    assert re.search(r'Iter\(train\) \[3/3\].*loss: \d+\.\d+', log)
