"""The block's MLP formulations (``mlp_impl``) compute
timm's reference: same outputs and gradients in every memory format, train
and eval mode, with the parameter names and shapes of timm's model."""
import pytest
import torch
from mmseg.registry import MODELS

from backbones import InceptionNeXt, extract_backbone_state_dict
from backbones.inceptionnext import MLP_IMPLS, choose_mlp_impl
from tests.helpers.tools import randomize_batchnorm

pytestmark = pytest.mark.compat  # in every row of `make compat`

FORMATS = {'NCHW': torch.contiguous_format,
           'channels-last': torch.channels_last}


def ours_from(ref, mlp_impl: str, **kwargs) -> InceptionNeXt:
    model = MODELS.build(dict(type='InceptionNeXt', arch='atto',
                              mlp_impl=mlp_impl, **kwargs))
    # strict: every key and shape of timm's model but its head
    model.load_weights(extract_backbone_state_dict(ref.state_dict()),
                       source='timm')
    return model


def reference_features(ref, x):
    """timm's own forward, stage by stage."""
    feats, y = [], ref.stem(x)
    for stage in ref.stages:
        y = stage(y)
        feats.append(y)
    return feats


@pytest.fixture
def reference():
    import timm
    torch.manual_seed(0)
    # layer scale 1 (not timm's 1e-6) so the MLPs and their gradients
    # weigh in the comparison
    ref = timm.create_model('inception_next_atto', pretrained=False,
                            ls_init_value=1.0)
    randomize_batchnorm(ref, 0)
    return ref


@pytest.mark.parametrize('fmt', sorted(FORMATS))
@pytest.mark.parametrize('mode', ['train', 'eval', 'norm_eval'])
@pytest.mark.parametrize('mlp_impl', MLP_IMPLS)
def test_every_formulation_gives_the_references_outputs_and_gradients(
        reference, mlp_impl, mode, fmt):
    """In float64: the formulations are the same arithmetic in another
    order, so float32 would judge its rounding (a bias gradient sums ~1k
    terms that nearly cancel), not the formulation; float64 leaves a
    difference of ~1e-12, and a wrong formulation still differs at 1e-2."""
    model = ours_from(reference, mlp_impl,
                      norm_eval=mode == 'norm_eval').double()
    reference.double()
    model.train(mode != 'eval')
    reference.train(mode == 'train')
    fmt = FORMATS[fmt]
    model.to(memory_format=fmt)
    reference.to(memory_format=fmt)
    x = torch.randn(2, 3, 67, 101, dtype=torch.float64).contiguous(
        memory_format=fmt)
    x_ref = x.clone().requires_grad_()
    x = x.clone().requires_grad_()
    outs = model(x)
    feats = reference_features(reference, x_ref)
    expected = [getattr(model, f'norm{i}')(f) for i, f in enumerate(feats)]
    for out, exp in zip(outs, expected):
        torch.testing.assert_close(out, exp, rtol=1e-9, atol=1e-9)
    weights = [torch.randn_like(o) for o in outs]
    sum((o * w).sum() for o, w in zip(outs, weights)).backward()
    sum((o * w).sum() for o, w in zip(expected, weights)).backward()
    torch.testing.assert_close(x.grad, x_ref.grad, rtol=1e-9, atol=1e-9)
    ref_params = dict(reference.named_parameters())
    checked = 0
    for name, p in model.named_parameters():
        if name.startswith('norm'):
            continue  # new layers, applied alike on both sides
        q = ref_params[name]
        if mode == 'train' and (name == 'stem.0.bias' or (
                '.token_mixer.' in name and name.endswith('.bias'))):
            # Zero in exact arithmetic (a train-mode BatchNorm follows and
            # removes the mean): both are rounding noise.
            scale = ref_params[name[:-len('bias')] + 'weight'].grad
            assert p.grad.abs().max() < 1e-6 * scale.abs().max(), name
            continue
        if q.grad is None:
            assert p.grad is None or not p.requires_grad, name
            continue
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-8, atol=1e-9,
                                   msg=lambda m: f'{name}: {m}')
        checked += 1
    assert checked > 50  # the blocks' MLPs, norms, mixers and gammas


@pytest.mark.parametrize('mlp_impl', MLP_IMPLS)
def test_formulations_keep_timms_parameter_names_and_shapes(
        reference, mlp_impl):
    model = ours_from(reference, mlp_impl)  # load_weights is strict
    ours = {k: v.shape for k, v in model.state_dict().items()
            if not k.startswith('norm')}
    timm_ = {k: v.shape for k, v in reference.state_dict().items()
             if not k.startswith('head')}
    assert ours == timm_


def test_auto_takes_the_gemm_on_cpus_only():
    x = torch.randn(1, 8, 4, 4)
    assert choose_mlp_impl(x) == 'linear'
    assert choose_mlp_impl(
        x.contiguous(memory_format=torch.channels_last)) == 'linear'
    assert choose_mlp_impl(x.to('meta')) == 'conv'  # not measured elsewhere


def test_unknown_mlp_impl_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"\['auto', 'conv', 'linear'\]"):
        MODELS.build(dict(type='InceptionNeXt', arch='atto',
                          mlp_impl='gemm'))


@pytest.mark.parametrize('fmt', sorted(FORMATS))
@pytest.mark.parametrize('mlp_impl', MLP_IMPLS)
def test_inference_paths_give_the_references_outputs(reference, mlp_impl,
                                                     fmt):
    """Without autograd the GEMM path fuses fc1's bias and GELU into one
    oneDNN call where it can (CPU, one dtype, no autocast)."""
    model = ours_from(reference, mlp_impl).eval()
    reference.eval()
    fmt = FORMATS[fmt]
    model.to(memory_format=fmt)
    reference.to(memory_format=fmt)
    x = torch.randn(2, 3, 67, 101).contiguous(memory_format=fmt)
    with torch.inference_mode():
        outs = model(x)
        expected = [getattr(model, f'norm{i}')(f)
                    for i, f in enumerate(reference_features(reference, x))]
    for out, exp in zip(outs, expected):
        torch.testing.assert_close(out, exp, rtol=1e-4, atol=1e-4)


def test_the_fused_inference_path_is_taken_and_not_under_autocast(
        reference, monkeypatch):
    from backbones import inceptionnext
    if not inceptionnext._HAS_LINEAR_POINTWISE:
        pytest.skip('this torch has no oneDNN linear_pointwise')
    calls = []
    fused = torch.ops.mkldnn._linear_pointwise

    def counting(*args):
        calls.append(args[3])
        return fused(*args)

    monkeypatch.setattr(inceptionnext, '_linear_pointwise', counting,
                        raising=False)
    model = ours_from(reference, 'linear').eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        model(x)
    assert calls == ['gelu'] * 12  # every block of atto (2 + 2 + 6 + 2)
    calls.clear()
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
        outs = model(x)
    assert not calls and outs[0].dtype == torch.bfloat16
    model(x)  # gradients wanted
    assert not calls


def test_traced_graphs_keep_timms_convolutions(reference):
    """Export traces (TorchScript, the ONNX exporter) take timm's 1x1
    convolutions under 'auto' and never the private fused op: the ONNX
    graph, its int8 quantisation and ONNX Runtime see timm's operators."""
    model = ours_from(reference, 'auto').eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        graph = str(torch.jit.trace(model, x).inlined_graph)
        expected = model(x)
    assert '_linear_pointwise' not in graph and 'aten::linear' not in graph
    # stem, 3 downsamplings, and per block 3 mixer + 2 MLP convolutions
    assert graph.count('aten::_convolution') == 4 + 12 * 5
    assert len(expected) == 4
