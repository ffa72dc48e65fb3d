"""Fixtures of the whole suite. The project is installed (``make install``:
editable, with mmcv_lite_ops in site-packages); importing ``backbones``
checks the environment first and says what to fix. pytest-xdist's
controller (``make test``), which runs no test, imports none of the
libraries (4 s of CPU beside the workers' start)."""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_SAMPLES = ROOT.parent / 'shared' / 'data' / 'ade20k_samples'


def pytest_configure(config):
    if config.getoption('numprocesses', default=None) and \
            not hasattr(config, 'workerinput'):
        return  # pytest-xdist's controller
    import torch

    import backbones  # noqa: F401  (checks the environment; registers)
    if os.environ.get('PYTEST_XDIST_WORKER_COUNT'):
        # pytest -n N (make test): share the cores between the workers.
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(
            os.environ['PYTEST_XDIST_WORKER_COUNT'])))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Keep ``--dist loadgroup``'s groups (make test) on pytest 9.2: xdist
    3.8 puts a test in its ``xdist_group`` by renaming it ``NODEID@GROUP``
    through ``item._nodeid``, which pytest 9.2's structured node ids ignore
    (pytest-xdist#1386), so the tests of a group were spread over both
    workers and each made the group's shared run. Rename them as xdist
    does on older pytest; nothing to do where xdist's renaming took."""
    if not getattr(config.option, 'loadgroup', False):
        return
    try:  # pytest >= 9.2 (tests/test_packaging/test_xdist_groups.py)
        from _pytest.nodeid import NodeId
    except ImportError:  # older pytest: xdist's renaming works
        return
    for item in items:
        groups = {str(mark.args[0] if mark.args else
                      mark.kwargs.get('name', 'default'))
                  for mark in item.iter_markers('xdist_group')}
        suffix = '@' + '_'.join(sorted(groups))
        if groups and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)


def pytest_collection_finish(session):
    """Leave what the collection imported (torch, mmseg & co., every test
    module) out of the garbage collector's full passes (``gc.freeze``):
    each one otherwise walks their ~430,000 objects again (0.15 s), mmengine's
    dataset set-up calls one per dataset, and the tests build hundreds."""
    import gc
    gc.freeze()


@pytest.fixture(scope='session', autouse=True)
def tmpdir_of_started_processes(tmp_path_factory):
    """TMPDIR of the processes the tests start (tool runs, torchrun, new
    interpreters): what they leave behind, as a user's run does (the
    folders of torch's dataloader workers ended at exit, torchrun's logs),
    stays in this session's temporary folder, which pytest removes three
    sessions later, rather than in /tmp."""
    path = tmp_path_factory.mktemp('tmp')
    os.environ['TMPDIR'] = str(path)
    return path


@pytest.fixture(scope='session', autouse=True)
def ladder_record(tmp_path_factory):
    """The CPU ladder record of this session, for the benchmark and the
    tools it starts (never the user's, ~/.cache/inceptionnext_seg)."""
    path = tmp_path_factory.mktemp('ladder') / 'cpu_ladder.json'
    os.environ['INCEPTIONNEXT_LADDER'] = str(path)
    return path


@pytest.fixture(scope='session')
def timm_models():
    from tests.helpers.tools import make_timm_model
    cache = {}

    def get(arch: str):
        if arch not in cache:
            cache[arch] = make_timm_model(arch)
        return cache[arch]

    return get


@pytest.fixture
def ade_samples() -> Path:
    if not SHARED_SAMPLES.is_dir():
        pytest.skip(f'real ADE20K samples not found at {SHARED_SAMPLES}')
    return SHARED_SAMPLES


@pytest.fixture(scope='session')
def demo_data(tmp_path_factory):
    from inceptionnext_seg.datasets.synthetic_ade20k import make_ade20k_like
    root = tmp_path_factory.mktemp('data') / 'ADEChallengeData2016'
    return make_ade20k_like(root, num_train=12, num_val=4, size=(64, 96))


@pytest.fixture(scope='session')
def trained(demo_data, tmp_path_factory, worker_id):
    """A short training run: 4 iterations, checkpoints at 2 and 4. Run once
    for all xdist workers (a lock in their shared temp folder); the tests
    only read it."""
    import json
    from types import SimpleNamespace

    from filelock import FileLock

    from tests.helpers.tools import DEMO_CONFIG, run_tool, tiny_run_options
    root = tmp_path_factory.getbasetemp()
    if worker_id != 'master':
        root = root.parent
    work_dir, log = root / 'trained', root / 'trained.json'
    with FileLock(str(root / 'trained.lock')):
        if not log.is_file():
            result = run_tool('tools/train.py', DEMO_CONFIG, '--work-dir',
                              work_dir, '--cfg-options',
                              *tiny_run_options(demo_data))
            log.write_text(json.dumps(dict(stdout=result.stdout,
                                           stderr=result.stderr)))
    return work_dir, SimpleNamespace(**json.loads(log.read_text()))


@pytest.fixture(scope='session')
def dist_run(demo_data, tmp_path_factory):
    """tools/train.py as two gloo processes (forked as torchrun would start
    them: tests.helpers.tools.run_ranks): the deterministic 6-iteration run
    (tests.helpers.faults.deterministic), every iteration's checkpoint kept
    (saving does not change the training). The two-process test of
    test_train_test.py checks it and tests its checkpoint in two processes;
    the two-process preemption test, which starts tools/dist_train.sh,
    compares with its iteration 3. They share xdist_group('dist_run'), so it
    runs once, on one worker."""
    from types import SimpleNamespace

    from tests.helpers.faults import deterministic
    from tests.helpers.tools import DEMO_CONFIG, run_ranks
    work_dir = tmp_path_factory.mktemp('dist_run')
    result = run_ranks(2, 'tools/train.py', DEMO_CONFIG, '--work-dir',
                       work_dir, '--cfg-options', *deterministic(demo_data),
                       'default_hooks.checkpoint.interval=1',
                       'default_hooks.checkpoint.max_keep_ckpts=-1')
    return work_dir, SimpleNamespace(stdout=result.stdout,
                                     stderr=result.stderr)
