"""Config keys that nothing reads are refused before a run starts, naming
the key to set (``--cfg-options max_iters=4`` trained the config's 20000
iterations); every config of the project is accepted as written and with
the short-run recipe; a scheduler that outlasts the run is named."""
import logging

import pytest
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmseg.registry import RUNNERS

from inceptionnext_seg.engine.runner import SegRunner
from inceptionnext_seg.engine.runner.config_keys import (
    UnreadConfigKeyError, check_config_keys, outlasting_schedulers,
    unread_keys)
from inceptionnext_seg.utils.short_run import short_run_options
from tests.helpers.tools import (DEMO_CONFIG, ROOT, run_mmseg_tool, run_tool,
                                 tiny_run_options)

CONFIGS = sorted(p for p in (ROOT / 'configs').rglob('*.py')
                 if '_base_' not in p.parts)
TEMPLATE = ROOT / 'configs' / 'custom' / 'upernet_inceptionnext_t_custom.py'


def loaded(path, options=None) -> Config:
    cfg = Config.fromfile(str(path))
    cfg.merge_from_dict(options or {})
    return cfg


def as_dict(options):
    return dict(option.split('=', 1) for option in options)


def test_the_configs_were_found():
    assert len(CONFIGS) >= 10 and TEMPLATE in CONFIGS


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.name)
def test_every_config_is_accepted_as_written(path):
    cfg = loaded(path)
    assert unread_keys(cfg) == []
    assert outlasting_schedulers(cfg) == []
    check_config_keys(cfg)


@pytest.mark.parametrize('path', [ROOT / DEMO_CONFIG, TEMPLATE],
                         ids=lambda p: p.name)
def test_the_short_run_recipe_is_accepted_without_warnings(path):
    options = as_dict(short_run_options(4))
    options = {k: int(v) for k, v in options.items()}
    cfg = loaded(path, options)
    assert unread_keys(cfg) == []
    assert outlasting_schedulers(cfg) == []


@pytest.mark.parametrize('path', [
    ROOT / DEMO_CONFIG, TEMPLATE,
    ROOT / 'configs' / 'upernet_inceptionnext_t_ade20k.py'],
    ids=['demo, a variable', 'template, a variable', 'ade20k, no variable'])
def test_max_iters_is_refused_naming_train_cfg_max_iters(path):
    expected = f'now {loaded(path).train_cfg.max_iters}'
    cfg = loaded(path, {'max_iters': 4})
    assert unread_keys(cfg) == [('max_iters', 4, ['train_cfg.max_iters'])]
    with pytest.raises(UnreadConfigKeyError,
                       match=rf'set train_cfg\.max_iters=4 \({expected}\)'):
        check_config_keys(cfg)


def test_crop_size_names_the_crop_and_the_preprocessor():
    cfg = loaded(ROOT / DEMO_CONFIG, {'crop_size': (64, 64)})
    ((key, value, used_at), ) = unread_keys(cfg)
    assert (key, value) == ('crop_size', [64, 64])
    # not `train_pipeline.3.crop_size`: that is a variable too
    assert used_at == ['train_dataloader.dataset.pipeline.3.crop_size',
                       'model.data_preprocessor.size']


def test_what_is_read_is_accepted():
    # Keys the runner and the tools read, set on the command line.
    cfg = loaded(ROOT / DEMO_CONFIG, {
        'train_cfg.max_iters': 4, 'work_dir': '/tmp/x', 'load_from': 'a.pth',
        'auto_resume': False, 'resume': True, 'launcher': 'none',
        'default_scope': 'mmseg'})
    assert unread_keys(cfg) == []


def test_a_key_named_nowhere_is_logged_not_refused():
    cfg = loaded(ROOT / DEMO_CONFIG, {'no_such_key': 1})
    logger = MMLogger.get_current_instance()
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        check_config_keys(cfg)
    finally:
        logger.removeHandler(handler)
    assert any('`no_such_key`' in r.getMessage() for r in records)


def test_a_warm_up_longer_than_the_run_is_named():
    cfg = loaded(TEMPLATE, {'train_cfg.max_iters': 4})
    messages = outlasting_schedulers(cfg)
    assert len(messages) == 2
    assert messages[0].startswith('param_scheduler.0 (LinearLR) ends at '
                                  'iteration 1500')
    assert 'train_cfg.max_iters=4' in messages[0]


def test_the_runner_refuses_before_anything_is_built(monkeypatch):
    built = []
    monkeypatch.setattr(SegRunner, '__init__',
                        lambda self, **kw: built.append(kw))
    cfg = loaded(ROOT / DEMO_CONFIG, {'max_iters': 4})
    with pytest.raises(UnreadConfigKeyError, match='train_cfg.max_iters'):
        RUNNERS.build(cfg)
    assert built == []


def test_mmseg_train_py_and_ours_refuse_max_iters(demo_data, tmp_path):
    """The doors: mmseg's own train.py (through runner_type) and this
    project's, which says it without a traceback."""
    options = ['--cfg-options', *tiny_run_options(demo_data), 'max_iters=10']
    theirs = run_mmseg_tool('train.py', DEMO_CONFIG, '--work-dir',
                            tmp_path / 'theirs', *options, check=False)
    ours = run_tool(ROOT / 'tools' / 'train.py', DEMO_CONFIG, '--work-dir',
                    tmp_path / 'ours', *options, check=False)
    for result, name in ((theirs, 'theirs'), (ours, 'ours')):
        log = result.stdout + result.stderr
        assert result.returncode != 0, log[-2000:]
        assert 'max_iters=10: nothing reads the top-level `max_iters`' in \
            log, log[-2000:]
        assert 'set train_cfg.max_iters=10 (now 4)' in log
        assert not list((tmp_path / name).rglob('*.pth'))
    assert 'Traceback' not in ours.stdout + ours.stderr
