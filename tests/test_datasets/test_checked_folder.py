"""CheckedFolderDataset: the user's own images and index masks, with every
setting explicit and everything that would make training wrong named."""
import shutil

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from inceptionnext_seg.datasets import (CheckedFolderDataset,
                                        CorruptSampleError,
                                        DatasetConfigError,
                                        DatasetLayoutError,
                                        read_classes_file)
from tests.helpers.datasets import CUSTOM_CLASSES, make_custom_like

LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
        dict(type='PackSegInputs')]


@pytest.fixture
def root(tmp_path):
    return make_custom_like(tmp_path / 'my_data', num_train=3, num_val=1,
                            size=(24, 32))


def build(root, split='train', pipeline=LOAD, **overrides):
    init_default_scope('mmseg')
    settings = dict(
        data_root=str(root), classes_file=str(root / 'classes.txt'),
        data_prefix=dict(img_path=f'images/{split}',
                         seg_map_path=f'masks/{split}'),
        img_suffix='.jpg', seg_map_suffix='.png', reduce_zero_label=False,
        ignore_index=255, pipeline=pipeline)
    settings.update(overrides)
    return CheckedFolderDataset(**{k: v for k, v in settings.items()
                                   if v is not None})


def mask(root, i, split='train'):
    return root / 'masks' / split / f'scene_{i:03d}.png'


def test_the_classes_file_gives_classes_and_palette_and_masks_load_as_is(
        root):
    dataset = build(root)
    assert len(dataset) == 3
    assert dataset.metainfo['classes'] == tuple(n for n, _ in CUSTOM_CLASSES)
    assert [list(c) for c in dataset.metainfo['palette']] == [
        list(c) for _, c in CUSTOM_CLASSES]
    names = [type(t).__name__ for t in dataset.pipeline.transforms]
    assert names[:2] == ['CheckedLoadImageFromFile', 'CheckedLoadAnnotations']
    assert dataset.pipeline.transforms[1].num_classes == len(CUSTOM_CLASSES)
    sample = dataset[1]['data_samples']
    raw = cv2.imread(str(mask(root, 1)), cv2.IMREAD_UNCHANGED)
    assert 255 in raw and raw[raw != 255].max() > 0  # ignored and classes
    np.testing.assert_array_equal(sample.gt_sem_seg.data[0].numpy(), raw)


def test_classes_from_the_config_and_masks_next_to_the_images(root):
    folder = root / 'images' / 'train'
    for i in range(3):
        shutil.copy(mask(root, i), folder / f'scene_{i:03d}_mask.png')
    dataset = build(root, classes_file=None, seg_map_suffix='_mask.png',
                    data_prefix=dict(img_path='images/train',
                                     seg_map_path='images/train'),
                    metainfo=dict(classes=('a', 'b', 'c', 'd', 'e', 'f')))
    assert len(dataset) == 3 and len(dataset.metainfo['palette']) == 6
    assert dataset[0]['data_samples'].seg_map_path.endswith('_mask.png')


def test_every_setting_that_decides_the_labels_is_explicit(root):
    with pytest.raises(DatasetConfigError,
                       match=r'set seg_map_suffix, reduce_zero_label, '
                       r'ignore_index explicitly'):
        build(root, seg_map_suffix=None, reduce_zero_label=None,
              ignore_index=None)
    with pytest.raises(DatasetConfigError, match='True or False'):
        build(root, reduce_zero_label=1)


@pytest.mark.parametrize('overrides, message', [
    (dict(classes_file=None), r'no classes: give metainfo'),
    (dict(ignore_index=3), r"ignore_index=3 is the index of class "
                           r"'ground'"),
    (dict(reduce_zero_label=True, ignore_index=-1),
     r'ignore_index must be 255 \(got -1\)'),
    (dict(classes_file=None, metainfo=dict(classes=('a', 'b', 'a'))),
     r"class names repeated: \['a'\]"),
    (dict(classes_file=None, metainfo=dict(classes=('a', 'b'),
                                           palette=[[0, 0, 0]])),
     r'one colour \[R, G, B\] .* 2 classes, 1 colours'),
    (dict(pipeline=[dict(type='LoadImageFromFile'),
                    dict(type='LoadAnnotations', num_classes=150)]),
     r"LoadAnnotations has num_classes=150, the dataset 6"),
    (dict(data_prefix=dict(img_path='images/train',
                           seg_map_path='images/train'),
          seg_map_suffix='.jpg'), r'each image would be its own mask'),
])
def test_settings_that_cannot_describe_the_masks_are_refused(
        root, overrides, message):
    with pytest.raises(DatasetConfigError, match=message):
        build(root, **overrides)


