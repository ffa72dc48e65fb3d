"""Make mmengine read checkpoints without unpickling code.

Importing this module replaces, for the whole process, mmengine's checkpoint
loaders (``mmengine.runner.CheckpointLoader``, used by ``load_from``,
``resume``, mmseg's ``tools/test.py``, ``init_model`` and ``MMSegInferencer``),
on OpenMMLab's mmengine 0.10 and on the fork's (onedl-mmengine) alike:

* **local files** are read by
  :func:`inceptionnext_seg.checkpoint.read_checkpoint`: ``weights_only=True``
  plus an explicit allowlist of mmengine's and numpy's data classes, so
  checkpoints written by plain mmengine/mmseg resume and evaluate, and a
  file whose unpickling would run code is refused with a message naming it.
  mmengine 0.10 calls ``torch.load`` with torch's default (which unpickles
  anything on torch < 2.6 and refuses mmengine's own checkpoints on
  torch >= 2.6); the fork's mmengine tries ``weights_only=True`` and, when
  that refuses a file, unpickles it anyway (``weights_only=False``);
* **http(s) URLs** are downloaded into torch's hub cache (by each node's
  first process first)
  and read the same way; both mmengines read them with ``torch.hub``'s
  ``weights_only=False``;
* the **other schemes** mmengine knows (model-zoo names such as
  ``torchvision://`` or ``open-mmlab://``, and the ``pavi://``/``s3://``
  backends), which both mmengines read with an unrestricted ``torch.load``
  somewhere on the way, are refused with a message that says what to give
  instead.

This is the project's one change to another library's global behaviour. The
configs ask for it by name in ``custom_imports``
(``configs/_base_/default_runtime.py``); importing ``backbones`` or any
other module of ``inceptionnext_seg`` does not do it.
"""
from typing import Any, Optional

from mmengine.runner import CheckpointLoader

from .download import download_checkpoint, first_on_each_node
from .reading import CheckpointError, read_checkpoint

__all__ = ['load_from_local_weights_only', 'load_from_http_weights_only',
           'refuse_unsafe_scheme', 'REFUSED_SCHEMES']

#: mmengine's other checkpoint schemes, each read by mmengine with an
#: unrestricted ``torch.load`` (directly or through ``torch.hub``).
REFUSED_SCHEMES = ('modelzoo://', 'torchvision://', 'open-mmlab://',
                   'openmmlab://', 'mmcls://', 'pavi://', 's3://',
                   'petrel://')


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_from_local_weights_only(filename: str,
                                 map_location: Optional[str] = None) -> Any:
    """Read a local checkpoint for mmengine with ``weights_only=True`` and
    mmengine's data classes allowlisted (see the module docstring)."""
    return read_checkpoint(filename, map_location or 'cpu')


@CheckpointLoader.register_scheme(prefixes=('http://', 'https://'),
                                  force=True)
def load_from_http_weights_only(filename: str,
                                map_location: Optional[str] = None) -> Any:
    """Download ``filename`` once per node (its first process first, the
    others then find it in the cache) and read it as a local file."""
    instead = 'give the local file in its place (load_from=/path/to/file)'
    path = first_on_each_node(lambda: download_checkpoint(filename, instead))
    return read_checkpoint(path, map_location or 'cpu')


@CheckpointLoader.register_scheme(prefixes=REFUSED_SCHEMES, force=True)
def refuse_unsafe_scheme(filename: str,
                         map_location: Optional[str] = None) -> Any:
    """Refuse a scheme that mmengine would read with an unrestricted
    ``torch.load``."""
    scheme = filename.split('://')[0] + '://'
    raise CheckpointError(
        f'Refused to load {filename}: mmengine reads {scheme} checkpoints '
        f'with an unrestricted torch.load, which runs any code a file '
        f'holds, and this project reads checkpoints only without '
        f'unpickling code (inceptionnext_seg/checkpoint/mmengine_loader.py). '
        f'Give its http(s) URL or a local copy of the file instead '
        f'(load_from=https://... or /path/to/file).')
