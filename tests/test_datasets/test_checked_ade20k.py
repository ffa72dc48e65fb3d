"""CheckedADE20KDataset names what is missing before any compute."""
import shutil

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from inceptionnext_seg.datasets import CheckedADE20KDataset
from inceptionnext_seg.datasets.synthetic_ade20k import (CLASSES,
                                                         make_ade20k_like)


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


PIPELINE = [dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', reduce_zero_label=True),
            dict(type='PackSegInputs')]


def build_with_pipeline(root, **kwargs):
    init_default_scope('mmseg')
    return CheckedADE20KDataset(
        data_root=str(root),
        data_prefix=dict(img_path='images/training',
                         seg_map_path='annotations/training'),
        pipeline=PIPELINE, **kwargs)


def sample(root, i, kind='images'):
    folder = root / kind / 'training'
    suffix = '.jpg' if kind == 'images' else '.png'
    return folder / f'ADE_train_{i:08d}{suffix}'


def test_loaders_are_the_checked_ones(root):
    dataset = build_with_pipeline(root)
    names = [type(t).__name__ for t in dataset.pipeline.transforms]
    assert names[:2] == ['CheckedLoadImageFromFile', 'CheckedLoadAnnotations']
    packed = dataset[0]
    # ADE20K's encoding read as mmseg does: 0 ("other") ignored as 255,
    # classes 1..150 shifted to 0..149.
    sample_ = packed['data_samples']
    raw = cv2.imread(sample_.seg_map_path, cv2.IMREAD_UNCHANGED)
    expected = np.where(raw == 0, 255, raw.astype(np.int64) - 1)
    np.testing.assert_array_equal(sample_.gt_sem_seg.data[0].numpy(),
                                  expected)


def corrupt(root, kind):
    import cv2
    import numpy as np
    if kind == 'garbage_image':
        path = sample(root, 2)
        path.write_bytes(b'not a jpeg at all')
        return path, r'cannot read image'
    if kind == 'truncated_image':
        path = sample(root, 2)
        data = path.read_bytes()
        path.write_bytes(data[:len(data) // 2])
        return path, r'truncated JPEG \(image file is truncated'
    if kind == 'garbage_annotation':
        path = sample(root, 2, 'annotations')
        path.write_bytes(b'\x89PNG broken')
        return path, r'cannot read annotation'
    if kind == 'out_of_range':
        path = sample(root, 2, 'annotations')
        label = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        label[0, :3] = (151, 200, 254)
        cv2.imwrite(str(path), label)
        return path, (r'label values \[151, 200, 254\] outside 0\.\.150 '
                      r'\(0 = unlabelled, the 150 classes stored as '
                      r'1\.\.150\) and the ignore value 255$')
    if kind == 'wrong_size':
        path = sample(root, 2, 'annotations')
        cv2.imwrite(str(path), np.ones((10, 10), np.uint8))
        return path, r'annotation size \(10, 10\) differs from its image'
    if kind == 'rgb_annotation':
        path = sample(root, 2, 'annotations')
        cv2.imwrite(str(path), np.ones((32, 48, 3), np.uint8))
        return path, r'grey masks saved with 3 equal channels; save them '\
            r'single-channel'
    raise ValueError(kind)


KINDS = ['garbage_image', 'truncated_image', 'garbage_annotation',
         'out_of_range', 'wrong_size', 'rgb_annotation']


@pytest.mark.parametrize('kind', KINDS)
def test_bad_samples_name_the_file(root, kind):
    from inceptionnext_seg.datasets.transforms import CorruptSampleError
    path, message = corrupt(root, kind)
    dataset = build_with_pipeline(root)
    dataset[0]  # a good sample loads
    with pytest.raises(CorruptSampleError, match=message) as err:
        dataset[1]
    assert str(path) in str(err.value)


def test_ignore_value_255_is_allowed(root):
    import cv2
    path = sample(root, 1, 'annotations')
    label = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    label[0, 0] = 255
    cv2.imwrite(str(path), label)
    loaded = build_with_pipeline(root)[0]['data_samples']
    assert loaded.seg_map_path == str(path)
    # 255 stays the ignore value (reduce_zero_label keeps it), the rest is
    # ADE20K's encoding shifted as usual.
    expected = np.where(label == 0, 255, label.astype(np.int64) - 1)
    expected[0, 0] = 255
    np.testing.assert_array_equal(loaded.gt_sem_seg.data[0].numpy(),
                                  expected)


def test_skip_corrupt_counts_and_reports(root):
    corrupt(root, 'out_of_range')
    dataset = build_with_pipeline(root, skip_corrupt=True)
    paths = [dataset[i]['data_samples'].img_path for i in range(len(dataset))]
    good = [str(sample(root, 1)), str(sample(root, 3))]
    # The valid samples are themselves; index 1 (the bad one) is replaced
    # by one of them.
    assert [paths[0], paths[2]] == good and paths[1] in good
    skipped = dataset.skipped_samples()
    # One entry per skip; the replacement is drawn at random, so the bad
    # sample may be drawn (and skipped) again.
    assert skipped
    assert all('ADE_train_00000002.png: label values' in s for s in skipped)


def test_the_skipped_samples_file_goes_with_the_dataset(root):
    """skip_corrupt's file in the temp folder is removed with the dataset
    (or at exit) by the process that made it; a forked dataloader worker
    that ends with its copy leaves it to the main process."""
    import gc
    import os
    dataset = build_with_pipeline(root, skip_corrupt=True)
    path = dataset.skip_log
    assert os.path.isfile(path)
    pid = os.fork()
    if pid == 0:  # a worker's copy, finalised as the worker ends
        dataset._skip_log_cleanup()
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.path.isfile(path)
    del dataset
    gc.collect()
    assert not os.path.exists(path)


def test_skip_corrupt_never_in_test_mode(root):
    from inceptionnext_seg.datasets.transforms import CorruptSampleError
    corrupt(root, 'garbage_image')
    dataset = build_with_pipeline(root, skip_corrupt=True, test_mode=True)
    with pytest.raises(CorruptSampleError):
        dataset[1]
