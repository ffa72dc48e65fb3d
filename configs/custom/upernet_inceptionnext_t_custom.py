# UperNet + InceptionNeXt-T on your own dataset: a folder of images and a
# folder of index masks (CheckedFolderDataset). Copy this file into your own
# folder and set the block below; it inherits nothing, so it loads from any
# folder wherever the project is installed (`pip install` or `make install`:
# custom_imports then finds the modules). docs/training.md "Your own
# dataset" says how to use it, docs/datasets.md how to check the data first
# (tools/analysis_tools/check_dataset.py CONFIG).
#
# The model, optimizer, hooks and runtime are those of
# configs/upernet_inceptionnext_t_ade20k.py (the paper's UperNet recipe);
# tests/test_configs/test_custom_template.py checks that they stay so.

# ---------------------------------------------------------------- your data
# DATA_ROOT/images/{train,val}/NAME.jpg and DATA_ROOT/masks/{train,val}/
# NAME.png: single-channel masks of the images' size, one value per class.
data_root = 'data/my_dataset'
img_dir, ann_dir = 'images', 'masks'
img_suffix, seg_map_suffix = '.jpg', '.png'
# One class per line, in index order: "NAME" or "NAME R G B" (its colour).
classes_file = f'{data_root}/classes.txt'
num_classes = 6  # the number of classes in classes_file, for both heads
# False: class i is stored as i. True: 0 means "unlabelled" and class i is
# stored as i + 1 (ADE20K); then ignore_index must be 255.
reduce_zero_label = False
# The mask value that counts for nothing: the dataset, both heads' losses,
# the crop, the padding and the metric all take this one.
ignore_index = 255
# None: every class weighs the same in the loss. For imbalanced classes,
# the line tools/analysis_tools/check_dataset.py CONFIG prints (median
# frequency balancing of the training masks), e.g. [0.8, 1.3, ...].
class_weight = None
# mmseg's CrossEntropyLoss stops on class weights at the first ignored pixel
# (IndexError): the project's WeightedCrossEntropyLoss takes them.
loss_type = 'CrossEntropyLoss' if class_weight is None else \
    'WeightedCrossEntropyLoss'

# ------------------------------------------------------------- how to start
# None: the backbone from the ImageNet weights (init_cfg below), the heads
# from scratch. A path: the whole model from that checkpoint, e.g. an
# ADE20K-trained upernet_inceptionnext_t_ade20k.py one; its class convs
# (150 classes) are left at their initialisation (strict_load_except), every
# other tensor must fit. Set it here: `--cfg-options load_from=...` alone
# leaves the class convs strict (the run stops, naming them).
load_from = None
# The heads' class convs, whose shape follows the class count.
class_convs = ['decode_head.conv_seg', 'auxiliary_head.conv_seg']

# ----------------------------------------------------------------- recipe
# Images resized (keep ratio) to about `scale`, x0.5-2.0 for training, then
# cropped: ADE20K's settings, for images up to ~2048x512; for larger images
# raise both (Cityscapes: scale (2048, 1024), crop (512, 1024)).
scale = (2048, 512)
crop_size = (512, 512)
# Iterations of 16 images (8 GPUs x 2): about 100 epochs from ImageNet
# weights (ADE20K's 20k images: 160k iterations = 128 epochs), fewer from an
# ADE20K-trained checkpoint. max_iters = epochs x training images / 16.
# These variables are read when this file is: set them here, not with
# --cfg-options max_iters=... (refused); for a shorter run from the command
# line see docs/training.md#a-shorter-run.
max_iters = 20000
interval = max_iters // 10  # validation and checkpoints
warmup_iters = min(1500, max_iters // 10)

# ----------------------------------------------------------------- model
norm_cfg = dict(type='SyncBN', requires_grad=True)  # one process: as BN
model = dict(
    # mmseg's EncoderDecoder that refuses a checkpoint which does not fit it
    type='StrictEncoderDecoder',
    strict_load_except=class_convs if load_from else [],
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=ignore_index,
        size=crop_size),
    backbone=dict(
        type='InceptionNeXt',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        norm_cfg=norm_cfg,
        drop_path_rate=0.2,
        # from load_from instead, when it is set: no ImageNet download.
        # Offline or from scratch: --cfg-options model.backbone.init_cfg=None
        init_cfg=None if load_from else dict(
            type='Pretrained',
            checkpoint='https://github.com/sail-sg/inceptionnext/releases/'
            'download/model/inceptionnext_tiny.pth')),
    decode_head=dict(
        type='UPerHead',
        in_channels=[96, 192, 384, 768],
        in_index=[0, 1, 2, 3],
        pool_scales=(1, 2, 3, 6),
        channels=512,
        dropout_ratio=0.1,
        num_classes=num_classes,
        norm_cfg=norm_cfg,
        align_corners=False,
        ignore_index=ignore_index,
        loss_decode=dict(
            type=loss_type, use_sigmoid=False, loss_weight=1.0,
            class_weight=class_weight)),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=384,
        in_index=2,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=num_classes,
        norm_cfg=norm_cfg,
        align_corners=False,
        ignore_index=ignore_index,
        loss_decode=dict(
            type=loss_type, use_sigmoid=False, loss_weight=0.4,
            class_weight=class_weight)),
    train_cfg=dict(),
    # whole images; for images much larger than the crop:
    # dict(mode='slide', crop_size=crop_size, stride=(3/4 of the crop))
    test_cfg=dict(mode='whole'))

