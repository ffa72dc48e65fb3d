"""Refuse, at start-up and with the fix, the library combinations that are
known not to work (docs/install.md: the support table).

:func:`check_environment_once` runs it once per process, where the
registering sub-packages are imported: ``backbones`` (the first of every
config's ``custom_imports``, so mmseg's own tools, ``mmseg.apis`` and this
project's tools get it) and ``inceptionnext_seg.models``. Importing
``inceptionnext_seg`` itself checks nothing and imports no torch, so that
the torch-free ``inceptionnext_seg.inference`` can live in the package. The
check only reads versions, probes torch and looks for mmcv's compiled ops;
it changes nothing. :func:`cuda_problem` is for the start of a run
(:class:`~inceptionnext_seg.engine.hooks.CudaCheckHook`): probing CUDA at
import time would initialise it in processes that fork later.

Set ``INCEPTIONNEXT_SKIP_ENV_CHECK=1`` to go on anyway (for instance with a
torch built from source whose version says nothing about its NumPy).
"""
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import re
import sys
from pathlib import Path
from typing import List, Optional, Tuple

__all__ = ['EnvironmentProblem', 'check_environment',
           'check_environment_once', 'environment_problems', 'cuda_problem',
           'matching_torchvision', 'major_minor']

SKIP_VARIABLE = 'INCEPTIONNEXT_SKIP_ENV_CHECK'
NVIDIA_DRIVER_FILE = Path('/proc/driver/nvidia/version')
#: Where the GPUs' device nodes are (``nvidia0``, ``nvidia1``, ...).
NVIDIA_DEVICES = Path('/dev')


class EnvironmentProblem(RuntimeError):
    """A combination of libraries, or of torch and the GPU, that cannot
    work."""


def _version(dist: str) -> Optional[str]:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def major_minor(version: Optional[str]) -> Optional[Tuple[int, int]]:
    match = re.match(r'(\d+)\.(\d+)', version or '')
    return (int(match.group(1)), int(match.group(2))) if match else None


def matching_torchvision(torch_version: str) -> Optional[str]:
    """The torchvision series built for a torch series: 2.N -> 0.(N + 15)
    (2.1 -> 0.16, 2.5 -> 0.20, 2.14 -> 0.29)."""
    torch_mm = major_minor(torch_version)
    if torch_mm is None or torch_mm[0] != 2:
        return None
    return f'0.{torch_mm[1] + 15}'


def _numpy_problem() -> Optional[str]:
    import numpy as np
    import torch
    try:
        torch.from_numpy(np.zeros(1))
    except RuntimeError as err:  # "Numpy is not available"
        return (f'torch {torch.__version__} cannot exchange arrays with numpy '
                f'{np.__version__} ({err}): this torch was built against '
                f'NumPy 1 (every torch before 2.3 is). Install NumPy 1 and an '
                f'OpenCV built for it:\n'
                f'    pip install "numpy<2" "opencv-python<4.12"\n'
                f'or a torch >= 2.3 (docs/install.md).')
    return None


def _torchvision_problem() -> Optional[str]:
    torch_version = _version('torch')
    vision_version = _version('torchvision')
    wanted = matching_torchvision(torch_version or '')
    have = major_minor(vision_version)
    if wanted is None or have is None or '.'.join(map(str, have)) == wanted:
        return None
    return (f'torchvision {vision_version} does not belong to torch '
            f'{torch_version} (its operators fail to load: "operator '
            f'torchvision::nms does not exist"). Install the matching one '
            f'from the same index as torch:\n'
            f'    pip install "torchvision=={wanted}.*"')


#: The distributions that install each OpenMMLab import name: OpenMMLab's
#: releases (the extra ``openmmlab``) and the maintained fork (``onedl``).
OPENMMLAB_DISTRIBUTIONS = {
    'mmseg': ('mmsegmentation', 'onedl-mmsegmentation'),
    'mmengine': ('mmengine', 'onedl-mmengine'),
    'mmcv': ('mmcv', 'mmcv-lite', 'onedl-mmcv'),
}
EXTRAS_HELP = (
    '    pip install "inceptionnext-seg[openmmlab]"  # mmsegmentation 1.2.2, '
    'mmengine 0.10, mmcv-lite\n'
    '    pip install "inceptionnext-seg[onedl]"      # the maintained fork: '
    'onedl-mmsegmentation, -mmengine, -mmcv\n'
    '(from a clone: pip install "/path/to/clone[openmmlab]"; see '
    'docs/install.md)')


