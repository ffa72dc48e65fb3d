"""Make mmengine read local checkpoints without unpickling code.

Importing this module replaces, for the whole process, mmengine's loader of
local checkpoint files (``mmengine.runner.checkpoint.load_from_local``, used by
``load_from``, ``resume``, mmseg's ``tools/test.py``, ``init_model`` and
``MMSegInferencer``) by :func:`inceptionnext_seg.checkpoint.read_checkpoint`:

* mmengine 0.10 calls ``torch.load`` with torch's default, which unpickles
  anything on torch < 2.6 and, on torch >= 2.6, refuses mmengine's own
  checkpoints (their ``message_hub`` pickles ``HistoryBuffer`` objects);
* the replacement reads every file with ``weights_only=True`` plus an explicit
  allowlist of mmengine's and numpy's data classes, so checkpoints written by
  plain mmengine/mmseg resume and evaluate, and a file whose unpickling would
  run code is refused with a message naming it.

This is the project's one change to another library's global behaviour. The
configs ask for it by name in ``custom_imports``
(``configs/_base_/default_runtime.py``); importing ``backbones`` or any
other module of ``inceptionnext_seg`` does not do it.
"""
from typing import Any, Optional

from mmengine.runner import CheckpointLoader

from .reading import read_checkpoint

__all__ = ['load_from_local_weights_only']


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_from_local_weights_only(filename: str,
                                 map_location: Optional[str] = None) -> Any:
    """Read a local checkpoint for mmengine with ``weights_only=True`` and
    mmengine's data classes allowlisted (see the module docstring)."""
    return read_checkpoint(filename, map_location or 'cpu')
