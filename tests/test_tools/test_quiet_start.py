"""Every tool starts quietly: ``--help`` prints the usage first, and no
library notice, in a new interpreter with Python's default warnings."""
import pytest

from tests.helpers.tools import ROOT, run_tool

TOOLS = sorted(p.name for p in (ROOT / 'tools').glob('*.py'))


def test_every_tool_is_listed():
    assert {'train.py', 'test.py', 'benchmark.py', 'export.py'} <= set(TOOLS)


@pytest.mark.parametrize('tool', TOOLS)
def test_help_starts_with_the_usage_and_no_warning(tool):
    result = run_tool(f'tools/{tool}', '--help', fresh=True, check=False,
                      env={'PYTHONWARNINGS': 'default'})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith('usage:'), result.stdout[:500]
    assert result.stderr == '', result.stderr[-2000:]
