"""Checkpoints, read and written safely: reading any file without
unpickling code, fetching one from a URL, the strict state-dict comparison,
plain and atomic writing, and the newest complete checkpoint of a work dir.

Not imported here: :mod:`.mmengine_loader`, which replaces mmengine's
checkpoint loaders for the whole process; configs ask for it by name.
"""
from .download import download_checkpoint
from .latest import is_complete_checkpoint, latest_good_checkpoint
from .reading import CheckpointError, read_checkpoint
from .strict import (CheckpointMismatchError, StateDictDiff,
                     compare_state_dicts)
from .writing import AtomicLocalBackend, from_plain, to_plain

__all__ = [
    'CheckpointError', 'CheckpointMismatchError', 'StateDictDiff',
    'compare_state_dicts', 'read_checkpoint', 'download_checkpoint',
    'to_plain', 'from_plain', 'AtomicLocalBackend', 'is_complete_checkpoint',
    'latest_good_checkpoint'
]
