"""Reading a config and building its segmentor for analysis (tools and
tests)."""
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
                                 cfg_options: Optional[dict] = None,
                                 keep_init_cfg: bool = False
                                 ) -> torch.nn.Module:
    """Build a config's segmentor on the CPU in one process, in eval mode:
    SyncBN reverted to BN, and (unless ``keep_init_cfg``) no pretrained
    weights to download. Weights are not initialised; call
    ``init_weights()`` for that."""
    from mmseg.registry import MODELS
    cfg = load_config(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    if not keep_init_cfg:
        cfg.model.backbone.init_cfg = None
    return revert_sync_batchnorm(MODELS.build(cfg.model)).eval()
