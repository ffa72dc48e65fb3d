"""The run's config text: mmengine formats it with yapf for the log, each
dump and every checkpoint; SegRunner's config formats it once per content
(inceptionnext_seg.engine.runner.config_text)."""
import copy
import pickle

import mmengine.config.config as mmengine_config
from mmengine.config import Config
from yapf.yapflib import yapf_api

from inceptionnext_seg.engine.runner import SegRunner
from inceptionnext_seg.engine.runner.config_text import (TextOnceConfig,
                                                         text_once)
from inceptionnext_seg.utils.config import load_config
from tests.helpers.tools import DEMO_CONFIG, ROOT


def test_the_text_is_mmengines_formatted_once_per_content(
        monkeypatch, tmp_path):
    """(mmengine's ``pretty_text`` formats with yapf's ``FormatCode``,
    imported into its module (mmengine) or in the property (the fork), a
    private detail counted here: were it formatted otherwise the count
    below would be 0 and this test would say so. That a change at any
    depth shows in ``repr(Config)`` is pinned by the reformatting after
    one.)"""
    formatted = []
    real = yapf_api.FormatCode

    def counted(*args, **kwargs):
        formatted.append(1)
        return real(*args, **kwargs)
    monkeypatch.setattr(yapf_api, 'FormatCode', counted)
    monkeypatch.setattr(mmengine_config, 'FormatCode', counted,
                        raising=False)
    cfg = load_config(str(ROOT / DEMO_CONFIG))
    plain = copy.deepcopy(cfg)
    assert text_once(cfg) is cfg and type(cfg) is TextOnceConfig
    assert cfg.pretty_text == plain.pretty_text
    assert len(formatted) == 2
    cfg.dump(tmp_path / 'dumped.py')
    assert (tmp_path / 'dumped.py').read_text() == cfg.pretty_text
    assert len(formatted) == 2
    # a changed content, at any depth, is formatted again
    cfg.model.decode_head.num_classes = 7
    assert 'num_classes=7' in cfg.pretty_text
    assert len(formatted) == 3
    cfg.work_dir = 'elsewhere'
    assert "work_dir = 'elsewhere'" in cfg.pretty_text
    assert len(formatted) == 4
    # copies and pickles stay what they are
    for other in (copy.deepcopy(cfg), pickle.loads(pickle.dumps(cfg))):
        assert type(other) is TextOnceConfig
        assert other.pretty_text == cfg.pretty_text
    assert text_once(plain) is plain
    assert text_once(dict(a=1)) == dict(a=1)


def test_the_runners_config_is_text_once(tmp_path):
    """mmengine's Runner sets ``self.cfg`` (its own copy) in ``__init__``
    (a detail of mmengine pinned here, with the class change of
    ``text_once``): SegRunner keeps it as a TextOnceConfig."""
    runner = SegRunner.__new__(SegRunner)
    runner.cfg = Config(dict(a=1))
    assert type(runner.cfg) is TextOnceConfig
    assert runner.cfg.a == 1
    cfg = load_config(str(ROOT / DEMO_CONFIG))
    cfg.work_dir, cfg.launcher = str(tmp_path), 'none'
    built = SegRunner.from_cfg(cfg)
    assert type(built.cfg) is TextOnceConfig
    assert built.cfg.pretty_text == cfg.pretty_text
