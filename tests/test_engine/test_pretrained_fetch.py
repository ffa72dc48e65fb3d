"""Offline, a run whose config asks for ImageNet weights stops when
training starts, before its data and optimizer are built, in one paragraph
without a traceback that names the switch to train without them
(``model.backbone.init_cfg=None``); with that switch it trains."""
import re

import pytest
import torch.nn as nn

from backbones import InceptionNeXt
from inceptionnext_seg.engine.runner.pretrained_fetch import (
    FROM_SCRATCH, fetch_pretrained_weights)
from tests.helpers.tools import (DEMO_CONFIG, ROOT, run_mmseg_tool, run_tool,
                                 tiny_run_options)

# Nothing listens on the discard port: the download fails at once, as it
# does offline.
UNREACHABLE = 'http://127.0.0.1:9/inceptionnext_atto.pth'


class Segmentor(nn.Module):

    def __init__(self, init_cfg):
        super().__init__()
        self.backbone = InceptionNeXt(arch='atto', init_cfg=init_cfg)


def test_an_unreachable_checkpoint_stops(monkeypatch, tmp_path):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    model = Segmentor(dict(type='Pretrained', checkpoint=UNREACHABLE))
    with pytest.raises(SystemExit) as stop:
        fetch_pretrained_weights(model)
    assert stop.value.code == 1


def test_a_cached_or_local_checkpoint_and_none_pass(tmp_path):
    import torch
    local = tmp_path / 'atto.pth'
    torch.save(InceptionNeXt(arch='atto').state_dict(), local)
    assert fetch_pretrained_weights(
        Segmentor(dict(type='Pretrained', checkpoint=str(local)))) == \
        [str(local)]
    assert fetch_pretrained_weights(Segmentor(None)) == []


OFFLINE_CONFIG = f'''_base_ = [{str(ROOT / DEMO_CONFIG)!r}]
model = dict(backbone=dict(init_cfg=dict(_delete_=True, type='Pretrained',
                                         checkpoint={UNREACHABLE!r})))
'''


@pytest.mark.parametrize('door', ['tools/train.py', "mmseg's train.py"])
def test_offline_training_stops_before_the_run_in_one_paragraph(
        door, demo_data, tmp_path):
    config = tmp_path / 'offline.py'
    config.write_text(OFFLINE_CONFIG)
    args = (config, '--work-dir', tmp_path / 'work', '--cfg-options',
            *tiny_run_options(demo_data))
    env = {'TORCH_HOME': str(tmp_path / 'torch')}
    result = (run_tool(ROOT / 'tools' / 'train.py', *args, env=env,
                       check=False) if door == 'tools/train.py' else
              run_mmseg_tool('train.py', *args, env=env, check=False))
    log = result.stdout + result.stderr
    assert result.returncode == 1, log[-3000:]
    assert 'Traceback' not in log, log[-3000:]
    paragraph = re.search(r'The ImageNet weights of backbone \(' +
                          re.escape(UNREACHABLE) + r'\) could not be '
                          r'fetched, so training did not start\. Could not '
                          r'download .*', log)
    assert paragraph, log[-3000:]
    assert paragraph.group(0).endswith(f'{FROM_SCRATCH}.')
    # Stopped before the dataloaders and the optimizer were built.
    assert 'Iter(train)' not in log
    assert 'paramwise_options' not in log
