"""The support matrix: a fresh virtual environment per row, the fast subset of
the tests (``pytest -m compat``) in each, and a table of what ran.

    python3 tools/dev/compat.py                 # every row (make compat)
    python3 tools/dev/compat.py --rows oldest   # some rows
    python3 tools/dev/compat.py --reuse         # keep existing row venvs

Each row is installed as docs/install.md tells a GPU user to install: the
torch and torchvision of the row first, then this project with the row's
OpenMMLab distribution (``pip install .[openmmlab,tests]``, or
``.[onedl,tests]`` for the maintained fork: a regular install from the clone,
its dependencies the ranges of ``requirements/``, its wheel bringing
``mmcv_lite_ops``) without touching torch. The oldest row also pins every
lower bound of ``requirements/runtime.txt``, ``tests.txt`` and
``openmmlab.txt``, so the floors are what it tests. The interpreters come
from ``pythonX.Y`` on PATH or pyenv; the wheels from the package index
(PyPI's torch wheels are CUDA builds, which run on a CPU). The venvs live in
``.compat/ROW``. Standard library only: it runs with any Python 3.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parents[2]
VENVS = ROOT / '.compat'
REQUIREMENTS = ['requirements/runtime.txt', 'requirements/tests.txt']
#: The extras that bring mmseg, mmengine and mmcv, and their ranges.
DISTRIBUTIONS = {'openmmlab': 'requirements/openmmlab.txt',
                 'onedl': 'requirements/onedl.txt'}
REPORTED = ['torch', 'torchvision', 'numpy', 'mmengine', 'mmsegmentation',
            'mmcv-lite', 'onedl-mmengine', 'onedl-mmsegmentation',
            'onedl-mmcv', 'timm', 'opencv-python', 'onnxruntime', 'setuptools']


@dataclass
class Row:
    name: str
    python: str
    torch: str
    torchvision: str
    floors: bool = False  # pin every lower bound of the requirements
    extra: List[str] = field(default_factory=list)  # as docs/install.md says
    note: str = ''
    distribution: str = 'openmmlab'  # the extra: a key of DISTRIBUTIONS

    @property
    def requirement_files(self) -> List[str]:
        return REQUIREMENTS + [DISTRIBUTIONS[self.distribution]]


ROWS = [
    Row('oldest', '3.10', '2.1.2', '0.16.2', floors=True,
        extra=['numpy<2'], note='every lower bound pinned'),
    Row('mid', '3.12', '2.5.1', '0.20.1'),
    Row('newest', '3.13', '2.14.1', '0.29.1'),
    Row('onedl', '3.13', '2.14.1', '0.29.1', distribution='onedl',
        note='the maintained fork'),
]


@dataclass
class Result:
    row: Row
    ok: bool = False
    stage: str = ''
    install_s: float = 0.0
    test_s: float = 0.0
    summary: str = ''
    versions: Dict[str, str] = field(default_factory=dict)
    log: str = ''


def find_python(version: str) -> Optional[str]:
    """``pythonX.Y`` from PATH, else from pyenv's versions folder."""
    candidates = [shutil.which(f'python{version}')]
    pyenv_root = os.environ.get('PYENV_ROOT')
    if not pyenv_root and shutil.which('pyenv'):
        pyenv_root = subprocess.run(['pyenv', 'root'], capture_output=True,
                                    text=True).stdout.strip()
    pyenv_root = Path(pyenv_root or Path.home() / '.pyenv')
    candidates += sorted(
        (str(p) for p in pyenv_root.glob(
            f'versions/{version}.*/bin/python{version}')), reverse=True)
    for candidate in candidates:
        if candidate and subprocess.run(
                [candidate, '-c', 'import venv, ensurepip'],
                capture_output=True).returncode == 0:
            return candidate
    return None


def floor_pins(files: List[str]) -> List[str]:
    """``name==X`` for every ``name>=X`` in the requirement files."""
    pins = []
    for name in files:
        for line in (ROOT / name).read_text().splitlines():
            line = line.split('#')[0].strip()
            match = re.match(r'([A-Za-z0-9_.\-]+)\s*>=\s*([^,;\s]+)', line)
            if match:
                pins.append(f'{match.group(1)}=={match.group(2)}')
    return pins


def run(cmd: List[str], log: List[str], env=None) -> int:
    log.append('$ ' + ' '.join(cmd))
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True,
                          text=True)
    log.append(proc.stdout[-20000:] + proc.stderr[-20000:])
    return proc.returncode


def install_commands(row: Row, venv: Path) -> List[List[str]]:
    """The row's install, as docs/install.md gives it (pip of the venv)."""
    pip = [str(venv / 'bin' / 'python'), '-m', 'pip', 'install',
           '--disable-pip-version-check', '--no-compile']
    constraints = venv / 'row-constraints.txt'
    pins = [f'torch=={row.torch}', f'torchvision=={row.torchvision}']
    if row.floors:
        pins += floor_pins(row.requirement_files)
    constraints.write_text('\n'.join(pins) + '\n')
    return [
        pip + ['-q', '--upgrade', 'pip'],
        pip + ['-q', f'torch=={row.torch}', f'torchvision=={row.torchvision}'],
        pip + ['-q', f'{ROOT}[{row.distribution},tests]'] + row.extra +
        ['-c', str(constraints)],
    ]


