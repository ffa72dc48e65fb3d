"""Helpers shared by the tools and tests: read a config, build its segmentor
for analysis, make a synthetic batch."""
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope

__all__ = ['load_config', 'build_segmentor_for_analysis', 'synthetic_batch']


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config (its ``custom_imports`` register this project's modules)
    and merge ``--cfg-options`` (as parsed by mmengine's ``DictAction``)."""
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def build_segmentor_for_analysis(config: str,
                                 cfg_options: Optional[dict] = None,
                                 keep_init_cfg: bool = False
                                 ) -> torch.nn.Module:
    """Build a config's segmentor on the CPU in one process, in eval mode:
    SyncBN reverted to BN, and (unless ``keep_init_cfg``) no pretrained
    weights to download. Weights are not initialised; call
    ``init_weights()`` for that."""
    from mmseg.registry import MODELS
    cfg = load_config(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    if not keep_init_cfg:
        cfg.model.backbone.init_cfg = None
    return revert_sync_batchnorm(MODELS.build(cfg.model)).eval()


def synthetic_batch(n: int = 2, size: int = 64, num_classes: int = 150,
                    seed: int = 0) -> dict:
    """A random uint8 batch with labels, as mmseg's dataloader gives it to
    the data preprocessor (``inputs`` list, ``data_samples`` list); the
    same ``seed`` gives the same batch, whatever torch's global seed."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(n):
        inputs.append(torch.randint(0, 256, (3, size, size), generator=gen,
                                    dtype=torch.uint8))
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.randint(
            0, num_classes, (1, size, size), generator=gen))
        sample.set_metainfo(dict(img_shape=(size, size),
                                 ori_shape=(size, size),
                                 pad_shape=(size, size)))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)
