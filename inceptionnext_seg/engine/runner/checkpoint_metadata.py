"""What each checkpoint records of its run: ``meta['training_config']``,
the values that ``auto_resume`` compares before it resumes
(:func:`~..auto_resume.training_record`)."""
from typing import Optional

__all__ = ['checkpoint_meta']


def checkpoint_meta(cfg, meta: Optional[dict] = None) -> dict:
    """``meta`` (mmengine's checkpoint metadata) with ``training_config``.

    Args:
        cfg: the run's config.
        meta: the metadata mmengine was given, if any (not changed).
    """
    from ..auto_resume import training_record
    return dict(meta or {}, training_config=training_record(cfg))
