_base_ = ['./fpn_inceptionnext_t_ade20k.py']
model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.2,
        init_cfg=dict(
            checkpoint='https://github.com/sail-sg/inceptionnext/releases/'
            'download/model/inceptionnext_base.pth')),
    neck=dict(in_channels=[128, 256, 512, 1024]))
