"""A class that no mask holds while the ignore value covers many pixels
(class_presence.py): binary masks saved as 0/255 and read with
ignore_index=255 are refused by the checked dataset when it is built and by
the inspector, each naming the folder and the exact fix (value_map, or the
other reduce_zero_label); the same data as 0/1, ADE20K's encoding and a
rare absent class stay accepted."""
import shutil

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

from inceptionnext_seg.datasets import CorruptSampleError, DatasetConfigError
from inceptionnext_seg.datasets.class_presence import (IGNORED_SHARE,
                                                       hidden_class_message)
from inceptionnext_seg.datasets.inspection import (folder_dataset_config,
                                                   inspect_dataset)
from inceptionnext_seg.datasets.synthetic_ade20k import make_ade20k_like
from tests.helpers.datasets import make_binary_like

LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
        dict(type='PackSegInputs')]


def build(root, masks='masks/train', lazy_init=False, **overrides):
    init_default_scope('mmseg')
    cfg = dict(type='CheckedFolderDataset', data_root=str(root),
               data_prefix=dict(img_path='images/train',
                                seg_map_path=masks),
               img_suffix='.jpg', seg_map_suffix='.png',
               reduce_zero_label=False, ignore_index=255,
               classes_file=str(root / 'classes.txt'), pipeline=LOAD,
               lazy_init=lazy_init)
    cfg.update(overrides)
    return DATASETS.build(cfg)


def inspect(root, value_map=None):
    init_default_scope('mmseg')
    dataset = DATASETS.build(dict(folder_dataset_config(
        str(root / 'images' / 'train'), str(root / 'masks' / 'train'),
        reduce_zero_label=False, classes_file=str(root / 'classes.txt'),
        value_map=value_map), lazy_init=True))
    report = inspect_dataset(dataset, 'train')
    return {f.kind: f for f in report.findings}, report


@pytest.fixture
def binary_0_255(tmp_path):
    return make_binary_like(tmp_path / 'sky', num_train=3, num_val=0,
                            size=(24, 32), foreground=255)


def test_0_255_masks_are_refused_when_the_dataset_is_built(binary_0_255):
    with pytest.raises(DatasetConfigError) as err:
        build(binary_0_255)
    message = str(err.value)
    assert str(binary_0_255 / 'masks' / 'train') in message
    assert "1 of 2 classes (['sky']) have no pixels in any of its 3 masks" \
        in message
    assert 'value_map={255: 1}' in message and '--value-map 255:1' in message
    # the fix it names works: the foreground is read as class 1
    dataset = build(binary_0_255, value_map={255: 1})
    values = set()
    for i in range(len(dataset)):
        values |= set(dataset[i]['data_samples'].gt_sem_seg.data.unique()
                      .tolist())
    assert values == {0, 1}
    # the escape for a split that really lacks a class
    assert len(build(binary_0_255, presence_check_masks=0)) == 3


def test_0_255_masks_are_an_error_of_the_inspector_naming_the_fix(
        binary_0_255):
    found, report = inspect(binary_0_255)
    assert list(found) == ['hidden_class'] and not report.class_pixels[1]
    finding = found['hidden_class']
    assert finding.files == [str(binary_0_255 / 'masks' / 'train')]
    assert 'value_map={255: 1}' in finding.details[finding.files[0]]
    # no class weights from masks read wrong
    from inceptionnext_seg.datasets.inspection import (InspectionReport,
                                                       format_report)
    assert 'class_weight =' not in format_report(
        InspectionReport('t', [report]))
    found, report = inspect(binary_0_255, value_map={255: 1})
    assert not found and all(report.class_pixels)
    assert 'class_weight = [' in format_report(
        InspectionReport('t', [report]))


def test_the_same_data_as_0_1_masks_passes(tmp_path):
    root = make_binary_like(tmp_path / 'sky', num_train=3, num_val=0,
                            size=(24, 32), foreground=1)
    assert len(build(root)) == 3
    found, report = inspect(root)
    assert not found and all(report.class_pixels)


