"""Safe reading of InceptionNeXt checkpoints: local files, URLs and timm hub ids.

One pure function, :func:`extract_backbone_state_dict`, turns any supported
checkpoint layout into the backbone's state dict; the backbone's
``init_weights`` and ``tools/convert_weights.py`` both go through
:func:`load_backbone_state_dict`.

Every file is treated as untrusted: ``.safetensors`` files are read with
safetensors, everything else with ``torch.load(weights_only=True)``, so a file
whose unpickling would run code is refused instead of executed. The only
objects allowed besides tensors and plain containers are the data classes that
a checkpoint written by plain mmengine holds (see :func:`mmengine_data_globals`).
"""
import _compat_pickle
import codecs
import importlib
import inspect
import os
import pickle
import re
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import torch

from .environment import major_minor

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


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be found, read, trusted or matched."""


class _Refused(pickle.UnpicklingError):
    """An object outside the allowlist (the reason is the message)."""


def _download_url(url: str) -> Path:
    cache_dir = Path(torch.hub.get_dir()) / 'checkpoints'
    dst = cache_dir / os.path.basename(url.split('?')[0])
    if dst.is_file():
        return dst
    cache_dir.mkdir(parents=True, exist_ok=True)
    try:
        # Downloads to a temporary file and renames it when complete.
        torch.hub.download_url_to_file(url, str(dst), progress=True)
    except Exception as err:  # noqa: BLE001 - any network failure
        raise CheckpointError(
            f'Could not download {url} ({type(err).__name__}: {err}). '
            f'Fetch that file on a machine with internet access and put it at '
            f'{dst} (it is then used from there), or point the config at a '
            f'local copy: --cfg-options '
            f'model.backbone.init_cfg.checkpoint=/path/to/file') from err
    return dst


def _download_hub(repo_id: str) -> Path:
    from huggingface_hub import hf_hub_download
    errors = []
    for filename in ('model.safetensors', 'pytorch_model.bin'):
        try:
            return Path(hf_hub_download(repo_id, filename))
        except Exception as err:  # noqa: BLE001 - offline, missing file...
            errors.append(f'{filename}: {type(err).__name__}: {err}')
    raise CheckpointError(
        f'Could not fetch the hub checkpoint {repo_id!r} ('
        + '; '.join(errors) + '). Download model.safetensors of that hub '
        'repository on a machine with internet access and pass its local '
        'path as the checkpoint, or set HF_HOME to a cache that holds it.')


def resolve_checkpoint(source: Union[str, Path]) -> Path:
    """Turn a local path, an http(s) URL or a timm hub id into a local file.

    Args:
        source: A file path, an ``http(s)://`` URL (downloaded once into
            ``$TORCH_HOME/hub/checkpoints``), or a hub id such as
            ``timm/inception_next_tiny.sail_in1k`` (``hf-hub:`` prefix allowed).

    Returns:
        Path: The local file.
    """
    text = str(source)
    if text.startswith(('http://', 'https://')):
        return _download_url(text)
    path = Path(text).expanduser()
    if path.exists():
        return path
    match = _HUB_ID.match(text)
    if match and (match.group(1) or text.startswith('timm/')):
        return _download_hub(match.group('repo'))
    raise CheckpointError(
        f'Checkpoint not found: {text!r}. Expected an existing file, an '
        f'http(s) URL such as {OFFICIAL_URLS["tiny"]}, or a timm hub id such '
        f'as {TIMM_HUB_IDS["tiny"]!r}.')


def _history_buffer_method(obj: Any, name: str) -> Any:
    """The one use of ``getattr`` that mmengine checkpoints need.

    mmengine's ``HistoryBuffer`` pickles its statistics methods (``min``,
    ``max``, ``mean``, ``current``) as ``getattr(HistoryBuffer, name)``.
    Allowing the real ``getattr`` would let a file reach any attribute of any
    allowed class and from there run code, so only public functions defined
    on ``HistoryBuffer`` itself are returned.
    """
    from mmengine.logging import HistoryBuffer
    if (obj is HistoryBuffer and not name.startswith('_')
            and inspect.isfunction(vars(HistoryBuffer).get(name))):
        return getattr(HistoryBuffer, name)
    raise _Refused(
        f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint')


def mmengine_data_globals() -> List[Any]:
    """The globals a checkpoint written by plain mmengine/mmseg pickles.

    Its ``message_hub`` holds ``HistoryBuffer`` objects (numpy arrays of logged
    values) and numpy scalars and arrays. These are data: constructing them
    runs no code from the file. Given to ``torch.serialization.safe_globals``
    (or, before torch 2.6, to :class:`_AllowlistUnpickler`).
    """
    import numpy as np
    from mmengine.logging import HistoryBuffer
    # numpy 2 moved numpy.core to numpy._core; pickles name either module
    # (private numpy names, pinned by tests/test_seg_ext/
    # test_checkpoint_loading.py's stock-checkpoint test).
    core = importlib.import_module('numpy._core.multiarray' if hasattr(
        np, '_core') else 'numpy.core.multiarray')
    allowed: List[Any] = [HistoryBuffer, np.ndarray, np.dtype,
                          (_history_buffer_method, 'builtins.getattr')]
    allowed += [type(np.dtype(code)) for code in '?bBhHiIlLqQefdgFDGSU']
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        allowed += [(core._reconstruct, f'{module}._reconstruct'),
                    (core.scalar, f'{module}.scalar')]
    return allowed


def _global_name(entry: Any) -> Tuple[str, Any]:
    """``(dotted name, object)`` of an allowlist entry, named as
    ``torch.serialization.safe_globals`` names it."""
    if isinstance(entry, tuple):
        return entry[1], entry[0]
    return f'{entry.__module__}.{entry.__qualname__}', entry


class _AllowlistUnpickler(pickle.Unpickler):
    """torch < 2.6 (see :func:`native_safe_globals`): the same allowlist,
    enforced where Python's pickle documentation restricts globals, in
    ``find_class``.

    Every object a pickle builds or calls comes through ``find_class``; only
    torch's own weights-only set (``torch._weights_only_unpickler.
    _get_allowed_globals``, a private function of torch 2.1-2.14, pinned by
    the tests that take this path on every torch) and
    :func:`mmengine_data_globals` are returned, so the file still runs no
    code of its own.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from torch._weights_only_unpickler import _get_allowed_globals
        self.allowed = dict(_get_allowed_globals())
        self.allowed.update(_global_name(g) for g in mmengine_data_globals())
        # Protocol-2 pickles (torch.save's) store bytes as
        # _codecs.encode(text, 'latin1'); torch >= 2.5 allows it too.
        self.allowed['_codecs.encode'] = codecs.encode

    def find_class(self, module: str, name: str) -> Any:
        # Python 2 names of protocol-2 pickles (__builtin__.getattr), mapped
        # as pickle.Unpickler.find_class maps them (fix_imports).
        module, name = _compat_pickle.NAME_MAPPING.get(
            (module, name),
            (_compat_pickle.IMPORT_MAPPING.get(module, module), name))
        full = f'{module}.{name}'
        if full not in self.allowed:
            raise _Refused(f'Unsupported global: GLOBAL {full}')
        return self.allowed[full]


