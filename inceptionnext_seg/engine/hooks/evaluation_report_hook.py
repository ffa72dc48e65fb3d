"""The HTML evaluation report after testing: ``ReportIoUMetric`` collects
and saves each image's results (``REPORT_DIR/data/``); this hook renders
``REPORT_DIR/index.html`` from them with
:func:`inceptionnext_seg.visualization.report.write_report`, the renderer
``tools/analysis_tools/report.py`` uses too. In every config's ``custom_hooks``
(``configs/_base_/default_runtime.py``), so that mmseg's own ``test.py``
writes the page as ``tools/test.py --report`` does; a test run without a
``ReportIoUMetric`` is left alone.
"""
import logging
from pathlib import Path
from typing import List, Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmseg.registry import HOOKS

from ...visualization.report import write_report

__all__ = ['EvaluationReportHook']


@HOOKS.register_module()
class EvaluationReportHook(Hook):
    """Write the HTML report of each test metric that saved a run
    (``saved_run``, set on the process that computes the metrics) and asks
    for a page (``write_html``), with its ``gallery_size``.

    A failure to write the page is logged at ERROR, naming the folder and
    ``tools/analysis_tools/report.py``, and not raised: the metrics are
    computed, the data is saved, and on several processes the others must not
    be left waiting on this one.

    Attributes:
        pages: the pages written by the last test run.
    """

    # After LoggerHook (BELOW_NORMAL) has printed the metrics.
    priority = 'LOW'

    def __init__(self) -> None:
        self.pages: List[Path] = []

    def after_test_epoch(self, runner, metrics: Optional[dict] = None
                         ) -> None:
        self.pages = []
        for metric in getattr(runner.test_evaluator, 'metrics', []):
            run = getattr(metric, 'saved_run', None)
            if run is None or not getattr(metric, 'write_html', True):
                continue
            page = render_report(run, metric.report_dir,
                                 getattr(metric, 'gallery_size', 8))
            if page is not None:
                self.pages.append(page)


def render_report(run, report_dir, gallery_size: int) -> Optional[Path]:
    """``write_report`` whose failure is logged (see
    :class:`EvaluationReportHook`).

    Args:
        run: the saved ``RunResults``.
        report_dir: the report folder.
        gallery_size: how many worst and best images the page shows.

    Returns:
        The page's path, None where it could not be written.
    """
    try:
        path = write_report(run, report_dir, gallery_size=gallery_size)
    except Exception as error:  # noqa: B902
        kind = type(error).__name__
        print_log(f'EvaluationReportHook: could not write the HTML report '
                  f'in {report_dir} ({kind}: {error}); its data is saved: '
                  'build it with python tools/analysis_tools/report.py '
                  f'{report_dir}',
                  logger='current', level=logging.ERROR)
        return None
    print_log(f'Evaluation report: {path}', logger='current')
    return path
