"""The deployment policy (inceptionnext_seg/deploy/policy.py): one set of
thresholds for the export checks and the ladder, the verification record
written and read the same way, the inference paths as values."""
import pytest

from inceptionnext_seg import deploy
from inceptionnext_seg.analysis import cpu_ladder
from inceptionnext_seg.deploy import policy
from inceptionnext_seg.inference import describe


def test_one_set_of_thresholds():
    assert deploy.TOLERANCE is policy.TOLERANCE
    assert deploy.INT8_TOLERANCE is policy.INT8_TOLERANCE
    assert cpu_ladder.MIN_AGREEMENT is policy.MIN_AGREEMENT
    assert policy.min_agreement('fp32') == policy.TOLERANCE['min_agreement']
    for reduced in ('bf16', 'int8'):
        assert policy.min_agreement(reduced) == \
            policy.INT8_TOLERANCE['min_agreement']


def test_the_verification_record_round_trips():
    check = policy.Verification.today(0.995, 'val', 16, labelled=16,
                                      miou_drop=0.25)
    meta = dict(precision='int8', **check.to_metadata())
    assert meta['verification']['ok'] is True
    assert policy.verification_of(meta) == check
    assert describe(meta) == (
        f'int8, checked at export ({check.date}) on 16 image(s) of \'val\': '
        f'99.50% class agreement with float32, mIoU change -0.25')
    # no record, a failed one, or float32: nothing to trust or to state
    assert policy.verification_of({}) is None
    assert policy.verification_of(dict(verification=dict(ok=False))) is None
    assert describe(dict(meta, precision='fp32')) == 'float32'


def test_inference_paths_are_values_with_their_names():
    assert str(policy.EAGER_FP32) == 'eager fp32'
    assert str(policy.EAGER_BF16) == 'eager bf16 + channels-last'
    assert str(policy.ONNX_INT8) == 'ONNX Runtime int8'
    assert str(policy.COMPILED_BF16) == ('eager bf16 + channels-last, '
                                         'compiled')
    assert policy.COMPILED_BF16.eager_bf16 and policy.EAGER_BF16.eager_bf16
    assert not policy.ONNX_FP32.eager_bf16 and not policy.EAGER_FP32.eager_bf16
    for path in policy.ALL_PATHS:
        assert policy.InferencePath.parse(str(path)) == path
    assert policy.ONNX_FP32.onnx and not policy.EAGER_BF16.onnx
    assert cpu_ladder.onnx_path('int8') == policy.ONNX_INT8
    with pytest.raises(ValueError, match='not an inference path'):
        policy.InferencePath.parse('ONNX Runtime fp16')
    with pytest.raises(ValueError, match='runtime'):
        policy.InferencePath('tensorrt', 'fp32')
    with pytest.raises(ValueError, match='compiled: an eager path only'):
        policy.InferencePath('onnxruntime', 'fp32', compiled=True)


def test_every_name_of_deploy_is_what_it_names():
    """deploy loads its names on first use; no submodule may shadow one
    (importing ``deploy.verify`` as a module once made ``deploy.verify``
    the module)."""
    import importlib
    import types
    for module in ('export', 'exportable', 'images', 'quantize',
                   'verification', 'policy', 'checked'):
        importlib.import_module(f'inceptionnext_seg.deploy.{module}')
    for name in deploy.__all__:
        assert not isinstance(getattr(deploy, name), types.ModuleType), name
