"""Cityscapes: the checked folder dataset with Cityscapes' 19 training
classes in their labelTrainIds encoding."""
from mmseg.datasets import CityscapesDataset
from mmseg.registry import DATASETS

from .folder import CheckedFolderDataset

__all__ = ['CITYSCAPES_HELP', 'CheckedCityscapesDataset']

CITYSCAPES_HELP = (
    'Cityscapes is laid out as\n'
    '  DATA_ROOT/leftImg8bit/{train,val}/CITY/*_leftImg8bit.png\n'
    '  DATA_ROOT/gtFine/{train,val}/CITY/*_gtFine_labelTrainIds.png\n'
    'Download leftImg8bit_trainvaltest.zip and gtFine_trainvaltest.zip from '
    'cityscapes-dataset.com, unzip both into data/cityscapes, then write the '
    'labelTrainIds masks with mmseg\'s converter:\n'
    '  pip install cityscapesscripts\n'
    '  python mmseg/.mim/tools/dataset_converters/cityscapes.py '
    'data/cityscapes --nproc 8\n'
    'or point the config at another root with --cfg-options '
    'train_dataloader.dataset.data_root=DIR ...')

LABEL_IDS_HINT = (
    'Cityscapes masks for training are the *_gtFine_labelTrainIds.png files '
    '(0..18, 255 = ignored), written by mmseg\'s '
    'tools/dataset_converters/cityscapes.py; values up to 33 are the '
    '*_gtFine_labelIds.png encoding')


@DATASETS.register_module()
class CheckedCityscapesDataset(CheckedFolderDataset, CityscapesDataset):
    """mmseg's ``CityscapesDataset`` that fails early, naming what is wrong:
    the checks of :class:`~.folder.CheckedFolderDataset` with Cityscapes'
    19 classes, ``*_leftImg8bit.png`` images and
    ``*_gtFine_labelTrainIds.png`` masks (class ``i`` stored as ``i``, 255
    ignored); a labelIds mask is named as such.

    Args:
        **kwargs: :class:`~.folder.CheckedFolderDataset` arguments.
    """

    DATASET_NAME = 'Cityscapes'
    LAYOUT_HELP = CITYSCAPES_HELP.replace('{', '{{').replace('}', '}}')
    OUT_OF_RANGE_HINT = LABEL_IDS_HINT

    def __init__(self, img_suffix: str = '_leftImg8bit.png',
                 seg_map_suffix: str = '_gtFine_labelTrainIds.png',
                 reduce_zero_label: bool = False, ignore_index: int = 255,
                 **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         reduce_zero_label=reduce_zero_label,
                         ignore_index=ignore_index, **kwargs)
