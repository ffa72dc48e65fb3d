"""Known-bad library combinations and unusable GPUs are refused at start-up
with the fix named (inceptionnext_seg/environment.py)."""
import pytest
import torch

from inceptionnext_seg import environment as env
from inceptionnext_seg.engine.hooks import CudaCheckHook
from tests.helpers.tools import ROOT, run_snippet

pytestmark = pytest.mark.compat


def test_this_environment_passes():
    assert env.environment_problems() == []
    env.check_environment()


def test_numpy_that_torch_cannot_use(monkeypatch):
    def no_numpy(array):
        raise RuntimeError('Numpy is not available')
    monkeypatch.setattr(torch, 'from_numpy', no_numpy)
    (problem, ) = env.environment_problems()
    assert 'built against NumPy 1' in problem
    assert 'pip install "numpy<2" "opencv-python<4.12"' in problem


@pytest.mark.parametrize('torch_version,vision,wanted', [
    ('2.1.2', '0.29.1', '0.16'), ('2.14.1+cu130', '0.16.2', '0.29'),
    ('2.5.1', '0.21.0', '0.20')])
def test_torchvision_of_another_torch(monkeypatch, torch_version, vision,
                                      wanted):
    versions = dict(torch=torch_version, torchvision=vision)
    monkeypatch.setattr(env, '_version', versions.get)
    (problem, ) = env.environment_problems()
    assert f'torchvision {vision} does not belong to torch' in problem
    assert f'pip install "torchvision=={wanted}.*"' in problem


@pytest.mark.parametrize('torch_version,vision', [
    ('2.1.2', '0.16.2'), ('2.5.1+cu124', '0.20.1+cu124'), ('2.14.1', '0.29.1'),
    ('2.6.0a0+git', None), (None, '0.16.0')])
def test_matching_or_unknown_torchvision_is_accepted(monkeypatch,
                                                     torch_version, vision):
    versions = dict(torch=torch_version, torchvision=vision)
    monkeypatch.setattr(env, '_version', versions.get)
    assert env.environment_problems() == []


def without_modules(monkeypatch, *names):
    real = env.importlib.util.find_spec
    monkeypatch.setattr(env.importlib.util, 'find_spec', lambda name: (
        None if name in names else real(name)))


def test_setuptools_without_pkg_resources(monkeypatch):
    without_modules(monkeypatch, 'pkg_resources')
    monkeypatch.setattr(env, '_version', dict(
        mmengine='0.10.7', setuptools='82.0.0', torch=None).get)
    (problem, ) = env.environment_problems()
    assert 'removed in setuptools 82' in problem
    assert 'mmengine 0.10.7 uses' in problem
    assert 'pip install "setuptools<82"' in problem


def test_the_forks_mmengine_needs_no_pkg_resources(monkeypatch):
    without_modules(monkeypatch, 'pkg_resources')
    monkeypatch.setattr(env, '_version', {'onedl-mmengine': '0.10.12',
                                          'setuptools': '82.0.0'}.get)
    assert env.environment_problems() == []


def test_no_mmseg_names_both_extras(monkeypatch):
    """`pip install inceptionnext-seg` without an extra: mmseg, mmengine and
    mmcv come from one of two distributions, and the message names both."""
    without_modules(monkeypatch, 'mmseg', 'mmcv')
    monkeypatch.setattr(env, '_version', {'mmengine': '0.10.7'}.get)
    (problem, ) = env.environment_problems()
    assert problem.startswith('mmseg, mmcv not installed.')
    assert 'pip install "inceptionnext-seg[openmmlab]"' in problem
    assert 'pip install "inceptionnext-seg[onedl]"' in problem


