"""The evaluation report: a self-contained HTML page per run (summary,
per-class table, confusion, worst and best images) and the comparison of
two runs, their pictures as files beside the page."""
from .comparison import write_comparison
from .html_report import worst_and_best, write_report

__all__ = ['write_report', 'write_comparison', 'worst_and_best']
