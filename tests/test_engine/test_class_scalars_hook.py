"""ClassScalarsHook in process: each class's metrics of an evaluation go
into the message hub under the mode's prefix, stale ones are dropped, the
console line shows their count; without a ClassIoUMetric it says so once.
The logged files themselves: tests/test_configs/test_binary_template.py."""
from types import SimpleNamespace

from mmengine.logging import MessageHub

from inceptionnext_seg.engine.console_log import condensed_metrics_line
from inceptionnext_seg.engine.hooks import ClassScalarsHook
from inceptionnext_seg.engine.runner.console_digest import last_validation
from inceptionnext_seg.evaluation.class_iou_metric import is_class_scalar


def _runner(*tables):
    metrics = [SimpleNamespace(per_class=t) for t in tables]
    evaluator = SimpleNamespace(metrics=metrics)
    return SimpleNamespace(
        message_hub=MessageHub(f'class_scalars_{id(metrics)}'), rank=0,
        val_evaluator=evaluator, test_evaluator=evaluator)


def test_each_class_is_a_scalar_and_stale_ones_are_dropped():
    table = {'background': dict(IoU=90.5, Acc=95.0, pixels=10),
             'sky': dict(IoU=40.25, Acc=None, pixels=0)}
    runner = _runner(table)
    hub = runner.message_hub
    hub.update_scalar('val/mIoU', 65.0)
    ClassScalarsHook().after_val_epoch(runner, {'mIoU': 65.0})
    scalars = {k: v.current() for k, v in hub.log_scalars.items()}
    assert scalars == {'val/mIoU': 65.0, 'val/IoU.background': 90.5,
                       'val/Acc.background': 95.0, 'val/IoU.sky': 40.25}
    # the next evaluation: sky undefined, its old IoU is not logged again
    table['sky']['IoU'] = None
    ClassScalarsHook().after_val_epoch(runner, {'mIoU': 90.5})
    assert 'val/IoU.sky' not in hub.log_scalars
    assert last_validation(hub) == {'mIoU': 65.0}
    ClassScalarsHook(metrics=('IoU', )).after_test_epoch(runner, {})
    assert 'test/IoU.background' in hub.log_scalars
    assert 'test/Acc.background' not in hub.log_scalars


def test_without_a_class_metric_it_warns_once(monkeypatch):
    from inceptionnext_seg.engine.hooks import class_scalars_hook
    said = []
    monkeypatch.setattr(class_scalars_hook, 'print_log',
                        lambda msg, **kwargs: said.append(msg))
    runner = _runner()
    hook = ClassScalarsHook()
    hook.after_val_epoch(runner, {})
    hook.after_val_epoch(runner, {})
    assert not runner.message_hub.log_scalars
    assert len(said) == 1 and "type='ClassIoUMetric'" in said[0]


def test_the_console_line_shows_the_count_and_the_names_are_known():
    line = ('Iter(val) [2/2]    aAcc: 9.1800  mIoU: 4.5900  IoU.traffic '
            'light: 0.0000  Acc.sky: 100.0000  data_time: 0.0017')
    assert condensed_metrics_line(line) == (
        'Iter(val) [2/2]    aAcc: 9.1800  mIoU: 4.5900  data_time: 0.0017  '
        "(2 per-class values: the JSON log and the visualizer's backends)")
    assert condensed_metrics_line('Iter(val) [2/2]  mIoU: 4.5') is None
    assert condensed_metrics_line('Iter(train) [2/4]  IoU.sky: 1') is None
    assert is_class_scalar('val/IoU.sky') and is_class_scalar('Acc.a b')
    assert not is_class_scalar('mIoU') and not is_class_scalar('val/aAcc')