@pytest.mark.parametrize('versions,named', [
    ({'mmsegmentation': '1.2.2', 'onedl-mmsegmentation': '1.4.2'},
     '`mmseg` by mmsegmentation 1.2.2 and onedl-mmsegmentation 1.4.2'),
    ({'mmcv': '2.1.0', 'mmcv-lite': '2.1.0'},
     '`mmcv` by mmcv 2.1.0 and mmcv-lite 2.1.0'),
    ({'mmengine': '0.10.7', 'onedl-mmengine': '0.10.12', 'mmcv-lite': '2.1.0',
      'onedl-mmcv': '2.3.6'},
     '`mmengine` by mmengine 0.10.7 and onedl-mmengine 0.10.12; `mmcv` by '
     'mmcv-lite 2.1.0 and onedl-mmcv 2.3.6')])
def test_two_distributions_of_one_package(monkeypatch, versions, named):
    """OpenMMLab's release and the fork (or mmcv and mmcv-lite) write the
    same files: refused, with the uninstall of every one of them."""
    monkeypatch.setattr(env, '_version', versions.get)
    (problem, ) = [p for p in env.environment_problems()
                   if 'two distributions' in p]
    assert f'two distributions install the same package: {named},' in problem
    assert f'pip uninstall -y {" ".join(sorted(versions))}\n' in problem


def test_check_lists_every_problem_and_can_be_skipped(monkeypatch):
    monkeypatch.setattr(env, 'environment_problems', lambda: ['one', 'two'])
    with pytest.raises(env.EnvironmentProblem, match=r'(?s)- one\n- two\n'
                       r'.*INCEPTIONNEXT_SKIP_ENV_CHECK=1'):
        env.check_environment()
    monkeypatch.setenv('INCEPTIONNEXT_SKIP_ENV_CHECK', '1')
    env.check_environment()


def test_mmseg_apis_door_refuses_a_bad_environment(tmp_path):
    """mmseg.apis on a config: its custom_imports import ``backbones``."""
    code = (
        "import torch\n"
        "def no_numpy(array):\n"
        "    raise RuntimeError('Numpy is not available')\n"
        "torch.from_numpy = no_numpy  # as torch 2.1 with numpy 2\n"
        "from mmseg.apis import init_model\n"
        f"init_model({str(ROOT / 'configs/fpn_inceptionnext_t_ade20k.py')!r}, "
        "device='cpu')\n")
    result = run_snippet(code, tmp_path, check=False)
    assert result.returncode == 1
    assert 'EnvironmentProblem' in result.stderr
    assert 'pip install "numpy<2" "opencv-python<4.12"' in result.stderr


DRIVER = ('NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  '
          'Sat Aug 19 01:15:15 UTC 2023\nGCC version:  gcc version 9.4.0\n')


@pytest.fixture
def gpu_machine(monkeypatch, tmp_path):
    """A machine with an NVIDIA driver and one GPU, as torch sees it."""
    driver = tmp_path / 'version'
    driver.write_text(DRIVER)
    monkeypatch.setattr(env, 'NVIDIA_DRIVER_FILE', driver)
    (tmp_path / 'dev').mkdir()
    (tmp_path / 'dev' / 'nvidia0').write_text('')
    monkeypatch.setattr(env, 'NVIDIA_DEVICES', tmp_path / 'dev')
    monkeypatch.delenv('CUDA_VISIBLE_DEVICES', raising=False)
    monkeypatch.setattr(torch.version, 'cuda', '13.0')
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 1)
    monkeypatch.setattr(torch.cuda, 'get_device_name', lambda i: 'Tesla V100')
    monkeypatch.setattr(torch.cuda, 'get_device_capability', lambda i: (7, 0))
    monkeypatch.setattr(torch.cuda, 'get_arch_list', lambda: [
        'sm_75', 'sm_80', 'sm_86', 'sm_90', 'sm_100', 'sm_120'])
    return monkeypatch


def test_driver_too_old_for_torchs_cuda(gpu_machine):
    gpu_machine.setattr(torch.cuda, 'is_available', lambda: False)
    problem = env.cuda_problem()
    assert 'built for CUDA 13.0' in problem and 'driver 535.104.05' in problem
    assert 'would run on the CPU' in problem
    assert '--index-url https://download.pytorch.org/whl/cu126' in problem


