import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / 'tests'):  # the project, and tests/tool_helpers.py
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import backbones  # noqa: E402,F401  (registers InceptionNeXt, mmcv-lite shim)
from tool_helpers import DEMO_CONFIG, run_tool, tiny_run_options  # noqa: E402

SHARED_SAMPLES = ROOT.parent / 'shared' / 'data' / 'ade20k_samples'


def randomize_batchnorm(model: torch.nn.Module, seed: int = 0) -> None:
    """Give every BN layer non-trivial affine parameters and statistics."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            m.weight.data = 1 + 0.2 * torch.randn(n, generator=gen)
            m.bias.data = 0.2 * torch.randn(n, generator=gen)
            m.running_mean = 0.2 * torch.randn(n, generator=gen)
            m.running_var = 0.5 + torch.rand(n, generator=gen)
    for name, p in model.named_parameters():
        if name.endswith('gamma'):  # layer scale 1e-6 would hide the blocks
            p.data = 0.5 + torch.rand(p.shape, generator=gen)


def make_timm_model(arch: str, seed: int = 0) -> torch.nn.Module:
    """timm's reference InceptionNeXt with random weights and BN stats."""
    import timm
    torch.manual_seed(seed)
    model = timm.create_model(f'inception_next_{arch}', pretrained=False)
    randomize_batchnorm(model, seed)
    return model.eval()


@pytest.fixture(scope='session')
def timm_models():
    cache = {}

    def get(arch: str) -> torch.nn.Module:
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
    from seg_ext.demo_data import make_ade20k_like
    root = tmp_path_factory.mktemp('data') / 'ADEChallengeData2016'
    return make_ade20k_like(root, num_train=12, num_val=4, size=(64, 96))


@pytest.fixture(scope='session')
def trained(demo_data, tmp_path_factory):
    """A short training run: 4 iterations, checkpoints at 2 and 4."""
    work_dir = tmp_path_factory.mktemp('train')
    result = run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', work_dir,
                      '--cfg-options', *tiny_run_options(demo_data))
    return work_dir, result
