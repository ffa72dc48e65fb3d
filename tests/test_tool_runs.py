"""The suite's tool runs (tests/helpers/tools.py ``run_tool``, forked from
tests/helpers/tool_server.py) end as ``python SCRIPT`` does: what the tests
assert about a tool's files holds for a user's run."""
from tests.helpers.tools import run_snippet


def test_a_run_takes_its_tmpdir_and_runs_its_exit_handlers(tmp_path):
    """TMPDIR from the run's environment (the server has not fixed Python's
    temporary folder at import: torch takes its compile cache folder from
    TORCHINDUCTOR_CACHE_DIR, which the pytest worker's own import of torch
    set, instead of asking tempfile), and the exit handlers at the end (a
    tool's temporary files, multiprocessing's folder): without them every
    suite run left files in /tmp that a user's run removes."""
    tmp = tmp_path / 'tmp'
    tmp.mkdir()
    marker = tmp_path / 'exited'
    code = ('import atexit, multiprocessing.util, pathlib, tempfile\n'
            f'atexit.register(pathlib.Path({str(marker)!r}).write_text, '
            "'yes')\n"
            'print(tempfile.gettempdir())\n'
            'print(multiprocessing.util.get_temp_dir())\n')
    result = run_snippet(code, tmp_path, env=dict(TMPDIR=str(tmp)))
    temp, mp_folder = result.stdout.split()
    assert temp == str(tmp) and mp_folder.startswith(str(tmp / 'pymp-'))
    assert marker.read_text() == 'yes'
    assert list(tmp.iterdir()) == []  # multiprocessing's folder removed
