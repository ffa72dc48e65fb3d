"""The one recipe that shortens a run (tools/misc/demo.py --iters and the
tests' tiny runs): what it sets in the demo config, and the values it refuses.
"""
import argparse

import pytest
from mmengine.config import Config, DictAction

from inceptionnext_seg.utils.short_run import short_run_options
from tests.helpers.tools import DEMO_CONFIG, ROOT, load_tool


def applied(options):
    cfg = Config.fromfile(str(ROOT / DEMO_CONFIG))
    parsed = argparse.Namespace()
    DictAction(option_strings=[], dest='options')(None, parsed, options)
    cfg.merge_from_dict(parsed.options)
    return cfg


def test_the_demo_config_trains_validates_and_saves_as_asked():
    cfg = applied(short_run_options(40, interval=10, warmup=4,
                                    log_interval=1))
    assert cfg.train_cfg.max_iters == 40
    assert cfg.train_cfg.val_interval == 10
    assert cfg.default_hooks.checkpoint.interval == 10
    assert cfg.default_hooks.logger.interval == 1
    warmup, decay = cfg.param_scheduler
    assert (warmup.type, warmup.end) == ('LinearLR', 4)
    assert (decay.type, decay.begin, decay.end) == ('PolyLR', 4, 40)


def test_the_defaults_validate_once_and_warm_up_half_at_most_50():
    cfg = applied(short_run_options(600))
    assert cfg.train_cfg.val_interval == 600
    assert cfg.param_scheduler[0].end == 50
    assert cfg.default_hooks.logger.interval == \
        Config.fromfile(str(ROOT / DEMO_CONFIG)).default_hooks.logger.interval
    assert applied(short_run_options(3)).param_scheduler[1].begin == 1


@pytest.mark.parametrize('kwargs,message', [
    (dict(max_iters=1), 'max_iters=1'),
    (dict(max_iters=4, interval=5), 'interval=5'),
    (dict(max_iters=4, warmup=4), 'warmup=4'),
    (dict(max_iters=4, log_interval=0), 'log_interval=0'),
])
def test_values_out_of_range_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        short_run_options(**kwargs)


def test_the_demo_tool_uses_it(monkeypatch, tmp_path):
    """tools/misc/demo.py --iters 8 trains with exactly these options."""
    demo = load_tool('demo')
    commands = []
    monkeypatch.setattr(demo, 'run', commands.append)
    (tmp_path / 'data' / 'images').mkdir(parents=True)
    monkeypatch.setattr('sys.argv', [
        'demo.py', '--iters', '8', '--work-dir', str(tmp_path / 'w'),
        '--data-root', str(tmp_path / 'data')])
    # stops after the (not run) training: it wrote no checkpoint
    with pytest.raises(FileNotFoundError, match='last_checkpoint'):
        demo.main()
    train = commands[0]
    assert train[0] == 'tools/train.py'
    assert train[-6:] == short_run_options(8)


def test_the_documented_recipe_is_this_function():
    """docs/training.md's one recipe to shorten a run is what the demo and
    the tests use, and the runner accepts it without a warning."""
    import re
    from inceptionnext_seg.engine.runner.config_keys import (
        outlasting_schedulers, unread_keys)
    text = (ROOT / 'docs' / 'training.md').read_text()
    section = text.split('### A shorter run', 1)[1].split('\n### ', 1)[0]
    line = re.search(r'python tools/train\.py CONFIG --cfg-options (.*)',
                     section)
    assert line, 'docs/training.md lost the short-run recipe'
    assert line.group(1).split() == short_run_options(100)
    cfg = applied(short_run_options(100))
    assert unread_keys(cfg) == [] and outlasting_schedulers(cfg) == []
