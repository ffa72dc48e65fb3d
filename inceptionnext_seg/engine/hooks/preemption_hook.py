"""A preempted or time-limited run loses less than one iteration (in every
config's ``custom_hooks``, so mmseg's own train.py gets it too).

On one of its signals (SIGTERM and SIGUSR1 by default: what SLURM sends at
preemption, and what ``tools/slurm_train.sh`` asks for ahead of the time
limit), every rank finishes its current iteration; the ranks agree on the
first iteration after which any of them was signalled (a max all-reduce of
one flag per iteration), the checkpoint hook writes that iteration's
checkpoint (atomically, with its retention), and the process exits with
:data:`PREEMPTED_EXIT_CODE`. The same command resumes from that checkpoint
(``auto_resume`` in ``configs/_base_/default_runtime.py``).

A second signal while the run stops is logged and ignored: it cannot
interrupt the checkpoint being written.

Under ``--launcher slurm`` inside a Slurm job, rank 0 also requeues the job
(``scontrol requeue $SLURM_JOB_ID``) once the checkpoint is written and
before the ranks leave the barrier, as PyTorch Lightning and submitit do:
the requeued job, the same command, resumes from that checkpoint. The
decision is not left to the job script reading srun's exit status: with
``srun --kill-on-bad-exit=1`` the first rank to exit with 75 makes srun
kill the others, still shutting down, and srun then reports their 143.
"""
import functools
import multiprocessing
import os
import shutil
import signal
import subprocess
import threading
from typing import Callable, Dict, List, Optional, Sequence

import torch
from mmengine.dist import all_reduce, barrier, is_distributed
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log
from mmseg.registry import HOOKS

__all__ = ['PreemptionHook', 'PREEMPTED_EXIT_CODE', 'worker_init_fn']

#: The exit status of a run stopped by a signal with its checkpoint written:
#: EX_TEMPFAIL of sysexits.h ("try again later"); tools/slurm_train.sh
#: requeues the job on it.
PREEMPTED_EXIT_CODE = 75


#: The signals of the PreemptionHook built last in this process, and a flag
#: in memory shared with the dataloader workers forked from it: while it is
#: set (the run is training) the workers leave those signals to the main
#: process (see :func:`worker_init_fn`).
_WORKER_SIGNALS: List[int] = []
_SHIELD = None


def _worker_signal(signum, frame) -> None:
    if _SHIELD is not None and _SHIELD.value:
        return  # the main process stops the run, then shuts this worker down
    # Not training (testing, or the main process ends and multiprocessing's
    # exit handler terminates its persistent workers): end the worker as
    # torch's own handler does on its parent's SIGTERM, with status 0. Dying
    # of the signal would make torch's SIGCHLD check in the main process
    # raise "DataLoader worker ... is killed by signal: Terminated" at
    # every exit of a run with workers (tools/misc/demo.py's test pins it).
    os._exit(0)


def _worker_init(worker_id: int, inner: Optional[Callable] = None) -> None:
    for signum in _WORKER_SIGNALS:
        signal.signal(signum, _worker_signal)
    if inner is not None:
        inner(worker_id)


def worker_init_fn(inner: Optional[Callable],
                   start_method: Optional[str] = None) -> Callable:
    """``inner`` (a DataLoader's ``worker_init_fn``, or None), after making
    the worker leave the PreemptionHook's signals to the main process while
    it trains: torch's workers install their own SIGTERM handler, which
    would kill them, and the main process would then stop on "DataLoader
    worker killed" instead of writing its checkpoint
    (``SegRunner.build_dataloader``). Forked workers only (the
    configs' ``mp_start_method='fork'``): ``inner`` is returned as it is for
    spawned ones, which cannot share the flag."""
    method = start_method or multiprocessing.get_start_method(
        allow_none=True) or 'fork'
    if _SHIELD is None or not _WORKER_SIGNALS or method != 'fork':
        return inner
    return functools.partial(_worker_init, inner=inner)


