_base_ = ['./upernet_inceptionnext_t_ade20k.py']
model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.3,
        init_cfg=dict(
            checkpoint='https://github.com/sail-sg/inceptionnext/releases/'
            'download/model/inceptionnext_small.pth')))
