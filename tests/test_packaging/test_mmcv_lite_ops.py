"""tools/install/mmcv_lite_ops.py: mmseg imports on mmcv-lite whatever imports
first, and a full mmcv and the fork's mmcv are left alone."""
import importlib
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from tests.helpers.tools import ROOT, load_tool

pytestmark = pytest.mark.compat  # in every row of `make compat`

mmcv_lite_ops = load_tool('mmcv_lite_ops')


def python(code: str, cwd=ROOT, **kwargs):
    return subprocess.run([sys.executable, '-c', code], cwd=cwd,
                          capture_output=True, text=True, **kwargs)


@pytest.mark.skipif(not mmcv_lite_ops.is_fork_mmcv(),
                    reason='the fork (onedl-mmcv) is not installed')
def test_the_forks_mmseg_imports_without_the_stand_in(tmp_path):
    """onedl-mmsegmentation imports mmcv.ops only where an op is used: the
    finder steps aside, and mmcv.ops fails as the fork's own does."""
    result = python('import sys, mmseg.apis, mmseg.models\n'
                    'try:\n    import mmcv.ops\n'
                    'except ModuleNotFoundError as err:\n    print(err)\n'
                    'print(any(type(f).__name__ == "MmcvOpsFinder" '
                    'for f in sys.meta_path))', cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines()[-2:] == [
        "No module named 'mmcv._ext'", 'True']


try:
    ops = importlib.import_module('mmcv.ops')
except ModuleNotFoundError:
    ops = None
needs_stand_in = pytest.mark.skipif(
    not getattr(ops, '__mmcv_lite_compat__', False),
    reason='a full mmcv or the fork is installed; the stand-in is inactive')


def test_installed_in_this_environment_and_current():
    result = subprocess.run(
        [sys.executable, 'tools/install/mmcv_lite_ops.py', 'status'], cwd=ROOT,
        capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_stand_in
@pytest.mark.parametrize('first', ['mmseg.apis', 'mmcv.cnn'])
def test_mmseg_imports_whatever_imports_first(first, tmp_path):
    # From a folder outside the project: nothing of ours is importable.
    result = python(f'import {first}, mmseg.apis, mmseg.models, mmcv.ops; '
                    f'print(mmcv.ops.__mmcv_lite_compat__)', cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == 'True'


@needs_stand_in
def test_without_the_hook_mmseg_fails_as_upstream(tmp_path):
    """The finder is what makes the difference (`-S`-free: remove it)."""
    code = ('import sys; sys.meta_path[:] = [f for f in sys.meta_path if '
            'type(f).__name__ != "MmcvOpsFinder"]; import mmseg.models')
    result = python(code, cwd=tmp_path)
    assert result.returncode != 0
    assert "No module named 'mmcv._ext'" in result.stderr


def test_a_full_mmcv_or_the_fork_is_used_as_it_is(tmp_path, monkeypatch):
    """With an ``mmcv/_ext`` extension present, or with onedl-mmcv, the
    finder steps aside."""
    MmcvOpsFinder = mmcv_lite_ops.MmcvOpsFinder
    fake = tmp_path / 'mmcv'
    fake.mkdir()
    monkeypatch.setattr(mmcv_lite_ops, 'is_fork_mmcv', lambda: False)
    assert MmcvOpsFinder().find_spec('mmcv.ops', [str(fake)]) is not None
    monkeypatch.setattr(mmcv_lite_ops, 'is_fork_mmcv', lambda: True)
    assert MmcvOpsFinder().find_spec('mmcv.ops', [str(fake)]) is None
    monkeypatch.setattr(mmcv_lite_ops, 'is_fork_mmcv', lambda: False)
    (fake / '_ext.py').write_text('')  # stands for _ext.cpython-*.so
    assert MmcvOpsFinder().find_spec('mmcv.ops', [str(fake)]) is None
    assert MmcvOpsFinder().find_spec('mmcv.cnn', [str(fake)]) is None


@needs_stand_in
def test_point_sample_is_mmcvs_pure_torch_version():
    from mmcv.ops import point_sample
    feat = torch.randn(2, 3, 8, 8)
    points = torch.rand(2, 5, 2)
    expected = F.grid_sample(feat, 2 * points.unsqueeze(2) - 1,
                             align_corners=False).squeeze(3)
    torch.testing.assert_close(point_sample(feat, points), expected)


@needs_stand_in
def test_compiled_ops_fail_with_install_hint():
    with pytest.raises(ModuleNotFoundError, match='mim install mmcv==2.1.0'):
        from mmcv.ops import CrissCrossAttention  # noqa: F401
    from mmcv.ops import sigmoid_focal_loss
    with pytest.raises(ModuleNotFoundError, match='full mmcv build'):
        sigmoid_focal_loss(torch.zeros(1, 2), torch.zeros(1))
    assert not hasattr(ops, '__file__')  # dunder lookups stay AttributeError
