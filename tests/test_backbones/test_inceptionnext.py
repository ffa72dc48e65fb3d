"""InceptionNeXt backbone: equality with timm's reference, options, errors."""
import pytest
import torch
from mmseg.registry import MODELS

from backbones import InceptionNeXt

pytestmark = pytest.mark.compat  # in every row of `make compat`

ODD = (1, 3, 67, 101)  # odd input size: exercises padding and floor division


def build(**kwargs) -> InceptionNeXt:
    return MODELS.build(dict(type='InceptionNeXt', **kwargs))


def test_registered_and_feature_info():
    model = build(arch='atto').eval()
    outs = model(torch.randn(ODD))
    assert len(outs) == 4
    for out, info in zip(outs, model.feature_info):
        assert out.shape[1] == info['num_chs']
        assert out.shape[2] == ODD[2] // info['reduction']
        assert out.shape[3] == ODD[3] // info['reduction']
    assert [i['reduction'] for i in model.feature_info] == [4, 8, 16, 32]
    assert [i['num_chs'] for i in model.feature_info] == [40, 80, 160, 320]


# Parameters with the classification head, from the paper's variant table.
PAPER_PARAMS_M = {'atto': 4.2, 'tiny': 28.1, 'small': 49.4, 'base': 86.7}


@pytest.mark.parametrize('arch', sorted(PAPER_PARAMS_M))
def test_parameter_counts_match_timm_and_paper(arch, timm_models):
    """Ours counted on the meta device (no memory, no initialisation),
    which it builds on whatever timm (timm's own model builds there with
    the locked timm, not with the oldest supported 1.0.13)."""
    with torch.device('meta'):
        model = build(arch=arch)
    assert all(p.is_meta for p in model.parameters())
    ref = timm_models(arch)
    ours = sum(p.numel() for n, p in model.named_parameters()
               if not n.startswith('norm'))  # output norms are new layers
    head = sum(p.numel() for n, p in ref.named_parameters()
               if n.startswith('head'))
    assert ours + head == sum(p.numel() for p in ref.parameters())
    assert ours + head == pytest.approx(PAPER_PARAMS_M[arch] * 1e6, abs=0.1e6)


def test_out_indices_subsets_prune_unused_stages():
    x = torch.randn(ODD)
    full = build(arch='atto').eval()
    full_outs = full(x)
    for indices in [(1, ), (0, 2), (3, ), (2, 0)]:
        model = build(arch='atto', out_indices=indices).eval()
        model.load_state_dict(full.state_dict(), strict=False)
        outs = model(x)
        assert len(outs) == len(indices)
        assert len(model.stages) == max(indices) + 1
        for out, i in zip(outs, indices):
            torch.testing.assert_close(out, full_outs[i])


def test_frozen_stages_stay_frozen_and_in_eval():
    model = build(arch='atto', frozen_stages=2)
    model.train()
    for module in [model.stem, model.stages[0], model.stages[1], model.norm0,
                   model.norm1]:
        assert not module.training
        assert all(not p.requires_grad for p in module.parameters())
    for module in [model.stages[2], model.stages[3], model.norm2]:
        assert module.training
        assert all(p.requires_grad for p in module.parameters())
    frozen_bn = model.stages[1].downsample[0]
    trained_bn = model.stages[2].downsample[0]
    frozen_mean = frozen_bn.running_mean.clone()
    trained_mean = trained_bn.running_mean.clone()
    outs = model(torch.randn(2, 3, 64, 64))
    assert len(outs) == 4
    # Frozen statistics stay, the trained stage's move.
    torch.testing.assert_close(frozen_bn.running_mean, frozen_mean)
    assert not torch.allclose(trained_bn.running_mean, trained_mean)
    # Gradients reach the trained stages only.
    sum(o.sum() for o in outs).backward()
    assert all(p.grad is None for p in model.stages[1].parameters())
    assert all(p.grad is not None for p in model.stages[2].parameters())


def test_frozen_stem_only():
    model = build(arch='atto', frozen_stages=0).train()
    assert not model.stem.training
    assert all(not p.requires_grad for p in model.stem.parameters())
    assert all(p.requires_grad for p in model.stages.parameters())


def test_norm_eval_keeps_bn_statistics():
    model = build(arch='atto', norm_eval=True).train()
    bns = [m for m in model.modules()
           if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    assert bns and all(not m.training for m in bns)
    stats = [m.running_mean.clone() for m in bns]
    model(torch.randn(2, 3, 64, 64))
    for m, s in zip(bns, stats):
        torch.testing.assert_close(m.running_mean, s)
    assert model.training  # only the norms are in eval mode


def test_with_cp_same_outputs_and_gradients():
    torch.manual_seed(0)
    plain = build(arch='atto', layer_scale_init_value=1.0).train()
    ckpt = build(arch='atto', layer_scale_init_value=1.0, with_cp=True).train()
    ckpt.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 65, 65)
    outs_plain, outs_ckpt = plain(x), ckpt(x)
    for a, b in zip(outs_plain, outs_ckpt):
        torch.testing.assert_close(a, b)
    sum(o.square().mean() for o in outs_plain).backward()
    sum(o.square().mean() for o in outs_ckpt).backward()
    for (name, p), q in zip(plain.named_parameters(), ckpt.parameters()):
        assert p.grad is not None, name
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-6,
                                   msg=name)


