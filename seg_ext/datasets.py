"""ADE20K with an up-front check of the dataset layout."""
import os.path as osp
from pathlib import Path
from typing import List

from mmseg.datasets import ADE20KDataset
from mmseg.registry import DATASETS

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


@DATASETS.register_module()
class CheckedADE20KDataset(ADE20KDataset):
    """mmseg's ``ADE20KDataset`` that fails early, naming what is missing.

    Checks, before any compute: the data root and both split folders exist,
    the image folder holds images, and every image has its annotation and
    every annotation its image.
    """

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
