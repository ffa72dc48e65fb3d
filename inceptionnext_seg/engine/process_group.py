"""What a run does around its process group, on GPUs and CPUs alike, for
every entry point (the runner of the configs, ``SegRunner``, and
this project's tools before they build it):

* unusable GPUs are refused **before** the group starts
  (:func:`stop_if_gpus_unusable`): under torchrun or Slurm, NCCL would
  otherwise start, broadcast and fail with a CUDA error first, and on a
  machine whose driver is too old for this torch the launcher's own
  complaint ("--launcher slurm needs CUDA here") would hide the cause;
* each launcher's local rank (:func:`set_local_rank`): mmengine's ``mpi``
  launcher binds the GPU from ``OMPI_COMM_WORLD_LOCAL_RANK`` but its DDP
  wrapper reads ``LOCAL_RANK``, which mmseg's train.py (and ours) set to 0 on
  every rank;
* the group is ended at exit after a run that ended cleanly
  (:func:`end_process_group_at_exit`, :func:`run_ended_cleanly`): an NCCL
  group left to the interpreter's teardown warns on every rank at every
  exit. After a failure it is left alone: ending an NCCL group while
  another rank is stuck in a collective can hang.
"""
import atexit
import os
from typing import MutableMapping, Optional

import torch.distributed as dist

from ..environment import SKIP_VARIABLE, EnvironmentProblem, cuda_problem

__all__ = ['stop_if_gpus_unusable', 'set_local_rank',
           'end_process_group_at_exit', 'run_ended_cleanly',
           'MPI_LOCAL_RANK_VARIABLES']

#: Where MPI implementations put a process's rank on its node: Open MPI,
#: MVAPICH2, Intel MPI / MPICH (Hydra).
MPI_LOCAL_RANK_VARIABLES = ('OMPI_COMM_WORLD_LOCAL_RANK',
                            'MV2_COMM_WORLD_LOCAL_RANK', 'MPI_LOCALRANKID')

_state = dict(registered=False, clean=False)


def stop_if_gpus_unusable() -> None:
    """Raise when this machine's NVIDIA GPUs cannot be used by this torch
    (:func:`~inceptionnext_seg.environment.cuda_problem`), unless
    ``INCEPTIONNEXT_SKIP_ENV_CHECK=1``.

    Raises:
        EnvironmentProblem: naming the driver or architecture and the fix.
    """
    if os.environ.get(SKIP_VARIABLE) == '1':
        return
    problem = cuda_problem()
    if problem:
        raise EnvironmentProblem(
            f'{problem}\n(Set {SKIP_VARIABLE}=1 to go on anyway.)')


def set_local_rank(launcher: str,
                   environ: Optional[MutableMapping[str, str]] = None
                   ) -> None:
    """Set ``LOCAL_RANK`` from what the launcher provides.

    ``pytorch`` (torchrun) sets it itself and mmengine's ``slurm`` launcher
    sets it from ``SLURM_PROCID``; for ``mpi`` it comes from the MPI
    implementation's variable, overriding the 0 that a tool's
    ``--local-rank`` default put there.
    """
    environ = os.environ if environ is None else environ
    if launcher == 'mpi':
        for name in MPI_LOCAL_RANK_VARIABLES:
            if name in environ:
                environ['LOCAL_RANK'] = environ[name]
                return
        raise EnvironmentProblem(
            f'--launcher mpi: none of {", ".join(MPI_LOCAL_RANK_VARIABLES)} '
            f'is set, so this process cannot tell which GPU of its node is '
            f'its own. Start it with mpirun/mpiexec (Open MPI, MVAPICH2, '
            f'Intel MPI), or use --launcher pytorch (tools/dist_train.sh).')
    environ.setdefault('LOCAL_RANK', '0')


def end_process_group_at_exit() -> None:
    """End the default process group when the interpreter exits, if the
    last run ended cleanly (:func:`run_ended_cleanly`). Registered once per
    process."""
    if not _state['registered']:
        atexit.register(_end_process_group)
        _state['registered'] = True


def run_ended_cleanly(clean: bool = True) -> None:
    """Record whether the run that just ended did so in step on every rank
    (finished, or stopped by the PreemptionHook after its barrier)."""
    _state['clean'] = clean


def _end_process_group() -> None:
    if _state['clean'] and dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
