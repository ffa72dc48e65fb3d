# The InceptionNeXt-T encoder shared by the UperNet and FPN model files
# (the modules are registered by ../default_runtime.py's custom_imports).
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    # mmseg's EncoderDecoder that refuses a checkpoint which does not fit it
    # (load_from, resume, test, inference); see
    # inceptionnext_seg/models/segmentors/strict_encoder_decoder.py.
    type='StrictEncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='InceptionNeXt',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        norm_cfg=norm_cfg,
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/sail-sg/inceptionnext/releases/'
            'download/model/inceptionnext_tiny.pth')),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
