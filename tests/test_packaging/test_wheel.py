"""The wheel a user's ``pip install <clone>`` builds: both packages, the
mmcv-lite start-up hook at the root of site-packages, the license, and the
tested ranges as its dependencies."""
import email
import re
import subprocess
import sys
import zipfile

import pytest

from tests.helpers.tools import ROOT, load_tool


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp('wheel')
    # pip builds it as for `pip install <clone>` (build isolation: the
    # backend comes from the package index).
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-q',
                    '--disable-pip-version-check', '-w', str(out), str(ROOT)],
                   check=True, capture_output=True, text=True)
    (path, ) = out.glob('inceptionnext_seg-*.whl')
    return zipfile.ZipFile(path)


def test_the_wheel_holds_the_packages_and_the_start_up_hook(wheel):
    names = set(wheel.namelist())
    for package in ('backbones', 'inceptionnext_seg'):
        sources = sorted(p for p in (ROOT / package).rglob('*.py')
                         if '__pycache__' not in p.parts)
        assert sources
        for path in sources:
            assert str(path.relative_to(ROOT)) in names, path
    assert not any(n.startswith(('tests/', 'tools/', 'configs/'))
                   for n in names)
    # At the root of site-packages, identical to the files in tools/.
    mmcv_lite_ops = load_tool('mmcv_lite_ops')
    assert wheel.read('mmcv_lite_ops.pth').decode() == \
        mmcv_lite_ops.PTH_LINE
    assert wheel.read('mmcv_lite_ops.py') == \
        (ROOT / 'tools' / 'install' / 'mmcv_lite_ops.py').read_bytes()


def test_the_wheel_metadata(wheel):
    (metadata, ) = [n for n in wheel.namelist()
                    if n.endswith('.dist-info/METADATA')]
    meta = email.message_from_bytes(wheel.read(metadata))
    assert meta['Name'] == 'inceptionnext-seg'
    assert meta['License-Expression'] == 'Apache-2.0'
    assert meta['Requires-Python'] == '>=3.10'
    requires = meta.get_all('Requires-Dist')
    assert any(r.startswith('torch') for r in requires)
    for extra, dist in (('openmmlab', 'mmsegmentation'),
                        ('onedl', 'onedl-mmsegmentation'),
                        ('tests', 'pytest')):
        assert any(r.startswith(dist) and re.search(
            f"extra == ['\"]{extra}['\"]", r) for r in requires), extra
    # mmseg comes only with an extra: either distribution can provide it.
    assert not any(r.startswith(('mmsegmentation', 'onedl-mmseg'))
                   and 'extra' not in r for r in requires)
    assert any(n.endswith('.dist-info/licenses/LICENSE')
               for n in wheel.namelist())