def installed_distributions(name: str) -> List[Tuple[str, str]]:
    """(distribution, version) of each installed distribution that provides
    the import name ``name`` (a key of :data:`OPENMMLAB_DISTRIBUTIONS`)."""
    found = []
    for dist in OPENMMLAB_DISTRIBUTIONS[name]:
        version = _version(dist)
        if version is not None:
            found.append((dist, version))
    return found


def _openmmlab_problem() -> Optional[str]:
    """mmseg, mmengine or mmcv missing, or one of them installed by two
    distributions (OpenMMLab's release and the fork, or mmcv and mmcv-lite):
    the second one's files overwrote the first one's, and uninstalling
    either breaks both. A package importable without any distribution
    (a source checkout on ``PYTHONPATH``) counts as installed."""
    missing, doubled = [], []
    for name in OPENMMLAB_DISTRIBUTIONS:
        found = installed_distributions(name)
        if len(found) > 1:
            doubled.append(f'`{name}` by ' + ' and '.join(
                f'{dist} {version}' for dist, version in found))
        elif not found and importlib.util.find_spec(name) is None:
            missing.append(name)
    if missing:
        return (f'{", ".join(missing)} not installed. This project runs on '
                f'OpenMMLab\'s releases or on the maintained fork; install '
                f'it with one of them:\n{EXTRAS_HELP}')
    if doubled:
        dists = sorted({dist for name in OPENMMLAB_DISTRIBUTIONS
                        for dist, _ in installed_distributions(name)})
        return (f'two distributions install the same package: '
                f'{"; ".join(doubled)}, and their files overwrote each '
                f'other. Remove them all, then install one set:\n'
                f'    pip uninstall -y {" ".join(dists)}\n{EXTRAS_HELP}')
    return None


def _setuptools_problem() -> Optional[str]:
    """OpenMMLab's mmengine 0.10 (not the fork's, which reads
    importlib.metadata) needs pkg_resources."""
    if _version('mmengine') is None or \
            importlib.util.find_spec('pkg_resources') is not None:
        return None
    return (f'setuptools {_version("setuptools")} has no pkg_resources '
            f'(removed in setuptools 82), which mmengine '
            f'{_version("mmengine")} uses to find `mmseg::` config bases and '
            f'installed packages:\n'
            f'    pip install "setuptools<82"')


def _mmcv_ops_problem() -> Optional[str]:
    """An mmcv without compiled ``mmcv._ext`` (mmcv-lite) and without the
    stand-in for ``mmcv.ops`` that lets mmseg 1.2.2 import
    (``tools/install/mmcv_lite_ops.py``, put into site-packages by ``pip
    install`` of this project). The fork (onedl-mmcv without ops) needs none.
    Looks at files only: mmcv is not imported here."""
    spec = importlib.util.find_spec('mmcv')
    if spec is None or not spec.submodule_search_locations:
        return None  # no mmcv: _openmmlab_problem says so
    if importlib.machinery.PathFinder.find_spec(
            'mmcv._ext', list(spec.submodule_search_locations)) is not None:
        return None  # a full mmcv with compiled ops
    if any(type(f).__name__ == 'MmcvOpsFinder' for f in sys.meta_path):
        return None
    dist, version = (installed_distributions('mmcv') or [('mmcv', '?')])[0]
    if dist == 'onedl-mmcv':
        return None  # the fork's mmseg imports mmcv.ops only where used
    return (f'{dist} {version} has no compiled ops and the stand-in that '
            f'lets mmseg '
            f'import without them is not active in {sys.executable}. '
            f'Install this project with pip (it puts mmcv_lite_ops.pth into '
            f'site-packages), or add the stand-in alone:\n'
            f'    python tools/install/mmcv_lite_ops.py install\n'
            f'or install the full mmcv (docs/install.md).')


def environment_problems() -> List[str]:
    """Every known-bad combination found, each with its fix."""
    openmmlab = _openmmlab_problem()
    if openmmlab and 'not installed' in openmmlab:
        return [openmmlab]  # the checks below need mmseg, mmengine and mmcv
    problems = [openmmlab, _numpy_problem(), _torchvision_problem(),
                _setuptools_problem(), _mmcv_ops_problem()]
    return [p for p in problems if p]


def check_environment() -> None:
    """Raise :class:`EnvironmentProblem` naming every problem and its fix."""
    if os.environ.get(SKIP_VARIABLE) == '1':
        return
    problems = environment_problems()
    if problems:
        raise EnvironmentProblem(
            'This environment cannot run InceptionNeXt segmentation:\n- '
            + '\n- '.join(problems)
            + f'\n(Set {SKIP_VARIABLE}=1 to go on anyway.)')


