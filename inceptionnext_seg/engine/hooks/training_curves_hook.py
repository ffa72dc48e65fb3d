"""A picture of every training run: loss, learning rate and the validation
metrics against iterations, written to ``WORK_DIR/training_curves.png``
(with the figures in ``training_curves.json``) after each validation and at
the end (``TrainingCurvesHook``, in every config's ``custom_hooks``). The
history travels in the checkpoints, so a resumed run draws the whole curve;
the validation that mmengine runs just after saving iteration N's checkpoint
is taken from the work dir's JSON when it belongs to the same run.

TensorBoard is one config switch away (``pip install tensorboard``)::

    visualizer = dict(vis_backends=[dict(type='LocalVisBackend'),
                                    dict(type='TensorboardVisBackend')])
"""
import copy
import json
import numbers
import os.path as osp
from typing import Dict, List, Optional

import torch
from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.hooks.logger_hook import LoggerHook
from mmseg.registry import HOOKS

from ...visualization.training_curves import plot_curves

__all__ = ['TrainingCurvesHook']

META_KEY = 'training_curves'


@HOOKS.register_module()
class TrainingCurvesHook(Hook):
    """Record the mean train loss and the lr every ``interval`` iterations
    (default: the logger's interval) and the validation metrics, and draw
    them into ``WORK_DIR/<filename>``."""

    # Before CheckpointHook (VERY_LOW): iteration N is in iter_N.pth.
    priority = 'LOW'

    def __init__(self, interval: Optional[int] = None,
                 filename: str = 'training_curves.png'):
        if interval is not None and (not isinstance(interval, int)
                                     or interval < 1):
            raise ValueError(f'interval must be an int >= 1 or None, got '
                             f'{interval!r}.')
        self.interval = interval
        self.filename = filename
        self.json_name = osp.splitext(filename)[0] + '.json'
        self.history: Dict[str, List] = {'train': [], 'val': []}
        self._loss_sum, self._loss_count, self._lr = 0., 0, 0.
        self._drawn: Optional[dict] = None  # the history last drawn

    def before_train(self, runner) -> None:
        if self.interval is None:
            loggers = [h for h in runner.hooks if isinstance(h, LoggerHook)]
            self.interval = loggers[0].interval if loggers else 50
        # After a resume keep what came before this iteration; after a
        # load_from (fine-tuning, iteration 0) nothing of the other run.
        start = runner.iter
        self.history = {
            'train': [r for r in self.history['train'] if r[0] <= start],
            'val': [r for r in self.history['val'] if r[0] <= start]}
        saved = osp.join(runner.work_dir, self.json_name)
        if start and osp.isfile(saved):
            with open(saved) as f:
                disk = json.load(f)
            if [r for r in disk.get('train', []) if r[0] <= start] == \
                    self.history['train']:  # the same run
                self.history['val'] = [r for r in disk.get('val', [])
                                       if r[0] <= start]

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        # The lr this iteration uses (the schedulers step after it).
        self._lr = max(next(iter(runner.optim_wrapper.get_lr().values())))

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if outputs and 'loss' in outputs:
            loss = outputs['loss']
            self._loss_sum += float(loss.detach() if torch.is_tensor(loss)
                                    else loss)
            self._loss_count += 1
        step = runner.iter + 1
        if self._loss_count and (step % self.interval == 0
                                 or step == runner.max_iters):
            self.history['train'].append(
                [step, self._loss_sum / self._loss_count, self._lr])
            self._loss_sum, self._loss_count = 0., 0

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        if runner.iter == 0 or not metrics:  # a val outside training
            return
        self.history['val'].append([runner.iter, {
            k: float(v) for k, v in metrics.items()
            if isinstance(v, numbers.Real)}])
        self._draw(runner)

    def after_train(self, runner) -> None:
        path = self._draw(runner)
        if path:
            runner.logger.info(f'Training curves: {path}')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})[META_KEY] = {
            'train': [list(r) for r in self.history['train']],
            'val': [[it, dict(m)] for it, m in self.history['val']]}

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        saved = checkpoint.get('meta', {}).get(META_KEY)
        if saved:
            self.history = {'train': list(saved.get('train', [])),
                            'val': list(saved.get('val', []))}

    @master_only
    def _draw(self, runner) -> Optional[str]:
        if not self.history['train'] and not self.history['val']:
            return None
        path = osp.join(runner.work_dir, self.filename)
        if self.history == self._drawn and osp.isfile(path):
            return path  # (the end of training just after a validation)
        plot_curves(self.history, path, title=runner.experiment_name)
        with open(osp.join(runner.work_dir, self.json_name), 'w') as f:
            json.dump(self.history, f)
        self._drawn = copy.deepcopy(self.history)
        return path
