"""Every path by which the tools load a checkpoint refuses one whose
unpickling would run code, in process: the configs' ``custom_imports``
(read by every tool's ``Config.fromfile``) replace mmengine's loader, and
``load_from``, ``--resume``, ``test.py``'s checkpoint (``Runner.
load_checkpoint``/``resume``), ``infer.py``'s and ``MMSegInferencer``'s
(``mmseg.apis.init_model``) all read through it. One tool run shows the
wiring end to end (tests/test_reliability/test_faults.py, ``test.py``)."""
import pytest
import torch
from mmengine.config import Config

from inceptionnext_seg.checkpoint import CheckpointError
from tests.helpers.tools import DEMO_CONFIG, ROOT, CodeRunningPayload


@pytest.fixture(scope='module')
def config():
    """The demo config, read as the tools read it: its custom_imports run
    (and with them inceptionnext_seg.checkpoint.mmengine_loader)."""
    cfg = Config.fromfile(str(ROOT / DEMO_CONFIG))
    assert 'inceptionnext_seg.checkpoint.mmengine_loader' in \
        cfg.custom_imports.imports
    cfg.model.backbone.init_cfg = None  # no download
    return cfg


@pytest.fixture
def evil(tmp_path):
    marker = tmp_path / 'PWNED'
    path = tmp_path / 'evil.pth'
    torch.save({'meta': {'iter': 4, 'payload': CodeRunningPayload(marker)},
                'state_dict': {}}, path)
    return path, marker


def _runner():
    """A SegRunner as far as loading needs one (its loading methods read
    the file before they touch anything else)."""
    from inceptionnext_seg.engine.runner import SegRunner
    return SegRunner.__new__(SegRunner)


@pytest.mark.parametrize('path_name', [
    'load_from and test.py (Runner.load_checkpoint)',
    '--resume (SegRunner.resume)',
    'infer.py and MMSegInferencer (init_model)'])
def test_every_loading_path_refuses_code(config, evil, path_name):
    path, marker = evil
    with pytest.raises(CheckpointError, match=f'Refused to load {path}'):
        if path_name.startswith('load_from'):
            _runner().load_checkpoint(str(path), map_location='cpu')
        elif path_name.startswith('--resume'):
            _runner().resume(str(path))
        else:
            from mmseg.apis import init_model
            init_model(config, str(path), device='cpu')
    assert not marker.exists()
