"""The same random masks after a resume as in an uninterrupted run (in every
config's ``custom_hooks``)."""
import torch
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

__all__ = ['ResumableRandomnessHook']


@HOOKS.register_module()
class ResumableRandomnessHook(Hook):
    """Seed the training step's torch RNG from (seed, iteration).

    mmengine does not store RNG states in checkpoints, so dropout and drop
    path masks after a resume differ from an uninterrupted run. Seeding each
    iteration from the run's seed and the iteration number makes them the
    same; the data order and augmentations are replayed by the dataloader.
    """

    priority = 'VERY_HIGH'

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        seed = (int(runner.seed) * 1_000_003 + runner.iter) % (2**63)
        torch.manual_seed(seed)  # seeds every CUDA device too
