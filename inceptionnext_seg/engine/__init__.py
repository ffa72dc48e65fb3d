"""The training loop's extensions: the runner (``RUNNERS``), hooks,
optimizers and optimizer wrappers (mmseg's ``HOOKS``, ``OPTIM_WRAPPERS``,
``OPTIM_WRAPPER_CONSTRUCTORS``), the CPU model wrapper
(``MODEL_WRAPPERS``), and the config rewrites of
``tools/train.py`` (``--amp``, ``--keep-recipe-batch``)."""
from .cpu_distributed import (CPUDistributedDataParallel, end_cpu_processes,
                              use_cpu_processes)
from .auto_resume import choose_start
from .hooks import (PREEMPTED_EXIT_CODE, CheckpointDiskHook,
                    CorruptSampleReportHook, CudaCheckHook,
                    EvaluationReportHook,
                    HeadDatasetCheckHook, NonFiniteLossHook,
                    PlainCheckpointHook, PreemptionHook, ProgressBarHook,
                    ResumableRandomnessHook, TestVisualizationHook,
                    TrainingCurvesHook, UpdateParamSchedulerHook)
from .mixed_precision import amp_optim_wrapper, bf16_supported
from .optimizers import (BF16OptimWrapper,
                         InceptionNeXtLearningRateDecayOptimizerConstructor)
from .recipe_batch import keep_recipe_batch
from .runner import ReadableLogRunner, SegRunner

__all__ = [
    'CPUDistributedDataParallel', 'use_cpu_processes', 'end_cpu_processes',
    'CorruptSampleReportHook', 'CudaCheckHook', 'HeadDatasetCheckHook',
    'NonFiniteLossHook', 'PlainCheckpointHook', 'ProgressBarHook',
    'ResumableRandomnessHook', 'TestVisualizationHook', 'TrainingCurvesHook',
    'UpdateParamSchedulerHook',
    'amp_optim_wrapper', 'bf16_supported', 'BF16OptimWrapper',
    'InceptionNeXtLearningRateDecayOptimizerConstructor', 'keep_recipe_batch',
    'SegRunner', 'ReadableLogRunner', 'PreemptionHook', 'PREEMPTED_EXIT_CODE',
    'CheckpointDiskHook', 'EvaluationReportHook', 'choose_start'
]