def versions(python: Path) -> Dict[str, str]:
    code = ('import importlib.metadata as m, json, sys\n'
            'out = {"python": sys.version.split()[0]}\n'
            f'for name in {REPORTED!r}:\n'
            '    try: out[name] = m.version(name)\n'
            '    except m.PackageNotFoundError: out[name] = "-"\n'
            'print(json.dumps(out))')
    proc = subprocess.run([str(python), '-c', code], capture_output=True,
                          text=True)
    return json.loads(proc.stdout) if proc.returncode == 0 else {}


def run_row(row: Row, reuse: bool, pytest_args: List[str]) -> Result:
    result = Result(row)
    log: List[str] = []
    venv = VENVS / row.name
    python = venv / 'bin' / 'python'
    start = time.time()
    if not (reuse and python.exists()):
        interpreter = find_python(row.python)
        if interpreter is None:
            result.stage = (f'no Python {row.python} '
                            f'(pyenv install {row.python})')
            return result
        shutil.rmtree(venv, ignore_errors=True)
        venv.parent.mkdir(exist_ok=True)
        if run([interpreter, '-m', 'venv', str(venv)], log):
            result.stage, result.log = 'venv', '\n'.join(log)
            return result
        for cmd in install_commands(row, venv):
            if run(cmd, log):
                result.stage, result.log = 'install', '\n'.join(log)
                result.install_s = time.time() - start
                return result
    result.install_s = time.time() - start
    result.versions = versions(python)
    env = dict(os.environ, PATH=f'{venv / "bin"}{os.pathsep}'
               f'{os.environ.get("PATH", "")}')
    env.pop('PYTHONDONTWRITEBYTECODE', None)  # as `make test`
    start = time.time()
    code = run([str(python), '-m', 'pytest', '-m', 'compat', '-q',
                '-p', 'no:cacheprovider'] + pytest_args, log, env=env)
    result.test_s = time.time() - start
    counts = re.findall(r'(\d+) (passed|failed|skipped|errors?)\b',
                        log[-1].strip().splitlines()[-1] if log[-1].strip()
                        else '')
    result.summary = ', '.join(f'{n} {what}' for n, what in counts) or \
        'no pytest summary'
    result.ok = code == 0
    result.stage = 'tests' if not result.ok else ''
    result.log = '\n'.join(log)
    return result


def table(results: List[Result]) -> str:
    head = ['row', 'Python', 'torch', 'torchvision', 'numpy', 'mmengine',
            'mmseg', 'mmcv', 'timm', 'opencv-python', 'onnxruntime',
            'setuptools', 'install', 'tests', 'result']
    lines = ['| ' + ' | '.join(head) + ' |',
             '|' + '---|' * len(head)]
    for r in results:
        v = r.versions
        status = ('passed: ' if r.ok else f'FAILED ({r.stage}): ') + r.summary
        cells = [r.row.name + (f': {r.row.note}' if r.row.note else ''),
                 v.get('python', r.row.python),
                 v.get('torch', r.row.torch),
                 v.get('torchvision', r.row.torchvision)]
        cells.append(v.get('numpy', '-'))
        # OpenMMLab's releases as versions, the fork's with their names.
        for name in ('mmengine', 'mmsegmentation', 'mmcv'):
            found = v.get('mmcv-lite' if name == 'mmcv' else name, '-')
            if found != '-' and name == 'mmcv':
                found = f'mmcv-lite {found}'
            fork = v.get(f'onedl-{name}', '-')
            cells.append(found if fork == '-' else f'onedl-{name} {fork}')
        cells += [v.get(k, '-') for k in (
            'timm', 'opencv-python', 'onnxruntime', 'setuptools')]
        cells += [f'{r.install_s:.0f} s', f'{r.test_s:.0f} s', status]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The command line of this tool (builds the parser, parses nothing)."""
    parser = argparse.ArgumentParser(
        description='The support matrix: a fresh virtual environment per row '
        '(Python, torch, NumPy), the tests marked compat in each, and a table '
        'of versions, times and results (.compat/results.md).')
    parser.add_argument('--rows', nargs='+', choices=[r.name for r in ROWS],
                        default=[r.name for r in ROWS],
                        help='rows to run (default: all)')
    parser.add_argument('--reuse', action='store_true',
                        help='use an existing .compat/ROW venv as it is')
    parser.add_argument('--pytest-args', default='-n 2 --dist loadgroup',
                        help='passed on to pytest (default: %(default)s)')
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    results = []
    for row in (r for r in ROWS if r.name in args.rows):
        print(f'[{row.name}] Python {row.python}, torch {row.torch}, '
              f'torchvision {row.torchvision}'
              + (', every lower bound pinned' if row.floors else ''),
              flush=True)
        result = run_row(row, args.reuse, args.pytest_args.split())
        results.append(result)
        VENVS.mkdir(exist_ok=True)
        (VENVS / f'{row.name}.log').write_text(result.log)
        status = 'passed' if result.ok else f'FAILED ({result.stage})'
        print(f'[{row.name}] {status}: {result.summary} (install '
              f'{result.install_s:.0f} s, tests {result.test_s:.0f} s; log: '
              f'{VENVS / (row.name + ".log")})', flush=True)
    report = (f'Support matrix, {date.today().isoformat()} '
              f'(`python3 tools/dev/compat.py`):\n\n{table(results)}\n')
    (VENVS / 'results.md').write_text(report)
    print('\n' + report)
    return 0 if all(r.ok for r in results) else 1


if __name__ == '__main__':
    sys.exit(main())
