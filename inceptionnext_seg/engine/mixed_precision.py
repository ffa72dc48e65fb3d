"""The mixed-precision choice of ``tools/train.py --amp``: bf16 autocast
without a loss scaler where bf16 is native (Ampere+ GPUs, CPUs with
AVX512-BF16/AMX), fp16 with mmengine's dynamic loss scaler on older GPUs."""
from typing import Optional, Tuple

import torch

__all__ = ['bf16_supported', 'amp_optim_wrapper']


def bf16_supported(device: str) -> bool:
    """Whether bf16 autocast runs natively on ``device`` ('cpu' or 'cuda').

    torch has no public query for the CPU: ``torch.backends.cpu.
    get_cpu_capability()`` names the vector ISA (AVX2, AVX512) but not
    AVX512-BF16/AMX. oneDNN's own answer, the private
    ``torch.ops.mkldnn._is_mkldnn_bf16_supported`` (torch 1.12 to today),
    is what decides whether bf16 kernels run natively;
    tests/test_engine/test_mixed_precision.py pins that it exists and
    returns a bool. Should a torch drop it, this answers False (fp32), never
    an error.
    """
    if device.startswith('cuda'):
        # Native bf16 from Ampere (compute capability 8.0) on; newer torch's
        # is_bf16_supported() also says True for emulated bf16 on older GPUs.
        return (torch.cuda.is_available()
                and torch.cuda.get_device_capability(device) >= (8, 0))
    query = getattr(torch.ops.mkldnn, '_is_mkldnn_bf16_supported', None)
    return bool(torch.backends.mkldnn.is_available() and query is not None
                and query())


def amp_optim_wrapper(optim_wrapper: dict, dtype: Optional[str] = None,
                      cuda: Optional[bool] = None) -> Tuple[dict, str]:
    """The ``optim_wrapper`` for mixed precision (``tools/train.py --amp``).

    ``dtype`` None picks: on CUDA, bf16 autocast without a loss scaler where
    the GPU has native bf16 (Ampere and newer), else fp16 with mmengine's
    ``AmpOptimWrapper`` and a dynamic loss scaler; on a CPU, bf16 where it is
    native (AVX512-BF16/AMX). ``'bf16'`` / ``'fp16'`` force the dtype.

    Returns:
        The new ``optim_wrapper`` config and a line for the log.

    Raises:
        ValueError: fp16 without CUDA, or ``--amp`` on a CPU without native
            bf16 (``dtype='bf16'`` runs it emulated, slowly).
    """
    if dtype not in (None, 'bf16', 'fp16'):
        raise ValueError(f"dtype must be 'bf16', 'fp16' or None, got "
                         f'{dtype!r}.')
    cuda = torch.cuda.is_available() if cuda is None else cuda
    device = 'cuda' if cuda else 'cpu'
    native = bf16_supported(device)
    if dtype is None:
        if not cuda and not native:
            raise ValueError(
                'Mixed precision on this CPU: it has no native bf16 '
                '(AVX512-BF16 or AMX) and fp16 needs CUDA. Train in fp32, '
                'or force emulated bf16 (slower) with --amp-dtype bf16.')
        dtype = 'bf16' if native else 'fp16'
        why = (f'{"GPU" if cuda else "CPU"} with native bf16' if native else
               'GPU without native bf16')
    else:
        why = 'asked for'
        if dtype == 'fp16' and not cuda:
            raise ValueError('fp16 mixed precision needs CUDA; on a CPU use '
                             'bf16.')
    wrapper = {k: v for k, v in optim_wrapper.items()
               if k not in ('type', 'loss_scale', 'dtype')}
    if dtype == 'bf16':
        wrapper['type'] = 'BF16OptimWrapper'
        what = 'bf16 autocast, no loss scaler (BF16OptimWrapper)'
        if not native:
            what += ', emulated on this device (slower than fp32)'
    else:
        wrapper.update(type='AmpOptimWrapper', loss_scale='dynamic')
        what = 'fp16 autocast with a dynamic loss scaler (AmpOptimWrapper)'
    return wrapper, f'Mixed precision: {what}; {why}.'
