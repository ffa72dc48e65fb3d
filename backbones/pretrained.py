"""The ImageNet weights of InceptionNeXt: where they are (the official
release files, timm's hub repositories) and how any checkpoint becomes the
backbone's state dict.

:func:`read_backbone_weights` resolves a path, URL or hub id to a local file,
reads it without unpickling code
(:func:`inceptionnext_seg.checkpoint.read_checkpoint`) and extracts the
backbone's tensors with the one pure function
:func:`extract_backbone_state_dict`; the backbone's ``init_weights`` and
``tools/model_converters/convert_weights.py`` both go through it.
"""
import os
import re
import socket
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Union
from urllib.parse import urlparse

import torch

from inceptionnext_seg.checkpoint import (CheckpointError, download_checkpoint,
                                          read_checkpoint)
from inceptionnext_seg.checkpoint.download import first_on_each_node

__all__ = ['OFFICIAL_URLS', 'TIMM_HUB_IDS', 'resolve_checkpoint',
           'extract_backbone_state_dict', 'read_backbone_weights',
           'describe_arch']

RELEASE_URL = ('https://github.com/sail-sg/inceptionnext/releases/download/'
               'model/inceptionnext_{arch}.pth')
TIMM_HUB_ID = 'timm/inception_next_{arch}.sail_in1k'

#: The official ImageNet-1K 224 weights of each variant.
OFFICIAL_URLS = {
    arch: RELEASE_URL.format(arch=arch)
    for arch in ('atto', 'tiny', 'small', 'base')
}
TIMM_HUB_IDS = {arch: TIMM_HUB_ID.format(arch=arch) for arch in OFFICIAL_URLS}

_HUB_ID = re.compile(r'^(hf-hub:|hf_hub:)?(?P<repo>[\w.-]+/[\w.-]+)$')
_WRAPPER_KEYS = ('state_dict', 'model')
_DROPPED_PREFIXES = ('head.', )  # the ImageNet classification head


_HUB_FILES = ('model.safetensors', 'pytorch_model.bin')
_PROXY_VARIABLES = ('HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy',
                    'HTTP_PROXY', 'http_proxy')


def _hub_unreachable(endpoint: str) -> Optional[str]:
    """Why the hub cannot be reached (a name that does not resolve, a refused
    or silent port), found in seconds; huggingface_hub itself retries for
    about a minute before it gives up. None when it answers."""
    url = urlparse(endpoint)
    port = url.port or (443 if url.scheme == 'https' else 80)
    try:
        socket.create_connection((url.hostname, port), timeout=5).close()
    except OSError as err:
        return f'{type(err).__name__}: {err}'
    return None


def _download_hub(repo_id: str) -> Path:
    import huggingface_hub.constants as hub
    from huggingface_hub import hf_hub_download
    for filename in _HUB_FILES:  # the local cache first, with no request
        try:
            return Path(hf_hub_download(repo_id, filename,
                                        local_files_only=True))
        except Exception:  # noqa: BLE001 - not cached
            pass
    # Through a proxy the hub may answer where a direct connection cannot:
    # then huggingface_hub's own requests decide.
    proxied = any(os.environ.get(v) for v in _PROXY_VARIABLES)
    offline = ('HF_HUB_OFFLINE is set' if hub.HF_HUB_OFFLINE else
               None if proxied else _hub_unreachable(hub.ENDPOINT))
    errors = [f'{hub.ENDPOINT} cannot be reached ({offline})'] if offline \
        else []
    for filename in _HUB_FILES if not offline else ():
        try:
            return Path(hf_hub_download(repo_id, filename))
        except Exception as err:  # noqa: BLE001 - missing file, HTTP...
            errors.append(f'{filename}: {type(err).__name__}: {err}')
    raise CheckpointError(
        f'Could not fetch the hub checkpoint {repo_id!r} ('
        + '; '.join(errors) + f'). Download model.safetensors of '
        f'{hub.ENDPOINT}/{repo_id} on a machine with internet access and '
        f'use the local file instead of the hub id (in a config: '
        f'init_cfg.checkpoint=/path/to/model.safetensors; or as the SRC of '
        'tools/model_converters/convert_weights.py), or set HF_HOME to a '
        'cache that holds '
        f'it.')


