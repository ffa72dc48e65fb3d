"""InceptionNeXt for mmsegmentation: importing this package registers the
``InceptionNeXt`` backbone in mmseg's ``MODELS`` registry.

Configs import it with
``custom_imports = dict(imports=['backbones'], allow_failed_imports=False)``.
"""
# First: the start-up check, which names the fix (e.g. the extra that brings
# mmseg and mmcv) before an import of them fails without one.
import inceptionnext_seg  # noqa: F401, I001
from .inceptionnext import InceptionNeXt
from .pretrained import (OFFICIAL_URLS, TIMM_HUB_IDS, describe_arch,
                         extract_backbone_state_dict, read_backbone_weights,
                         resolve_checkpoint)

__all__ = [
    'InceptionNeXt', 'OFFICIAL_URLS', 'TIMM_HUB_IDS', 'describe_arch',
    'extract_backbone_state_dict', 'read_backbone_weights',
    'resolve_checkpoint'
]
