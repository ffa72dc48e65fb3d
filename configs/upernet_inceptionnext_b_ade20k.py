_base_ = ['./upernet_inceptionnext_t_ade20k.py']
model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.4,
        init_cfg=dict(
            checkpoint='https://github.com/sail-sg/inceptionnext/releases/'
            'download/model/inceptionnext_base.pth')),
    decode_head=dict(in_channels=[128, 256, 512, 1024]),
    auxiliary_head=dict(in_channels=512))
