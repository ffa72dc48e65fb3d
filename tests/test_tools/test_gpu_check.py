"""tools/dev/gpu_check.sh (docs/development.md, "The GPU check") runs here as
far as it can without CUDA: the GPU tests skip, naming why, and so does the
benchmark; the machine line and the result files are written."""
import os
import subprocess
import sys

from tests.helpers.tools import ROOT


def test_the_gpu_check_runs_without_cuda_and_says_what_it_skipped(tmp_path):
    result = subprocess.run(
        ['bash', str(ROOT / 'tools' / 'dev' / 'gpu_check.sh'), 'run',
         str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
        env=dict(os.environ, PYTHON=sys.executable, CUDA_VISIBLE_DEVICES=''))
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert 'CUDA available: False' in (tmp_path / 'machine.txt').read_text()
    log = (tmp_path / 'gpu_tests.log').read_text()
    assert 'SKIPPED' in log and 'needs a CUDA GPU' in log
    assert ' passed' not in log and ' failed' not in log
    assert (tmp_path / 'gpu_tests.xml').is_file()
    assert 'benchmark: skipped (torch.cuda.is_available() is False here)' \
        in (tmp_path / 'gpu_benchmark.txt').read_text()
    assert f'GPU check: status 0; results in {tmp_path}' in out


def test_where_torch_sees_a_gpu_the_benchmark_runs(tmp_path):
    """The branch a GPU machine takes, with a stand-in Python whose torch
    sees CUDA: the machine line says so, and the GPU benchmark runs."""
    python = tmp_path / 'python'
    python.write_text(
        '#!/bin/sh\n'
        'case "$*" in\n'
        '  -) cat >/dev/null\n'
        '     echo "torch 9.9 (CUDA 12.8), CUDA available: True" ;;\n'
        '  *benchmark.py*) echo "benchmark: $*" ;;\n'
        '  "-m pytest"*) echo "1 passed" ;;\n'
        'esac\n')
    python.chmod(0o755)
    out = tmp_path / 'out'
    result = subprocess.run(
        ['bash', str(ROOT / 'tools' / 'dev' / 'gpu_check.sh'), 'run',
         str(out)], capture_output=True, text=True, cwd=tmp_path,
        timeout=60, env=dict(os.environ, PYTHON=str(python)))
    assert result.returncode == 0, result.stderr
    assert (out / 'gpu_benchmark.txt').read_text().startswith(
        'benchmark: tools/analysis_tools/benchmark.py --device cuda '
        '--parts matrix')
