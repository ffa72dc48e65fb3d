"""Opening a report in headless Chromium: the page's own self-check (every
picture loaded, the tables' rows, each sortable column sorted both ways) and a
screenshot. Used by the tests and by ``tools/analysis_tools/report.py
--check``."""
import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional

__all__ = ['find_chromium', 'self_check', 'screenshot']

_NAMES = ('chromium', 'chromium-browser', 'google-chrome', 'chrome')


def find_chromium() -> Optional[str]:
    """The Chromium executable on ``PATH`` (Debian's package: chromium),
    or None."""
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(chromium: str, args, timeout: float) -> subprocess.CompletedProcess:
    # A profile of its own: two runs at once (pytest -n 2) do not share one.
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium, '--headless', '--disable-gpu', '--no-sandbox',
             # /dev/shm is small in containers (64 MB): Chromium crashes
             '--disable-dev-shm-usage',
             '--no-first-run', '--disable-extensions',
             f'--user-data-dir={profile}', *args],
            capture_output=True, text=True, timeout=timeout)


def self_check(page: Path, chromium: Optional[str] = None,
               timeout: float = 120) -> dict:
    """Open ``page`` from disk with ``#selfcheck`` and return what its
    script recorded after the load event, plus ``wall_s`` (Chromium's
    whole run, start included).

    Raises:
        FileNotFoundError: no Chromium.
        RuntimeError: the page recorded nothing (with Chromium's output).
    """
    chromium = chromium or find_chromium()
    if chromium is None:
        raise FileNotFoundError('no chromium on PATH (Debian: apt-get '
                                'install chromium)')
    url = Path(page).resolve().as_uri() + '#selfcheck'
    start = time.perf_counter()
    result = _run(chromium, ['--dump-dom', url], timeout)
    wall = time.perf_counter() - start
    found = list(re.finditer(r'<pre id="selfcheck">(.*?)</pre>',
                             result.stdout, re.S))
    if not found:
        raise RuntimeError(f'{page}: the page\'s self-check wrote nothing '
                           f'(rc {result.returncode}):\n'
                           f'{result.stdout[-2000:]}\n'
                           f'{result.stderr[-2000:]}')
    import html
    checked = json.loads(html.unescape(found[-1].group(1)))
    checked['wall_s'] = wall
    checked['dom'] = result.stdout
    return checked


def screenshot(page: Path, png: Path, chromium: Optional[str] = None,
               size=(1400, 3000), timeout: float = 120) -> Path:
    """Save a screenshot of ``page`` (opened from disk) as ``png``."""
    chromium = chromium or find_chromium()
    if chromium is None:
        raise FileNotFoundError('no chromium on PATH')
    png = Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    result = _run(chromium, [f'--screenshot={png}',
                             f'--window-size={size[0]},{size[1]}',
                             '--hide-scrollbars',
                             Path(page).resolve().as_uri()], timeout)
    if not png.is_file():
        raise RuntimeError(f'chromium wrote no screenshot of {page} '
                           f'(rc {result.returncode}): '
                           f'{result.stderr[-2000:]}')
    return png
