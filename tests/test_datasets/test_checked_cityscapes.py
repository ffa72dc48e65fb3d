"""CheckedCityscapesDataset reads Cityscapes' own layout and names the
labelIds / labelTrainIds mix-up."""
import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from inceptionnext_seg.datasets import (CheckedCityscapesDataset,
                                        CorruptSampleError,
                                        DatasetLayoutError)
from tests.helpers.datasets import make_cityscapes_like

LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
        dict(type='PackSegInputs')]


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    return make_cityscapes_like(tmp_path_factory.mktemp('cs') / 'cityscapes',
                                per_city=2, size=(32, 64))


def build(root, split='train', **kwargs):
    init_default_scope('mmseg')
    return CheckedCityscapesDataset(
        data_root=str(root), data_prefix=dict(
            img_path=f'leftImg8bit/{split}', seg_map_path=f'gtFine/{split}'),
        pipeline=LOAD, **kwargs)


def test_the_layout_loads_with_train_ids_as_they_are(root):
    dataset = build(root)
    assert len(dataset) == 4  # two cities x 2
    assert len(dataset.metainfo['classes']) == 19
    sample = dataset[3]['data_samples']
    assert '/bremen/' in sample.img_path
    raw = cv2.imread(sample.seg_map_path, cv2.IMREAD_UNCHANGED)
    assert sample.seg_map_path.endswith('_gtFine_labelTrainIds.png')
    np.testing.assert_array_equal(sample.gt_sem_seg.data[0].numpy(), raw)
    assert len(build(root, 'val')) == 2


def test_label_ids_masks_are_named_as_such(root):
    dataset = build(root, seg_map_suffix='_gtFine_labelIds.png')
    with pytest.raises(CorruptSampleError, match=r'outside 0\.\.18 and the '
                       r'ignore value 255\. .*labelTrainIds.*labelIds') as err:
        dataset[0]
    assert '_gtFine_labelIds.png' in str(err.value)


def test_a_missing_root_says_how_to_get_cityscapes(tmp_path):
    with pytest.raises(DatasetLayoutError, match=r'(?s)Cityscapes data root '
                       r'not found.*dataset_converters/cityscapes\.py'):
        build(tmp_path / 'cityscapes')
