"""Checkpoints that plain ``torch.load(weights_only=True)`` reads (in every
config's ``custom_hooks``)."""
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ...checkpoint.writing import from_plain, to_plain

__all__ = ['PlainCheckpointHook']


@HOOKS.register_module()
class PlainCheckpointHook(Hook):
    """Write checkpoints that plain ``torch.load(weights_only=True)`` reads.

    mmengine 0.10.7 pickles its message hub's ``HistoryBuffer`` objects, which
    torch >= 2.6 refuses by default. This hook stores them as tensors and
    plain values, so the files load anywhere without an allowlist, and turns
    them back into buffers on resume.
    """

    priority = 'VERY_HIGH'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.update(to_plain(dict(checkpoint)))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'message_hub' in checkpoint:
            checkpoint['message_hub'] = from_plain(checkpoint['message_hub'])
