"""bf16 autocast for training where fp16 AMP with a loss scaler is not
needed or not available (CPUs with AVX512-BF16/AMX, Ampere+ GPUs);
``tools/train.py --amp`` picks it where bf16 is native
(:func:`inceptionnext_seg.engine.mixed_precision.amp_optim_wrapper`)."""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from mmseg.registry import OPTIM_WRAPPERS

__all__ = ['BF16OptimWrapper']


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