class _AllowlistPickleModule:
    """What ``torch.load(pickle_module=...)`` uses: ``Unpickler`` and
    ``load`` (torch's legacy, non-zip format)."""
    Unpickler = _AllowlistUnpickler

    @staticmethod
    def load(file: Any, **kwargs: Any) -> Any:
        return _AllowlistUnpickler(file, **kwargs).load()


def native_safe_globals() -> Optional[Any]:
    """``torch.serialization.safe_globals`` where it takes the allowlist as
    it is: torch >= 2.6 (2.5 has it but not the ``(object, name)`` entries
    the ``getattr`` stand-in needs); None before."""
    version = major_minor(torch.__version__)
    if version is None or version < (2, 6):
        return None
    return getattr(torch.serialization, 'safe_globals', None)


def _torch_load(path: Path, map_location: str) -> Any:
    safe_globals = native_safe_globals()
    if safe_globals is None:  # torch < 2.6
        return torch.load(path, map_location=map_location, weights_only=False,
                          pickle_module=_AllowlistPickleModule)
    with safe_globals(mmengine_data_globals()):
        return torch.load(path, map_location=map_location, weights_only=True)


def read_checkpoint(path: Union[str, Path], map_location: str = 'cpu') -> Any:
    """Read a checkpoint file without executing code from it.

    Args:
        path: A ``.safetensors`` file or a file written by ``torch.save``.
        map_location: Device to load the tensors to.

    Returns:
        The deserialised object (tensors, containers, plain values and
        mmengine's logging data only).
    """
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(
            f'{path} is a directory; expected a checkpoint file (.pth, .bin, '
            f'.safetensors).')
    if not path.is_file():
        raise CheckpointError(f'Checkpoint file not found: {path}')
    if path.suffix == '.safetensors':
        from safetensors import SafetensorError
        from safetensors.torch import load_file
        try:
            return load_file(str(path), device=map_location)
        except (SafetensorError, OSError, ValueError) as err:
            raise CheckpointError(
                f'{path} is not a readable safetensors file (truncated or '
                f'corrupt?): {err}') from err
    try:
        return _torch_load(path, map_location)
    except pickle.UnpicklingError as err:
        if isinstance(err, _Refused):  # torch < 2.6: our own unpickler
            reason = str(err)
        elif 'Weights only load failed' in str(err):
            reason = _unpickler_reason(str(err))
        else:
            raise _unreadable(path, err) from err
        raise CheckpointError(
            f'Refused to load {path}: it holds pickled objects other than '
            f'tensors, plain containers and mmengine\'s logging data '
            f'({reason}), and unpickling them '
            f'could run code from the file. If you trust where it comes '
            f'from, re-save its tensors yourself (torch.load with '
            f'weights_only=False, then torch.save(state_dict)) and use '
            f'that file.') from err
    except Exception as err:  # noqa: BLE001 - torch raises many kinds here
        raise _unreadable(path, err) from err


