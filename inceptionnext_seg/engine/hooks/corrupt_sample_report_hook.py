"""The report of the training samples skipped as corrupt (in every config's
``custom_hooks``; ``CheckedADE20KDataset(skip_corrupt=True)``)."""
from mmengine.dist import all_gather_object, is_distributed
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmseg.registry import HOOKS

__all__ = ['CorruptSampleReportHook']


@HOOKS.register_module()
class CorruptSampleReportHook(Hook):
    """At the end of training, report the samples that were skipped."""

    def after_train(self, runner) -> None:
        dataset = runner.train_dataloader.dataset
        skipped = list(getattr(dataset, 'skipped_samples', lambda: [])())
        if is_distributed():  # each rank skipped its own; rank 0 says all
            skipped = [name for part in all_gather_object(skipped)
                       for name in part]
        if skipped and runner.rank == 0:
            print_log(f'Skipped {len(skipped)} corrupt training sample(s):\n'
                      + '\n'.join(skipped), logger='current', level=30)
