"""The runner's environment on every device: what ``ReadableLogRunner``
(``runner_type`` in every config, so mmseg's own tools get it too) adds to
mmengine's ``setup_env`` and ``set_randomness``.

* before the process group starts: unusable GPUs refused with the cause,
  the local rank of the ``mpi`` launcher (:mod:`.process_group`);
* after it started: ended at exit once a run ended cleanly;
* ``randomness.deterministic=True`` that runs on CUDA (:mod:`.determinism`).
"""
from .determinism import deterministic_on_cuda
from .process_group import (end_process_group_at_exit, run_ended_cleanly,
                            set_local_rank, stop_if_gpus_unusable)

__all__ = ['RunEnvironmentMixin']


class RunEnvironmentMixin:
    """For a subclass of mmengine's ``Runner`` (listed before it)."""

    def setup_env(self, env_cfg: dict) -> None:
        stop_if_gpus_unusable()
        if self.distributed:
            set_local_rank(self.launcher)
        super().setup_env(env_cfg)
        if self.distributed:
            end_process_group_at_exit()

    def set_randomness(self, seed, diff_rank_seed: bool = False,
                       deterministic: bool = False) -> None:
        super().set_randomness(seed, diff_rank_seed, deterministic)
        if deterministic:
            deterministic_on_cuda()

    def train(self):
        run_ended_cleanly(False)
        try:
            model = super().train()
        except SystemExit as stop:  # the PreemptionHook's, after its barrier
            run_ended_cleanly(stop.code == _preempted_exit_code())
            raise
        run_ended_cleanly()
        return model

    def val(self):
        run_ended_cleanly(False)
        metrics = super().val()
        run_ended_cleanly()
        return metrics

    def test(self):
        run_ended_cleanly(False)
        metrics = super().test()
        run_ended_cleanly()
        return metrics


def _preempted_exit_code() -> int:
    from .hooks.preemption_hook import PREEMPTED_EXIT_CODE
    return PREEMPTED_EXIT_CODE
