"""InceptionNeXt for mmsegmentation: importing this package registers the
``InceptionNeXt`` backbone in mmseg's ``MODELS`` registry.

Configs import it with
``custom_imports = dict(imports=['backbones'], allow_failed_imports=False)``.
"""
from .inceptionnext import InceptionNeXt
from .pretrained import (OFFICIAL_URLS, TIMM_HUB_IDS, describe_arch,
                         extract_backbone_state_dict, read_backbone_weights,
                         resolve_checkpoint)

__all__ = [
    'InceptionNeXt', 'OFFICIAL_URLS', 'TIMM_HUB_IDS', 'describe_arch',
    'extract_backbone_state_dict', 'read_backbone_weights',
    'resolve_checkpoint'
]
