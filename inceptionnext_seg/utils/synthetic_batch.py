"""A random batch as mmseg's dataloader gives it (benchmarks and tests)."""
import torch

__all__ = ['synthetic_batch']


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
