"""``randomness.deterministic=True`` that runs on GPUs.

mmengine turns it into ``torch.use_deterministic_algorithms(True)``, which
makes torch raise in the CUDA backward of ``AdaptiveAvgPool2d`` (UPerHead's
pyramid pooling) and of bilinear ``interpolate`` (mmseg's resize of the
logits), and in every cuBLAS matmul unless ``CUBLAS_WORKSPACE_CONFIG`` is set
before cuBLAS starts: the documented exact-resume recipe would crash at the
first iteration on any GPU. :func:`deterministic_on_cuda` keeps every
deterministic kernel and makes those few warn instead of raise; on a GPU a
resumed run therefore equals an uninterrupted one up to the rounding of
those atomics-based kernels (on CPUs, exactly).
"""
import os

import torch
from mmengine.logging import print_log

__all__ = ['deterministic_on_cuda', 'CUBLAS_WORKSPACE']

#: cuBLAS's deterministic workspace setting (CUDA >= 10.2 needs one).
CUBLAS_WORKSPACE = ':4096:8'


def deterministic_on_cuda() -> bool:
    """After mmengine's ``set_random_seed(deterministic=True)``: on a CUDA
    machine, set cuBLAS's workspace (unless set) and let the kernels
    without a deterministic CUDA implementation warn instead of raise.

    Returns:
        Whether anything was changed (False without CUDA).
    """
    if not torch.cuda.is_available():
        return False
    os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', CUBLAS_WORKSPACE)
    torch.use_deterministic_algorithms(True, warn_only=True)
    print_log(
        'randomness.deterministic=True on CUDA: deterministic kernels '
        'everywhere they exist; the CUDA backward of AdaptiveAvgPool2d and '
        'of bilinear interpolation have none and run with a warning '
        '(resumed runs equal uninterrupted ones up to their rounding). '
        f'CUBLAS_WORKSPACE_CONFIG={os.environ["CUBLAS_WORKSPACE_CONFIG"]}.',
        logger='current')
    return True
