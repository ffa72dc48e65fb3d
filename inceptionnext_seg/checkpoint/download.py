"""Fetching a checkpoint from an ``http(s)://`` URL into torch's hub cache,
once; reading it is :func:`~inceptionnext_seg.checkpoint.read_checkpoint`'s
job (never ``torch.load`` with its defaults, as ``torch.hub`` and mmengine
do for URLs)."""
import os
from pathlib import Path
from typing import Callable, TypeVar

import torch
from mmengine.dist import barrier, get_dist_info

from .reading import CheckpointError

__all__ = ['download_checkpoint', 'cached_path', 'first_on_each_node']

T = TypeVar('T')


def first_on_each_node(fetch: Callable[[], T]) -> T:
    """``fetch()`` (a download into a cache) on each node's first process
    (``LOCAL_RANK`` 0) first; the others call it once those are done, and
    find the file in the cache (on a shared file system, or on their node).
    Outside a process group, just ``fetch()``. Every rank must call it.
    """
    _, world_size = get_dist_info()
    if world_size == 1:
        return fetch()
    if int(os.environ.get('LOCAL_RANK', 0)) == 0:
        try:
            return fetch()
        finally:
            barrier()  # also after a failure: the others then say it too
    barrier()
    return fetch()


def cached_path(url: str) -> Path:
    """Where :func:`download_checkpoint` keeps ``url``: torch's hub cache
    (``$TORCH_HOME/hub/checkpoints``), as ``torch.hub`` and mmengine do."""
    return (Path(torch.hub.get_dir()) / 'checkpoints' /
            os.path.basename(url.split('?')[0]))


def download_checkpoint(url: str, instead: str = '') -> Path:
    """The local copy of ``url``, downloaded if it is not in the cache.

    Args:
        url: An ``http://`` or ``https://`` URL.
        instead: What else the user can give in place of the URL, for the
            error message (e.g. the config key that takes a local path).

    Raises:
        CheckpointError: naming the URL, the error and where a copy fetched
            by hand is picked up.
    """
    dst = cached_path(url)
    if dst.is_file():
        return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Downloads to a temporary file and renames it when complete.
        torch.hub.download_url_to_file(url, str(dst), progress=True)
    except Exception as err:  # noqa: BLE001 - any network failure
        raise CheckpointError(
            f'Could not download {url} ({type(err).__name__}: {err}). '
            f'Fetch that file on a machine with internet access and put it at '
            f'{dst} (it is then used from there)'
            + (f', or {instead}' if instead else '') + '.') from err
    return dst
