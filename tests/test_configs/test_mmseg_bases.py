"""configs/_base_/mmseg/ holds copies of mmseg's own base configs (the
configs inherit no `mmseg::` base, which onedl-mmengine cannot resolve):
each equals the installed mmseg's, OpenMMLab's release or the fork's."""
from pathlib import Path

import pytest
from mmengine.config import Config

from tests.helpers.tools import ROOT

pytestmark = pytest.mark.compat

COPY_DIR = ROOT / 'configs' / '_base_' / 'mmseg'
COPIES = sorted(COPY_DIR.rglob('*.py'))


def installed_bases() -> Path:
    import mmseg
    return Path(mmseg.__file__).parent / '.mim' / 'configs' / '_base_'


def test_the_copies_are_the_six_bases_the_configs_use():
    assert [str(p.relative_to(COPY_DIR)) for p in COPIES] == [
        'datasets/ade20k.py', 'datasets/cityscapes.py', 'default_runtime.py',
        'schedules/schedule_160k.py', 'schedules/schedule_40k.py',
        'schedules/schedule_80k.py']


def test_every_copy_is_inherited_by_a_config():
    # a copy no config uses is a copy nobody keeps in step
    texts = [p.read_text() for p in (ROOT / 'configs').rglob('*.py')
             if COPY_DIR not in p.parents]
    for copy in COPIES:
        relative = f'mmseg/{copy.relative_to(COPY_DIR)}'
        assert any(relative in text for text in texts), relative


@pytest.mark.parametrize('copy', COPIES, ids=lambda p: p.name)
def test_each_copy_equals_the_installed_mmsegs(copy):
    relative = copy.relative_to(COPY_DIR)
    original = installed_bases() / relative
    assert Config.fromfile(copy).to_dict() == \
        Config.fromfile(original).to_dict(), (
            f'{copy} differs from {original}: copy it again')
    # The code is the original's, after the header that says where from.
    body = copy.read_text().splitlines()[6:]
    assert '\n'.join(body) == original.read_text().rstrip('\n')


def test_no_config_inherits_an_mmseg_scope_base():
    for path in (ROOT / 'configs').rglob('*.py'):
        code = [line for line in path.read_text().splitlines()
                if not line.lstrip().startswith('#')]
        assert not any("'mmseg::" in line for line in code), path
