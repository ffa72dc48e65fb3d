"""Hooks, one per file (mmseg's ``HOOKS``). Every config's ``custom_hooks``
has CudaCheckHook, HeadDatasetCheckHook, PlainCheckpointHook,
ResumableRandomnessHook, NonFiniteLossHook, CorruptSampleReportHook,
TrainingCurvesHook, PreemptionHook, CheckpointDiskHook, EvaluationReportHook
and ClassScalarsHook
(``configs/_base_/default_runtime.py``); the configs' visualization hook is
TestVisualizationHook; SegRunner adds TrainingTimeHook to every training;
tools/train.py and tools/test.py add the others."""
from .class_scalars_hook import ClassScalarsHook
from .corrupt_sample_report_hook import CorruptSampleReportHook
from .checkpoint_disk_hook import CheckpointDiskHook
from .cuda_check_hook import CudaCheckHook
from .evaluation_report_hook import EvaluationReportHook
from .head_dataset_check_hook import HeadDatasetCheckHook, HeadDatasetMismatch
from .non_finite_loss_hook import NonFiniteLossHook
from .param_scheduler_hook import UpdateParamSchedulerHook
from .plain_checkpoint_hook import PlainCheckpointHook
from .preemption_hook import PREEMPTED_EXIT_CODE, PreemptionHook
from .progress_bar_hook import ProgressBarHook
from .resumable_randomness_hook import ResumableRandomnessHook
from .training_curves_hook import TrainingCurvesHook
from .training_time_hook import TrainingTimeHook
from .visualization_hook import TestVisualizationHook

__all__ = [
    'ClassScalarsHook', 'CorruptSampleReportHook', 'CudaCheckHook',
    'HeadDatasetCheckHook', 'HeadDatasetMismatch', 'NonFiniteLossHook',
    'UpdateParamSchedulerHook', 'PlainCheckpointHook', 'ProgressBarHook',
    'ResumableRandomnessHook', 'TrainingCurvesHook', 'TestVisualizationHook',
    'PreemptionHook', 'PREEMPTED_EXIT_CODE', 'CheckpointDiskHook',
    'EvaluationReportHook', 'TrainingTimeHook'
]