@HOOKS.register_module()
class PreemptionHook(Hook):
    """Stop at the end of the current iteration on a signal, with a
    checkpoint of that iteration, and exit with :data:`PREEMPTED_EXIT_CODE`.

    The handlers are installed when the hook is built (when the Runner is),
    before the dataloader workers are forked; a worker that receives the
    signal too (SLURM signals every process of a job step) ignores it
    (:func:`worker_init_fn`) and is shut down by its main process. Outside
    the training loop (building the runner, testing, after an error) a
    signal has its usual effect. With gradient accumulation the run stops at
    the end of an accumulation window (the partial gradients are not in a
    checkpoint).

    Args:
        signals: The signals to act on (names).
        exit_code: The exit status after the checkpoint is written.
    """

    priority = 'LOWEST'  # after the checkpoint hook of the same iteration

    def __init__(self, signals: Sequence[str] = ('SIGTERM', 'SIGUSR1'),
                 exit_code: int = PREEMPTED_EXIT_CODE):
        unknown = [s for s in signals
                   if not isinstance(getattr(signal, str(s), None),
                                     signal.Signals)]
        if unknown:
            raise ValueError(
                f'PreemptionHook: unknown signal(s) {unknown}; expected '
                f'names such as SIGTERM, SIGUSR1, SIGUSR2.')
        self.signals = [getattr(signal, s) for s in signals]
        self.exit_code = exit_code
        self._pid = os.getpid()
        self._training = False
        self._received: Optional[int] = None  # the first signal's number
        self._again = 0  # signals received after the first
        self._stopped_after: Optional[int] = None  # iteration
        self._previous: Dict[int, object] = {}
        global _SHIELD
        _WORKER_SIGNALS[:] = self.signals
        if _SHIELD is None:
            _SHIELD = multiprocessing.RawValue('b', 0)
        if threading.current_thread() is not threading.main_thread():
            print_log('PreemptionHook: not in the main thread, so no signal '
                      'handler can be installed; signals have their usual '
                      'effect.', logger='current', level=30)
            return
        for signum in self.signals:
            self._previous[signum] = signal.signal(signum, self._on_signal)

    # ------------------------------------------------------------ signals
    def _on_signal(self, signum, frame) -> None:
        child = os.getpid() != self._pid
        if child and _SHIELD is not None and _SHIELD.value:
            # forked while training (a dataloader worker before its own
            # handler, worker_init_fn): its main process stops it
            return
        if child or not self._training:
            # Not training, or a process forked from this one outside
            # training (a multiprocessing pool's worker that ignored
            # SIGTERM would hang the pool's terminate()): the signal's
            # usual effect.
            signal.signal(signum, self._previous.get(signum, signal.SIG_DFL))
            os.kill(os.getpid(), signum)
            return
        if self._received is None:
            self._received = signum
        else:
            self._again += 1

    def release(self) -> None:
        """Give the signals back their previous handlers (at the end of the
        run, also after an error: ``SegRunner.train``)."""
        self._training = False
        if _SHIELD is not None:
            _SHIELD.value = 0
        for signum, previous in self._previous.items():
            # None: a handler installed from C, which Python cannot restore.
            signal.signal(signum, signal.SIG_DFL if previous is None
                          else previous)
        self._previous = {}

    # -------------------------------------------------------------- hooks
    def before_train(self, runner) -> None:
        self._training = True
        if _SHIELD is not None:
            _SHIELD.value = 1
        if not type(runner.train_loop).__name__.startswith('IterBased'):
            runner.logger.warning(
                f'PreemptionHook: {type(runner.train_loop).__name__} checks '
                f'for a stop only between epochs, and an epoch checkpoint '
                f'resumes at the next epoch: a signal stops this run at the '
                f'end of its epoch.')

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if self._stopped_after is not None:
            return
        flag = torch.tensor([0 if self._received is None else 1])
        if is_distributed():
            all_reduce(flag, op='max')
        if not int(flag.item()):
            return
        optim_wrapper = getattr(runner, 'optim_wrapper', None)
        if hasattr(optim_wrapper, 'should_update') and \
                not optim_wrapper.should_update():
            return  # within an accumulation window: stop at its end
        step = runner.iter + 1
        name = (signal.Signals(self._received).name if self._received
                else 'a signal on another rank')
        runner.logger.info(
            f'Stopping on {name} after iteration {step}: writing its '
            f'checkpoint.')
        self._stopped_after = step
        checkpoint = self._checkpoint_hook(runner)
        last = runner.message_hub.get_info('last_ckpt')
        if checkpoint is not None and not (
                last and os.path.basename(str(last)) ==
                checkpoint.filename_tmpl.format(step)):
            checkpoint._save_checkpoint(runner)  # noqa: SLF001 (pinned)
        if checkpoint is not None and runner.rank == 0 and \
                getattr(runner, 'launcher', 'none') == 'slurm':
            # Before the barrier: no rank exits (and srun kills none of
            # them) until the job is requeued.
            self._requeue_slurm_job(runner)
        if is_distributed():
            barrier()  # rank 0 writes: no rank exits before it is written
        runner.train_loop.stop_training = True

    def after_run(self, runner) -> None:
        self.release()
        if self._stopped_after is None:
            return
        if self._again:
            runner.logger.info(
                f'{self._again} more signal(s) received while stopping: '
                f'ignored, the checkpoint was written whole.')
        last = runner.message_hub.get_info('last_ckpt')
        runner.logger.info(
            f'Stopped after iteration {self._stopped_after} of '
            f'{runner.max_iters}; checkpoint: {last}. Run the same command '
            f'again to resume from it (exit status {self.exit_code}).')
        raise SystemExit(self.exit_code)

    # ------------------------------------------------------------ helpers
    @staticmethod
    def _requeue_slurm_job(runner) -> None:
        """``scontrol requeue`` this Slurm job, saying what happened."""
        job = os.environ.get('SLURM_JOB_ID')
        scontrol = shutil.which('scontrol')
        if not job or not scontrol:
            runner.logger.warning(
                'PreemptionHook: not requeued (no SLURM_JOB_ID or no '
                'scontrol here): run the same command again to resume.')
            return
        done = subprocess.run([scontrol, 'requeue', job],
                              capture_output=True, text=True, timeout=60)
        if done.returncode == 0:
            runner.logger.info(
                f'Requeued Slurm job {job}: it resumes from this checkpoint '
                f'when it starts again.')
        else:
            runner.logger.warning(
                f'scontrol requeue {job} failed ('
                f'{(done.stderr or done.stdout).strip() or done.returncode}; '
                f'a job submitted without --requeue, or not a batch job): '
                f'run the same command again to resume.')

    @staticmethod
    def _checkpoint_hook(runner) -> Optional[CheckpointHook]:
        hooks = [h for h in runner.hooks if isinstance(h, CheckpointHook)]
        if not hooks:
            runner.logger.warning(
                'PreemptionHook: no CheckpointHook in this run, so no '
                'checkpoint is written before stopping.')
            return None
        return hooks[0]
