"""The mmcv-lite stand-in for mmcv.ops lets mmseg import, and steps aside for
a full mmcv."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
ops = pytest.importorskip('mmcv.ops')
if not getattr(ops, '__mmcv_lite_compat__', False):
    pytest.skip('a full mmcv build is installed; the stand-in is inactive',
                allow_module_level=True)


def test_mmseg_models_import_with_mmcv_lite():
    code = ('import sys; sys.path.insert(0, ".");import backbones, '
            'mmseg.models, mmcv.ops; print(mmcv.ops.__mmcv_lite_compat__)')
    result = subprocess.run([sys.executable, '-c', code], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'True'


def test_point_sample_is_mmcvs_pure_torch_version():
    from mmcv.ops import point_sample
    feat = torch.randn(2, 3, 8, 8)
    points = torch.rand(2, 5, 2)
    expected = F.grid_sample(feat, 2 * points.unsqueeze(2) - 1,
                             align_corners=False).squeeze(3)
    torch.testing.assert_close(point_sample(feat, points), expected)


def test_compiled_ops_fail_with_install_hint():
    with pytest.raises(ModuleNotFoundError, match='mim install mmcv==2.1.0'):
        from mmcv.ops import CrissCrossAttention  # noqa: F401
    from mmcv.ops import sigmoid_focal_loss
    with pytest.raises(ModuleNotFoundError, match='full mmcv build'):
        sigmoid_focal_loss(torch.zeros(1, 2), torch.zeros(1))
    assert not hasattr(ops, '__file__')  # dunder lookups stay AttributeError
