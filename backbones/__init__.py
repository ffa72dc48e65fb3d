"""InceptionNeXt for mmsegmentation: importing this package registers the
``InceptionNeXt`` backbone in mmseg's ``MODELS`` registry.

Configs import it with
``custom_imports = dict(imports=['backbones'], allow_failed_imports=False)``.
"""
# First: the start-up check, which names the fix (e.g. the extra that brings
# mmseg and mmcv) before an import of them fails without one (once per
# process, whichever registering package comes first).
from inceptionnext_seg.environment import check_environment_once  # noqa: I001

check_environment_once()
from .inceptionnext import InceptionNeXt  # noqa: E402
from .pretrained import (OFFICIAL_URLS, TIMM_HUB_IDS,  # noqa: E402
                         describe_arch, extract_backbone_state_dict,
                         read_backbone_weights, resolve_checkpoint)

__all__ = [
    'InceptionNeXt', 'OFFICIAL_URLS', 'TIMM_HUB_IDS', 'describe_arch',
    'extract_backbone_state_dict', 'read_backbone_weights',
    'resolve_checkpoint'
]
