"""StrictEncoderDecoder refuses a state dict that does not fit, whoever loads
it (torch, mmengine), and lets named parts differ when asked."""
import pytest
import torch
from mmengine.runner import load_state_dict

from inceptionnext_seg.checkpoint import CheckpointMismatchError
from inceptionnext_seg.utils.config import build_segmentor_for_analysis
from tests.helpers.tools import DEMO_CONFIG, ROOT


def build(**options):
    return build_segmentor_for_analysis(str(ROOT / DEMO_CONFIG), options)


@pytest.fixture(scope='module')
def state():
    return build().state_dict()


LOADERS = {
    'torch': lambda model, sd: model.load_state_dict(sd, strict=False),
    'mmengine': lambda model, sd: load_state_dict(model, sd, strict=False),
}


@pytest.mark.parametrize('loader', sorted(LOADERS))
def test_a_fitting_state_dict_loads_exactly(loader, state):
    model = build()
    LOADERS[loader](model, state)
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


@pytest.mark.parametrize('loader', sorted(LOADERS))
@pytest.mark.parametrize('fault', ['missing', 'unexpected', 'shape'])
def test_a_misfit_is_refused_even_with_strict_false(loader, fault, state):
    bad = dict(state)
    key = 'decode_head.conv_seg.weight'
    if fault == 'missing':
        del bad[key]
        expected = rf'missing keys \(1\): {key}'
    elif fault == 'unexpected':
        bad['auxiliary_head.conv_seg.weight'] = bad[key]
        expected = r'unexpected keys \(1\): auxiliary_head.conv_seg.weight'
    else:
        bad[key] = bad[key][:10]
        expected = (rf'shape mismatches \(1\): {key}: checkpoint '
                    rf'\(10, 64, 1, 1\) vs model \(150, 64, 1, 1\)')
    model = build()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointMismatchError, match=expected):
        LOADERS[loader](model, bad)
    # Refused before anything was copied.
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_another_backbone_is_described(state):
    tiny = build(**{'model.backbone.arch': 'tiny',
                    'model.neck.in_channels': [96, 192, 384, 768]})
    with pytest.raises(CheckpointMismatchError) as err:
        tiny.load_state_dict(state)
    message = str(err.value)
    assert 'wrong config for this checkpoint?' in message
    assert ("backbone: checkpoint {'depths': (2, 2, 6, 2), 'dims': (40, 80, "
            "160, 320)}, model {'depths': (3, 3, 9, 3), 'dims': (96, 192, "
            "384, 768)}") in message


def test_named_parts_may_differ_and_keep_their_initialisation(state):
    model = build(**{'model.decode_head.num_classes': 7,
                     'model.strict_load_except': ['decode_head.conv_seg']})
    head = model.decode_head.conv_seg.weight.detach().clone()
    result = model.load_state_dict(state, strict=False)
    assert sorted(result.missing_keys) == ['decode_head.conv_seg.bias',
                                           'decode_head.conv_seg.weight']
    assert torch.equal(model.decode_head.conv_seg.weight, head)
    key = 'backbone.stem.0.weight'
    assert torch.equal(model.state_dict()[key], state[key])
    # Only the named part: a misfit elsewhere is still refused.
    bad = dict(state)
    bad['backbone.stem.0.weight'] = bad['backbone.stem.0.weight'][:1]
    with pytest.raises(CheckpointMismatchError, match='backbone.stem.0'):
        model.load_state_dict(bad, strict=False)


def test_a_tta_wrapped_model_is_checked_under_its_prefix(state):
    from mmseg.models import SegTTAModel
    tta = SegTTAModel(module=build())
    prefixed = {f'module.{k}': v for k, v in state.items()}
    tta.load_state_dict(prefixed)
    del prefixed['module.decode_head.conv_seg.bias']
    with pytest.raises(CheckpointMismatchError, match='conv_seg.bias'):
        tta.load_state_dict(prefixed, strict=False)


def test_bad_strict_load_except_values():
    with pytest.raises(ValueError, match=r"\['decode_head.conv_sg'\].*"
                       r"decode_head.conv_seg"):
        build(**{'model.strict_load_except': ['decode_head.conv_sg']})
    with pytest.raises(TypeError, match='list of module names'):
        build(**{'model.strict_load_except': 'decode_head.conv_seg'})
