# mmsegmentation 1.2.2's configs/_base_/default_runtime.py, unchanged (the same in
# onedl-mmsegmentation 1.4.2). A copy, not `mmseg::`, so that no config
# depends on which distribution is installed: onedl-mmengine finds
# `mmseg::` bases under the name `mmsegmentation` only.
# tests/test_configs/test_mmseg_bases.py compares it with the installed
# mmseg's own copy.
default_scope = 'mmseg'
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False

tta_model = dict(type='SegTTAModel')
