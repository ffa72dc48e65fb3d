"""Real images as the exported graph takes them, read through the config's
own test pipeline (its test-time resize), with their label maps where the
source has them: the calibration and verification data of the int8 export."""
import os.path as osp
from pathlib import Path
from typing import Iterator, List, NamedTuple, Optional, Tuple

import numpy as np

__all__ = ['PipelineImage', 'pipeline_images', 'IMAGE_SUFFIXES']

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
SPLITS = ('train', 'val', 'test')


class PipelineImage(NamedTuple):
    name: str
    image: np.ndarray  # float32 1 x 3 x H x W, BGR, 0..255, test-resized
    labels: Optional[np.ndarray]  # int64 h x w at the original size
    original_shape: Tuple[int, int]  # h, w of the image file


def _test_pipeline(cfg, with_labels: bool) -> List[dict]:
    pipeline = [dict(t) for t in cfg.test_dataloader.dataset.pipeline]
    if not with_labels:
        pipeline = [t for t in pipeline if t['type'] != 'LoadAnnotations']
    return pipeline


def pipeline_images(cfg, source: str, skip: int = 0,
                    count: Optional[int] = None) -> Iterator[PipelineImage]:
    """``count`` images of ``source`` after the first ``skip``.

    ``source``: ``train``, ``val`` or ``test`` (that dataloader's dataset of
    the config, read with the test pipeline, labels included), a folder of
    images (sorted by name, no labels) or one image file.
    """
    from mmengine.dataset import Compose
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    stop = None if count is None else skip + count
    if source in SPLITS:
        dataset_cfg = dict(cfg[f'{source}_dataloader'].dataset)
        dataset_cfg['pipeline'] = _test_pipeline(cfg, with_labels=True)
        dataset_cfg['test_mode'] = True
        dataset = DATASETS.build(dataset_cfg)
        for index in range(skip, min(stop or len(dataset), len(dataset))):
            packed = dataset[index]
            sample = packed['data_samples']
            labels = (sample.gt_sem_seg.data[0].numpy().astype(np.int64)
                      if 'gt_sem_seg' in sample else None)
            yield PipelineImage(osp.basename(sample.img_path),
                                _as_batch(packed['inputs']), labels,
                                tuple(sample.ori_shape))
        return
    folder = Path(source)
    if folder.is_file():
        files = [folder]
    elif not folder.is_dir():
        raise FileNotFoundError(
            f'{source!r}: neither an image, a folder of images nor one of '
            f'{", ".join(SPLITS)} (a split of the config).')
    else:
        files = sorted(p for p in folder.iterdir()
                       if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise FileNotFoundError(f'{source!r}: no images '
                                f'({", ".join(IMAGE_SUFFIXES)}).')
    pipeline = Compose(_test_pipeline(cfg, with_labels=False))
    for path in files[skip:stop]:
        packed = pipeline(dict(img_path=str(path)))
        yield PipelineImage(path.name, _as_batch(packed['inputs']), None,
                            tuple(packed['data_samples'].ori_shape))


def _as_batch(inputs) -> np.ndarray:
    return inputs.numpy().astype(np.float32)[None]
