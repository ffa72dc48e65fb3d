"""Mixed precision and channels-last: the --amp choice's building blocks leave
the results unchanged (speed is measured by tools/analysis_tools/benchmark.py,
never asserted here)."""
import os
import re
from pathlib import Path

import pytest
import torch
from mmengine.optim import OptimWrapper

from inceptionnext_seg.engine import BF16OptimWrapper, bf16_supported
from inceptionnext_seg.utils.config import build_segmentor_for_analysis
from inceptionnext_seg.utils.synthetic_batch import synthetic_batch
from tests.helpers.tools import ROOT, run_tool


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
    from tests.helpers.tools import DEMO_CONFIG
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


def test_cpu_bf16_query_is_onednns_answer():
    """`bf16_supported('cpu')` asks oneDNN through a private torch op (no
    public query exists; pinned here): if torch renames it, fix
    inceptionnext_seg/engine/mixed_precision.py."""
    query = getattr(torch.ops.mkldnn, '_is_mkldnn_bf16_supported', None)
    assert query is not None, (
        'torch.ops.mkldnn._is_mkldnn_bf16_supported is gone: '
        'inceptionnext_seg.engine.mixed_precision.bf16_supported now '
        'always answers False on CPUs')
    assert isinstance(query(), bool)
    # An independent reading of the same fact on x86 Linux: oneDNN runs
    # bf16 natively from AVX-512 (BW, VL, DQ) on, or with AVX-NE-CONVERT.
    cpuinfo = Path('/proc/cpuinfo')
    text = cpuinfo.read_text() if cpuinfo.is_file() else ''
    flags = set(re.search(r'^flags\s*:(.*)$', text, re.M).group(1).split()
                ) if 'flags' in text else None
    if flags is None or 'avx2' not in flags:
        pytest.skip('not an x86 Linux CPU with /proc/cpuinfo flags')
    if os.environ.get('ONEDNN_MAX_CPU_ISA'):
        pytest.skip('ONEDNN_MAX_CPU_ISA caps what oneDNN runs below what '
                    '/proc/cpuinfo lists')
    avx512_core = {'avx512bw', 'avx512vl', 'avx512dq'} <= flags
    assert bf16_supported('cpu') == (
        torch.backends.mkldnn.is_available()
        and (avx512_core or 'avx_ne_convert' in flags))


@pytest.mark.parametrize('answer', [True, False, None])
def test_cpu_bf16_follows_the_query_and_never_fails(monkeypatch, answer):
    """True/False: oneDNN's answer is taken; None: a torch without the op
    gives fp32 (False), not an error."""
    import types

    import inceptionnext_seg.engine.mixed_precision as mixed_precision
    ops = types.SimpleNamespace(mkldnn=types.SimpleNamespace())
    if answer is not None:
        ops.mkldnn._is_mkldnn_bf16_supported = lambda: answer
    monkeypatch.setattr(mixed_precision.torch, 'ops', ops)
    monkeypatch.setattr(mixed_precision.torch.backends.mkldnn,
                        'is_available', lambda: True)
    assert mixed_precision.bf16_supported('cpu') is bool(answer)


def test_train_amp_bf16_with_channels_last(demo_data, tmp_path):
    """`--amp-dtype bf16` runs on any CPU (emulated where not native)."""
    from tests.helpers.tools import DEMO_CONFIG, full_log, tiny_run_options
    result = run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', tmp_path,
                      '--amp-dtype', 'bf16', '--cfg-options',
                      *tiny_run_options(demo_data, max_iters=3),
                      'model.data_preprocessor.type='
                      'ChannelsLastSegDataPreProcessor')
    log = result.stdout + result.stderr + full_log(tmp_path)
    assert "type='BF16OptimWrapper'" in log
    assert 'Mixed precision: bf16 autocast, no loss scaler' in log
    assert "type='ChannelsLastSegDataPreProcessor'" in log
    assert re.search(r'Iter\(train\) \[3/3\].*loss: \d+\.\d+', log)
