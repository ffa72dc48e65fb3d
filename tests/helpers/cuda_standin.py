"""Stand-ins for a GPU on a machine without one, so that the code paths that
differ on CUDA run in the CPU suite (the project's GPU paths must not meet
CUDA for the first time on a user's machine).

* :class:`CudaLikeTensor`: a CPU tensor that answers as a CUDA tensor does
  for the calls that differ: ``.numpy()`` (and so ``np.asarray``) refuses
  with torch's own message, ``.device`` and ``.is_cuda`` say CUDA, and
  ``.cpu()`` / ``.to('cpu')`` / ``.to(device=cpu_param.device)`` give a plain
  CPU tensor. What it cannot show: a kernel that mixes devices (it computes
  on the CPU), CUDA's memory and speed.
* :func:`cuda_like`: every tensor of a (nested) checkpoint made CUDA-like,
  as ``torch.load(map_location='cuda')`` delivers them.
* :func:`loader_on_cuda`: mmengine's checkpoint loader (the project's) made
  to deliver CUDA-like tensors when asked for ``map_location='cuda'``, as it
  does on a GPU machine (mmengine's ``Runner.resume`` asks for
  ``get_device()``).
"""
from contextlib import contextmanager
from typing import Any

import torch

__all__ = ['CudaLikeTensor', 'cuda_like', 'loader_on_cuda']

_CUDA = torch.device('cuda', 0)


def _plain(tensor: torch.Tensor) -> torch.Tensor:
    with torch._C.DisableTorchFunctionSubclass():
        return tensor.as_subclass(torch.Tensor)


def _to_cpu(args, kwargs) -> bool:
    """Whether a ``Tensor.to`` call moves to the CPU."""
    target = kwargs.get('device')
    for arg in args[1:]:
        if isinstance(arg, (str, torch.device)):
            target = arg
        elif isinstance(arg, torch.Tensor):
            target = arg.device
    return target is not None and torch.device(target).type == 'cpu'


class CudaLikeTensor(torch.Tensor):
    """A tensor that behaves as one on ``cuda:0`` for ``.numpy()``,
    ``.device``, ``.is_cuda``, ``.cpu()`` and ``.to(cpu)``."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, '__name__', '')
        if func is torch.Tensor.numpy or name == '__array__':
            raise TypeError(
                f"can't convert {_CUDA} device type tensor to numpy. Use "
                f'Tensor.cpu() to copy the tensor to host memory first.')
        if func is torch.Tensor.cpu or (func is torch.Tensor.to
                                        and _to_cpu(args, kwargs)):
            return _plain(args[0]).to(*args[1:], **kwargs) \
                if func is torch.Tensor.to else _plain(args[0]).clone()
        owner = getattr(func, '__self__', None)  # a property's __get__
        if owner is torch.Tensor.device:
            return _CUDA
        if owner is torch.Tensor.is_cuda:
            return True
        return super().__torch_function__(func, types, args, kwargs)


def cuda_like(obj: Any) -> Any:
    """``obj`` with every tensor in it (dicts, lists, tuples) CUDA-like."""
    if isinstance(obj, torch.Tensor):
        return obj.as_subclass(CudaLikeTensor)
    if isinstance(obj, dict):
        return type(obj)((k, cuda_like(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(cuda_like(v) for v in obj)
    return obj


@contextmanager
def loader_on_cuda(monkeypatch):
    """Within: the project's checkpoint loader reads to the CPU but hands
    out CUDA-like tensors when mmengine asks for a CUDA ``map_location``,
    and mmengine's ``Runner.resume`` asks for one, as its
    ``map_location='default'`` (``get_device()``) does on a GPU machine for
    a plain mmengine ``Runner`` built from a config (``SegRunner`` asks for
    the CPU). (The model itself stays on
    the CPU: only what is read from the checkpoint is CUDA-like.)"""
    from mmengine.runner import Runner

    from inceptionnext_seg.checkpoint import mmengine_loader
    real = mmengine_loader.read_checkpoint

    def read(path, map_location='cpu'):
        if str(map_location).startswith('cuda'):
            return cuda_like(real(path, 'cpu'))
        return real(path, map_location)

    real_resume = Runner.resume

    def resume(self, filename, resume_optimizer=True,
               resume_param_scheduler=True, map_location='default'):
        return real_resume(self, filename, resume_optimizer,
                           resume_param_scheduler, 'cuda')

    with monkeypatch.context() as patch:
        patch.setattr(mmengine_loader, 'read_checkpoint', read)
        patch.setattr(Runner, 'resume', resume)
        yield
