"""The paper's ADE20K results (arXiv:2303.16900, Tables 6 and 7), keyed by
this project's config names: mIoU, how it was tested, parameters (M,
auxiliary head included) and MACs (G; UperNet at 512x2048, FPN at
512x512)."""

__all__ = ['PAPER_ADE20K', 'MACS_SHAPE']

PAPER_ADE20K = {
    'upernet_inceptionnext_t_ade20k': dict(miou=47.9, test='ms', params=56,
                                           macs=933),
    'upernet_inceptionnext_s_ade20k': dict(miou=50.0, test='ms', params=78,
                                           macs=1020),
    'upernet_inceptionnext_b_ade20k': dict(miou=50.6, test='ms', params=115,
                                           macs=1159),
    'fpn_inceptionnext_t_ade20k': dict(miou=43.1, test='ss', params=28,
                                       macs=44),
    'fpn_inceptionnext_s_ade20k': dict(miou=45.6, test='ss', params=50,
                                       macs=65),
    'fpn_inceptionnext_b_ade20k': dict(miou=46.4, test='ss', params=85,
                                       macs=100),
}

# The input size at which the paper counts MACs, by decode head.
MACS_SHAPE = {'UPerHead': (512, 2048), 'FPNHead': (512, 512)}
