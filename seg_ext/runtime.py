"""Config helpers shared by the tools and tests."""
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope

__all__ = ['load_config', 'build_segmentor_for_analysis']


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config (its ``custom_imports`` register this project's modules)
    and merge ``--cfg-options`` (as parsed by mmengine's ``DictAction``)."""
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def build_segmentor_for_analysis(config: str,
                                 cfg_options: Optional[dict] = None
                                 ) -> torch.nn.Module:
    """Build a config's segmentor in eval mode on the CPU for measurements:
    SyncBN reverted to BN, no pretrained download."""
    from mmseg.registry import MODELS
    cfg = load_config(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    cfg.model.backbone.init_cfg = None
    return revert_sync_batchnorm(MODELS.build(cfg.model)).eval()
