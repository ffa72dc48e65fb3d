"""``SegRunner``: mmengine's ``Runner`` with this project's run policies,
one module each (see the package docstring); everything else is
mmengine's. Registered in mmseg's ``RUNNERS`` as ``SegRunner`` and, for the
configs written before it was named for what it is, ``ReadableLogRunner``.
"""
from typing import Optional

from mmengine.runner import Runner
from mmseg.registry import RUNNERS

from ..compile import compile_run
from ..determinism import deterministic_on_cuda
from ..hooks.preemption_hook import PREEMPTED_EXIT_CODE
from ..hooks.training_time_hook import TrainingTimeHook
from ..process_group import (end_process_group_at_exit, run_ended_cleanly,
                             set_local_rank, stop_if_gpus_unusable)
from .checkpoint_metadata import checkpoint_meta
from .config_keys import check_config_keys
from .config_text import text_once
from .console_digest import (digest_console, last_validation, log_file_of,
                             run_summary, files_of_test_run,
                             training_files)
from .preemption_release import release_preemption_hooks
from .pretrained_fetch import fetch_pretrained_weights
from .preemption_workers import preemption_safe_workers
from .training_start import load_or_resume
from .worker_count import workers_for_this_machine

__all__ = ['SegRunner', 'ReadableLogRunner']


@RUNNERS.register_module()
class SegRunner(Runner):
    """mmengine's ``Runner`` that

    - starts where :mod:`.training_start` says (``auto_resume``);
    - builds dataloaders whose workers leave the preemption signals to the
      main process (:mod:`.preemption_workers`), no more of them than the
      CPUs it may use (:mod:`.worker_count`);
    - records the training config in each checkpoint
      (:mod:`.checkpoint_metadata`);
    - gives the preemption hooks' signals back after training, also after
      an error (:mod:`.preemption_release`);
    - shows a digest on the console and a summary at the end
      (:mod:`.console_digest`);
    - refuses unusable GPUs before its process group starts, takes the
      ``mpi`` launcher's local rank from MPI, and ends the group at exit
      after a clean run (:mod:`..process_group`);
    - runs ``randomness.deterministic=True`` on CUDA
      (:mod:`..determinism`);
    - refuses a config key that nothing reads (``--cfg-options
      max_iters=4``), naming the key to set, and warns about a scheduler
      that outlasts the run (:mod:`.config_keys`);
    - fetches the backbone's ImageNet weights before training builds
      anything, stopping in one paragraph when they cannot be had
      (:mod:`.pretrained_fetch`), and says how long the training will
      take after its second iteration (``TrainingTimeHook``);
    - compiles the segmentor's backbone and heads for the config's
      ``compile`` rather than mmengine's whole ``train_step``, for
      training, validation and testing (:func:`..compile.compile_run`);
    - formats its config's text once rather than for the log, the dumps
      and every checkpoint (:mod:`.config_text`).

    Args: as mmengine's ``Runner``.
    """

    #: whether ``train()`` is running: ``auto_resume`` applies to training
    _training_run = False

    @property
    def cfg(self):
        """The run's config (mmengine's ``Runner`` sets its own copy in
        ``__init__``), as a :class:`.config_text.TextOnceConfig`."""
        return self._seg_cfg

    @cfg.setter
    def cfg(self, cfg) -> None:
        self._seg_cfg = text_once(cfg)

    @classmethod
    def from_cfg(cls, cfg) -> 'SegRunner':
        """mmengine's, after :func:`.config_keys.check_config_keys`: before
        anything is built."""
        check_config_keys(cfg)
        return super().from_cfg(cfg)

    def setup_env(self, env_cfg: dict) -> None:
        """mmengine's (the process group, multiprocessing), after the
        checks that must come before the group starts."""
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

    def build_logger(self, *args, **kwargs):
        logger = super().build_logger(*args, **kwargs)
        digest_console(logger)
        return logger

    @property
    def log_file(self) -> Optional[str]:
        """The run's complete log: the file mmengine's logger writes
        (``<log dir>/<time>.log``, or per rank in some distributed runs;
        None on a rank that writes none)."""
        return log_file_of(self.logger)

    def resume(self, filename: str, resume_optimizer: bool = True,
               resume_param_scheduler: bool = True,
               map_location='cpu') -> None:
        """mmengine's, reading the checkpoint to the CPU (mmengine's default
        reads it to the GPU): the weights and optimizer state are then
        moved to the parameters' device by ``load_state_dict``, except the
        optimizers' ``step`` counts, which torch keeps on the CPU; read to
        a GPU they stay there and AdamW synchronises with the GPU for every
        parameter at every step after a resume."""
        super().resume(filename, resume_optimizer, resume_param_scheduler,
                       map_location)

    def _maybe_compile(self, target: str) -> None:
        """Called by mmengine's ``train()`` (with ``'train_step'``) where it
        would compile that method: compiles the segmentor's parts instead
        (a private mmengine hook; tests/test_engine/test_compile.py pins
        that mmengine calls it)."""
        compile_run(self)

    def load_or_resume(self) -> None:
        load_or_resume(self, training=self._training_run)
        if not self._training_run:
            # test() and val(), which mmengine compiles nothing for: after
            # the hooks' before_run (EMAHook copies the model there) and
            # the checkpoint; training compiles in _maybe_compile
            compile_run(self)

    @staticmethod
    def build_dataloader(dataloader, seed=None, diff_rank_seed=False):
        return preemption_safe_workers(Runner.build_dataloader(
            workers_for_this_machine(dataloader), seed, diff_rank_seed))

    def save_checkpoint(self, out_dir, filename, *args, meta=None, **kwargs):
        return super().save_checkpoint(out_dir, filename, *args,
                                       meta=checkpoint_meta(self.cfg, meta),
                                       **kwargs)

    def train(self):
        self._training_run = True
        fetch_pretrained_weights(self.model)
        if not any(isinstance(hook, TrainingTimeHook) for hook in self.hooks):
            self.register_hook(TrainingTimeHook(), priority='VERY_LOW')
        run_ended_cleanly(False)
        try:
            model = super().train()
        except SystemExit as stop:  # the PreemptionHook's, after its barrier
            run_ended_cleanly(stop.code == PREEMPTED_EXIT_CODE)
            raise
        finally:
            release_preemption_hooks(self.hooks)
        run_ended_cleanly()
        self.logger.info(run_summary(
            'Training done', last_validation(self.message_hub),
            training_files(self.hooks, self.work_dir), self.work_dir,
            self.log_file))
        return model

    def val(self) -> dict:
        run_ended_cleanly(False)
        metrics = super().val()
        run_ended_cleanly()
        return metrics

    def test(self) -> dict:
        run_ended_cleanly(False)
        metrics = super().test()
        run_ended_cleanly()
        self.logger.info(run_summary(
            'Test done', metrics, files_of_test_run(self.cfg, self.hooks),
            self.work_dir, self.log_file))
        return metrics


#: The former name, which configs may still give as ``runner_type``.
ReadableLogRunner = SegRunner
RUNNERS.register_module(name='ReadableLogRunner', module=SegRunner)
