"""CheckedADE20KDataset names what is missing before any compute."""
import shutil

import pytest
from mmengine.registry import init_default_scope

from seg_ext.datasets import CheckedADE20KDataset
from seg_ext.demo_data import CLASSES, make_ade20k_like


@pytest.fixture
def root(tmp_path):
    return make_ade20k_like(tmp_path / 'ADEChallengeData2016', num_train=3,
                            num_val=2, size=(32, 48))


def build(root, split='training'):
    init_default_scope('mmseg')
    return CheckedADE20KDataset(
        data_root=str(root),
        data_prefix=dict(img_path=f'images/{split}',
                         seg_map_path=f'annotations/{split}'),
        pipeline=[])


def test_valid_layout_loads(root):
    dataset = build(root)
    assert len(dataset) == 3
    assert dataset[0]['seg_map_path'].endswith('ADE_train_00000001.png')
    assert dataset.metainfo['classes'][CLASSES['sky'] - 1] == 'sky'


def test_missing_root_says_how_to_get_ade20k(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"(?s)ADE20K data root not "
                       r"found: '.*missing'.*ADEChallengeData2016\.zip"):
        build(tmp_path / 'missing')


def test_missing_split_folder_is_named(root):
    shutil.rmtree(root / 'annotations' / 'validation')
    with pytest.raises(FileNotFoundError, match=r"annotation folder not "
                       r"found: '.*annotations/validation'"):
        build(root, 'validation')


def test_empty_image_folder(root):
    for p in (root / 'images' / 'training').iterdir():
        p.unlink()
    with pytest.raises(FileNotFoundError, match=r'No \*\.jpg images in'):
        build(root)


def test_image_without_annotation(root):
    (root / 'annotations' / 'training' / 'ADE_train_00000002.png').unlink()
    with pytest.raises(FileNotFoundError, match=r"1 image\(s\) .* have no "
                       r"annotation.*ADE_train_00000002\.jpg"):
        build(root)


def test_annotation_without_image(root):
    (root / 'images' / 'training' / 'ADE_train_00000003.jpg').unlink()
    with pytest.raises(FileNotFoundError, match=r"1 annotation\(s\) .* have "
                       r"no image.*ADE_train_00000003\.png"):
        build(root)


def test_demo_data_is_deterministic(tmp_path):
    a = make_ade20k_like(tmp_path / 'a', 2, 1, size=(32, 48), seed=3)
    b = make_ade20k_like(tmp_path / 'b', 2, 1, size=(32, 48), seed=3)
    for path in sorted(a.rglob('*.png')):
        assert path.read_bytes() == (b / path.relative_to(a)).read_bytes()