def test_classes_file_errors_name_the_line(tmp_path):
    path = tmp_path / 'classes.txt'
    path.write_text('# name R G B\nroad 128 64 128\n\nsky\n')
    with pytest.raises(DatasetConfigError, match=r"1 have none, e.g. "
                       r"\['sky'\]"):
        read_classes_file(str(path))
    path.write_text('traffic light, 250, 170, 300\n')
    with pytest.raises(DatasetConfigError, match=r'classes.txt:1: colour '
                       r"\[250, 170, 300\] of 'traffic light'"):
        read_classes_file(str(path))
    path.write_text('traffic light, 250, 170, 30\nsky 70 130 180\n')
    assert read_classes_file(str(path)) == (
        ['traffic light', 'sky'], [[250, 170, 30], [70, 130, 180]])
    with pytest.raises(DatasetConfigError, match='classes file not found'):
        read_classes_file(str(tmp_path / 'none.txt'))


def test_layout_errors_name_the_folder_and_the_files(root):
    with pytest.raises(DatasetLayoutError, match=r"(?s)Folder dataset data "
                       r"root not found: '.*nowhere'.*NAME\.jpg"):
        build(root.parent / 'nowhere',
              classes_file=str(root / 'classes.txt'))
    mask(root, 1).unlink()
    with pytest.raises(DatasetLayoutError, match=r"1 image\(s\) .* no "
                       r"annotation \*\.png .*scene_001\.jpg.*expected "
                       r".*masks/train/scene_001\.png"):
        build(root)


def test_a_split_file_names_the_samples(root):
    (root / 'train.txt').write_text('scene_000\nscene_002\n')
    dataset = build(root, ann_file='train.txt')
    assert [dataset.get_data_info(i)['img_path'][-13:]
            for i in range(len(dataset))] == ['scene_000.jpg',
                                              'scene_002.jpg']
    (root / 'train.txt').write_text('scene_000\nscene_009\n')
    with pytest.raises(DatasetLayoutError, match=r"1 image\(s\) named in "
                       r".*train\.txt' not found.*scene_009\.jpg"):
        build(root, ann_file='train.txt')


def write(path, label):
    assert cv2.imwrite(str(path), label)


@pytest.mark.parametrize('kind', ['one_based', 'colour', 'grey_as_colour',
                                  'beyond'])
def test_masks_that_would_train_wrong_name_the_file_and_the_cause(
        root, kind):
    raw = cv2.imread(str(mask(root, 1)), cv2.IMREAD_UNCHANGED)
    if kind == 'one_based':  # classes stored 1..6: reduce_zero_label unset
        write(mask(root, 1), np.where(raw == 255, 0, raw + 1))
        message = (r'label values \[6\] outside 0\.\.5 and the ignore value '
                   r'255; every value is in range with reduce_zero_label=True '
                   r'\(0 = unlabelled, class i stored as i \+ 1\)$')
    elif kind == 'colour':
        palette = np.array([c for _, c in CUSTOM_CLASSES], np.uint8)
        write(mask(root, 1), palette[np.minimum(raw, 5)][..., ::-1])
        message = (r'colour-coded .* '
                   r'tools/dataset_converters/convert_colour_masks\.py')
    elif kind == 'grey_as_colour':
        write(mask(root, 1), np.dstack([raw] * 3))
        message = r'grey masks saved with 3 equal channels; save them single'
    else:
        raw[0, :2] = (7, 254)
        write(mask(root, 1), raw)
        message = r'label values \[7, 254\] outside 0\.\.5 and the ignore'
    dataset = build(root)
    dataset[0]
    with pytest.raises(CorruptSampleError, match=message) as err:
        dataset[1]
    assert str(mask(root, 1)) in str(err.value)


def test_the_checked_loader_reads_what_mmsegs_reads(root):
    """It decodes once and applies mmseg's steps as one lookup: the same
    label map as mmseg's LoadAnnotations, with and without
    reduce_zero_label and a label_map."""
    from mmseg.datasets.transforms import LoadAnnotations

    from inceptionnext_seg.datasets import CheckedLoadAnnotations
    path = mask(root, 0)
    write(path, np.arange(256, dtype=np.uint8).reshape(8, 32)[:, :32])
    for reduce, label_map in ((False, None), (True, None),
                              (True, {0: 3, 5: 255})):
        results = dict(seg_map_path=str(path), reduce_zero_label=reduce,
                       label_map=label_map, seg_fields=[])
        theirs = LoadAnnotations()(dict(results, seg_fields=[]))
        ours = CheckedLoadAnnotations(num_classes=256, ignore_index=255)
        ours = ours(dict(results, seg_fields=[]))
        assert ours['gt_seg_map'].dtype == theirs['gt_seg_map'].dtype
        np.testing.assert_array_equal(ours['gt_seg_map'],
                                      theirs['gt_seg_map'])
        assert ours['seg_fields'] == ['gt_seg_map']


def test_a_16_bit_mask_is_read_while_its_values_fit_8_bits(root):
    raw = cv2.imread(str(mask(root, 1)), cv2.IMREAD_UNCHANGED)
    write(mask(root, 1), raw.astype(np.uint16))
    dataset = build(root)
    np.testing.assert_array_equal(
        dataset[1]['data_samples'].gt_sem_seg.data[0].numpy(), raw)
    wide = raw.astype(np.uint16)
    wide[0, 0] = 300  # mmseg's uint8 cast would read 44, a class here
    write(mask(root, 1), wide)
    with pytest.raises(CorruptSampleError, match=r'16-bit masks with values '
                       r'above 255.*uint16, values up to 300') as err:
        dataset[1]
    assert str(mask(root, 1)) in str(err.value)