def test_a_small_foreground_saved_as_255_is_refused_too(tmp_path):
    # 2 % of the pixels ignored, below IGNORED_SHARE: refused because only
    # one class has pixels
    root = make_binary_like(tmp_path / 'dots', num_train=2, num_val=0,
                            size=(24, 32), foreground=1)
    for path in (root / 'masks' / 'train').glob('*.png'):
        seg = np.zeros((24, 32), np.uint8)
        seg[:4, :4] = 255
        cv2.imwrite(str(path), seg)
    assert 16 / (24 * 32) < IGNORED_SHARE
    with pytest.raises(DatasetConfigError, match=r'value_map=\{255: 1\}'):
        build(root)


def test_the_other_reduce_zero_label_is_named_where_it_fixes_it(tmp_path):
    # 0/1 masks read as ADE20K's encoding: class 0 stored as 1, 1 absent
    root = make_binary_like(tmp_path / 'sky', num_train=3, num_val=0,
                            size=(24, 32), foreground=1)
    message = hidden_class_message(('background', 'sky'), {0: 500, 1: 200},
                                   255, True)
    assert message and 'reduce_zero_label=False' in message
    with pytest.raises(DatasetConfigError, match='reduce_zero_label=False'):
        build(root, reduce_zero_label=True)


def test_ade20k_encoding_and_rare_absent_classes_stay_accepted(tmp_path):
    # ADE20K-like (reduce_zero_label: 0 becomes 255), most of the 150
    # classes absent: the ignored share is small
    ade = make_ade20k_like(tmp_path / 'ade', num_train=4, num_val=0,
                           size=(32, 48))
    init_default_scope('mmseg')
    dataset = DATASETS.build(dict(
        type='CheckedADE20KDataset', data_root=str(ade),
        data_prefix=dict(img_path='images/training',
                         seg_map_path='annotations/training'),
        pipeline=LOAD))
    assert len(dataset) == 4
    # a class absent while 10 % is ignored: a subset, not 0/255 masks
    assert hidden_class_message(('a', 'b', 'c'), {0: 60, 1: 30, 255: 10},
                                255, False) is None


def test_real_ade20k_sky_saved_as_0_255(ade_samples, tmp_path):
    """The issue's case: the three ADE20K samples, "sky" (stored 3) against
    the rest, saved as 0/255."""
    root = tmp_path / 'sky'
    (root / 'images' / 'train').mkdir(parents=True)
    (root / 'masks' / 'train').mkdir(parents=True)
    for image in sorted((ade_samples / 'images' / 'validation').glob('*')):
        shutil.copy(image, root / 'images' / 'train' / image.name)
        seg = cv2.imread(str(ade_samples / 'annotations' / 'validation' /
                             f'{image.stem}.png'), cv2.IMREAD_UNCHANGED)
        cv2.imwrite(str(root / 'masks' / 'train' / f'{image.stem}.png'),
                    np.where(seg == 3, 255, 0).astype(np.uint8))
    (root / 'classes.txt').write_text('background\nsky\n')
    found, _ = inspect(root)
    detail = found['hidden_class'].details[str(root / 'masks' / 'train')]
    assert 'covers 38.1% of the pixels (248,238 px)' in detail
    with pytest.raises(DatasetConfigError, match=r'value_map=\{255: 1\}'):
        build(root)
    assert len(build(root, value_map={255: 1})) == 3


def test_soft_edges_of_a_binary_mask_are_named(binary_0_255):
    """An image editor's anti-aliased brush: values between 0 and 255."""
    path = sorted((binary_0_255 / 'masks' / 'train').glob('*.png'))[1]
    seg = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    seg[0, :4] = (64, 128, 192, 200)
    cv2.imwrite(str(path), seg)
    dataset = build(binary_0_255, value_map={255: 1})
    with pytest.raises(CorruptSampleError,
                       match=r'soft \(anti-aliased\) edges') as err:
        dataset[1]
    assert str(path) in str(err.value)
    found, _ = inspect(binary_0_255, value_map={255: 1})
    assert 'soft (anti-aliased) edges' in \
        found['out_of_range'].details[str(path)]
