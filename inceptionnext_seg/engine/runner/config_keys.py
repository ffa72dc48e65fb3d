"""Config keys that nothing reads, found before a run starts.

A config file's top-level variables (``max_iters``, ``crop_size``,
``num_classes``, ``data_root``) are read only while the file is parsed:
``train_cfg = dict(max_iters=max_iters)`` copies the value. Changed
afterwards (``--cfg-options max_iters=4``), the variable changes and
nothing else does: mmengine accepts the key and the run trains for the
config's iterations. :func:`check_config_keys` compares the config the
runner gets with its file as written and refuses a top-level key that the
options changed or added, that neither mmengine's ``Runner`` nor the tools
read, and that the config uses under the same name deeper down, naming the
keys to set (``train_cfg.max_iters``); any other such key is logged as
unread. It also warns when a scheduler outlasts the run (a long warm-up in
a short run keeps the lr near its start). Both checks run in
``SegRunner.from_cfg``, so mmseg's own ``train.py`` and ``test.py`` get
them too.
"""
import inspect
import logging
import os.path as osp
from typing import Any, Iterator, List, Tuple

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner

__all__ = ['check_config_keys', 'UnreadConfigKeyError', 'unread_keys',
           'outlasting_schedulers']

#: Top-level keys that something reads at run time: mmengine's ``Runner``
#: (its arguments), the tools (mmseg's and this project's) and mmseg.apis.
READ_KEYS = frozenset(inspect.signature(Runner.__init__).parameters) | {
    '_base_', 'runner_type', 'custom_imports', 'default_scope', 'launcher',
    'resume', 'load_from', 'work_dir', 'auto_resume', 'tta_model',
    'tta_pipeline', 'test_pipeline', 'model_wrapper_cfg', 'log_level',
    'dist_params', 'compile', 'strategy', 'filename', 'text', 'pretty_text',
}

#: Keys that take a variable's value under another name.
RELATED = {'crop_size': ('model.data_preprocessor.size', )}

#: The recipe for a shorter run (docs/training.md).
SHORT_RUN = 'docs/training.md#a-shorter-run'


class UnreadConfigKeyError(ValueError):
    """A top-level key was set that nothing reads; the message names the
    keys that take the value."""


def check_config_keys(cfg: Config) -> None:
    """Refuse a key that nothing reads (:func:`unread_keys`), log the ones
    nothing is known to read, and warn about schedulers that outlast the
    run (:func:`outlasting_schedulers`).

    Args:
        cfg: the config the runner is built from, options merged.

    Raises:
        UnreadConfigKeyError: a changed top-level key that the config uses
            under the same name deeper down.
    """
    refused = []
    for key, value, used_at in unread_keys(cfg):
        if used_at:
            refused.append(
                f'{key}={value!r}: nothing reads the top-level `{key}` after '
                f'the config file is parsed, so this run would ignore it; '
                'set ' + ', '.join(f'{path}={value!r}' for path in used_at)
                + f' (now {_values(cfg, used_at)})')
        else:
            print_log(f'The config key `{key}` ({value!r}) was set, but '
                      f'nothing that this run uses reads it.',
                      logger='current', level=logging.WARNING)
    if refused:
        raise UnreadConfigKeyError(
            'Config keys that nothing reads:\n  ' + '\n  '.join(refused)
            + f'\nTo shorten a run: {SHORT_RUN}.')
    for message in outlasting_schedulers(cfg):
        print_log(message, logger='current', level=logging.WARNING)


def unread_keys(cfg: Config) -> List[Tuple[str, Any, List[str]]]:
    """Top-level keys whose value differs from the config file's as written
    (set or changed by ``--cfg-options`` or by code) and that nothing reads
    at run time.

    Args:
        cfg: a config loaded from a file (without ``cfg.filename``, or where
            the file is gone, nothing is found).

    Returns:
        ``(key, value, used_at)`` for each: ``used_at`` lists the deeper
        keys with the same last name (``train_cfg.max_iters``).
    """
    filename = getattr(cfg, 'filename', None)
    if not filename or not osp.isfile(filename):
        return []
    written = Config.fromfile(filename)
    tree = cfg.to_dict()
    found = []
    for key in cfg.keys():
        if key in READ_KEYS or key.startswith('_'):
            continue
        value = cfg[key]
        if key in written and _plain(written[key]) == _plain(value):
            continue
        # Only where something reads it: not under another variable
        # (`train_pipeline.3.crop_size`, itself copied at parse time).
        used_at = [path for path, _ in _nested(tree, key)
                   if '.' in path and path.split('.')[0] in READ_KEYS]
        used_at += [path for path in RELATED.get(key, ())
                    if _has(tree, path) and path not in used_at]
        found.append((key, _plain(value), used_at))
    return found


def outlasting_schedulers(cfg: Config) -> List[str]:
    """Warnings for iteration-based schedulers that begin or end after the
    run's last iteration (``train_cfg.max_iters``).

    Args:
        cfg: the config, options merged.

    Returns:
        One message per such scheduler, naming its keys.
    """
    train_cfg = cfg.get('train_cfg') or {}
    max_iters = train_cfg.get('max_iters')
    schedulers = cfg.get('param_scheduler') or []
    if not isinstance(max_iters, int) or train_cfg.get('by_epoch'):
        return []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    messages = []
    for i, scheduler in enumerate(schedulers):
        if scheduler.get('by_epoch', True):  # mmengine's default
            continue
        end = scheduler.get('end')
        if isinstance(end, int) and end > max_iters:
            messages.append(
                f"param_scheduler.{i} ({scheduler.get('type')}) ends at "
                f'iteration {end}, after the run\'s last '
                f'(train_cfg.max_iters={max_iters}): the lr never reaches '
                f"the end of this phase. Set param_scheduler.{i}.end (and "
                f'the next phase\'s begin) for a shorter run: {SHORT_RUN}.')
    return messages


def _nested(tree: Any, name: str, prefix: str = '') -> Iterator[
        Tuple[str, Any]]:
    """``(path, value)`` of every key called ``name`` in a tree of dicts
    and lists."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            path = f'{prefix}.{key}' if prefix else str(key)
            if key == name:
                yield path, value
            yield from _nested(value, name, path)
    elif isinstance(tree, (list, tuple)):
        for i, value in enumerate(tree):
            yield from _nested(value, name, f'{prefix}.{i}')


def _at(tree: Any, path: str) -> Any:
    for part in path.split('.'):
        tree = tree[int(part)] if isinstance(tree, list) else tree[part]
    return tree


def _has(tree: Any, path: str) -> bool:
    try:
        _at(tree, path)
    except (KeyError, IndexError, ValueError, TypeError):
        return False
    return True


def _values(cfg: Config, paths: List[str]) -> str:
    """The current values at ``paths``, for the message."""
    tree = cfg.to_dict()
    return ', '.join(repr(_plain(_at(tree, path))) for path in paths)


def _plain(value: Any) -> Any:
    """Config values as plain Python (tuples as lists), to compare."""
    if hasattr(value, 'to_dict'):
        value = value.to_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
