"""What the console shows of a run's log: the long blocks people do not read
during a run (the environment, the 350-line config, the hook order) as one
line each pointing to the log file, the per-class table reduced to the
classes that occur, the per-class scalars of a validation line
(``ClassScalarsHook``'s ``IoU.<class>``) as their count, mmengine's
per-parameter optimizer lines
(``paramwise_options -- ...``, 78 for UperNet-T) as one line, and
mmengine's notices about its own API left out, and an error of this
project's (one paragraph that says what to do) without the file, function
and line number that mmengine's formatter puts before every error. The
log file keeps every line (``SegRunner`` puts
:class:`DigestFormatter` and :class:`LibraryNoticeFilter` on the console
handler only)."""
import copy
import logging
import re
from typing import Optional

from ..evaluation.class_iou_metric import is_class_scalar

__all__ = ['DigestFormatter', 'LibraryNoticeFilter', 'condensed_class_table',
           'condensed_metrics_line']

#: mmengine's log lines about its own API that every run prints and that ask
#: nothing of the user: left out on the console (the log file has them).
MMENGINE_NOTICES = (
    'The prefix is not set in metric class',
    '"FileClient" will be deprecated in future',
    '"HardDiskBackend" is the alias of "LocalBackend"',
)


#: What mmengine's formatter (``MMFormatter.err_format``) puts between an
#: error's level and its message.
LOCATION = '%(pathname)s - %(funcName)s - %(lineno)d - '

#: How mmengine's optimizer constructor starts each per-parameter line.
PARAMWISE_LINE = 'paramwise_options -- '


def condensed_class_table(table: str) -> Optional[str]:
    """mmseg's per-class PrettyTable with only the rows of classes that
    occur (a number in any column), and a line saying how many were left
    out; None when ``table`` is not such a table."""
    lines = table.strip('\n').splitlines()
    if len(lines) < 4 or not lines[0].startswith('+') or \
            not re.match(r'\|\s*Class\s*\|', lines[1]):
        return None
    rows = [line for line in lines[3:-1] if line.startswith('|')]
    kept = [row for row in rows
            if any(cell.strip() not in ('nan', '')
                   for cell in row.strip('|').split('|')[1:])]
    left_out = len(rows) - len(kept)
    note = (f'({left_out} of {len(rows)} classes neither in the labels nor '
            f'predicted are not shown; the log file has the full table)'
            if left_out else '')
    shown = lines[:3] + kept + [lines[-1]]
    return '\n'.join(shown + [note] if note else shown)


def condensed_metrics_line(line: str) -> Optional[str]:
    """mmengine's line after a validation or test (``Iter(val) [4/4]
    aAcc: ...``) without the per-class scalars, and their count; None when
    ``line`` is no such line or has none."""
    if not re.match(r'(Iter|Epoch)\((val|test)\)', line):
        return None
    items = line.split('  ')
    kept = [item for item in items
            if not is_class_scalar(item.partition(':')[0].strip())]
    if len(kept) == len(items):
        return None
    return ('  '.join(kept) + f'  ({len(items) - len(kept)} per-class '
            f'values: the JSON log and the visualizer\'s backends)')


class LibraryNoticeFilter(logging.Filter):
    """Leaves :data:`MMENGINE_NOTICES` out of the handler it is put on, and
    every per-parameter optimizer line but the first (which
    :class:`DigestFormatter` shows as one line)."""

    def __init__(self) -> None:
        super().__init__()
        self.paramwise_shown = False

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith(PARAMWISE_LINE):
            shown, self.paramwise_shown = self.paramwise_shown, True
            return not shown
        return not message.startswith(MMENGINE_NOTICES)


class DigestFormatter(logging.Formatter):
    """Formats a record as ``base`` does, with the long blocks digested
    (see the module docstring). The record itself is not changed, so the
    other handlers (the log file) write it whole."""

    def __init__(self, base: logging.Formatter, log_file: str) -> None:
        super().__init__()
        self.base = base
        self.log_file = log_file

    def digest(self, message: str) -> Optional[str]:
        where = f'in the log file {self.log_file}'
        if message.startswith('Config:\n'):
            lines = message.count('\n')
            return (f'Config: {lines} lines, {where} (and as a .py file in '
                    f'the work dir)')
        if 'System environment:' in message and \
                'Runtime environment:' in message:
            return f'System and runtime environment: {where}'
        if message.startswith('Hooks will be executed in the following '
                              'order'):
            return f'Hooks and their order: {where}'
        if message.startswith(PARAMWISE_LINE):
            return (f'Per-parameter optimizer settings (paramwise_cfg, e.g. '
                    f'no weight decay on norms), one line each: {where}')
        return condensed_class_table(message) or \
            condensed_metrics_line(message)

    def format(self, record: logging.LogRecord) -> str:
        digest = self.digest(record.getMessage())
        if digest is None:
            return self._format(record)
        shown = copy.copy(record)
        shown.msg, shown.args = digest, ()
        return self._format(shown)

    def _format(self, record: logging.LogRecord) -> str:
        """``base``'s format; an error without a traceback is shown as
        mmengine's formatter shows a warning, with ``ERROR``: its source
        location (``pathname - funcName - lineno``, the line of
        ``print_log`` inside mmengine) says nothing to a user."""
        err_format = getattr(self.base, 'err_format', None)
        if record.levelno != logging.ERROR or record.exc_info or \
                not isinstance(err_format, str) or LOCATION not in err_format:
            return self.base.format(record)
        self.base.err_format = err_format.replace(LOCATION, '')
        try:
            return self.base.format(record)
        finally:
            self.base.err_format = err_format