def test_gpu_the_build_has_no_kernels_for(gpu_machine):
    problem = env.cuda_problem()
    assert 'GPU 0 (Tesla V100, compute capability 7.0)' in problem
    assert 'sm_75 sm_80' in problem and 'for sm_70' in problem


def test_cpu_build_on_a_gpu_machine(gpu_machine):
    gpu_machine.setattr(torch.version, 'cuda', None)
    assert 'CPU-only build' in env.cuda_problem()


@pytest.mark.parametrize('capability,arch_list', [
    ((7, 0), ['sm_70', 'sm_80']), ((8, 6), ['sm_80']),
    ((12, 0), ['sm_80', 'compute_90']), ((9, 0), ['sm_90a'])])
def test_gpus_the_build_runs_on(gpu_machine, capability, arch_list):
    gpu_machine.setattr(torch.cuda, 'get_device_capability',
                        lambda i: capability)
    gpu_machine.setattr(torch.cuda, 'get_arch_list', lambda: arch_list)
    assert env.cuda_problem() is None


def test_sm_of_an_older_major_does_not_run_on_a_newer_gpu(gpu_machine):
    gpu_machine.setattr(torch.cuda, 'get_device_capability', lambda i: (9, 0))
    gpu_machine.setattr(torch.cuda, 'get_arch_list', lambda: ['sm_80'])
    assert 'compute capability 9.0' in env.cuda_problem()


@pytest.mark.parametrize('hidden', ['', '-1'])
def test_gpus_hidden_on_purpose_or_no_driver(gpu_machine, tmp_path, hidden):
    gpu_machine.setattr(torch.cuda, 'is_available', lambda: False)
    gpu_machine.setenv('CUDA_VISIBLE_DEVICES', hidden)
    assert env.cuda_problem() is None
    gpu_machine.delenv('CUDA_VISIBLE_DEVICES')
    gpu_machine.setattr(env, 'NVIDIA_DRIVER_FILE', tmp_path / 'absent')
    assert env.cuda_problem() is None


def test_gpus_kept_from_a_container_or_job_are_hidden_on_purpose(
        gpu_machine, tmp_path):
    """Docker without --gpus, a Slurm job without --gres: the driver file is
    there, the device nodes are not, or cannot be opened; CUDA is then
    unusable on purpose, and the run goes on on the CPU."""
    gpu_machine.setattr(torch.cuda, 'is_available', lambda: False)
    assert 'driver 535.104.05' in env.cuda_problem()
    (tmp_path / 'dev' / 'nvidia0').unlink()
    assert env.cuda_problem() is None  # no device node
    (tmp_path / 'dev' / 'nvidia0').symlink_to(tmp_path / 'denied')
    assert env.cuda_problem() is None  # one that cannot be opened


def test_the_configs_hook_stops_the_run(gpu_machine):
    gpu_machine.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(env.EnvironmentProblem, match='driver 535.104.05'):
        CudaCheckHook().before_run(runner=None)
    gpu_machine.setenv('INCEPTIONNEXT_SKIP_ENV_CHECK', '1')
    CudaCheckHook().before_run(runner=None)


def test_backbones_checks_the_environment_before_importing_mmcv(tmp_path):
    """`pip install` without an extra leaves no mmcv/mmseg: `import
    backbones` must reach the check (which names both extras) before it
    imports them."""
    code = ('import sys\n'
            'order = []\n'
            'class Recorder:\n'
            '    def find_spec(self, name, path=None, target=None):\n'
            '        order.append(name)\n'
            'sys.meta_path.insert(0, Recorder())\n'
            'import backbones\n'
            "print(order.index('inceptionnext_seg.environment') < "
            "order.index('mmcv'))\n")
    result = run_snippet(code, tmp_path, fresh=True)
    assert result.stdout.strip().splitlines()[-1] == 'True'
