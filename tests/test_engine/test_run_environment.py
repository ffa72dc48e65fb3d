"""The runner's environment on GPU machines, shown on the CPU with a GPU
reported present (``torch.cuda.is_available`` patched) or unusable (the
driver file and torch's CUDA version patched), in process.

What these stand-ins cannot show: the CUDA kernels themselves (that
AdaptiveAvgPool2d's CUDA backward warns rather than raises, that NCCL
warns at exit) — tests/test_gpu.py checks those on a GPU."""
import atexit
import os

import pytest
import torch
import torch.distributed as dist
from mmengine.logging import MMLogger

from inceptionnext_seg import environment
from inceptionnext_seg.engine import SegRunner, use_cpu_processes
from inceptionnext_seg.engine import process_group
from inceptionnext_seg.engine.determinism import CUBLAS_WORKSPACE
from inceptionnext_seg.environment import EnvironmentProblem
from tests.helpers.tools import free_port


@pytest.fixture
def gpu_present(monkeypatch):
    # A current logger made first: mmengine's asks the GPU for its id.
    MMLogger.get_instance('run_environment_tests')
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)


@pytest.fixture
def old_driver(monkeypatch):
    """A CUDA 13 torch on a machine whose NVIDIA driver is 535: CUDA is
    unusable and the GPUs are there."""
    monkeypatch.setattr(environment, '_driver_version', lambda: '535.104.05')
    monkeypatch.setattr(environment, '_gpus_hidden', lambda: False)
    monkeypatch.setattr(torch.version, 'cuda', '13.0')
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.delenv(environment.SKIP_VARIABLE, raising=False)


@pytest.fixture
def restore_determinism(monkeypatch):
    monkeypatch.delenv('CUBLAS_WORKSPACE_CONFIG', raising=False)
    cudnn = (torch.backends.cudnn.deterministic,
             torch.backends.cudnn.benchmark)
    yield
    torch.use_deterministic_algorithms(False)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn


def _bare_runner(launcher='none'):
    runner = object.__new__(SegRunner)
    runner._launcher = launcher
    runner._distributed = launcher != 'none'
    return runner


def test_deterministic_randomness_runs_on_cuda(gpu_present,
                                               restore_determinism):
    """mmengine's deterministic=True is torch.use_deterministic_algorithms
    (True), under which the CUDA backward of UPerHead's AdaptiveAvgPool2d
    and of bilinear interpolation raise, and so does cuBLAS without its
    workspace setting: on CUDA the runner keeps determinism but lets those
    warn."""
    _bare_runner().set_randomness(0, deterministic=True)
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.is_deterministic_algorithms_warn_only_enabled()
    assert os.environ['CUBLAS_WORKSPACE_CONFIG'] == CUBLAS_WORKSPACE
    assert torch.backends.cudnn.deterministic


def test_deterministic_randomness_stays_strict_on_cpus(restore_determinism):
    _bare_runner().set_randomness(0, deterministic=True)
    assert torch.are_deterministic_algorithms_enabled()
    assert not torch.is_deterministic_algorithms_warn_only_enabled()
    assert 'CUBLAS_WORKSPACE_CONFIG' not in os.environ


def test_slurm_on_an_unusable_gpu_names_the_driver(old_driver):
    """The tools start the CPU fallback before the runner: with GPUs that
    this torch cannot use, the cause is named, not '--launcher slurm needs
    CUDA here; on CPU use --launcher pytorch'."""
    from mmengine.config import Config
    with pytest.raises(EnvironmentProblem, match='driver 535.104.05'):
        use_cpu_processes(Config(dict(model=dict())), 'slurm')


def test_unusable_gpu_stops_before_the_process_group_starts(
        old_driver, monkeypatch):
    """mmseg's own train.py under torchrun: the runner refuses before
    mmengine's init_dist starts NCCL and broadcasts."""
    import mmengine.runner.runner as runner_module

    def init_dist(*args, **kwargs):
        raise AssertionError('the process group started first')

    monkeypatch.setattr(runner_module, 'init_dist', init_dist)
    with pytest.raises(EnvironmentProblem, match='driver 535.104.05'):
        _bare_runner('pytorch').setup_env({})


def test_mpi_local_rank_comes_from_mpi(monkeypatch):
    """mmseg's train.py (and ours) set LOCAL_RANK=0 from --local-rank's
    default on every rank; mmengine's mpi launcher binds the GPU from
    OMPI_COMM_WORLD_LOCAL_RANK but its DDP wrapper reads LOCAL_RANK: the
    runner sets it from MPI's variable before the group starts."""
    import mmengine.runner.runner as runner_module

    class Started(Exception):
        pass

    def init_dist(launcher, **kwargs):
        assert launcher == 'mpi'
        raise Started(os.environ['LOCAL_RANK'])

    monkeypatch.setattr(runner_module, 'init_dist', init_dist)
    monkeypatch.setenv('LOCAL_RANK', '0')
    monkeypatch.setenv('OMPI_COMM_WORLD_LOCAL_RANK', '3')
    with pytest.raises(Started, match='^3$'):
        _bare_runner('mpi').setup_env({})
    monkeypatch.delenv('OMPI_COMM_WORLD_LOCAL_RANK')
    with pytest.raises(EnvironmentProblem, match='OMPI_COMM_WORLD_LOCAL_RANK'):
        _bare_runner('mpi').setup_env({})
    env = {'LOCAL_RANK': '0', 'MPI_LOCALRANKID': '5'}  # Intel MPI, MPICH
    process_group.set_local_rank('mpi', env)
    assert env['LOCAL_RANK'] == '5'


def test_the_process_group_is_ended_at_exit_after_a_clean_run(monkeypatch):
    """An NCCL group left to the interpreter's teardown warns on every rank
    at every exit; the runner ends it at exit once a run ended cleanly (a
    one-process gloo group stands in for NCCL here)."""
    registered = []
    monkeypatch.setattr(atexit, 'register', registered.append)
    monkeypatch.setattr(process_group, '_state',
                        dict(registered=False, clean=False))
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', str(free_port()))
    dist.init_process_group('gloo', rank=0, world_size=1)
    try:
        runner = _bare_runner('pytorch')
        runner.setup_env({})  # the group exists: mmengine starts none
        assert len(registered) == 1
        process_group.run_ended_cleanly(False)  # a failed run: left alone
        registered[0]()
        assert dist.is_initialized()
        process_group.run_ended_cleanly()
        registered[0]()
        assert not dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def test_resume_reads_the_checkpoint_to_the_cpu(monkeypatch):
    """mmengine reads to get_device(): on a GPU the AdamW step counts then
    stay there, and every step after a resume synchronises per parameter.
    The runner reads to the CPU; load_state_dict moves the rest."""
    from mmengine.runner import Runner
    asked = []
    monkeypatch.setattr(Runner, 'resume',
                        lambda self, filename, *args: asked.append(args))
    _bare_runner().resume('iter_4.pth')
    assert asked == [(True, True, 'cpu')]
