"""TrainingCurvesHook in process: what it records every interval and after
each validation, the picture and JSON it writes, and the history that
travels in the checkpoints so a resumed run draws the whole curve."""
import json
from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import LoggerHook

from inceptionnext_seg.engine.hooks import TrainingCurvesHook


class _Logger:

    def __init__(self):
        self.infos = []

    def info(self, msg):
        self.infos.append(msg)


def _runner(tmp_path, start=0, max_iters=4):
    lr = {'lr': [0.5]}
    return SimpleNamespace(
        iter=start, max_iters=max_iters, work_dir=str(tmp_path),
        hooks=[LoggerHook(interval=2)], experiment_name='run',
        optim_wrapper=SimpleNamespace(get_lr=lambda: lr), lr=lr,
        logger=_Logger())


def _train(hook, runner, losses, val_after=(), save_after=None):
    """Iterations runner.iter.. with these losses (the lr halves each
    iteration, as a scheduler would after it), validating after the
    iterations in ``val_after`` with mIoU = the iteration; the checkpoint
    of iteration ``save_after`` is returned, saved before that iteration's
    validation, as mmengine's hooks do."""
    checkpoint = None
    hook.before_train(runner)
    for loss in losses:
        hook.before_train_iter(runner, 0)
        hook.after_train_iter(runner, 0, outputs={'loss': torch.tensor(loss)})
        runner.iter += 1
        runner.lr['lr'] = [runner.lr['lr'][0] / 2]
        if runner.iter == save_after:
            checkpoint = {'meta': {}}
            hook.before_save_checkpoint(runner, checkpoint)
        if runner.iter in val_after:
            hook.after_val_epoch(runner, {'mIoU': float(runner.iter),
                                          'table': 'not a number'})
    hook.after_train(runner)
    return checkpoint


def test_loss_lr_and_metrics_are_recorded_and_drawn(tmp_path):
    hook, runner = TrainingCurvesHook(), _runner(tmp_path)
    _train(hook, runner, [1.0, 3.0, 5.0, 9.0], val_after=(4, ))
    # the logger's interval (2): the mean loss of each 2 iterations and the
    # lr the last of them used
    assert hook.history == {'train': [[2, 2.0, 0.25], [4, 7.0, 0.0625]],
                            'val': [[4, {'mIoU': 4.0}]]}
    assert json.loads((tmp_path / 'training_curves.json').read_text()) == \
        hook.history
    assert (tmp_path / 'training_curves.png').stat().st_size > 0
    assert runner.logger.infos == [
        f'Training curves: {tmp_path / "training_curves.png"}']


def test_the_end_of_training_draws_only_what_is_new(tmp_path, monkeypatch):
    """The validation of the last iteration has drawn everything: the end
    of training does not draw the same picture again (0.3 s of matplotlib
    each), but says where it is; after iterations that no validation drew,
    it draws."""
    from inceptionnext_seg.engine.hooks import training_curves_hook
    drawn = []
    real = training_curves_hook.plot_curves
    monkeypatch.setattr(training_curves_hook, 'plot_curves',
                        lambda history, *a, **k: drawn.append(
                            len(history['train'])) or real(history, *a, **k))
    hook, runner = TrainingCurvesHook(), _runner(tmp_path)
    _train(hook, runner, [1.0, 3.0, 5.0, 9.0], val_after=(2, 4))
    assert drawn == [1, 2]
    assert runner.logger.infos == [
        f'Training curves: {tmp_path / "training_curves.png"}']
    drawn.clear()
    hook, runner = TrainingCurvesHook(), _runner(tmp_path / 'b')
    (tmp_path / 'b').mkdir()
    _train(hook, runner, [1.0, 3.0, 5.0, 9.0], val_after=(2, ))
    assert drawn == [1, 2]
    # a picture removed since is drawn again
    (tmp_path / 'b' / 'training_curves.png').unlink()
    hook.after_train(runner)
    assert drawn == [1, 2, 2]
    assert (tmp_path / 'b' / 'training_curves.png').is_file()


def test_the_last_iteration_is_recorded_off_the_interval(tmp_path):
    hook = TrainingCurvesHook(interval=2)
    _train(hook, _runner(tmp_path, max_iters=3), [1.0, 3.0, 5.0])
    assert [row[:2] for row in hook.history['train']] == [[2, 2.0], [3, 5.0]]


def test_a_resumed_run_continues_the_checkpointed_history(tmp_path):
    """The checkpoint of iteration 4 is written before iteration 4's
    validation: that comes from the work dir's JSON of the same run; what
    the first run recorded after iteration 4 is dropped."""
    first = TrainingCurvesHook()
    runner = _runner(tmp_path, max_iters=6)
    checkpoint = _train(first, runner, [1.0, 3.0, 5.0, 7.0, 0.0],
                        val_after=(2, 4, 5), save_after=4)
    assert checkpoint['meta']['training_curves']['val'] == [
        [2, {'mIoU': 2.0}]]

    resumed = TrainingCurvesHook()
    resumed.after_load_checkpoint(runner, checkpoint)
    runner = _runner(tmp_path, start=4, max_iters=6)
    _train(resumed, runner, [11.0, 13.0])
    assert [row[:2] for row in resumed.history['train']] == [
        [2, 2.0], [4, 6.0], [6, 12.0]]
    assert resumed.history['val'] == [[2, {'mIoU': 2.0}],
                                      [4, {'mIoU': 4.0}]]


def test_a_work_dir_of_another_run_gives_no_validation(tmp_path):
    """The JSON in the work dir belongs to another run (its train history
    differs): its validations are not taken."""
    first = TrainingCurvesHook()
    checkpoint = _train(first, _runner(tmp_path, max_iters=6),
                        [1.0, 3.0, 5.0, 7.0], val_after=(2, 4), save_after=4)
    (tmp_path / 'training_curves.json').write_text(json.dumps(
        {'train': [[2, 99.0, 0.25]], 'val': [[4, {'mIoU': 40.0}]]}))
    resumed = TrainingCurvesHook()
    resumed.after_load_checkpoint(None, checkpoint)
    resumed.before_train(_runner(tmp_path, start=4, max_iters=6))
    assert resumed.history['val'] == [[2, {'mIoU': 2.0}]]


def test_fine_tuning_from_another_run_starts_a_new_history(tmp_path):
    """``load_from`` (iteration 0) loads the other run's history with its
    weights: none of it is kept."""
    checkpoint = _train(TrainingCurvesHook(), _runner(tmp_path), [1.0, 3.0],
                        val_after=(2, ), save_after=2)
    hook = TrainingCurvesHook()
    hook.after_load_checkpoint(None, checkpoint)
    _train(hook, _runner(tmp_path), [8.0, 10.0])
    assert hook.history == {'train': [[2, 9.0, 0.25]], 'val': []}


def test_the_interval_is_checked():
    with pytest.raises(ValueError, match='interval must be an int >= 1'):
        TrainingCurvesHook(interval=0)
