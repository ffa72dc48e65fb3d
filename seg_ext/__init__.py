"""This project's mmseg/mmengine modules; importing the package registers
them (configs do it through ``custom_imports``).

==========================  ==================================================
``segmentors.py``           ``StrictEncoderDecoder``: refuses a checkpoint
                            that does not fit the model, on every loading path
``datasets.py``             ``CheckedADE20KDataset``: checks the layout first
``transforms.py``           loaders that name a corrupt image or annotation
``hooks.py``                GPUs this torch cannot use, plain checkpoints,
                            exact resume, non-finite loss
                            stop, skipped-sample report, test progress bar
``curves.py``               ``training_curves.png`` of every training run
``export.py``               ONNX / TorchScript export and its verification
                            (imported by tools/export.py, not here)
``visualization.py``        mmseg's visualizer and drawing hook, fixed for
                            any image layout and for test-only machines
``checkpoint_io.py``        plain serialisation, atomic file backend, newest
                            complete checkpoint
``safe_checkpoint_loader``  NOT imported here: replaces mmengine's local
                            checkpoint loader (configs import it by name)
``distributed.py``          CPU fallbacks for the distributed GPU recipes
``speed.py``                channels-last preprocessor, bf16 optim wrapper,
                            the mixed-precision choice of ``--amp``
``optim.py``                layer-wise / stage-wise lr decay (ConvNeXt's)
``schedule.py``             the recipe's batch on fewer GPUs (accumulation)
``runtime.py``              config loading, a config's segmentor for
                            analysis, synthetic batches (tools and tests)
``profiling.py``            parameters/MACs, timing and memory primitives
                            (``get_flops``, ``benchmark``, ``summarize``)
``paper.py``                the paper's ADE20K results (``summarize``)
``demo_data.py``            the procedural dataset of ``make demo``
==========================  ==================================================
"""
from .curves import TrainingCurvesHook, plot_curves
from .checkpoint_io import (AtomicLocalBackend, is_complete_checkpoint,
                            latest_good_checkpoint)
from .datasets import ADE20K_HELP, CheckedADE20KDataset, DatasetLayoutError
from .distributed import CPUDistributedDataParallel, use_cpu_processes
from .optim import InceptionNeXtLearningRateDecayOptimizerConstructor
from .hooks import (CorruptSampleReportHook, NonFiniteLossHook,
                    CudaCheckHook, PlainCheckpointHook, ProgressBarHook,
                    ResumableRandomnessHook)
from .segmentors import CheckpointMismatchError, StrictEncoderDecoder
from .schedule import UpdateParamSchedulerHook, keep_recipe_batch
from .speed import (BF16OptimWrapper, ChannelsLastSegDataPreProcessor,
                    amp_optim_wrapper, bf16_supported)
from .transforms import (CheckedLoadAnnotations, CheckedLoadImageFromFile,
                         CorruptSampleError)
from .visualization import ContiguousSegLocalVisualizer, TestVisualizationHook

__all__ = [
    'AtomicLocalBackend', 'is_complete_checkpoint', 'latest_good_checkpoint',
    'ADE20K_HELP', 'CheckedADE20KDataset', 'DatasetLayoutError',
    'CPUDistributedDataParallel', 'use_cpu_processes',
    'CorruptSampleReportHook', 'CudaCheckHook', 'NonFiniteLossHook',
    'PlainCheckpointHook',
    'ProgressBarHook', 'ResumableRandomnessHook', 'TestVisualizationHook',
    'CheckpointMismatchError', 'StrictEncoderDecoder', 'BF16OptimWrapper',
    'ChannelsLastSegDataPreProcessor', 'bf16_supported', 'amp_optim_wrapper',
    'UpdateParamSchedulerHook', 'keep_recipe_batch', 'TrainingCurvesHook',
    'plot_curves',
    'CheckedLoadAnnotations', 'CheckedLoadImageFromFile', 'CorruptSampleError',
    'ContiguousSegLocalVisualizer',
    'InceptionNeXtLearningRateDecayOptimizerConstructor'
]
