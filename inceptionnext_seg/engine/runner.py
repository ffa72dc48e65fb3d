"""mmengine's Runner with a console people read and the project's choice of
where training starts (``runner_type`` in
``configs/_base_/default_runtime.py``, so mmseg's own train.py and test.py
use it too): long blocks digested on the console
(:class:`~.console_log.DigestFormatter`; the log file keeps everything), at
the end of training or testing a summary of the final metrics and of where
the files are, and ``auto_resume`` (:mod:`.auto_resume`)."""
import logging
import numbers
import os.path as osp
from typing import Dict, List, Optional

from mmengine.hooks import CheckpointHook
from mmengine.runner import Runner
from mmseg.registry import RUNNERS

from .auto_resume import choose_start, training_record
from .console_log import DigestFormatter, LibraryNoticeFilter
from .hooks.preemption_hook import PreemptionHook, worker_init_fn
from .run_environment import RunEnvironmentMixin

__all__ = ['ReadableLogRunner']

RULE = '=' * 72


def _file_of(logger) -> Optional[str]:
    """The file a logger writes, if it has a file handler."""
    for handler in getattr(logger, 'handlers', []):
        if isinstance(handler, logging.FileHandler):
            return handler.baseFilename
    return None


@RUNNERS.register_module()
class ReadableLogRunner(RunEnvironmentMixin, Runner):
    """``Runner`` whose console shows what a person reads (see the module
    docstring), on every device (:class:`~.run_environment.
    RunEnvironmentMixin`); everything else is mmengine's."""

    def build_logger(self, *args, **kwargs):
        logger = super().build_logger(*args, **kwargs)
        log_file = _file_of(logger)
        for handler in logger.handlers if log_file else ():
            if isinstance(handler, logging.StreamHandler) and not \
                    isinstance(handler, logging.FileHandler) and not \
                    isinstance(handler.formatter, DigestFormatter):
                handler.setFormatter(DigestFormatter(
                    handler.formatter, log_file))
                handler.addFilter(LibraryNoticeFilter())
        return logger

    @property
    def log_file(self) -> Optional[str]:
        """The run's complete log: the file mmengine's logger writes
        (``<log dir>/<time>.log``, or per rank in some distributed runs;
        None on a rank that writes none)."""
        return _file_of(self.logger)

    def load_or_resume(self) -> None:
        """Resume or load as :func:`~.auto_resume.choose_start` decides
        (``auto_resume`` in training only: a test run loads ``load_from``)."""
        if self._has_loaded:
            return
        start = choose_start(
            bool(self.cfg.get('resume', False)),
            bool(self.cfg.get('auto_resume', False)) and self._training_run,
            self.cfg.get('load_from'), self.work_dir, self.cfg)
        if start.note:
            self.logger.info(start.note)
        if start.resume_from is not None:
            self.resume(start.resume_from)
            self._has_loaded = True
        elif start.load_from is not None:
            self.load_checkpoint(start.load_from)
            self._has_loaded = True

    _training_run = False

    @staticmethod
    def build_dataloader(dataloader, seed=None, diff_rank_seed=False):
        """mmengine's, with workers that leave PreemptionHook's signals to
        the main process (torch's workers die of SIGTERM otherwise)."""
        loader = Runner.build_dataloader(dataloader, seed, diff_rank_seed)
        if loader.num_workers > 0:
            context = loader.multiprocessing_context
            loader.worker_init_fn = worker_init_fn(
                loader.worker_init_fn,
                context.get_start_method() if context else None)
        return loader

    def save_checkpoint(self, out_dir, filename, *args, meta=None, **kwargs):
        """mmengine's, with ``meta['training_config']``: the values that
        auto_resume compares (:func:`~.auto_resume.training_record`)."""
        meta = dict(meta or {}, training_config=training_record(self.cfg))
        return super().save_checkpoint(out_dir, filename, *args, meta=meta,
                                       **kwargs)

    def train(self):
        self._training_run = True
        try:
            model = super().train()
        finally:
            for hook in self.hooks:
                if isinstance(hook, PreemptionHook):
                    hook.release()
        self._summary('Training done', self._last_validation(),
                      self._training_files())
        return model

    def test(self) -> dict:
        metrics = super().test()
        evaluators = self.cfg.get('test_evaluator') or []
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        files = {'label maps': e['output_dir'] for e in evaluators
                 if isinstance(e, dict) and e.get('output_dir')}
        self._summary('Test done', metrics, files)
        return metrics

    # -------------------------------------------------------------- helpers
    def _last_validation(self) -> Dict[str, float]:
        scalars = self.message_hub.log_scalars
        return {key[len('val/'):]: scalars[key].current() for key in scalars
                if key.startswith('val/')}

    def _training_files(self) -> Dict[str, str]:
        files = {}
        for hook in self.hooks:
            if isinstance(hook, CheckpointHook):
                if getattr(hook, 'last_ckpt', None):
                    files['last checkpoint'] = hook.last_ckpt
                best = getattr(hook, 'best_ckpt_path', None)
                if best:
                    files['best checkpoint'] = best
        curves = osp.join(self.work_dir, 'training_curves.png')
        if osp.isfile(curves):
            files['training curves'] = curves
        return files

    def _summary(self, title: str, metrics: Dict, files: Dict[str, str]
                 ) -> None:
        lines: List[str] = [RULE, title]
        shown = {k: v for k, v in metrics.items()
                 if isinstance(v, numbers.Real) and 'time' not in k}
        if shown:
            lines.append('  metrics: ' + '  '.join(
                f'{k} {v:.2f}' for k, v in shown.items()))
        files = dict(files, **{'work dir': self.work_dir,
                               'full log': self.log_file})
        width = max(len(k) for k in files)
        lines += [f'  {k + ":":<{width + 1}} {v}' for k, v in files.items()]
        lines.append(RULE)
        self.logger.info('\n' + '\n'.join(lines))
