"""mmseg's EncoderDecoder that loads checkpoints strictly, on every path."""
from typing import Dict, Sequence

import torch
from mmengine.logging import print_log
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS

from ...checkpoint import (CheckpointMismatchError, StateDictDiff,
                           compare_state_dicts)

__all__ = ['StrictEncoderDecoder']


@MODELS.register_module()
class StrictEncoderDecoder(EncoderDecoder):
    """``EncoderDecoder`` that refuses a checkpoint which does not fit it.

    mmengine loads ``load_from``, ``resume``, mmseg's ``tools/test.py``,
    ``init_model`` and ``MMSegInferencer`` checkpoints with ``strict=False``:
    a checkpoint of another config loads partly, with a few warnings, and the
    run trains or evaluates a half-random model (an atto checkpoint evaluated
    with a tiny config reports a meaningless mIoU and exits 0). This model
    checks every state dict loaded into it, whoever loads it, and raises
    :class:`CheckpointMismatchError` listing the missing and unexpected keys
    and the shape mismatches.

    Args:
        strict_load_except: Module names (key prefixes, e.g.
            ``'decode_head.conv_seg'``) whose tensors may be missing from a
            checkpoint, left over in it, or of another shape. Those are not
            loaded, keep their initialisation, and are named in the log. Use it
            to fine-tune from a checkpoint with another number of classes:
            ``model = dict(strict_load_except=['decode_head.conv_seg',
            'auxiliary_head.conv_seg'])``.
        **kwargs: ``EncoderDecoder`` arguments (``backbone``, ``decode_head``,
            ``neck``, ``auxiliary_head``, ...).
    """

    def __init__(self, strict_load_except: Sequence[str] = (),
                 **kwargs) -> None:
        if isinstance(strict_load_except, str):
            raise TypeError(
                f'strict_load_except takes a list of module names, got the '
                f'string {strict_load_except!r}; write '
                f'[{strict_load_except!r}].')
        super().__init__(**kwargs)
        self.strict_load_except = tuple(strict_load_except)
        names = dict(self.named_modules())
        unknown = [n for n in self.strict_load_except if n not in names]
        if unknown:
            raise ValueError(
                f'strict_load_except names modules this model does not have: '
                f'{unknown}. Heads of this model: '
                f'{[n for n in names if n.endswith("conv_seg")]}.')

    def _exempt(self, key: str) -> bool:
        return any(key == p or key.startswith(p + '.')
                   for p in self.strict_load_except)

    def _load_from_state_dict(self, state_dict: Dict[str, torch.Tensor],
                              prefix: str, *args, **kwargs) -> None:
        # torch and mmengine call this first on the model itself, with the
        # whole state dict (keys under `prefix`), then on each submodule with
        # its part of the same dict; keys removed here are not loaded below.
        # torch's documented per-module loading hook, which mmengine's loader
        # calls too; tests/test_models/test_strict_encoder_decoder.py pins
        # both.
        self._check_state_dict(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _check_state_dict(self, state_dict: Dict[str, torch.Tensor],
                          prefix: str) -> None:
        own = {prefix + k: v for k, v in self.state_dict().items()}
        given = {k: v for k, v in state_dict.items() if k.startswith(prefix)}
        diff = compare_state_dicts(
            own, given, exempt=lambda k: self._exempt(k[len(prefix):]))
        skipped = [f'{k}: checkpoint {tuple(given[k].shape)} vs model '
                   f'{tuple(own[k].shape)}' for k in diff.exempt_mismatched]
        for key in diff.exempt_mismatched:
            del state_dict[key]
        if skipped:
            print_log('Not loaded from the checkpoint (strict_load_except), '
                      'kept at initialisation: ' + '; '.join(skipped),
                      logger='current', level=30)
        if diff:
            raise CheckpointMismatchError(
                self._mismatch_message(state_dict, prefix, diff))

    def _mismatch_message(self, state_dict: Dict[str, torch.Tensor],
                          prefix: str, diff: StateDictDiff) -> str:
        lines = ['The checkpoint does not fit this model (wrong config for '
                 'this checkpoint?).']
        lines += [f'  {line}' for line in diff.lines()]
        # A backbone that can name the variant of a state dict (InceptionNeXt
        # can) says which one the checkpoint holds.
        describe = getattr(self.backbone, 'describe_state_dict', None)
        if describe is not None:
            start = prefix + 'backbone.'
            theirs = describe({k[len(start):]: v for k, v in
                               state_dict.items() if k.startswith(start)})
            ours = describe(self.backbone.state_dict())
            if theirs and ours and theirs != ours:
                lines.append(f'  backbone: checkpoint {theirs}, model {ours}')
        heads = ','.join(f"'{n}'" for n, _ in self.named_modules()
                         if n.endswith('conv_seg'))
        lines.append(
            '  To fine-tune from it with parts that differ (e.g. another '
            'number of classes), name them: --cfg-options '
            f'model.strict_load_except="[{heads}]"')
        return '\n'.join(lines)
