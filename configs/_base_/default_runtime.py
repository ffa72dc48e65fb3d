# mmseg's runtime, plus what every run of this project gets whichever tool
# starts it: ours, mmseg's own tools/train.py and tools/test.py, mmseg.apis,
# or a Runner a user builds from the config.
_base_ = ['./mmseg/default_runtime.py']
custom_imports = dict(
    imports=[
        'backbones',  # the InceptionNeXt backbone
        # StrictEncoderDecoder, the channels-last preprocessor
        'inceptionnext_seg.models',
        # CheckedADE20KDataset, the loaders that name a corrupt file, the
        # sampler that seeds each training sample
        'inceptionnext_seg.datasets',
        # the hooks below, optimizers, the CPU model wrapper
        'inceptionnext_seg.engine',
        # ContiguousSegLocalVisualizer
        'inceptionnext_seg.visualization',
        # ClassIoUMetric
        'inceptionnext_seg.evaluation',
        # the 'atomic_local' file backend of the checkpoint hook
        'inceptionnext_seg.checkpoint',
        # Replaces mmengine's checkpoint loaders (local files, http(s)), for
        # the whole process, by ones that never unpickle code: weights_only
        # plus an allowlist of mmengine's data classes; refuses the schemes
        # mmengine reads unrestricted
        # (inceptionnext_seg/checkpoint/mmengine_loader.py).
        'inceptionnext_seg.checkpoint.mmengine_loader',
    ],
    allow_failed_imports=False)
# mmengine's Runner with this project's run policies
# (inceptionnext_seg/engine/runner/): where training starts (auto_resume
# below), dataloader workers safe from the preemption signals, the training
# config in each checkpoint, the signals given back after training, and a
# console people read: long blocks (environment, config, hook order) as one
# line pointing to the log file, which keeps everything; per-class tables
# with the classes that occur; a summary of the metrics and files at the end.
# 'ReadableLogRunner', its former name, still works.
runner_type = 'SegRunner'
# Keep these when adding hooks: custom_hooks = _base_.custom_hooks + [...]
custom_hooks = [
    # stop when the GPUs cannot be used by this torch (driver, architecture)
    # instead of training on the CPU
    dict(type='CudaCheckHook'),
    # stop when a head's num_classes or ignore_index is not the dataset's
    # (mmseg would train or evaluate on anyway)
    dict(type='HeadDatasetCheckHook'),
    # checkpoints that load with plain torch.load(weights_only=True)
    dict(type='PlainCheckpointHook'),
    # a resumed run ends with the weights of an uninterrupted one
    dict(type='ResumableRandomnessHook'),
    # stop on a NaN or infinite loss instead of training on
    dict(type='NonFiniteLossHook'),
    # report samples skipped with train_dataloader.dataset.skip_corrupt=True
    dict(type='CorruptSampleReportHook'),
    # WORK_DIR/training_curves.png: loss, lr and validation metrics
    dict(type='TrainingCurvesHook'),
    # on SIGTERM/SIGUSR1 (preemption, SLURM's warning before the time limit)
    # finish the iteration, write its checkpoint and exit with status 75
    dict(type='PreemptionHook', signals=['SIGTERM', 'SIGUSR1']),
    # say at the start how much disk the checkpoints will take
    dict(type='CheckpointDiskHook'),
    # after testing with ReportIoUMetric (tools/test.py --report, or mmseg's
    # test.py with test_evaluator.type=ReportIoUMetric), render its HTML
    # report from the data the metric saved
    dict(type='EvaluationReportHook'),
    # each class's IoU and Acc of every validation in the logged scalars
    # (the JSON log, TensorBoard): IoU.<class>, Acc.<class>
    dict(type='ClassScalarsHook'),
]
# Resume from the newest complete checkpoint of the work dir when the same
# training config wrote it (a requeued or restarted job, the same command
# unchanged, goes on where it stopped); start afresh when there is none; stop
# and say so when another config wrote it. auto_resume=False (--fresh) starts
# afresh, --resume (resume=True) resumes whatever config wrote the checkpoint
# (inceptionnext_seg/engine/auto_resume.py). A key of its own: mmseg's
# train.py sets `resume` from its --resume flag.
auto_resume = True
# A fixed seed, so that a resumed run sees the data order and augmentations
# of an uninterrupted one: mmengine draws a new seed per run when none is
# given, and builds the training sampler with it before the checkpoint's
# seed is read. Another seed: --cfg-options randomness.seed=N.
randomness = dict(seed=0)
# mmseg's visualizer, made to accept any image layout (mmseg's own
# browse_dataset.py passes images that OpenCV refuses to draw on).
# TensorBoard too (pip install tensorboard): add vis_backends=[
#     dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='ContiguousSegLocalVisualizer')
