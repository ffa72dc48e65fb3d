"""The requirements: ranges with a floor on every line (the oldest row of
`make compat` pins them), a lock inside the ranges, and the matrix script."""
import re

import pytest
from packaging.requirements import Requirement

from tests.helpers.tools import ROOT, load_tool

compat = load_tool('compat')

pytestmark = pytest.mark.compat

RANGES = ['requirements/torch.txt'] + compat.REQUIREMENTS
EXTRAS = {name: path for name, path in compat.DISTRIBUTIONS.items()}
LOCKED = RANGES + [EXTRAS['openmmlab']]  # what requirements.txt installs


def requirements(name):
    lines = (ROOT / name).read_text().splitlines()
    return [Requirement(line.split('#')[0].strip()) for line in lines
            if line.split('#')[0].strip()]


def lock():
    pins = {}
    for line in (ROOT / 'requirements/lock.txt').read_text().splitlines():
        if line and not line.startswith('#'):
            name, _, version = line.partition('==')
            pins[re.sub(r'[-_.]+', '-', name).lower()] = version
    return pins


@pytest.mark.parametrize('name', RANGES + list(EXTRAS.values()))
def test_every_requirement_is_a_range_with_a_floor(name):
    for req in requirements(name):
        floors = [s for s in req.specifier if s.operator == '>=']
        assert len(floors) == 1, f'{name}: {req} has no single >= floor'
        assert not any(s.operator == '==' for s in req.specifier), req


@pytest.mark.parametrize('name', LOCKED)
def test_the_lock_pins_every_requirement_inside_its_range(name):
    pins = lock()
    for req in requirements(name):
        key = re.sub(r'[-_.]+', '-', req.name).lower()
        assert key in pins, f'{req.name} is not in requirements/lock.txt'
        assert req.specifier.contains(pins[key], prereleases=True), (
            f'lock has {req.name}=={pins[key]}, outside {req}')


def test_the_lock_is_what_requirements_txt_installs():
    lines = [line for line in (ROOT / 'requirements.txt').read_text()
             .splitlines() if line and not line.startswith('#')]
    assert lines == ['-c requirements/lock.txt', '-e .[openmmlab,tests]']


def test_the_two_distributions_provide_the_same_packages():
    """Each extra brings mmseg, mmengine and mmcv, none of them in the
    base dependencies (they install the same import names), and the start-up
    check knows every distribution of them."""
    from inceptionnext_seg.environment import OPENMMLAB_DISTRIBUTIONS
    known = {d for dists in OPENMMLAB_DISTRIBUTIONS.values() for d in dists}
    base = {r.name for n in RANGES for r in requirements(n)}
    for extra, path in EXTRAS.items():
        names = {r.name for r in requirements(path)} - {'setuptools'}
        assert len(names) == 3 and names <= known, (extra, names)
        assert not names & base


def test_the_package_metadata_reads_the_ranges():
    """pyproject.toml takes its dependencies from the range files (one source
    of truth): the installed metadata has exactly their ranges."""
    import importlib.metadata

    from packaging.utils import canonicalize_name

    def key(req):
        return canonicalize_name(req.name), str(req.specifier)

    installed = [Requirement(r) for r in
                 importlib.metadata.requires('inceptionnext-seg')]
    runtime = {key(r) for r in installed if r.marker is None}
    assert runtime == {key(r) for n in RANGES[:2] for r in requirements(n)}
    for extra, path in dict(EXTRAS, tests=RANGES[2]).items():
        got = {key(r) for r in installed
               if r.marker is not None and r.marker.evaluate({'extra': extra})}
        assert got == {key(r) for r in requirements(path)}, extra


def test_floors_row_pins_every_lower_bound():
    oldest = next(r for r in compat.ROWS if r.name == 'oldest')
    assert oldest.floors and oldest.python == '3.10'
    assert oldest.torch.startswith('2.1.')
    assert oldest.distribution == 'openmmlab'
    pins = compat.floor_pins(oldest.requirement_files)
    assert {'numpy==1.26.4', 'timm==1.0.13', 'mmengine==0.10.4',
            'mmsegmentation==1.2.2'} <= set(pins)
    assert len(pins) == sum(len(requirements(n))
                            for n in oldest.requirement_files)


def test_row_install_is_the_readme_s(tmp_path):
    row = compat.Row('x', '3.12', '2.5.1', '0.20.1')
    commands = [' '.join(c) for c in compat.install_commands(row, tmp_path)]
    assert commands[1].endswith('install --disable-pip-version-check '
                                '--no-compile -q torch==2.5.1 '
                                'torchvision==0.20.1')
    assert commands[2].endswith(f'-q {ROOT}[openmmlab,tests] -c '
                                f'{tmp_path / "row-constraints.txt"}')
    fork = compat.Row('y', '3.13', '2.14.1', '0.29.1', distribution='onedl')
    (tmp_path / 'y').mkdir()
    assert ' '.join(compat.install_commands(fork, tmp_path / 'y')[2]).endswith(
        f'-q {ROOT}[onedl,tests] -c {tmp_path / "y/row-constraints.txt"}')
    assert (tmp_path / 'row-constraints.txt').read_text().split() == [
        'torch==2.5.1', 'torchvision==0.20.1']
    install = (ROOT / 'docs' / 'install.md').read_text()
    for r in compat.ROWS:
        assert f'pip install torch=={r.torch} torchvision=={r.torchvision}' \
            in install


def test_table_reports_versions_times_and_results():
    row = compat.ROWS[0]
    result = compat.Result(row, ok=True, install_s=150, test_s=190,
                           summary='117 passed, 8 skipped',
                           versions=dict(python='3.10.13', torch='2.1.2',
                                         numpy='1.26.4'))
    failed = compat.Result(compat.ROWS[1], stage='install')
    fork = compat.Result(
        next(r for r in compat.ROWS if r.distribution == 'onedl'), ok=True,
        versions={'onedl-mmengine': '0.10.12', 'mmcv-lite': '-',
                  'onedl-mmsegmentation': '1.4.2', 'onedl-mmcv': '2.3.6'})
    text = compat.table([result, failed, fork])
    assert ('| onedl-mmengine 0.10.12 | onedl-mmsegmentation 1.4.2 | '
            'onedl-mmcv 2.3.6 |') in text
    assert '| oldest: every lower bound pinned | 3.10.13 | 2.1.2 |' in text
    assert '| 150 s | 190 s | passed: 117 passed, 8 skipped |' in text
    assert 'FAILED (install)' in text
