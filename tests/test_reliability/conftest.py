"""The uninterrupted run that the interrupted ones are compared with."""
import pytest

from tests.helpers.faults import deterministic
from tests.helpers.tools import DEMO_CONFIG, run_tool


@pytest.fixture(scope='session')
def straight_run(demo_data, tmp_path_factory):
    """A deterministic 6-iteration run of this project's train.py, once per
    xdist worker (the tests that use it share an xdist_group)."""
    work_dir = tmp_path_factory.mktemp('straight')
    run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', work_dir,
             '--cfg-options', *deterministic(demo_data))
    return work_dir