def _unpickler_reason(message: str) -> str:
    """The part of torch's weights_only error that names the refused object
    (its wording differs between torch versions)."""
    boilerplate = ('Weights only load failed', 'Check the documentation',
                   '(1)', '(2)', 'Please file an issue', 'In PyTorch 2.6')
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    for line in lines:
        rest = line.partition('WeightsUnpickler error:')[2].strip()
        if rest:
            return rest
    useful = [line for line in lines if not line.startswith(boilerplate)]
    return useful[0] if useful else message


def _unreadable(path: Path, err: Exception) -> CheckpointError:
    return CheckpointError(
        f'{path} is not a readable PyTorch checkpoint (truncated, corrupt or '
        f'another format?): {type(err).__name__}: {err}')


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
        wrapped = [k for k in _WRAPPER_KEYS if isinstance(state.get(k), Mapping)]
        if not wrapped:
            break
        state = state[wrapped[0]]
    if not isinstance(state, Mapping) or not state:
        raise CheckpointError(
            f'{source} holds no state dict (found {type(state).__name__}); '
            f'expected a mapping of parameter names to tensors, possibly under '
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


def load_backbone_state_dict(source: Union[str, Path]
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
    """Read depths and widths off a backbone state dict (for error messages)."""
    depths, dims = [], []
    for i in range(8):
        blocks = {int(m.group(1)) for k in state
                  for m in [re.match(rf'stages\.{i}\.blocks\.(\d+)\.', k)] if m}
        if not blocks:
            break
        depths.append(max(blocks) + 1)
        fc2 = state.get(f'stages.{i}.blocks.0.mlp.fc2.weight')
        dims.append(int(fc2.shape[0]) if fc2 is not None else None)
    return dict(depths=tuple(depths), dims=tuple(dims)) if depths else None
