"""Speed switches for training and inference, each kept because
`tools/benchmark.py` shows it pays (see the README's speed table).

* ``ChannelsLastSegDataPreProcessor``: mmseg's data preprocessor that hands
  the batch to the model in channels-last memory format; convolutions keep
  that format through the backbone, neck and heads.
* ``BF16OptimWrapper``: bf16 autocast for training where fp16 AMP with a
  loss scaler is not needed or not available (CPUs with AVX512-BF16/AMX,
  Ampere+ GPUs). ``tools/train.py --amp`` picks it on CPUs.
"""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS
from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS


@MODELS.register_module()
class ChannelsLastSegDataPreProcessor(SegDataPreProcessor):
    """``SegDataPreProcessor`` returning channels-last (NHWC-strided) inputs.

    Switch a config to it with
    ``model = dict(data_preprocessor=dict(type='ChannelsLastSegDataPreProcessor'))``.
    Results are unchanged; only the memory layout differs.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        data = super().forward(data, training)
        data['inputs'] = data['inputs'].contiguous(
            memory_format=torch.channels_last)
        return data


def bf16_supported(device: str) -> bool:
    """Whether bf16 autocast runs natively on ``device`` ('cpu' or 'cuda').

    torch has no public query for the CPU: ``torch.backends.cpu.
    get_cpu_capability()`` names the vector ISA (AVX2, AVX512) but not
    AVX512-BF16/AMX. oneDNN's own answer, the private
    ``torch.ops.mkldnn._is_mkldnn_bf16_supported`` (torch 1.12 to today),
    is what decides whether bf16 kernels run natively;
    tests/test_speed.py pins that it exists and returns a bool. Should a
    torch drop it, this answers False (fp32), never an error.
    """
    if device.startswith('cuda'):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    query = getattr(torch.ops.mkldnn, '_is_mkldnn_bf16_supported', None)
    return bool(torch.backends.mkldnn.is_available() and query is not None
                and query())


@OPTIM_WRAPPERS.register_module()
class BF16OptimWrapper(OptimWrapper):
    """OptimWrapper that runs the forward pass under bf16 autocast.

    bf16 keeps fp32's exponent range, so no loss scaling is needed; the
    parameters, gradients and optimizer state stay fp32.
    """

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        device = next(model.parameters()).device.type
        with super().optim_context(model), torch.autocast(
                device_type=device, dtype=torch.bfloat16):
            yield
