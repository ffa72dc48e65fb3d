"""ADE20K: the checked folder dataset with ADE20K's classes and encoding."""
from mmseg.datasets import ADE20KDataset
from mmseg.registry import DATASETS

from .folder import CheckedFolderDataset

__all__ = ['ADE20K_HELP', 'CheckedADE20KDataset']

ADE20K_HELP = (
    'ADE20K (SceneParsing, ADEChallengeData2016) is laid out as\n'
    '  DATA_ROOT/images/{training,validation}/ADE_*.jpg\n'
    '  DATA_ROOT/annotations/{training,validation}/ADE_*.png\n'
    'Download ADEChallengeData2016.zip from the MIT Scene Parsing benchmark '
    '(sceneparsing.csail.mit.edu), then\n'
    '  mkdir -p data/ade && unzip ADEChallengeData2016.zip -d data/ade\n'
    'or point the config at another root with\n'
    '  --cfg-options train_dataloader.dataset.data_root=DIR '
    'val_dataloader.dataset.data_root=DIR '
    'test_dataloader.dataset.data_root=DIR')


@DATASETS.register_module()
class CheckedADE20KDataset(CheckedFolderDataset, ADE20KDataset):
    """mmseg's ``ADE20KDataset`` that fails early, naming what is wrong: the
    checks of :class:`~.folder.CheckedFolderDataset` with ADE20K's 150
    classes, ``.jpg`` images, ``.png`` masks and its encoding (0 =
    unlabelled, class ``i`` stored as ``i + 1``: ``reduce_zero_label``).
    With :class:`~.samplers.SampleSeededInfiniteSampler` each training
    sample's augmentations come from its own seed.

    Args:
        **kwargs: :class:`~.folder.CheckedFolderDataset` arguments.
    """

    DATASET_NAME = 'ADE20K'
    LAYOUT_HELP = ADE20K_HELP.replace('{', '{{').replace('}', '}}')

    def __init__(self, img_suffix: str = '.jpg', seg_map_suffix: str = '.png',
                 reduce_zero_label: bool = True, ignore_index: int = 255,
                 **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         reduce_zero_label=reduce_zero_label,
                         ignore_index=ignore_index, **kwargs)
