"""The tools' quiet start: mmengine's per-parameter initialisation log is
hidden, and shown again at the debug level."""
import logging

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.model import BaseModule

from inceptionnext_seg.utils.quiet import init_weights_quietly, set_log_level


class Recorder(logging.Handler):

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def logged(request):
    # A logger of its own, made the current one: a runner built earlier in
    # this process leaves its logger current, and mmengine writes the
    # initialisation lines straight into a logger's file handler.
    logger = MMLogger.get_instance(f'test_quiet.{request.node.name}')
    level, handler_levels = logger.level, [h.level for h in logger.handlers]
    recorder = Recorder()
    logger.addHandler(recorder)
    yield recorder
    logger.removeHandler(recorder)
    logger.setLevel(level)
    for handler, old in zip(logger.handlers, handler_levels):
        handler.setLevel(old)


def model():
    module = BaseModule(init_cfg=dict(type='Constant', layer='Linear',
                                      val=1.0))
    module.fc = torch.nn.Linear(2, 2)
    return module


def init_lines(recorder):
    return [m for m in recorder.messages if 'fc.weight - torch.Size' in m]


def test_hidden_by_default(logged):
    set_log_level('INFO')
    plain = model()
    plain.init_weights()
    assert init_lines(logged)  # mmengine's own behaviour, for contrast
    logged.messages.clear()
    quiet = model()
    init_weights_quietly(quiet)
    assert init_lines(logged) == []
    assert torch.equal(quiet.fc.weight, torch.ones(2, 2))  # initialised


def test_shown_at_the_debug_level(logged):
    set_log_level('DEBUG')
    init_weights_quietly(model())
    assert init_lines(logged)


def test_the_forks_printed_notice_is_dropped(monkeypatch, capsys):
    """With onedl-mmsegmentation, mmseg.datasets is imported at tool start
    without its 'Could not import OneDL' lines; anything else it prints is
    shown."""
    from inceptionnext_seg.utils import quiet

    def version(name):
        if name == 'onedl-mmsegmentation':
            return '1.4.2'
        raise quiet.importlib.metadata.PackageNotFoundError(name)

    imported = []

    def import_module(name):
        imported.append(name)
        print('Could not import OneDL')
        print('something else')
        print('Could not import OneDL')

    monkeypatch.setattr(quiet.importlib.metadata, 'version', version)
    monkeypatch.setattr(quiet.importlib, 'import_module', import_module)
    monkeypatch.setattr(quiet.warnings, 'filterwarnings',
                        lambda *args, **kwargs: None)
    quiet.quiet_library_warnings()
    assert imported == ['mmseg.datasets']
    assert capsys.readouterr().out == 'something else\n'
    imported.clear()
    monkeypatch.setattr(quiet.importlib.metadata, 'version', lambda name: (
        (_ for _ in ()).throw(quiet.importlib.metadata.PackageNotFoundError(
            name))))
    quiet.quiet_library_warnings()
    assert imported == []  # OpenMMLab's mmseg: nothing imported here


@pytest.mark.compat
def test_a_tools_start_prints_no_library_notice(tmp_path):
    """What a tool prints before its own output: nothing (on the fork, its
    'Could not import OneDL' lines are what this drops)."""
    from tests.helpers.tools import run_snippet
    result = run_snippet(
        'from inceptionnext_seg.utils.quiet import quiet_library_warnings\n'
        'quiet_library_warnings()\n'
        'import mmseg.apis, mmseg.datasets, mmseg.models\n'
        'print("started")\n', tmp_path, fresh=True)
    assert result.stdout == 'started\n'
    assert result.stderr == ''
