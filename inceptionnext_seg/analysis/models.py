"""The models the measurements compare (``tools/analysis_tools/benchmark.py``,
the CPU ladder): the backbones, the segmentor configs, and one builder for
each, with ConvNeXt-T swapped in under the same heads."""
from pathlib import Path

import torch

__all__ = ['BACKBONES', 'WITH_CP', 'SEGMENTORS', 'build_backbone',
           'build_segmentor']

ROOT = Path(__file__).resolve().parents[2]

BACKBONES = ('InceptionNeXt-T (ours)', 'InceptionNeXt-T (timm)',
             'ConvNeXt-T (timm)', 'ResNet-50 (timm)')
WITH_CP = 'InceptionNeXt-T (ours, with_cp)'
#: The segmentors, by head: the tiny configs of the repository.
SEGMENTORS = {
    'UperNet': 'configs/upernet_inceptionnext_t_ade20k.py',
    'FPN': 'configs/fpn_inceptionnext_t_ade20k.py',
}


def build_backbone(name: str) -> torch.nn.Module:
    """A multi-scale feature extractor of :data:`BACKBONES` (or
    :data:`WITH_CP`), random weights."""
    import timm
    from mmseg.registry import MODELS

    import backbones  # noqa: F401
    if name in ('InceptionNeXt-T (ours)', WITH_CP):
        return MODELS.build(dict(type='InceptionNeXt', arch='tiny',
                                 with_cp=name == WITH_CP))
    timm_name = {'InceptionNeXt-T (timm)': 'inception_next_tiny',
                 'ConvNeXt-T (timm)': 'convnext_tiny',
                 'ResNet-50 (timm)': 'resnet50'}[name]
    kwargs = dict(out_indices=(1, 2, 3, 4)) if timm_name == 'resnet50' else {}
    return timm.create_model(timm_name, features_only=True, **kwargs)


def build_segmentor(head: str, backbone: str, size: int,
                    recommended: bool = False,
                    config: str = None) -> torch.nn.Module:
    """The segmentor of ``head`` (a key of :data:`SEGMENTORS`, or
    ``config``) with 'InceptionNeXt-T' or 'ConvNeXt-T' (timm's, same heads
    and widths 96/192/384/768) at ``size``; ``recommended``: the
    channels-last preprocessor."""
    from inceptionnext_seg.utils.config import (build_segmentor_for_analysis,
                                                load_config)
    config = str(ROOT / (config or SEGMENTORS[head]))
    options = {'model.data_preprocessor.size': (size, size)}
    if backbone == 'ConvNeXt-T':
        options['model.backbone'] = dict(
            _delete_=True, type='TIMMBackbone', model_name='convnext_tiny',
            features_only=True, pretrained=False,
            drop_path_rate=load_config(config).model.backbone.drop_path_rate)
    if recommended:
        options['model.data_preprocessor.type'] = (
            'ChannelsLastSegDataPreProcessor')
    return build_segmentor_for_analysis(config, options)
