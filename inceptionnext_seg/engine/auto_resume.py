"""Which checkpoint a training run starts from. ``auto_resume = True``
(every config, ``configs/_base_/default_runtime.py``; a key of its own, since
mmseg's train.py overwrites ``resume`` with its ``--resume`` flag) resumes
from the newest complete checkpoint of the work dir when it was written by
the same training config, so a requeued or restarted job, the same command
unchanged, goes on where it stopped; with no checkpoint it starts afresh;
with a checkpoint of another config it stops and names the differences and
the ways on.

``resume = True`` (``--resume`` of this project's and mmseg's train.py)
resumes from the newest complete checkpoint whatever config wrote it, or
from ``load_from`` when that is given (mmengine's meaning). With both False
nothing is resumed (``load_from`` then only initialises the weights).
"""
from dataclasses import dataclass
from typing import List, Optional

from mmengine.config import Config

from ..checkpoint import CheckpointError, latest_good_checkpoint
from ..checkpoint.reading import read_checkpoint

__all__ = ['TRAINING_KEYS', 'StartPoint', 'choose_start', 'config_changes']

#: The config keys whose values decide the trained weights: a checkpoint
#: written under other values is not resumed automatically.
TRAINING_KEYS = ('model', 'train_dataloader', 'train_cfg', 'optim_wrapper',
                 'param_scheduler', 'randomness')


@dataclass
class StartPoint:
    """``resume_from``: the checkpoint to resume (weights, optimizer,
    schedulers, iteration); ``load_from``: weights only; ``note``: what to
    log about the choice."""
    resume_from: Optional[str] = None
    load_from: Optional[str] = None
    note: str = ''


def config_changes(saved_text: str, cfg: Config) -> Optional[List[str]]:
    """The :data:`TRAINING_KEYS` whose values differ between the config a
    checkpoint was written with (its ``meta['cfg']`` text) and ``cfg``;
    None when that text cannot be read as a config."""
    try:
        saved = Config.fromstring(saved_text, '.py')
    except Exception:  # noqa: BLE001 - any config the parser refuses
        return None
    return [key for key in TRAINING_KEYS
            if _plain(saved.get(key)) != _plain(cfg.get(key))]


def _plain(value):
    return value.to_dict() if hasattr(value, 'to_dict') else value


def choose_start(resume: bool, auto_resume: bool, load_from: Optional[str],
                 work_dir: str, cfg: Config) -> StartPoint:
    """The start of a training run (see the module docstring).

    Raises:
        CheckpointError: ``auto_resume`` and the newest checkpoint of the
            work dir was written by another training config, or by a config
            that cannot be read back.
    """
    if auto_resume and not resume:
        latest = latest_good_checkpoint(work_dir)
        if latest is None:
            return StartPoint(load_from=load_from, note=(
                f'auto_resume: no checkpoint in {work_dir}, so training '
                f'starts from the beginning.'))
        meta = read_checkpoint(latest).get('meta', {})
        changes = config_changes(str(meta.get('cfg', '')), cfg)
        if changes:
            what = f'{", ".join(changes)} differ'
        elif changes is None:
            what = 'its config cannot be read back to compare'
        if changes or changes is None:
            raise CheckpointError(
                f'auto_resume: the newest checkpoint of the work dir, '
                f'{latest} (iteration {meta.get("iter", "?")}), was written '
                f'by another training config ({what}), so it is not resumed '
                f'on its own. Either resume it anyway with --resume '
                f'(this project\'s or mmseg\'s train.py), or start afresh '
                f'with --fresh (tools/train.py), --cfg-options '
                f'auto_resume=False or another --work-dir.')
        return StartPoint(resume_from=latest, note=(
            f'auto_resume: resuming from {latest} (iteration '
            f'{meta.get("iter", "?")}), the newest complete checkpoint of '
            f'this work dir, written by the same training config; start '
            f'afresh with --cfg-options auto_resume=False.'))
    if resume:
        if load_from:
            return StartPoint(resume_from=load_from)
        latest = latest_good_checkpoint(work_dir)
        if latest is None:
            return StartPoint(note=(
                f'resume: no checkpoint in {work_dir}, so training starts '
                f'from the beginning.'))
        return StartPoint(resume_from=latest, note=(
            f'resume: resuming from {latest}, the newest complete '
            f'checkpoint of the work dir.'))
    return StartPoint(load_from=load_from)
