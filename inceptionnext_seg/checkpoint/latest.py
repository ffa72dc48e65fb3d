"""The newest complete checkpoint of a work dir (``tools/train.py
--resume``), skipping one that a killed run left broken."""
import zipfile
from pathlib import Path
from typing import List, Optional, Union

from mmengine.logging import print_log

__all__ = ['is_complete_checkpoint', 'latest_good_checkpoint']


def is_complete_checkpoint(path: Union[str, Path]) -> bool:
    """Whether a ``torch.save`` zip file is complete (CRCs checked)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (OSError, zipfile.BadZipFile, EOFError):
        return False


def latest_good_checkpoint(work_dir: Union[str, Path]) -> Optional[str]:
    """The newest readable checkpoint of a work dir, skipping broken ones.

    Starts with the file named in ``last_checkpoint``, then ``iter_*.pth`` /
    ``epoch_*.pth`` from the newest; a broken file is skipped with a warning.
    """
    work_dir = Path(work_dir)
    candidates: List[Path] = []
    last = work_dir / 'last_checkpoint'
    if last.is_file():
        candidates.append(Path(last.read_text().strip()))
    numbered = [p for p in work_dir.glob('*_*.pth')
                if p.stem.split('_')[0] in ('iter', 'epoch')
                and p.stem.split('_')[-1].isdigit()]
    candidates += sorted(numbered, key=lambda p: int(p.stem.split('_')[-1]),
                         reverse=True)
    seen = set()
    for path in candidates:
        if path in seen or not path.exists():
            continue
        seen.add(path)
        if is_complete_checkpoint(path):
            return str(path)
        print_log(f'Skipping broken checkpoint {path} (incomplete or '
                  f'corrupt); trying the previous one.', logger='current',
                  level=30)
    return None
