"""Running the GPU recipes' distributed code on machines without CUDA.

With CUDA nothing here is used: mmengine launches, wraps and synchronises as
mmseg users know. Without CUDA, mmengine 0.10's ``pytorch`` launcher still
calls ``torch.cuda.set_device`` and its DDP wrapper passes ``device_ids``, and
SyncBN cannot synchronise CPU tensors; :func:`use_cpu_processes` (what
``tools/train.py`` / ``tools/test.py`` do for ``--launcher pytorch``) starts
the process group on gloo and selects :class:`CPUDistributedDataParallel`.
A single process needs none of this: mmengine turns SyncBN into BN itself when
training is not distributed.
"""
import atexit
import os
from datetime import timedelta

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel, revert_sync_batchnorm
from mmseg.registry import MODEL_WRAPPERS

from .process_group import stop_if_gpus_unusable

__all__ = ['CPUDistributedDataParallel', 'use_cpu_processes',
           'end_cpu_processes']


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """mmengine's DDP wrapper for processes without a GPU.

    SyncBN layers become BN (statistics per process; said once in the log),
    and the ``device_ids=[LOCAL_RANK]`` that mmengine's Runner passes, which
    DDP rejects for CPU modules, are dropped.
    """

    def __init__(self, module, device_ids=None, **kwargs):
        if any(isinstance(m, torch.nn.SyncBatchNorm)
               for m in module.modules()):
            print_log('No CUDA device: using BN instead of SyncBN (SyncBN '
                      'needs CUDA); statistics are per process.',
                      logger='current')
        kwargs.setdefault('broadcast_buffers', False)
        super().__init__(module=revert_sync_batchnorm(module),
                         device_ids=None, **kwargs)


def use_cpu_processes(cfg: Config, launcher: str) -> None:
    """Start ``torch.distributed`` on gloo for ``--launcher pytorch`` on a
    machine without CUDA, and wrap the model with
    :class:`CPUDistributedDataParallel`. Does nothing with CUDA or without a
    launcher.

    Raises:
        EnvironmentProblem: Where GPUs are present but unusable by this
            torch (the cause, not a launcher complaint).
        SystemExit: For the ``slurm`` and ``mpi`` launchers without CUDA.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return
    stop_if_gpus_unusable()  # a GPU machine whose driver this torch can't use
    if launcher != 'pytorch':
        raise SystemExit(f'--launcher {launcher} needs CUDA here; on CPU use '
                         f'--launcher pytorch (tools/dist_train.sh).')
    cfg.env_cfg = cfg.get('env_cfg', {})
    cfg.env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    # Scoped: mmengine's Runner looks the wrapper up with ``get`` on its root
    # registry, which finds mmseg's entries only by their scope.
    cfg.model_wrapper_cfg = dict(type='mmseg.CPUDistributedDataParallel')
    os.environ.setdefault('LOCAL_RANK', '0')
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
        # The group started here is ended here (end_cpu_processes; at exit
        # if a run failed): left to the C++ static destructors, gloo's
        # threads can abort the process ("terminate called without an
        # active exception", seen with torch 2.14 after finished runs).
        atexit.register(_destroy_process_group)


def end_cpu_processes(timeout_s: float = 300) -> None:
    """After a finished run: wait until every process is done (a process
    that leaves while another still writes its checkpoints or draws, and
    destroys its group first, was seen to abort at exit), then end the
    group :func:`use_cpu_processes` started. Does nothing otherwise."""
    if not dist.is_initialized() or dist.get_backend() != 'gloo':
        return
    try:
        dist.monitored_barrier(timeout=timedelta(seconds=timeout_s))
    finally:
        dist.destroy_process_group()


def _destroy_process_group() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()
