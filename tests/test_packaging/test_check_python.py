"""`make install` stops at once, with the supported way, on a Python the
locked stack cannot install on (tools/install/check_python.py)."""
import subprocess

import pytest

from tests.helpers.tools import ROOT, load_tool

check = load_tool('check_python')


@pytest.mark.parametrize('version', [(3, 11, 7), (3, 12, 1), (3, 13, 0)])
def test_the_lock_installs_on_3_11_to_3_13(version):
    assert check.problem(version, '-r requirements.txt') is None


def test_3_10_gets_both_supported_ways():
    found = check.problem((3, 10, 13), '-r requirements.txt')
    assert 'needs Python 3.11 to 3.13' in found
    assert 'make test PYTHON=python3.12' in found
    assert 'make test INSTALL="-e .[tests]"' in found
    assert check.problem((3, 10, 13), '-e .[tests]') is None


@pytest.mark.parametrize('version', [(3, 9, 18), (3, 14, 0)])
def test_untested_pythons_are_named(version):
    assert 'is not supported' in check.problem(version, '-e .[tests]')


def python310():
    found = load_tool('compat').find_python('3.10')  # PATH or pyenv
    if found is None:
        pytest.skip('no Python 3.10 here (pyenv install 3.10)')
    return found


def test_make_install_stops_before_making_the_venv(tmp_path):
    venv = tmp_path / 'venv'
    result = subprocess.run(['make', '-s', 'install', f'PYTHON={python310()}',
                             f'VENV={venv}'], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0
    assert 'make test PYTHON=python3.12' in result.stderr
    assert not venv.exists()
