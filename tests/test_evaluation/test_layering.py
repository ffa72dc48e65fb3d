"""Evaluation collects and saves; visualization draws. Neither package
imports the other, at the top or inside a function, except the report
(``visualization/report``), which reads the saved results."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.tools import ROOT

PACKAGE = ROOT / 'inceptionnext_seg'


def imported_modules(path: Path) -> set:
    """Every module a file imports, anywhere in it, as absolute names."""
    package = '.'.join(path.relative_to(ROOT).with_suffix('').parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split('.')
            if node.level:
                base = base[:len(base) - node.level + 1]
                name = '.'.join(base + ([node.module] if node.module
                                        else []))
            else:
                name = node.module
            found.add(name)
            found.update(f'{name}.{alias.name}' for alias in node.names)
    return found


@pytest.mark.parametrize('package,forbidden,exempt', [
    ('evaluation', 'inceptionnext_seg.visualization', None),
    ('evaluation', 'inceptionnext_seg.engine', None),
    ('visualization', 'inceptionnext_seg.evaluation', 'report'),
])
def test_no_module_imports_the_other_package(package, forbidden, exempt):
    files = [p for p in sorted((PACKAGE / package).rglob('*.py'))
             if exempt is None or exempt not in
             p.relative_to(PACKAGE / package).parts]
    assert files
    offending = {str(p.relative_to(ROOT)): sorted(
        m for m in imported_modules(p) if m.startswith(forbidden))
        for p in files}
    assert {k: v for k, v in offending.items() if v} == {}


def test_importing_evaluation_loads_no_drawing():
    code = ('import sys, inceptionnext_seg.evaluation; '
            'print(sorted(m for m in sys.modules if m.startswith('
            '"inceptionnext_seg.visualization")))')
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, text=True,
                         capture_output=True, check=True).stdout
    assert out.strip() == '[]'
