"""Resuming where mmengine loads the checkpoint to a GPU.

mmengine's ``Runner.resume`` loads with ``map_location=get_device()``: on a
GPU machine every tensor of the checkpoint arrives on CUDA, which the CPU
suite never sees. Here the project's loader hands out CUDA-like tensors
(tests/helpers/cuda_standin.py) while the runner believes its device is
CUDA, and the whole resume path runs in this process: auto-resume, the
message hub's buffers, the optimizer and schedulers, the next iterations.
"""
import argparse

from mmengine.config import DictAction
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmseg.registry import RUNNERS

from inceptionnext_seg.utils.config import load_config
from tests.helpers.cuda_standin import loader_on_cuda
from tests.helpers.faults import deterministic
from tests.helpers.tools import DEMO_CONFIG, ROOT


class _StopAfter(Hook):
    """Stops training after an iteration, as a preemption does (its
    checkpoint written by the checkpoint hook's interval)."""

    def __init__(self, iteration):
        self.iteration = iteration

    def after_train_iter(self, runner, *args, **kwargs):
        if runner.iter + 1 == self.iteration:
            runner.train_loop.stop_training = True


def _runner(data, work_dir, name, stop_after=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args(['--cfg-options', *deterministic(
        data, max_iters=4), 'train_dataloader.num_workers=0']).cfg_options
    cfg = load_config(str(ROOT / DEMO_CONFIG), options)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = name
    cfg.launcher = 'none'
    runner = RUNNERS.build(cfg)
    if stop_after:
        runner.register_hook(_StopAfter(stop_after))
    return runner


def test_auto_resume_with_the_checkpoint_loaded_to_cuda(demo_data, tmp_path,
                                                        monkeypatch):
    _runner(demo_data, tmp_path / 'parts', 'first', stop_after=2).train()
    with loader_on_cuda(monkeypatch):
        runner = _runner(demo_data, tmp_path / 'parts', 'resumed')
        runner.train()
    loss = runner.message_hub.log_scalars['train/loss']
    assert isinstance(loss, HistoryBuffer)
    assert len(loss.data[0]) == 4  # two iterations restored, two trained
    assert runner.iter == 4 and runner.message_hub.get_info('iter') == 3
    assert (tmp_path / 'parts' / 'iter_4.pth').is_file()
