"""Layer-wise / stage-wise learning-rate decay for InceptionNeXt backbones.

mmseg's ``LearningRateDecayOptimizerConstructor`` (the ConvNeXt segmentation
recipe) raises ``NotImplementedError`` for every backbone whose class name is
not ConvNeXt, BEiT or MAE. This constructor has exactly its ConvNeXt
semantics: each parameter name is read as ConvNeXt's, and mmseg's own
``get_layer_id_for_convnext`` / ``get_stage_id_for_convnext`` give its id::

    backbone.stem.*                  -> backbone.downsample_layers.0.*
    backbone.stages.i.downsample.*   -> backbone.downsample_layers.i.*
    backbone.stages.i.blocks.j.*     -> backbone.stages.i.j.*

Everything else (the output norms ``backbone.norm{i}``, neck and heads) gets
the top rate, as in mmseg. 1-D parameters and biases get no weight decay.
With ``num_layers=N`` a parameter of id ``k`` has
``lr = base_lr * decay_rate ** (N + 1 - k)``.

Use::

    optim_wrapper = dict(
        constructor='InceptionNeXtLearningRateDecayOptimizerConstructor',
        optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
        paramwise_cfg=dict(decay_rate=0.9, decay_type='stage_wise',
                           num_layers=6))
"""
import json
import re
from typing import List

import torch.nn as nn
from mmengine.dist import get_dist_info
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from mmseg.engine.optimizers.layer_decay_optimizer_constructor import (
    get_layer_id_for_convnext, get_stage_id_for_convnext)
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS

__all__ = ['InceptionNeXtLearningRateDecayOptimizerConstructor',
           'convnext_name']

DECAY_TYPES = ('layer_wise', 'stage_wise')


def convnext_name(name: str) -> str:
    """The ConvNeXt parameter name of an InceptionNeXt segmentor parameter
    (unchanged for everything outside the stem and stages)."""
    if name.startswith('backbone.stem.'):
        return 'backbone.downsample_layers.0.' + name[len('backbone.stem.'):]
    found = re.match(r'backbone\.stages\.(\d+)\.downsample\.(.*)', name)
    if found:
        return f'backbone.downsample_layers.{found[1]}.{found[2]}'
    found = re.match(r'backbone\.stages\.(\d+)\.blocks\.(\d+)\.(.*)', name)
    if found:
        return f'backbone.stages.{found[1]}.{found[2]}.{found[3]}'
    return name


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class InceptionNeXtLearningRateDecayOptimizerConstructor(
        DefaultOptimWrapperConstructor):
    """mmseg's ``LearningRateDecayOptimizerConstructor`` for InceptionNeXt
    (see the module docstring). ``paramwise_cfg`` takes ``decay_rate``,
    ``decay_type`` ('layer_wise' or 'stage_wise') and ``num_layers``."""

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict = None):
        paramwise_cfg = dict(paramwise_cfg or {})
        missing = [k for k in ('decay_rate', 'num_layers')
                   if k not in paramwise_cfg]
        if missing:
            raise ValueError(
                f'{type(self).__name__} needs paramwise_cfg keys {missing} '
                f"(e.g. dict(decay_rate=0.9, decay_type='stage_wise', "
                f'num_layers=6)); got {paramwise_cfg}.')
        decay_type = paramwise_cfg.setdefault('decay_type', 'layer_wise')
        if decay_type not in DECAY_TYPES:
            raise ValueError(f'decay_type must be one of {DECAY_TYPES}, got '
                             f'{decay_type!r}.')
        unknown = set(paramwise_cfg) - {'decay_rate', 'decay_type',
                                        'num_layers'}
        if unknown:
            raise ValueError(
                f'Unknown paramwise_cfg keys {sorted(unknown)} for '
                f'{type(self).__name__}; it takes decay_rate, decay_type, '
                f'num_layers (weight decay: none on 1-D parameters and '
                f'biases, as mmseg).')
        # A non-empty paramwise_cfg makes the parent call add_params.
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        self.decay_rate = float(paramwise_cfg['decay_rate'])
        self.decay_type = decay_type
        self.num_layers = int(paramwise_cfg['num_layers'])

    def layer_id(self, name: str) -> int:
        convnext = convnext_name(name)
        if self.decay_type == 'layer_wise':
            return get_layer_id_for_convnext(convnext, self.num_layers)
        return get_stage_id_for_convnext(convnext, self.num_layers + 2)

    def add_params(self, params: List[dict], module: nn.Module,
                   **kwargs) -> None:
        backbone = getattr(module, 'backbone', None)
        if type(backbone).__name__ != 'InceptionNeXt':
            raise TypeError(
                f'{type(self).__name__} needs a segmentor with an '
                f'InceptionNeXt backbone, got '
                f'{type(backbone).__name__}; for ConvNeXt use mmseg\'s '
                f'LearningRateDecayOptimizerConstructor.')
        if self.decay_type == 'layer_wise' and len(backbone.stages) > 3:
            # mmseg's ids for stage 2 are 3 + block // 3; they must stay
            # below stage 3's id (num_layers).
            needed = 3 + (len(backbone.stages[2].blocks) - 1) // 3 + 1
            if self.num_layers < needed:
                raise ValueError(
                    f'layer_wise decay with stage 2 of '
                    f'{len(backbone.stages[2].blocks)} blocks needs '
                    f'num_layers >= {needed}, got {self.num_layers}.')
        groups = {}
        for name, param in module.named_parameters():
            if not param.requires_grad:
                continue  # frozen weights
            if param.ndim == 1 or name.endswith('.bias'):
                decay, weight_decay = 'no_decay', 0.
            else:
                decay, weight_decay = 'decay', self.base_wd
            layer_id = self.layer_id(name)
            key = f'layer_{layer_id}_{decay}'
            if key not in groups:
                scale = self.decay_rate**(self.num_layers + 1 - layer_id)
                groups[key] = dict(
                    weight_decay=weight_decay, params=[], param_names=[],
                    lr_scale=scale, group_name=key, lr=scale * self.base_lr)
            groups[key]['params'].append(param)
            groups[key]['param_names'].append(name)
        if get_dist_info()[0] == 0:
            fields = ('param_names', 'lr_scale', 'lr', 'weight_decay')
            shown = {k: {f: g[f] for f in fields} for k, g in groups.items()}
            print_log(f'{type(self).__name__}: {self.decay_type} decay '
                      f'{self.decay_rate}, num_layers {self.num_layers}; '
                      f'param groups = {json.dumps(shown, indent=2)}',
                      logger='current')
        params.extend(groups.values())
