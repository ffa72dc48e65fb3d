"""Plain checkpoints (``to_plain``/``from_plain``) on every device."""
import numpy as np
import torch
from mmengine.logging import HistoryBuffer

from inceptionnext_seg.checkpoint.writing import from_plain, to_plain
from tests.helpers.cuda_standin import cuda_like


def _message_hub_state():
    buffer = HistoryBuffer()
    for value in (1.5, 2.5, 4.0):
        buffer.update(value)
    return dict(log_scalars={'train/loss': buffer},
                runtime_info={'iter': 7, 'seed': np.int64(3)})


def test_round_trip_restores_history_buffers():
    plain = to_plain(_message_hub_state())
    assert isinstance(plain['log_scalars']['train/loss']['log'], torch.Tensor)
    assert plain['runtime_info']['seed'] == 3
    back = from_plain(plain)['log_scalars']['train/loss']
    assert isinstance(back, HistoryBuffer)
    assert back.mean() == np.mean([1.5, 2.5, 4.0])
    assert back.data[1].tolist() == [1, 1, 1]


def test_buffers_loaded_to_a_gpu_are_restored():
    """mmengine's resume loads to ``get_device()``: on a GPU machine the
    stored buffers' tensors arrive on CUDA, where ``.numpy()`` refuses."""
    plain = cuda_like(to_plain(_message_hub_state()))
    log = plain['log_scalars']['train/loss']['log']
    assert log.is_cuda  # the stand-in answers as a CUDA tensor
    back = from_plain(plain)['log_scalars']['train/loss']
    assert isinstance(back, HistoryBuffer)
    assert back.current() == 4.0 and back.data[0].dtype == np.float64
