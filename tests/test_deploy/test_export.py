"""The exportable segmentor: ONNX and TorchScript files of every config that
verify against PyTorch at other sizes, and a verification that catches an
export computing something else."""
import pytest
import torch
from mmengine.config import Config

from inceptionnext_seg import deploy
from inceptionnext_seg.deploy.exportable import DynamicAdaptiveAvgPool2d
from inceptionnext_seg.utils.config import build_segmentor_for_analysis
from tests.helpers.tools import (DEMO_CONFIG, ROOT, one_block_per_stage,
                                 randomize_batchnorm)

CONFIGS = sorted(ROOT.glob('configs/*_inceptionnext_*_ade20k.py'))


def test_configs_are_found():
    assert len(CONFIGS) == 6


def test_wrong_weights_are_caught_by_the_verification(tmp_path):
    """An export that does not compute what the model computes fails."""
    def wrapper(seed):
        torch.manual_seed(seed)
        model = build_segmentor_for_analysis(str(ROOT / DEMO_CONFIG))
        model.init_weights()
        return deploy.ExportableSegmentor(deploy.make_exportable(model))

    path = str(tmp_path / 'a.onnx')
    deploy.export_onnx(wrapper(0), path, (64, 64), True, {})
    run = deploy.onnx_runner(path)
    assert all(r['ok'] for r in deploy.verify(run, wrapper(0), [(64, 64)]))
    report = deploy.verify(run, wrapper(1), [(64, 64), (96, 128)])
    assert not any(r['ok'] for r in report)
    assert all(r['max_rel_diff'] > deploy.TOLERANCE['max_rel_diff']
               for r in report)


@pytest.mark.parametrize('path', CONFIGS, ids=[p.stem for p in CONFIGS])
def test_each_config_exports_and_verifies(path, tmp_path):
    """Random weights, small sizes, dynamic shapes (UperNet's pooling
    pyramid and FPNHead's upsampling are the parts that would fix them).
    Layer scales and BN statistics randomised: at the initial layer scale
    (1e-6) a block adds nothing the verification could see. Each config's
    widths and heads with one block per stage: the blocks of a stage are
    one block repeated (the depth is suite time: 27 blocks in B's stage 3).
    T in both formats, from one model: TorchScript first (it keeps
    nn.AdaptiveAvgPool2d), then the pooling swapped for ONNX; S and B ONNX
    at two sizes."""
    torch.manual_seed(0)
    tiny = path.stem.endswith('_t_ade20k')
    arch = Config.fromfile(path).model.backbone.arch
    model = build_segmentor_for_analysis(str(path),
                                         one_block_per_stage(arch))
    assert len(model.backbone.stages[2].blocks) == 1
    model.init_weights()
    randomize_batchnorm(model.backbone)
    shapes = [(64, 64), (128, 32)] + ([(32, 160)] if tiny else [])
    wrapper = deploy.ExportableSegmentor(
        deploy.make_exportable(model, pooling=False)).eval()
    if tiny:
        ts_path = str(tmp_path / 'model.pt')
        deploy.export_torchscript(wrapper, ts_path, (64, 64))
        for r in deploy.verify(deploy.torchscript_runner(ts_path), wrapper,
                               shapes):
            assert r['ok'], r
    deploy.make_exportable(model)  # now the pooling too
    onnx_path = str(tmp_path / 'model.onnx')
    deploy.export_onnx(wrapper, onnx_path, (64, 64), True, {})
    for r in deploy.verify(deploy.onnx_runner(onnx_path), wrapper, shapes):
        assert r['ok'], r


def test_dynamic_pooling_equals_adaptive_avg_pool():
    x = torch.rand(2, 3, 13, 7)
    for size in (1, 2, 3, 6, 9):
        torch.testing.assert_close(
            DynamicAdaptiveAvgPool2d(size)(x),
            torch.nn.functional.adaptive_avg_pool2d(x, size))


@pytest.mark.compat
@pytest.mark.parametrize('bgr_to_rgb', [True, False])
def test_the_channel_order_is_read_from_the_preprocessor(bgr_to_rgb):
    """The exported graph flips the channels exactly when the config's
    preprocessor does (its attribute differs between mmseg and the fork)."""
    from mmseg.registry import MODELS
    preprocessor = MODELS.build(dict(
        type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=bgr_to_rgb))
    assert deploy.exportable.flips_channels(preprocessor) is bgr_to_rgb


def test_the_export_policy_deletes_a_failed_file_and_stamps_a_passed_one(
        tmp_path):
    """deploy.export_checked, as tools/deployment/export.py and
    tools/analysis_tools/benchmark.py call it: a file that computes something
    else is deleted, one that passes records its check for the tools that trust
    it."""
    from inceptionnext_seg.deploy.policy import verification_of
    from inceptionnext_seg.inference import read_metadata

    def wrapper(seed):
        torch.manual_seed(seed)
        model = build_segmentor_for_analysis(str(ROOT / DEMO_CONFIG))
        model.init_weights()
        return deploy.ExportableSegmentor(deploy.make_exportable(model))

    path = tmp_path / 'a.onnx'
    deploy.export_onnx(wrapper(0), str(path), (64, 64), False, {})
    run = deploy.onnx_runner(str(path))
    report = deploy.export_checked(run, wrapper(0), str(path), [(64, 64)])
    check = verification_of(read_metadata(str(path)))
    assert check.source == 'random images' and check.images == 1
    assert check.agreement == report[0]['agreement'] >= 0.999
    with pytest.raises(deploy.CheckFailed, match='was deleted') as failed:
        deploy.export_checked(run, wrapper(1), str(path), [(64, 64)])
    assert not path.exists() and not failed.value.report[0]['ok']
