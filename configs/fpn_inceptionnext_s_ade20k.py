_base_ = ['./fpn_inceptionnext_t_ade20k.py']
model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.2,
        init_cfg=dict(
            checkpoint='https://github.com/sail-sg/inceptionnext/releases/'
            'download/model/inceptionnext_small.pth')))
