"""PlainCheckpointHook in process: the checkpoint a runner saves through it
loads with plain ``torch.load(weights_only=True)``, and a resume through it
gives the message hub its history back."""
import io

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from inceptionnext_seg.engine.hooks import PlainCheckpointHook


def _checkpoint(name: str) -> dict:
    """What mmengine's ``Runner.save_checkpoint`` hands the hooks: the
    message hub's state dict among the weights and meta."""
    hub = MessageHub.get_instance(name)
    for loss in (1.5, 2.5, 4.0):
        hub.update_scalar('train/loss', loss)
    hub.update_info('iter', 3)
    return dict(meta=dict(iter=3, seed=np.int64(5)),
                state_dict={'w': torch.ones(2)},
                message_hub=hub.state_dict())


def _saved(checkpoint: dict) -> io.BytesIO:
    file = io.BytesIO()
    torch.save(checkpoint, file)
    file.seek(0)
    return file


def test_without_the_hook_plain_loading_refuses_the_checkpoint():
    """What the hook is for (if mmengine stops pickling buffers, this test
    says the hook can go)."""
    with pytest.raises(Exception, match='weights_only|HistoryBuffer'):
        torch.load(_saved(_checkpoint('plain_hook_raw')), weights_only=True)


def test_the_saved_checkpoint_loads_plainly_and_resumes_the_history():
    hook, runner = PlainCheckpointHook(), object()
    checkpoint = _checkpoint('plain_hook_saved')
    hook.before_save_checkpoint(runner, checkpoint)
    loaded = torch.load(_saved(checkpoint), weights_only=True)
    assert loaded['meta']['iter'] == 3 and loaded['meta']['seed'] == 5
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2))

    hook.after_load_checkpoint(runner, loaded)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    resumed = MessageHub.get_instance('plain_hook_resumed')
    resumed.load_state_dict(loaded['message_hub'])
    history = resumed.get_scalar('train/loss')
    assert history.data[0].tolist() == [1.5, 2.5, 4.0]
    assert history.current() == 4.0
    assert resumed.get_info('iter') == 3


def test_a_checkpoint_without_a_message_hub_loads_as_it_is():
    """``load_checkpoint`` of weights only (``--load-from``, a converted
    file) passes through untouched."""
    checkpoint = {'state_dict': {'w': torch.zeros(1)}}
    PlainCheckpointHook().after_load_checkpoint(object(), checkpoint)
    assert list(checkpoint) == ['state_dict']
