"""Reading checkpoints: mmengine's data classes are allowed, code is not; the
mmengine loader is replaced only where a config asks for it."""
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from inceptionnext_seg.checkpoint import (CheckpointError, from_plain,
                                          read_checkpoint)
from inceptionnext_seg.checkpoint import reading as checkpoint
from inceptionnext_seg.checkpoint import to_plain

pytestmark = pytest.mark.compat  # in every row of `make compat`


def message_hub_state() -> dict:
    hub = MessageHub('test_checkpoint_loading')  # a new one for every call
    for value in (2.5, 1.5):
        hub.update_scalar('train/loss', value)
    hub.update_scalar('train/lr', np.float64(1e-3))
    hub.update_info('iter', 2)
    hub.update_info('best_score', np.float32(41.5))
    hub.update_info('palette', np.arange(6, dtype=np.uint8).reshape(2, 3))
    return hub.state_dict()


@pytest.fixture(params=['safe_globals', 'allowlist_unpickler'])
def loading_path(request, monkeypatch):
    """Both ways read_checkpoint enforces the allowlist, on every torch:
    torch's ``safe_globals`` (torch >= 2.6) and, as on torch 2.1-2.5, the
    allowlist unpickler given to ``torch.load`` as its pickle module."""
    if request.param == 'safe_globals':
        if checkpoint.native_safe_globals() is None:
            pytest.skip(f'torch {torch.__version__}: no safe_globals with '
                        f'(object, name) entries')
    else:
        monkeypatch.setattr(checkpoint, 'native_safe_globals', lambda: None)
    return request.param


@pytest.fixture
def stock_checkpoint(tmp_path):
    """What plain mmengine writes: pickled HistoryBuffers, numpy objects."""
    path = tmp_path / 'stock.pth'
    torch.save({'meta': {'iter': 2, 'seed': np.int64(7)},
                'state_dict': {'w': torch.ones(2)},
                'message_hub': message_hub_state()}, path)
    with pytest.raises(pickle.UnpicklingError):  # torch alone refuses it
        torch.load(path, weights_only=True)
    return path


def test_stock_mmengine_checkpoint_is_read(stock_checkpoint, loading_path):
    checkpoint = read_checkpoint(stock_checkpoint)
    hub = checkpoint['message_hub']
    loss = hub['log_scalars']['train/loss']
    assert isinstance(loss, HistoryBuffer)
    np.testing.assert_array_equal(loss.data[0], [2.5, 1.5])
    assert loss.mean() == 2.0  # its statistics methods came back too
    assert hub['runtime_info']['best_score'] == np.float32(41.5)
    np.testing.assert_array_equal(hub['runtime_info']['palette'],
                                  np.arange(6).reshape(2, 3))
    assert checkpoint['meta']['seed'] == 7


class GetattrPayload:
    """Reaches for an attribute through the allowed getattr stand-in."""

    def __init__(self, owner, name):
        self.owner, self.name = owner, name

    def __reduce__(self):
        return (getattr, (self.owner, self.name))


@pytest.mark.parametrize('owner,name', [
    (HistoryBuffer, '__init__'), (HistoryBuffer, '__class__'),
    (HistoryBuffer, '_set_default_statistics'), (np.ndarray, 'tofile'),
    (np.dtype, '__reduce__')])
def test_getattr_beyond_history_buffer_statistics_is_refused(
        owner, name, tmp_path, loading_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'x': GetattrPayload(owner, name)}, path)
    with pytest.raises(CheckpointError, match=r'Refused to load .*getattr'):
        read_checkpoint(path)


def test_code_running_globals_are_refused(tmp_path, loading_path):
    from tests.helpers.tools import CodeRunningPayload
    marker = tmp_path / 'PWNED'
    path = tmp_path / 'evil.pth'
    torch.save({'message_hub': message_hub_state(),
                'x': CodeRunningPayload(marker)}, path)
    with pytest.raises(CheckpointError, match=r'Refused to load .*system'):
        read_checkpoint(path)
    assert not marker.exists()


def test_plain_serialisation_round_trips():
    state = message_hub_state()
    plain = to_plain(state)
    assert not any(isinstance(v, HistoryBuffer)
                   for v in plain['log_scalars'].values())
    back = from_plain(plain)['log_scalars']
    for key, buffer in state['log_scalars'].items():
        np.testing.assert_array_equal(back[key].data[0], buffer.data[0])
        np.testing.assert_array_equal(back[key].data[1], buffer.data[1])
        assert back[key].max_length == buffer.max_length


def test_only_the_named_module_replaces_mmengines_loader(stock_checkpoint,
                                                         tmp_path):
    """Importing the model packages changes nothing in mmengine; importing
    inceptionnext_seg.checkpoint.mmengine_loader (as the configs do) makes
    mmengine read the stock file safely."""
    code = f'''
import sys
from mmengine.runner import CheckpointLoader
import backbones, inceptionnext_seg.models, inceptionnext_seg.datasets
import inceptionnext_seg.engine, inceptionnext_seg.visualization
import inceptionnext_seg.checkpoint
try:
    CheckpointLoader.load_checkpoint({str(stock_checkpoint)!r})
    print('stock loader: read')
except Exception as err:
    print('stock loader:', type(err).__name__)
import inceptionnext_seg.checkpoint.mmengine_loader
ckpt = CheckpointLoader.load_checkpoint({str(stock_checkpoint)!r})
buffer = ckpt['message_hub']['log_scalars']['train/loss']
print('safe loader:', type(buffer).__name__)
'''
    result = subprocess.run([sys.executable, '-c', code], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    # mmengine calls torch.load with torch's default: torch >= 2.6 refuses
    # mmengine's own file, older torch unpickles anything.
    major, minor = (int(x) for x in torch.__version__.split('.')[:2])
    assert ('stock loader: UnpicklingError' if (major, minor) >= (2, 6)
            else 'stock loader: read') in result.stdout
    assert 'safe loader: HistoryBuffer' in result.stdout
