"""Config helpers shared by the tools: loading, and CPU/GPU adaptation."""
from typing import Any, Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log

__all__ = ['load_config', 'use_plain_bn', 'adapt_to_device',
           'build_segmentor_for_analysis']


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config (its ``custom_imports`` register this project's modules)
    and merge ``--cfg-options`` (as parsed by mmengine's ``DictAction``)."""
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def use_plain_bn(node: Any) -> int:
    """Replace every ``type='SyncBN'`` in a config tree by ``'BN'``.

    Returns:
        int: How many norm configs were changed.
    """
    changed = 0
    if isinstance(node, dict):
        if node.get('type') == 'SyncBN':
            node['type'] = 'BN'
            changed += 1
        for value in node.values():
            changed += use_plain_bn(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            changed += use_plain_bn(value)
    return changed


def adapt_to_device(cfg: Config) -> Config:
    """Run the GPU recipe on a machine without CUDA.

    Without CUDA: SyncBN becomes BN (said once in the log), distributed runs
    use gloo, and DDP wraps the model without device ids. With CUDA the config
    is left as mmseg would run it.
    """
    if torch.cuda.is_available():
        return cfg
    if use_plain_bn(cfg._cfg_dict):
        print_log('No CUDA device: using BN instead of SyncBN (SyncBN needs '
                  'CUDA); statistics are per process.', logger='current')
    cfg.env_cfg = cfg.get('env_cfg', {})
    cfg.env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    cfg.env_cfg['cudnn_benchmark'] = False
    cfg.model_wrapper_cfg = dict(type='CPUDistributedDataParallel')
    return cfg


def build_segmentor_for_analysis(config: str,
                                 cfg_options: Optional[dict] = None
                                 ) -> torch.nn.Module:
    """Build a config's segmentor on CPU, plain BN, no pretrained download."""
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    cfg = load_config(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    use_plain_bn(cfg._cfg_dict)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    return model.eval()
