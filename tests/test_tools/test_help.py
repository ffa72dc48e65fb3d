"""Every tool's --help is complete: a description of whole sentences, each
option with its meaning, and its default where it has one. The parser is
read in this process (argparse's ``_actions`` list, pinned here)."""
import argparse
import ast
import sys

import pytest

from tests.helpers.tools import ROOT, load_tool, tool_parser

TOOLS = sorted(p.stem for p in (ROOT / 'tools').rglob('*.py'))


def test_every_tool_builds_its_parser_alone(monkeypatch):
    """Every tool has ``build_parser()``, which its ``parse_args`` (else its
    ``main``) parses with, and which parses nothing: the tests read the
    command line from it instead of patching ``argparse``."""
    assert len(TOOLS) >= 17, TOOLS
    # A parser that parsed would stop at this option (SystemExit).
    monkeypatch.setattr(sys, 'argv', ['tool', '--no-such-option'])
    for path in sorted((ROOT / 'tools').rglob('*.py')):
        tool = load_tool(path)
        assert callable(getattr(tool, 'build_parser', None)), \
            f'{path.name} has no build_parser()'
        assert isinstance(tool.build_parser(), argparse.ArgumentParser)
        tree = ast.parse(path.read_text())
        entry = {node.name: node for node in tree.body
                 if isinstance(node, ast.FunctionDef)}
        entry = entry.get('parse_args') or entry['main']
        called = {node.func.id for node in ast.walk(entry)
                  if isinstance(node, ast.Call) and
                  isinstance(node.func, ast.Name)}
        assert 'build_parser' in called, \
            f'{path.name}: {entry.name}() does not use build_parser()'


@pytest.mark.parametrize('name', TOOLS)
def test_help_is_complete(name):
    parser = tool_parser(name)
    description = (parser.description or '').strip()
    assert description.endswith('.') and len(description) > 20, description
    shows_defaults = issubclass(parser.formatter_class,
                                argparse.ArgumentDefaultsHelpFormatter)
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or \
                action.help == argparse.SUPPRESS:
            continue
        label = '/'.join(action.option_strings) or action.dest
        assert action.help, f'{name}: {label} has no help'
        if action.default not in (None, False, argparse.SUPPRESS) and \
                not action.required and action.option_strings:
            assert shows_defaults or '%(default)' in action.help or \
                'default' in action.help, f'{name}: {label} hides its default'
