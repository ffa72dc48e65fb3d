"""The console of a run: long blocks digested
(:class:`~..console_log.DigestFormatter` and
:class:`~..console_log.LibraryNoticeFilter` on the console handler only;
the log file keeps everything), and at the end of training or testing a
summary of the final metrics and of where the files are."""
import logging
import numbers
import os.path as osp
from typing import Dict, Iterable, List, Optional

from mmengine.hooks import CheckpointHook

from ...evaluation.class_iou_metric import is_class_scalar
from ..console_log import DigestFormatter, LibraryNoticeFilter

__all__ = ['digest_console', 'log_file_of', 'run_summary',
           'last_validation', 'training_files', 'files_of_test_run']

RULE = '=' * 72


def log_file_of(logger) -> Optional[str]:
    """The file a logger writes, if it has a file handler."""
    for handler in getattr(logger, 'handlers', []):
        if isinstance(handler, logging.FileHandler):
            return handler.baseFilename
    return None


def digest_console(logger) -> None:
    """Put the digest on ``logger``'s console handlers, once, where it also
    writes a log file (which the digest's lines point to)."""
    log_file = log_file_of(logger)
    for handler in logger.handlers if log_file else ():
        if isinstance(handler, logging.StreamHandler) and not \
                isinstance(handler, logging.FileHandler) and not \
                isinstance(handler.formatter, DigestFormatter):
            handler.setFormatter(DigestFormatter(handler.formatter, log_file))
            handler.addFilter(LibraryNoticeFilter())


def run_summary(title: str, metrics: Dict, files: Dict[str, str],
                work_dir: str, log_file: Optional[str]) -> str:
    """The end-of-run block: the numeric metrics (times left out) and the
    files, the work dir and the full log last.

    Args:
        title: its first line (``Training done``).
        metrics: the final metrics.
        files: what the run wrote, by what it is.
        work_dir: the run's work dir.
        log_file: the complete log.
    """
    lines: List[str] = [RULE, title]
    shown = {k: v for k, v in metrics.items()
             if isinstance(v, numbers.Real) and 'time' not in k}
    if shown:
        lines.append('  metrics: ' + '  '.join(
            f'{k} {v:.2f}' for k, v in shown.items()))
    files = dict(files, **{'work dir': work_dir, 'full log': log_file})
    width = max(len(k) for k in files)
    lines += [f'  {k + ":":<{width + 1}} {v}' for k, v in files.items()]
    lines.append(RULE)
    return '\n' + '\n'.join(lines)


def last_validation(message_hub) -> Dict[str, float]:
    """The last validation's metrics, from the message hub (the per-class
    scalars of ``ClassScalarsHook`` left out)."""
    scalars = message_hub.log_scalars
    return {key[len('val/'):]: scalars[key].current() for key in scalars
            if key.startswith('val/') and not is_class_scalar(key)}


def training_files(hooks: Iterable, work_dir: str) -> Dict[str, str]:
    """The last and best checkpoints and the training curves."""
    files = {}
    for hook in hooks:
        if isinstance(hook, CheckpointHook):
            if getattr(hook, 'last_ckpt', None):
                files['last checkpoint'] = hook.last_ckpt
            best = getattr(hook, 'best_ckpt_path', None)
            if best:
                files['best checkpoint'] = best
    curves = osp.join(work_dir, 'training_curves.png')
    if osp.isfile(curves):
        files['training curves'] = curves
    return files


def files_of_test_run(cfg, hooks: Iterable) -> Dict[str, str]:
    """The label maps (``output_dir`` of the test metrics) and the
    evaluation reports (``EvaluationReportHook``) a test run wrote."""
    from ..hooks.evaluation_report_hook import EvaluationReportHook
    evaluators = cfg.get('test_evaluator') or []
    if isinstance(evaluators, dict):
        evaluators = [evaluators]
    files = {'label maps': e['output_dir'] for e in evaluators
             if isinstance(e, dict) and e.get('output_dir')}
    pages = [page for hook in hooks if isinstance(hook, EvaluationReportHook)
             for page in hook.pages]
    if pages:
        files['evaluation report'] = ', '.join(str(p) for p in pages)
    return files
