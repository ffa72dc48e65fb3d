"""Markdown tables in tool output (``tools/analysis_tools/benchmark.py``,
``tools/analysis_tools/summarize.py``)."""
from typing import List

__all__ = ['table']


def table(title: str, header: List[str], rows: List[List]) -> str:
    cells = [header] + [[f'{c:.2f}' if isinstance(c, float) else str(c)
                         for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    line = lambda r: '| ' + ' | '.join(  # noqa: E731
        c.ljust(w) for c, w in zip(r, widths)) + ' |'
    sep = '|' + '|'.join('-' * (w + 2) for w in widths) + '|'
    return '\n'.join([f'\n{title}', line(cells[0]), sep] +
                     [line(r) for r in cells[1:]])
