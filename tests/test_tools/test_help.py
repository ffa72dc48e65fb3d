"""Every tool's --help is complete: a description of whole sentences, each
option with its meaning, and its default where it has one. The parser is
read in this process (argparse's ``_actions`` list, pinned here)."""
import argparse

import pytest

from tests.helpers.tools import ROOT, tool_parser

TOOLS = sorted(p.stem for p in (ROOT / 'tools').rglob('*.py'))


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
