import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import backbones  # noqa: E402,F401  (registers InceptionNeXt, mmcv-lite shim)

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
