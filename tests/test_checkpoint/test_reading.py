"""Reading checkpoints: mmengine's data classes are allowed, code is not; the
mmengine loader is replaced only where a config asks for it."""
import pickle

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


@pytest.fixture
def evil_checkpoint(tmp_path):
    """mmengine's own layout, plus an object whose unpickling runs code."""
    from tests.helpers.tools import CodeRunningPayload
    marker = tmp_path / 'PWNED'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.ones(2)},
                'message_hub': message_hub_state(),
                'x': CodeRunningPayload(marker)}, path)
    return path, marker


LOADER_PROBE = r"""
import functools, http.server, os, sys, threading
from mmengine.runner import CheckpointLoader

def load(name):
    try:
        ckpt = CheckpointLoader.load_checkpoint(name)
        hub = ckpt['message_hub']['log_scalars']['train/loss']
        return 'read ' + type(hub).__name__
    except Exception as err:
        return type(err).__name__

def probe(label, folder):
    # every file of FOLDER over http, from a server on this machine
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=folder)
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f'http://127.0.0.1:{server.server_port}'
    for name in ('stock.pth', 'evil.pth'):
        print(label, 'local', name, load(os.path.join(folder, name)),
              os.path.exists(os.path.join(folder, 'PWNED')))
        print(label, 'http', name, load(f'{url}/{label}-{name}'),
              os.path.exists(os.path.join(folder, 'PWNED')))
        if os.path.exists(os.path.join(folder, 'PWNED')):
            os.remove(os.path.join(folder, 'PWNED'))
    server.shutdown()

import backbones, inceptionnext_seg.models, inceptionnext_seg.datasets
import inceptionnext_seg.engine, inceptionnext_seg.visualization
import inceptionnext_seg.checkpoint
probe('stock', sys.argv[1])
import inceptionnext_seg.checkpoint.mmengine_loader
probe('safe', sys.argv[1])
print('zoo', load('torchvision://resnet50'))
try:
    CheckpointLoader.load_checkpoint('open-mmlab://resnet50_v1c')
except Exception as err:
    print(err)
"""


def test_only_the_named_module_replaces_mmengines_loaders(
        stock_checkpoint, evil_checkpoint, tmp_path):
    """Importing the model packages changes nothing in mmengine; importing
    inceptionnext_seg.checkpoint.mmengine_loader (as the configs do) makes
    mmengine read local files and http(s) URLs without unpickling code, and
    refuse the schemes it would read with an unrestricted torch.load."""
    from tests.helpers.tools import ON_THE_FORK, run_tool
    folder = stock_checkpoint.parent
    assert evil_checkpoint[0].parent == folder
    for name in ('stock.pth', 'evil.pth'):  # as served by the probe
        for label in ('stock', 'safe'):
            (folder / f'{label}-{name}').write_bytes(
                (folder / name).read_bytes())
    script = tmp_path / 'probe.py'
    script.write_text(LOADER_PROBE)
    # as `python probe.py FOLDER`, forked from the tool server, whose
    # mmengine is as imported, untouched by this project
    result = run_tool(script, folder, cwd=tmp_path, check=False,
                      env=dict(TORCH_HOME=str(tmp_path / 'torch_home')))
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    major, minor = (int(x) for x in torch.__version__.split('.')[:2])
    new_torch = (major, minor) >= (2, 6)
    # What mmengine does alone. Local files: OpenMMLab's mmengine calls
    # torch.load with torch's default (torch >= 2.6 refuses mmengine's own
    # file, older torch unpickles anything); the fork's reads its own file
    # safely but falls back to unpickling anything when that refuses one.
    # URLs: both read them through torch.hub, with weights_only=False.
    if ON_THE_FORK and new_torch:
        stock_local = ['read HistoryBuffer False', 'read HistoryBuffer True']
    elif new_torch:
        stock_local = ['UnpicklingError False', 'UnpicklingError False']
    else:
        stock_local = ['read HistoryBuffer False', 'read HistoryBuffer True']
    assert f'stock local stock.pth {stock_local[0]}' in lines
    assert f'stock local evil.pth {stock_local[1]}' in lines
    assert 'stock http stock.pth read HistoryBuffer False' in lines
    assert 'stock http evil.pth read HistoryBuffer True' in lines  # ran code
    # With the configs' module: read without code, or refused.
    assert 'safe local stock.pth read HistoryBuffer False' in lines
    assert 'safe local evil.pth CheckpointError False' in lines
    assert 'safe http stock.pth read HistoryBuffer False' in lines
    assert 'safe http evil.pth CheckpointError False' in lines
    assert 'zoo CheckpointError' in lines
    assert ('Refused to load open-mmlab://resnet50_v1c: mmengine reads '
            'open-mmlab:// checkpoints with an unrestricted torch.load') \
        in result.stdout
    assert (tmp_path / 'torch_home/hub/checkpoints/safe-stock.pth').is_file()
