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
import json
from dataclasses import dataclass
from typing import List, Optional

from mmengine.config import Config

from ..checkpoint import CheckpointError, latest_good_checkpoint
from ..checkpoint.reading import read_checkpoint

__all__ = ['TRAINING_KEYS', 'StartPoint', 'choose_start', 'config_changes',
           'training_record']

#: The config keys whose values decide the trained weights: a checkpoint
#: written under other values is not resumed automatically.
TRAINING_KEYS = ('model', 'train_dataloader', 'train_cfg', 'optim_wrapper',
                 'param_scheduler', 'randomness')

#: The optimizer wrappers that ``--amp`` chooses between per machine (bf16
#: from Ampere on, fp16 with a loss scaler before): a job requeued onto
#: another GPU generation trains the same recipe, so their type and
#: precision keys are left out of the record.
PRECISION_WRAPPERS = ('OptimWrapper', 'AmpOptimWrapper', 'BF16OptimWrapper')
PRECISION_KEYS = ('type', 'loss_scale', 'dtype')


@dataclass
class StartPoint:
    """``resume_from``: the checkpoint to resume (weights, optimizer,
    schedulers, iteration); ``load_from``: weights only; ``note``: what to
    log about the choice."""
    resume_from: Optional[str] = None
    load_from: Optional[str] = None
    note: str = ''


def training_record(cfg: Config) -> str:
    """The values of :data:`TRAINING_KEYS` in ``cfg`` as canonical JSON: what
    the runner writes into every checkpoint's ``meta['training_config']``
    and compares on auto_resume (never the config text of the checkpoint,
    whose parsing would run code from the file)."""
    record = {key: _plain(cfg.get(key)) for key in TRAINING_KEYS}
    wrapper = record.get('optim_wrapper')
    if isinstance(wrapper, dict) and wrapper.get(
            'type', 'OptimWrapper') in PRECISION_WRAPPERS:
        record['optim_wrapper'] = {k: v for k, v in wrapper.items()
                                   if k not in PRECISION_KEYS}
    return json.dumps(record, sort_keys=True, default=repr)


def config_changes(saved: str, cfg: Config) -> Optional[List[str]]:
    """The :data:`TRAINING_KEYS` whose values differ between a checkpoint's
    ``meta['training_config']`` and ``cfg``; None when the checkpoint has
    no such record (written by plain mmengine or an older version)."""
    try:
        before = json.loads(saved)
    except (TypeError, ValueError):
        return None
    now = json.loads(training_record(cfg))
    return [key for key in TRAINING_KEYS if before.get(key) != now.get(key)]


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
        changes = config_changes(meta.get('training_config'), cfg)
        if changes is None:
            what = ('it holds no record of its training config: plain '
                    'mmengine or an older version wrote it')
        else:
            what = (f'written by another training config: '
                    f'{", ".join(changes)} differ')
        if changes or changes is None:
            raise CheckpointError(
                f'auto_resume: the newest checkpoint of the work dir, '
                f'{latest} (iteration {meta.get("iter", "?")}), is not '
                f'resumed on its own ({what}). Either resume it anyway with '
                f'--resume (this project\'s or mmseg\'s train.py), or start '
                f'afresh with --fresh (tools/train.py), --cfg-options '
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
