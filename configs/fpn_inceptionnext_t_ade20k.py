# Semantic FPN + InceptionNeXt-T on ADE20K, 8 GPUs x 4 images, 40k
# iterations, crop 512x512: the paper's recipe ("following PVT/PoolFormer").
# The S and B configs change only the backbone.
_base_ = [
    './_base_/models/fpn_inceptionnext.py',
    './_base_/datasets/ade20k_checked.py',
    './_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_40k.py',
]
crop_size = (512, 512)
model = dict(data_preprocessor=dict(size=crop_size))

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4))
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, by_epoch=False, begin=0,
         end=_base_.train_cfg.max_iters),
]

# 8 GPUs x 4 images = 32 per iteration (see the UperNet config for fewer GPUs).
train_dataloader = dict(batch_size=4)
auto_scale_lr = dict(enable=False, base_batch_size=32)

default_hooks = dict(
    checkpoint=dict(
        max_keep_ckpts=3, save_best='mIoU', rule='greater',
        # written to a temporary file, then renamed: a kill mid-write never
        # leaves a half-written checkpoint under a checkpoint's name
        backend_args=dict(backend='atomic_local')),
    # mmseg's drawing hook; `test.py --show-dir` then needs no training set
    visualization=dict(type='TestVisualizationHook'))
