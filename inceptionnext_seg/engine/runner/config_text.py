"""The run's config text (``Config.pretty_text``) formatted once for each
content of the config rather than at each use.

mmengine formats the whole config with yapf every time it needs its text:
for the log, the dumped config, the visualizer's copy, the runtime info and
every checkpoint (0.3 s for a segmentation config on a fast core, about
three times that on a small cloud CPU; eight times in a short training
run). The text depends only on the config's content, so
:class:`TextOnceConfig` keeps the last text with that content and formats
again when the content changed.
"""
from mmengine.config import Config

__all__ = ['TextOnceConfig', 'text_once']


class TextOnceConfig(Config):
    """mmengine's ``Config`` whose ``pretty_text`` is formatted once for
    each content (its ``repr``, which shows the whole config); everything
    else is mmengine's."""

    @property
    def pretty_text(self) -> str:
        key = repr(self)
        # (in the instance's own __dict__: Config.__getattr__ would look
        # the name up in the config's dict)
        cached = self.__dict__.get('_pretty_text_of')
        if cached is None or cached[0] != key:
            cached = (key, super().pretty_text)
            # past Config.__setattr__, which writes into the config's dict
            object.__setattr__(self, '_pretty_text_of', cached)
        return cached[1]


def text_once(cfg: Config) -> Config:
    """``cfg`` as a :class:`TextOnceConfig` (the same object, its class
    changed: the runner's own copy of its config; tests/test_engine/
    test_config_text.py pins that this works on mmengine's ``Config``)."""
    if isinstance(cfg, Config) and not isinstance(cfg, TextOnceConfig):
        # (past Config.__setattr__, as above)
        object.__setattr__(cfg, '__class__', TextOnceConfig)
    return cfg
