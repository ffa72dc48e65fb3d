"""InceptionNeXt for mmsegmentation: importing this package registers the
``InceptionNeXt`` backbone in mmseg's ``MODELS`` registry.

Configs import it with
``custom_imports = dict(imports=['backbones'], allow_failed_imports=False)``.
"""
from .mmcv_compat import install as _install_mmcv_compat

_install_mmcv_compat()  # before anything imports mmseg.models

from .checkpoint import (OFFICIAL_URLS, TIMM_HUB_IDS,  # noqa: E402
                         CheckpointError, load_backbone_state_dict)
from .inceptionnext import InceptionNeXt  # noqa: E402

__all__ = [
    'InceptionNeXt', 'CheckpointError', 'load_backbone_state_dict',
    'OFFICIAL_URLS', 'TIMM_HUB_IDS'
]