def resolve_checkpoint(source: Union[str, Path]) -> Path:
    """Turn a local path, an http(s) URL or a timm hub id into a local file.

    Args:
        source: A file path, an ``http(s)://`` URL (downloaded once into
            ``$TORCH_HOME/hub/checkpoints``), or a hub id such as
            ``timm/inception_next_tiny.sail_in1k`` (``hf-hub:`` prefix
            allowed).

    Returns:
        Path: The local file.

    In a distributed run each node's first process downloads while the
    others wait, then they read its file (every rank must call this, as
    ``init_weights`` does).
    """
    text = str(source)
    if text.startswith(('http://', 'https://')):
        return first_on_each_node(lambda: download_checkpoint(text, instead=(
            'use a local copy instead of the URL: as the SRC of '
            'tools/model_converters/convert_weights.py, or in a config with '
            '--cfg-options '
            'model.backbone.init_cfg.checkpoint=/path/to/file')))
    path = Path(text).expanduser()
    if path.exists():
        return path
    match = _HUB_ID.match(text)
    if match and (match.group(1) or text.startswith('timm/')):
        return first_on_each_node(lambda: _download_hub(match.group('repo')))
    raise CheckpointError(
        f'Checkpoint not found: {text!r}. Expected an existing file, an '
        f'http(s) URL such as {OFFICIAL_URLS["tiny"]}, or a timm hub id such '
        f'as {TIMM_HUB_IDS["tiny"]!r}.')


def extract_backbone_state_dict(checkpoint: Any,
                                source: str = 'checkpoint'
                                ) -> Dict[str, torch.Tensor]:
    """Turn any supported checkpoint layout into the backbone's state dict.

    Handles plain state dicts (official release, timm), dicts wrapping one in
    ``state_dict`` or ``model``, ``module.`` prefixes (DDP) and mmseg segmentor
    checkpoints (whose ``backbone.`` part is taken). The ImageNet
    classification head (``head.*``) is dropped.

    Args:
        checkpoint: The object read from the checkpoint file.
        source: Name of the file, for error messages.

    Returns:
        dict: Parameter and buffer names of the backbone to tensors.
    """
    state = checkpoint
    while isinstance(state, Mapping):
        wrapped = [k for k in _WRAPPER_KEYS
                   if isinstance(state.get(k), Mapping)]
        if not wrapped:
            break
        state = state[wrapped[0]]
    if not isinstance(state, Mapping) or not state:
        raise CheckpointError(
            f'{source} holds no state dict (found {type(state).__name__}); '
            f'expected a mapping of parameter names to tensors, possibly '
            f'under '
            f'"state_dict" or "model".')
    not_tensors = [k for k, v in state.items() if not torch.is_tensor(v)]
    if not_tensors:
        raise CheckpointError(
            f'{source} is not a state dict: {not_tensors[:5]} do not hold '
            f'tensors.')
    state = {(k[len('module.'):] if k.startswith('module.') else k): v
             for k, v in state.items()}
    if any(k.startswith('backbone.') for k in state):
        state = {k[len('backbone.'):]: v for k, v in state.items()
                 if k.startswith('backbone.')}
    return {k: v for k, v in state.items()
            if not k.startswith(_DROPPED_PREFIXES)}


def read_backbone_weights(source: Union[str, Path]
                          ) -> Dict[str, torch.Tensor]:
    """Resolve, safely read and extract a backbone state dict.

    Args:
        source: A file path, URL or hub id (see :func:`resolve_checkpoint`).

    Returns:
        dict: The backbone's state dict (classification head dropped).
    """
    path = resolve_checkpoint(source)
    return extract_backbone_state_dict(read_checkpoint(path), str(path))


def describe_arch(state: Mapping[str, torch.Tensor]) -> Optional[Dict]:
    """Read depths and widths off a backbone state dict (for error
    messages)."""
    depths, dims = [], []
    for i in range(8):
        blocks = {int(m.group(1)) for k in state
                  for m in [re.match(rf'stages\.{i}\.blocks\.(\d+)\.', k)]
                  if m}
        if not blocks:
            break
        depths.append(max(blocks) + 1)
        fc2 = state.get(f'stages.{i}.blocks.0.mlp.fc2.weight')
        dims.append(int(fc2.shape[0]) if fc2 is not None else None)
    return dict(depths=tuple(depths), dims=tuple(dims)) if depths else None
