"""Stop a run before it starts when this machine's NVIDIA GPUs cannot be used
by this torch (in every config's ``custom_hooks``)."""
import os

from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ...environment import SKIP_VARIABLE, EnvironmentProblem, cuda_problem

__all__ = ['CudaCheckHook']


@HOOKS.register_module()
class CudaCheckHook(Hook):
    """Stop before the run when this machine's NVIDIA GPUs cannot be used
    by this torch (a driver too old for its CUDA, a GPU it was not built
    for), instead of training on the CPU or failing at the first kernel.
    See :func:`inceptionnext_seg.environment.cuda_problem`."""

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        if os.environ.get(SKIP_VARIABLE) == '1':
            return
        problem = cuda_problem()
        if problem:
            raise EnvironmentProblem(
                f'{problem}\n(Set {SKIP_VARIABLE}=1 to go on anyway.)')