# ------------------------------------------------------------------- data
dataset = dict(
    type='CheckedFolderDataset',
    data_root=data_root,
    classes_file=classes_file,
    img_suffix=img_suffix,
    seg_map_suffix=seg_map_suffix,
    reduce_zero_label=reduce_zero_label,
    ignore_index=ignore_index)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=reduce_zero_label),
    dict(type='RandomResize', scale=scale, ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75,
         ignore_index=ignore_index),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    # after the resize: the metric compares at the mask's own size
    dict(type='LoadAnnotations', reduce_zero_label=reduce_zero_label),
    dict(type='PackSegInputs'),
]
# multi-scale + flip testing (tools/test.py --tta)
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(
        type='TestTimeAug',
        transforms=[
            [dict(type='Resize', scale_factor=r, keep_ratio=True)
             for r in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)],
            [dict(type='RandomFlip', prob=0., direction='horizontal'),
             dict(type='RandomFlip', prob=1., direction='horizontal')],
            [dict(type='LoadAnnotations')],
            [dict(type='PackSegInputs')],
        ]),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    # each sample seeded: the same augmentations after a resume
    sampler=dict(type='SampleSeededInfiniteSampler', shuffle=True),
    dataset=dict(
        dataset,
        data_prefix=dict(img_path=f'{img_dir}/train',
                         seg_map_path=f'{ann_dir}/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        dataset,
        data_prefix=dict(img_path=f'{img_dir}/val',
                         seg_map_path=f'{ann_dir}/val'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# mmseg's IoUMetric, keeping its per-class results for tools/test.py
val_evaluator = dict(type='ClassIoUMetric', iou_metrics=['mIoU'],
                     ignore_index=ignore_index)
test_evaluator = val_evaluator

# -------------------------------------------------------------- schedule
# The paper's UperNet optimizer: AdamW, no weight decay on norm layers,
# linear warm-up, then poly decay (power 1) to 0.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(norm_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=1.0, by_epoch=False,
         begin=warmup_iters, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# 8 GPUs x 2 images = 16 per iteration. With fewer GPUs keep the total batch
# (tools/train.py --keep-recipe-batch GPUS 2) or pass --auto-scale-lr.
auto_scale_lr = dict(enable=False, base_batch_size=16)

# ---------------------------------------------------------------- runtime
# As configs/_base_/default_runtime.py (which says what each entry is for).
default_scope = 'mmseg'
custom_imports = dict(
    imports=[
        'backbones', 'inceptionnext_seg.models', 'inceptionnext_seg.datasets',
        'inceptionnext_seg.engine', 'inceptionnext_seg.visualization',
        'inceptionnext_seg.evaluation', 'inceptionnext_seg.checkpoint',
        'inceptionnext_seg.checkpoint.mmengine_loader'
    ],
    allow_failed_imports=False)
runner_type = 'SegRunner'
custom_hooks = [
    dict(type='CudaCheckHook'),
    dict(type='HeadDatasetCheckHook'),
    dict(type='PlainCheckpointHook'),
    dict(type='ResumableRandomnessHook'),
    dict(type='NonFiniteLossHook'),
    dict(type='CorruptSampleReportHook'),
    dict(type='TrainingCurvesHook'),
    dict(type='PreemptionHook', signals=['SIGTERM', 'SIGUSR1']),
    dict(type='CheckpointDiskHook'),
    dict(type='EvaluationReportHook'),
    dict(type='ClassScalarsHook'),
]
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # the last 3 and the best by mIoU, written atomically
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=interval,
                    max_keep_ckpts=3, save_best='mIoU', rule='greater',
                    backend_args=dict(backend='atomic_local')),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='TestVisualizationHook'))
auto_resume = True
resume = False
# A fixed seed: a resumed run sees the data order of an uninterrupted one.
randomness = dict(seed=0)
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ContiguousSegLocalVisualizer',
                  vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
tta_model = dict(type='SegTTAModel')