@pytest.mark.parametrize('overrides, message', [
    (dict(ignore_index=300), r'ignore_index=300: mmseg reads masks as 8-bit'),
    (dict(classes_file=None, ignore_index=255,
          metainfo=dict(classes=tuple(f'c{i}' for i in range(300)))),
     r'300 classes: mmseg reads masks as 8-bit'),
    (dict(pipeline=[dict(type='LoadImageFromFile'),
                    dict(type='LoadAnnotations', reduce_zero_label=True)]),
     r'LoadAnnotations has reduce_zero_label=True, the dataset False'),
])
def test_settings_mmseg_cannot_read_are_refused_up_front(root, overrides,
                                                         message):
    with pytest.raises(DatasetConfigError, match=message):
        build(root, **overrides)


def test_an_orphan_mask_with_the_images_suffix_is_found(root, tmp_path):
    """Images and masks both .png, in two folders: a mask without an image
    is still an orphan."""
    for i in range(3):
        image = root / 'images' / 'train' / f'scene_{i:03d}.jpg'
        cv2.imwrite(str(image.with_suffix('.png')), cv2.imread(str(image)))
        image.unlink()
    write(mask(root, 7), np.zeros((24, 32), np.uint8))
    with pytest.raises(DatasetLayoutError, match=r"1 annotation\(s\) .* no "
                       r"image \*\.png .*\['scene_007\.png'\]"):
        build(root, img_suffix='.png')
    mask(root, 7).unlink()
    assert len(build(root, img_suffix='.png')) == 3


def test_masks_next_to_png_images_are_not_listed_as_images(root):
    folder = root / 'images' / 'train'
    for i in range(3):
        image = folder / f'scene_{i:03d}.jpg'
        cv2.imwrite(str(image.with_suffix('.png')), cv2.imread(str(image)))
        image.unlink()
        shutil.copy(mask(root, i), folder / f'scene_{i:03d}_mask.png')
    dataset = build(root, img_suffix='.png', seg_map_suffix='_mask.png',
                    data_prefix=dict(img_path='images/train',
                                     seg_map_path='images/train'))
    assert [dataset.get_data_info(i)['img_path'][-13:]
            for i in range(len(dataset))] == [
                f'scene_{i:03d}.png' for i in range(3)]


def test_hidden_files_are_skipped_as_mmseg_skips_them(root):
    """macOS's ._ files are no orphans: mmseg (mmengine's file listing)
    does not list hidden files either."""
    shutil.copy(mask(root, 0), root / 'masks' / 'train' / '._scene_000.png')
    assert len(build(root)) == 3


def _with_exif(path, array, orientation=6):
    from PIL import Image
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(array[..., ::-1]).save(path, 'JPEG', exif=exif.tobytes())


def test_an_image_its_exif_orientation_turns_is_refused_per_sample(root):
    """mmcv turns the image on decode and reads the mask as stored: the
    training path refuses the sample (the inspector's exif_rotation), for a
    square image too, where the sizes still agree."""
    image = root / 'images' / 'train' / 'scene_000.jpg'
    _with_exif(image, np.zeros((24, 24, 3), np.uint8))
    write(mask(root, 0), np.zeros((24, 24), np.uint8))
    dataset = build(root)
    with pytest.raises(CorruptSampleError) as err:
        dataset[0]
    message = str(err.value)
    assert message.startswith(f'{image}: EXIF orientation 6 turns')
    assert str(mask(root, 0)) in message
    assert "color_type='color_ignore_orientation'" in message
    assert dataset[1]['inputs'].shape[1:] == (24, 32)
    # read as the mask is (not turned): the sample loads
    ignore = build(root, pipeline=[
        dict(type='LoadImageFromFile', color_type='color_ignore_orientation'),
        dict(type='LoadAnnotations'), dict(type='PackSegInputs')])
    assert ignore[0]['inputs'].shape[1:] == (24, 24)


def test_exif_orientation_with_the_mask_of_the_turned_image_loads(root):
    image = root / 'images' / 'train' / 'scene_000.jpg'
    stored = cv2.imread(str(image))  # 24 x 32
    _with_exif(image, stored)
    with pytest.raises(CorruptSampleError, match='EXIF orientation 6'):
        build(root)[0]  # the mask is the stored 24 x 32 one
    # the mask drawn on the turned image (32 x 24): they line up
    write(mask(root, 0), np.rot90(cv2.imread(str(mask(root, 0)),
                                             cv2.IMREAD_UNCHANGED), -1))
    sample = build(root)[0]
    assert sample['inputs'].shape[1:] == (32, 24)
    assert sample['data_samples'].gt_sem_seg.data.shape[1:] == (32, 24)