_checked = False


def check_environment_once() -> None:
    """:func:`check_environment`, the first time it is called in this
    process (whichever registering package comes first); a failed check
    raises again at the next call."""
    global _checked
    if not _checked:
        check_environment()
        _checked = True


def _driver_version() -> Optional[str]:
    try:
        text = NVIDIA_DRIVER_FILE.read_text()
    except OSError:
        return None
    match = re.search(r'Kernel Module\s+(?:for \S+\s+)?([\d.]+)', text)
    return match.group(1) if match else 'unknown'


def _gpus_hidden() -> bool:
    """Whether this process is kept from the GPUs on purpose: by
    ``CUDA_VISIBLE_DEVICES``, or by a container or a Slurm job without
    GPUs, where the driver is there but no GPU device node is (Docker
    without --gpus) or none can be opened (a cgroup's device rules)."""
    visible = os.environ.get('CUDA_VISIBLE_DEVICES')
    if visible is not None and visible.strip() in ('', '-1'):
        return True
    for node in sorted(NVIDIA_DEVICES.glob('nvidia[0-9]*')):
        try:
            os.close(os.open(node, os.O_RDONLY))
            return False
        except OSError:
            continue
    return True


def _arch_supported(capability: Tuple[int, int], arch_list: List[str]) -> bool:
    """Whether a build for ``arch_list`` runs on a GPU of ``capability``:
    a cubin sm_XY runs on X.Y' >= X.Y of the same major, PTX compute_XY is
    compiled by the driver for any later GPU."""
    major, minor = capability
    for arch in arch_list:
        match = re.match(r'(sm|compute)_(\d+)(\d)[a-z]?$', arch)
        if not match:
            continue
        kind, a_major, a_minor = match.group(1), int(match.group(2)), \
            int(match.group(3))
        if kind == 'sm' and a_major == major and a_minor <= minor:
            return True
        if kind == 'compute' and (a_major, a_minor) <= (major, minor):
            return True
    return False


def cuda_problem() -> Optional[str]:
    """Why this machine's NVIDIA GPUs would not be used, or None.

    Catches what otherwise trains on the CPU without a word (a torch whose
    CUDA needs a newer driver than the machine has) or fails at the first
    kernel (a torch not built for the GPU's architecture, e.g. the CUDA 13
    builds on Volta).
    """
    import torch
    driver = _driver_version()
    if driver is None or _gpus_hidden():
        return None  # no NVIDIA driver, or the GPUs are hidden on purpose
    built = torch.version.cuda
    if built is None:
        return (f'this machine has an NVIDIA driver ({driver}) but torch '
                f'{torch.__version__} is a CPU-only build, so training '
                f'would run on the CPU. Install a CUDA build of torch '
                f'(docs/install.md), or hide the GPUs on purpose with '
                f'CUDA_VISIBLE_DEVICES="".')
    if not torch.cuda.is_available():
        return (f'torch {torch.__version__} is built for CUDA {built}, but '
                f'CUDA is not usable with this machine\'s NVIDIA driver '
                f'{driver} (CUDA 13 builds need driver >= 580, CUDA 12.x '
                f'>= 525, CUDA 11.8 >= 450), so training would run on the '
                f'CPU. Install the torch build for a CUDA your driver '
                f'supports (`nvidia-smi` shows it), e.g.\n'
                f'    pip install torch torchvision --index-url '
                f'https://download.pytorch.org/whl/cu126\n'
                f'or hide the GPUs on purpose with CUDA_VISIBLE_DEVICES="".')
    arch_list = torch.cuda.get_arch_list()
    for index in range(torch.cuda.device_count()):
        capability = torch.cuda.get_device_capability(index)
        if not _arch_supported(capability, arch_list):
            name = torch.cuda.get_device_name(index)
            return (f'GPU {index} ({name}, compute capability '
                    f'{capability[0]}.{capability[1]}) is not among the '
                    f'architectures torch {torch.__version__} (CUDA {built}) '
                    f'was built for ({" ".join(arch_list)}): every kernel '
                    f'would fail. Install a torch build for sm_'
                    f'{capability[0]}{capability[1]} (CUDA 13 builds start at '
                    f'Turing, sm_75; for Volta and Pascal take a CUDA 12.6 '
                    f'build: --index-url '
                    f'https://download.pytorch.org/whl/cu126).')
    return None
