"""inceptionnext_seg.engine.compile: --compile's config value and argument
check, and compile_segmentor, which keeps the plain parameter names and the
eager outputs and gradients (dynamo's 'aot_eager' backend: the traced
forward and backward graphs run without inductor's minutes of code
generation on a CPU; tests/test_gpu.py runs inductor)."""
import argparse

import pytest
import torch

from inceptionnext_seg.engine.compile import (backend_name, compile_option,
                                              compile_segmentor)
from inceptionnext_seg.utils.config import build_segmentor_for_analysis
from tests.helpers.tools import DEMO_CONFIG


def build():
    torch.manual_seed(0)
    # no dropout or drop path: both would draw random numbers
    return build_segmentor_for_analysis(DEMO_CONFIG, {
        'model.backbone.drop_path_rate': 0.,
        'model.decode_head.dropout_ratio': 0.})


def test_compile_option_and_backend_check():
    assert compile_option(None) is False
    assert compile_option('eager') == dict(backend='eager')
    assert backend_name('inductor') == 'inductor'
    with pytest.raises(argparse.ArgumentTypeError, match='after the '
                       'positional arguments'):
        backend_name('configs/upernet_inceptionnext_t_ade20k.py')


def test_compiled_segmentor_keeps_names_outputs_and_gradients():
    torch._dynamo.reset()
    eager, compiled = build(), build()
    compiled.load_state_dict(eager.state_dict())
    names = list(compiled.state_dict())
    assert compile_segmentor(compiled, 'aot_eager') == ['backbone',
                                                        'decode_head']
    assert list(compiled.state_dict()) == names  # no _orig_mod. prefix
    # a checkpoint of the compiled model loads strictly into an uncompiled
    # one and back
    build().load_state_dict(compiled.state_dict(), strict=True)
    compiled.load_state_dict(eager.state_dict(), strict=True)
    x = torch.randn(2, 3, 64, 64)
    for model in (eager, compiled):
        model.eval()
    with torch.no_grad():
        torch.testing.assert_close(compiled(x, mode='tensor'),
                                   eager(x, mode='tensor'))
    for model in (eager, compiled):
        model.train()
        model(x, mode='tensor').square().mean().backward()
    for (name, p), q in zip(eager.named_parameters(),
                            compiled.parameters()):
        if p.grad is None:
            assert q.grad is None, name
            continue
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-4, atol=1e-6,
                                   msg=lambda m: f'{name}: {m}')
