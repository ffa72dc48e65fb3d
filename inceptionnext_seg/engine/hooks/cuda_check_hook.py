"""Stop a run before it starts when this machine's NVIDIA GPUs cannot be used
by this torch (in every config's ``custom_hooks``)."""
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ..process_group import stop_if_gpus_unusable

__all__ = ['CudaCheckHook']


@HOOKS.register_module()
class CudaCheckHook(Hook):
    """Stop before the run when this machine's NVIDIA GPUs cannot be used
    by this torch (a driver too old for its CUDA, a GPU it was not built
    for), instead of training on the CPU or failing at the first kernel.
    See :func:`inceptionnext_seg.environment.cuda_problem`. The configs'
    runner (``SegRunner``) checks the same before its process group
    starts; this hook is for a plain mmengine ``Runner`` built from a
    config."""

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        stop_if_gpus_unusable()