def test_drop_path_and_layer_scale_are_applied():
    model = build(arch='atto', drop_path_rate=0.3, layer_scale_init_value=0.5)
    rates = [b.drop_path.drop_prob for s in model.stages for b in s.blocks
             if hasattr(b.drop_path, 'drop_prob')]
    assert rates[-1] == pytest.approx(0.3)
    assert rates == sorted(rates)
    assert torch.all(model.stages[0].blocks[0].gamma == 0.5)
    no_ls = build(arch='atto', layer_scale_init_value=0.)
    assert no_ls.stages[0].blocks[0].gamma is None


def test_norm_cfg_applies_to_every_norm():
    model = build(arch='atto', norm_cfg=dict(type='SyncBN',
                                             requires_grad=True))
    bns = [m for m in model.modules()
           if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    # stem + 3 downsamples + one per block + 4 output norms
    assert len(bns) == 1 + 3 + sum(model.arch['depths']) + 4
    assert all(isinstance(m, torch.nn.SyncBatchNorm) for m in bns)


def test_arch_dict_and_in_channels():
    model = build(arch=dict(depths=(1, 1, 1, 1), dims=(8, 16, 32, 64),
                            branch_ratio=0.25), in_channels=1).eval()
    outs = model(torch.randn(1, 1, 64, 64))
    assert [o.shape[1] for o in outs] == [8, 16, 32, 64]
    assert model.stages[0].blocks[0].token_mixer.dwconv_hw.in_channels == 2


@pytest.mark.parametrize('kwargs,match', [
    (dict(arch='huge'), r"Unknown InceptionNeXt arch 'huge'; valid: "
                        r"\['atto', 'base', 'small', 'tiny'\]"),
    (dict(arch=dict(depths=(1, 1, 1, 1))), r"missing keys \['dims'\]"),
    (dict(arch=dict(depths=(1, 1, 1, 1), dims=(8, 8, 8, 8), width=3)),
     r"unknown keys \['width'\]"),
    (dict(arch=dict(depths=(1, 1, 1), dims=(8, 8, 8))),
     r"arch\['depths'\] needs 4 values"),
    (dict(out_indices=(4, )), r'out_indices must be distinct stage indices '
                              r'in \[0, 1, 2, 3\]'),
    (dict(out_indices=()), r'out_indices'),
    (dict(out_indices=(1, 1)), r'out_indices'),
    (dict(frozen_stages=5), r'frozen_stages must be an int in -1\.\.4'),
    (dict(drop_path_rate=1.5), r'drop_path_rate must be in \[0, 1\)'),
])
def test_bad_arguments_list_valid_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(**kwargs)


def test_misspelt_argument_lists_the_valid_ones():
    with pytest.raises(TypeError) as err:
        build(arch='atto', drop_path=0.1)
    message = str(err.value)
    assert "unknown argument(s) 'drop_path' (did you mean " \
        "'drop_path_rate'?)" in message
    assert "valid arguments: ['arch', 'in_channels', 'out_indices'," in message


def test_a_base_configs_pretrained_says_what_to_set():
    with pytest.raises(TypeError, match=r"takes no pretrained= \(got "
                       r"'open-mmlab://resnet50_v1c'.*set "
                       r'model.pretrained=None'):
        build(arch='atto', pretrained='open-mmlab://resnet50_v1c')


def test_timm_interfaces_this_backbone_relies_on():
    """The backbone builds its stages from timm's `MetaNeXtStage` and
    `InceptionDWConv2d` with keyword arguments; a timm that renames them
    must fail here with the names, not deep inside a build."""
    import inspect

    from timm.models.inception_next import InceptionDWConv2d, MetaNeXtStage
    stage = inspect.signature(MetaNeXtStage).parameters
    mixer = inspect.signature(InceptionDWConv2d).parameters
    for name in ('stride', 'depth', 'drop_path_rates', 'ls_init_value',
                 'token_mixer', 'norm_layer', 'mlp_ratio'):
        assert name in stage, f'timm MetaNeXtStage lost {name!r}: {stage}'
    for name in ('square_kernel_size', 'band_kernel_size', 'branch_ratio'):
        assert name in mixer, f'timm InceptionDWConv2d lost {name!r}'
