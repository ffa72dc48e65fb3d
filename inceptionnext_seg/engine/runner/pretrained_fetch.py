"""The backbone's ImageNet weights fetched when training starts, before the
dataloaders and the optimizer are built: offline, the run stops at once,
in one paragraph that names the file to fetch and the switch that trains
without it (``model.backbone.init_cfg=None``), instead of a traceback out
of ``init_weights`` once everything else is built.
"""
import logging
from typing import List

import torch.nn as nn
from mmengine.logging import print_log

__all__ = ['fetch_pretrained_weights', 'FROM_SCRATCH']

#: The one switch that trains without ImageNet weights (docs/training.md).
FROM_SCRATCH = '--cfg-options model.backbone.init_cfg=None'


def fetch_pretrained_weights(model: nn.Module) -> List[str]:
    """Download (or find in the cache) the checkpoint of every InceptionNeXt
    in ``model`` whose ``init_cfg`` is ``Pretrained`` and that is not
    initialised yet. Every rank calls it (the first process of each node
    downloads, :func:`backbones.pretrained.resolve_checkpoint`).

    Args:
        model: the runner's model (wrapped or not).

    Returns:
        The checkpoints found, as given in the config.

    Raises:
        SystemExit: a checkpoint that cannot be fetched; the paragraph that
            says why is logged first.
    """
    # backbones registers the model; the engine does not import it at
    # import time (a config names it in custom_imports).
    from backbones import InceptionNeXt
    from backbones.pretrained import resolve_checkpoint
    from inceptionnext_seg.checkpoint import CheckpointError
    found = []
    for name, module in model.named_modules():
        cfg = getattr(module, 'init_cfg', None)
        if not isinstance(module, InceptionNeXt) or \
                getattr(module, 'is_init', False) or \
                not isinstance(cfg, dict) or \
                cfg.get('type') != 'Pretrained' or 'checkpoint' not in cfg:
            continue
        try:
            resolve_checkpoint(cfg['checkpoint'])
        except CheckpointError as err:
            where = name.replace('module.', '', 1) or 'the model'
            print_log(
                f'The ImageNet weights of {where} ({cfg["checkpoint"]}) '
                f'could not be fetched, so training did not start. {err} '
                f'To train without them, from random weights (slower to '
                f'learn, lower mIoU): {FROM_SCRATCH}.',
                logger='current', level=logging.ERROR)
            raise SystemExit(1) from None
        found.append(str(cfg['checkpoint']))
    return found
