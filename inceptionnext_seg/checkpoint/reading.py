"""Reading checkpoint files without executing code from them.

Every file is treated as untrusted: ``.safetensors`` files are read with
safetensors, everything else with ``torch.load(weights_only=True)``, so a file
whose unpickling would run code is refused instead of executed. The only
objects allowed besides tensors and plain containers are the data classes that
a checkpoint written by plain mmengine holds (see
:func:`mmengine_data_globals`).
On torch < 2.6 the same allowlist is enforced by :class:`_AllowlistUnpickler`.
"""
import _compat_pickle
import codecs
import importlib
import inspect
import pickle
from pathlib import Path
from typing import Any, List, Optional, Tuple, Union

import torch

from ..environment import major_minor

__all__ = ['CheckpointError', 'read_checkpoint', 'mmengine_data_globals',
           'native_safe_globals']


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be found, read, trusted or matched."""


class _Refused(pickle.UnpicklingError):
    """An object outside the allowlist (the reason is the message)."""


def read_checkpoint(path: Union[str, Path], map_location: str = 'cpu') -> Any:
    """Read a checkpoint file without executing code from it.

    Args:
        path: A ``.safetensors`` file or a file written by ``torch.save``.
        map_location: Device to load the tensors to.

    Returns:
        The deserialised object (tensors, containers, plain values and
        mmengine's logging data only).

    Raises:
        CheckpointError: naming the file, for a missing, unreadable or
            refused file.
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
    # (private numpy names, pinned by the stock-checkpoint test of
    # tests/test_checkpoint/test_reading.py).
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
