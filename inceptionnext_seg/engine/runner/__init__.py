"""This project's mmengine ``Runner`` (``runner_type`` in
``configs/_base_/default_runtime.py``, so mmseg's own train.py and test.py
use it too): :class:`SegRunner` composes one module per job.

==========================  ==============================================
``seg_runner``              ``SegRunner`` (registered also as
                            ``ReadableLogRunner``, its former name)
``training_start``          where a run starts: resume, ``auto_resume``,
                            ``load_from``
``preemption_workers``      dataloader workers that leave the preemption
                            signals to the main process
``worker_count``            dataloader workers capped at the usable CPUs
``checkpoint_metadata``     what each checkpoint records of its training
                            config
``preemption_release``      the preemption hooks' signals given back at
                            the end of training
``console_digest``          the console digest and the end-of-run summary
``config_text``             the config's text formatted once per content,
                            not for each log, dump and checkpoint
``config_keys``             config keys that nothing reads (refused before
                            the run) and schedulers that outlast the run
``pretrained_fetch``        the ImageNet weights fetched before training
                            builds anything; offline, one paragraph
==========================  ==============================================
"""
from .seg_runner import ReadableLogRunner, SegRunner

__all__ = ['SegRunner', 'ReadableLogRunner']
