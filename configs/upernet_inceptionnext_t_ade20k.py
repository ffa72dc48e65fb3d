# UperNet + InceptionNeXt-T on ADE20K, 8 GPUs x 2 images, 160k iterations,
# crop 512x512: the paper's recipe (section 4.2, appendix A.2, "following
# Swin"). The S and B configs change only the backbone.
_base_ = [
    './_base_/models/upernet_inceptionnext.py',
    './_base_/datasets/ade20k_checked.py',
    './_base_/default_runtime.py',
    './_base_/mmseg/schedules/schedule_160k.py',
]
crop_size = (512, 512)
model = dict(data_preprocessor=dict(size=crop_size))

# AdamW, no weight decay on norm layers.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(norm_decay_mult=0.0))
# 1500 iterations of linear warm-up, then poly decay (power 1) to 0.
warmup_iters = 1500
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=1.0, by_epoch=False,
         begin=warmup_iters, end=_base_.train_cfg.max_iters),
]

# 8 GPUs x 2 images = 16 per iteration. With fewer GPUs keep the total batch
# or pass --auto-scale-lr, which scales lr by (GPUs x batch) / 16.
train_dataloader = dict(batch_size=2)
auto_scale_lr = dict(enable=False, base_batch_size=16)

# Keep the last 3 checkpoints and the best by mIoU.
default_hooks = dict(
    checkpoint=dict(
        max_keep_ckpts=3, save_best='mIoU', rule='greater',
        # written to a temporary file, then renamed: a kill mid-write never
        # leaves a half-written checkpoint under a checkpoint's name
        backend_args=dict(backend='atomic_local')),
    # mmseg's drawing hook; `test.py --show-dir` then needs no training set
    visualization=dict(type='TestVisualizationHook'))
