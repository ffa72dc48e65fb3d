"""InceptionNeXt for mmsegmentation: importing this package registers the
``InceptionNeXt`` backbone in mmseg's ``MODELS`` registry.

Configs import it with
``custom_imports = dict(imports=['backbones'], allow_failed_imports=False)``.
"""
from .environment import check_environment

check_environment()  # known-bad library combinations, with the fix

from .checkpoint import (OFFICIAL_URLS, TIMM_HUB_IDS,  # noqa: E402
                         CheckpointError,
                         load_backbone_state_dict)
from .inceptionnext import InceptionNeXt  # noqa: E402

__all__ = [
    'InceptionNeXt', 'CheckpointError', 'load_backbone_state_dict',
    'OFFICIAL_URLS', 'TIMM_HUB_IDS'
]
