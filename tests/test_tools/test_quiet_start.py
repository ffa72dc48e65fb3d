"""Every tool starts quietly: ``--help`` prints the usage first and no
library notice, in a new interpreter with Python's default warnings (two of
the tools that import the whole stack), and every tool filters the notices
before it imports a library that raises them (all tools, read as code)."""
import ast

import pytest

from tests.helpers.tools import ROOT, run_tool

TOOLS = sorted(str(p.relative_to(ROOT / 'tools'))
               for p in (ROOT / 'tools').rglob('*.py'))
# Libraries whose import raises the notices (inceptionnext_seg.utils.quiet).
NOISY = ('mmengine', 'mmcv', 'mmseg', 'backbones', 'timm')


def test_every_tool_is_listed():
    assert {'train.py', 'test.py', 'analysis_tools/benchmark.py',
            'deployment/export.py'} <= set(TOOLS)


@pytest.mark.parametrize('tool', ['train.py', 'analysis_tools/benchmark.py'])
def test_help_starts_with_the_usage_and_no_warning(tool):
    result = run_tool(f'tools/{tool}', '--help', fresh=True, check=False,
                      env={'PYTHONWARNINGS': 'default'})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith('usage:'), result.stdout[:500]
    assert result.stderr == '', result.stderr[-2000:]


def module_imports(tree):
    """(line, module) of the imports at module level, in order."""
    for node in tree.body:
        if isinstance(node, ast.Import):
            yield from ((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.lineno, node.module


@pytest.mark.parametrize('tool', TOOLS)
def test_notices_are_filtered_before_the_noisy_imports(tool):
    tree = ast.parse((ROOT / 'tools' / tool).read_text())
    calls = [node.lineno for node in tree.body
             if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
             and getattr(node.value.func, 'id', '') ==
             'quiet_library_warnings']
    # inceptionnext_seg.inference imports none of the noisy libraries (nor
    # torch: tests/test_inference/test_torch_free.py), so
    # tools/deployment/infer_onnx.py needs no filter and must not start the
    # check, which imports torch.
    noisy = [line for line, name in module_imports(tree)
             if name.split('.')[0] in NOISY
             or name.startswith('inceptionnext_seg.')
             and name != 'inceptionnext_seg.utils.quiet'
             and not name.startswith('inceptionnext_seg.inference')]
    if noisy:
        assert calls and calls[0] < noisy[0], (
            f'tools/{tool} imports a library at line {noisy[0]} before '
            f'quiet_library_warnings()')
