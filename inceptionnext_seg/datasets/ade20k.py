"""ADE20K with an up-front check of the dataset layout and checked loading."""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Any, List, Optional

from mmengine.logging import print_log
from mmseg.datasets import ADE20KDataset
from mmseg.registry import DATASETS

from .sample_randomness import SampleSeededDataset
from .transforms.loading import CorruptSampleError

__all__ = ['ADE20K_HELP', 'CheckedADE20KDataset', 'DatasetLayoutError']

# mmseg's loaders and their checked versions (transforms/loading.py).
_CHECKED_LOADERS = {
    'LoadImageFromFile': 'CheckedLoadImageFromFile',
    'LoadAnnotations': 'CheckedLoadAnnotations',
}

ADE20K_HELP = (
    'ADE20K (SceneParsing, ADEChallengeData2016) is laid out as\n'
    '  DATA_ROOT/images/{training,validation}/ADE_*.jpg\n'
    '  DATA_ROOT/annotations/{training,validation}/ADE_*.png\n'
    'Download ADEChallengeData2016.zip from the MIT Scene Parsing benchmark '
    '(sceneparsing.csail.mit.edu), then\n'
    '  mkdir -p data/ade && unzip ADEChallengeData2016.zip -d data/ade\n'
    'or point the config at another root with\n'
    '  --cfg-options train_dataloader.dataset.data_root=DIR '
    'val_dataloader.dataset.data_root=DIR test_dataloader.dataset.data_root=DIR')


class DatasetLayoutError(FileNotFoundError):
    """The dataset folders are missing, empty or unpaired."""


def _use_checked_loaders(node: Any) -> Any:
    """Swap mmseg's loaders for the checked ones in a pipeline config."""
    if isinstance(node, dict):
        node = {k: _use_checked_loaders(v) for k, v in node.items()}
        if node.get('type') in _CHECKED_LOADERS:
            node['type'] = _CHECKED_LOADERS[node['type']]
        return node
    if isinstance(node, (list, tuple)):
        return type(node)(_use_checked_loaders(v) for v in node)
    return node


@DATASETS.register_module()
class CheckedADE20KDataset(SampleSeededDataset, ADE20KDataset):
    """mmseg's ``ADE20KDataset`` that fails early, naming what is wrong.

    Checks, before any compute: the data root and both split folders exist,
    the image folder holds images, and every image has its annotation and
    every annotation its image. While loading, a corrupt or truncated image,
    or an annotation with out-of-range values or the wrong size, raises
    :class:`~inceptionnext_seg.datasets.transforms.CorruptSampleError`
    naming the file. With :class:`~.samplers.SampleSeededInfiniteSampler`
    each training sample's augmentations come from its own seed
    (:class:`~.sample_randomness.SampleSeededDataset`).

    Args:
        skip_corrupt: In training, skip such samples instead (another sample
            is drawn); each is logged, and :class:`CorruptSampleReportHook`
            reports the count at the end. Never in test mode, where skipping
            would change the metrics.
        **kwargs: ``ADE20KDataset`` arguments.
    """

    def __init__(self, skip_corrupt: bool = False, **kwargs) -> None:
        self.skip_corrupt = skip_corrupt
        self.skip_log: Optional[str] = None
        if skip_corrupt:
            # Created before the dataloader forks its workers, so every
            # worker appends to the same file.
            fd, self.skip_log = tempfile.mkstemp(prefix='skipped_samples_',
                                                 suffix='.txt')
            os.close(fd)
        kwargs['pipeline'] = _use_checked_loaders(kwargs.get('pipeline', []))
        super().__init__(**kwargs)

    def prepare_data(self, idx: int) -> Any:
        try:
            return super().prepare_data(idx)
        except CorruptSampleError as err:
            if not self.skip_corrupt or self.test_mode:
                raise
            print_log(f'Skipping a corrupt sample: {err}', logger='current',
                      level=30)
            with open(self.skip_log, 'a') as f:
                f.write(f'{err}\n')
            return None  # BaseDataset.__getitem__ then draws another index

    def skipped_samples(self) -> List[str]:
        """The corrupt samples skipped so far, by every worker."""
        if not self.skip_log or not osp.exists(self.skip_log):
            return []
        with open(self.skip_log) as f:
            return [line.rstrip('\n') for line in f if line.strip()]

    def load_data_list(self) -> List[dict]:
        img_dir = self.data_prefix.get('img_path')
        ann_dir = self.data_prefix.get('seg_map_path')
        root = self.data_root or ''
        if root and not osp.isdir(root):
            raise DatasetLayoutError(
                f'ADE20K data root not found: {root!r}.\n{ADE20K_HELP}')
        for kind, folder in (('image', img_dir), ('annotation', ann_dir)):
            if folder and not osp.isdir(folder):
                raise DatasetLayoutError(
                    f'ADE20K {kind} folder not found: {folder!r} (data root '
                    f'{root!r}).\n{ADE20K_HELP}')
        data_list = super().load_data_list()
        if not data_list:
            raise DatasetLayoutError(
                f'No *{self.img_suffix} images in {img_dir!r}.\n{ADE20K_HELP}')
        if ann_dir:
            self._check_pairs(data_list, img_dir, ann_dir)
        return data_list

    def _check_pairs(self, data_list: List[dict], img_dir: str,
                     ann_dir: str) -> None:
        missing = [d['img_path'] for d in data_list
                   if not osp.isfile(d['seg_map_path'])]
        if missing:
            raise DatasetLayoutError(
                f'{len(missing)} image(s) in {img_dir!r} have no annotation '
                f'*{self.seg_map_suffix} in {ann_dir!r}, e.g. '
                f'{missing[:3]} (expected '
                f'{osp.join(ann_dir, Path(missing[0]).stem)}'
                f'{self.seg_map_suffix}).')
        images = {osp.relpath(d['seg_map_path'], ann_dir) for d in data_list}
        orphans = sorted(
            str(p.relative_to(ann_dir))
            for p in Path(ann_dir).rglob(f'*{self.seg_map_suffix}')
            if str(p.relative_to(ann_dir)) not in images)
        if orphans:
            raise DatasetLayoutError(
                f'{len(orphans)} annotation(s) in {ann_dir!r} have no image '
                f'*{self.img_suffix} in {img_dir!r}, e.g. {orphans[:3]}.')
