"""Stop `make install` at once when the Python that would make .venv cannot
install the locked stack, naming the supported way for that Python.

Standard library only (it runs before anything is installed).
"""
import argparse
import sys

SUPPORTED = ((3, 10), (3, 13))  # what the support matrix tests
LOCKED = ((3, 11), (3, 13))  # what requirements/lock.txt installs on


def problem(version, install: str):
    """Why ``make install`` with ``install`` cannot work on ``version``, or
    None."""
    have = '.'.join(map(str, version[:3]))
    if not SUPPORTED[0] <= version[:2] <= SUPPORTED[1]:
        return (f'Python {have} is not supported: the project is tested on '
                f'Python 3.10 to 3.13 (docs/install.md). Run make with one '
                f'of them, e.g. make test PYTHON=python3.12')
    if install == '-r requirements.txt' and not (
            LOCKED[0] <= version[:2] <= LOCKED[1]):
        return (f'Python {have}: the locked stack (requirements/lock.txt, '
                f'made on Python 3.11) needs Python 3.11 to 3.13 (its numpy '
                f'2.4 and scipy 1.17 need 3.11 or newer). Either run make '
                f'with a newer Python:\n'
                f'    make test PYTHON=python3.12\n'
                f'or install the tested ranges instead of the lock (what the '
                f'support matrix\'s oldest row runs on Python 3.10):\n'
                f'    make test INSTALL="-e .[tests]"')
    return None


def build_parser() -> argparse.ArgumentParser:
    """The command line of this tool (builds the parser, parses nothing)."""
    parser = argparse.ArgumentParser(
        description='Check that this Python can make the project\'s .venv '
        'with the given install arguments (make install runs it); exit 1 '
        'with the supported way otherwise.')
    parser.add_argument('install', nargs='?', default='-r requirements.txt',
                        help='the pip install arguments of make install '
                        '(default: %(default)s, the locked stack)')
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    found = problem(sys.version_info, args.install)
    if found:
        print(f'error: {found}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
