"""The dataset inspector (inspection.py) finds nothing on valid datasets in
each layout and flags every broken variant, naming the file; the decoder
behaviour it relies on is pinned here; the colour-mask converter
round-trips."""
import io

import cv2
import mmcv
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS
from PIL import Image

from inceptionnext_seg.datasets.colour_masks import (UnknownColoursError,
                                                     colour_to_index,
                                                     index_to_colour)
from inceptionnext_seg.datasets.inspection import (KINDS, config_findings,
                                                   folder_dataset_config,
                                                   format_report,
                                                   inspect_config,
                                                   inspect_dataset)
from inceptionnext_seg.datasets.masks import training_values
from inceptionnext_seg.datasets.synthetic_ade20k import make_ade20k_like
from tests.helpers.datasets import (CUSTOM_CLASSES, make_cityscapes_like,
                                    make_custom_like)

PALETTE = [c for _, c in CUSTOM_CLASSES]


def build(cfg):
    init_default_scope('mmseg')
    return DATASETS.build(dict(cfg, lazy_init=True))


def custom_cfg(root, **overrides):
    cfg = folder_dataset_config(
        str(root / 'images' / 'train'), str(root / 'masks' / 'train'),
        reduce_zero_label=False, classes_file=str(root / 'classes.txt'))
    cfg.update(overrides)
    return cfg


@pytest.fixture
def custom(tmp_path):
    return make_custom_like(tmp_path / 'my_data', num_train=3, num_val=0,
                            size=(24, 32))


def image(root, i):
    return root / 'images' / 'train' / f'scene_{i:03d}.jpg'


def mask(root, i):
    return root / 'masks' / 'train' / f'scene_{i:03d}.png'


def kinds(report):
    return {f.kind: f for f in report.findings}


def test_valid_datasets_in_every_layout_have_no_findings(tmp_path, custom):
    report = inspect_dataset(build(custom_cfg(custom)), 'train')
    assert report.num_images == 3 and not report.findings, \
        format_report_of(report)
    assert sum(report.class_pixels) == sum(
        p for v, (p, _, _) in report.values.items() if v != 255)
    assert report.meanings[255] == 'ignore index'
    assert report.meanings[0] == 'class 0 background'

    cs = make_cityscapes_like(tmp_path / 'cs', per_city=1, size=(32, 64))
    report = inspect_dataset(build(dict(
        type='CheckedCityscapesDataset', data_root=str(cs),
        data_prefix=dict(img_path='leftImg8bit/train',
                         seg_map_path='gtFine/train'),
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='LoadAnnotations')])), 'train')
    assert report.num_images == 2 and not report.findings

    ade = make_ade20k_like(tmp_path / 'ade', num_train=1, num_val=2,
                           size=(32, 48))
    report = inspect_dataset(build(dict(
        type='ADE20KDataset', data_root=str(ade), reduce_zero_label=True,
        data_prefix=dict(img_path='images/validation',
                         seg_map_path='annotations/validation'),
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='LoadAnnotations', reduce_zero_label=True)])),
        'val')
    assert report.num_images == 2 and not report.findings
    assert report.meanings[1] == 'class 0 wall'


def format_report_of(split):
    from inceptionnext_seg.datasets.inspection import InspectionReport
    return format_report(InspectionReport('test', [split]))


def test_the_real_ade20k_samples_have_no_findings(ade_samples):
    report = inspect_dataset(build(dict(
        type='CheckedADE20KDataset', data_root=str(ade_samples),
        data_prefix=dict(img_path='images/validation',
                         seg_map_path='annotations/validation'),
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='LoadAnnotations', reduce_zero_label=True)])),
        'val')
    assert report.num_images == 3 and not report.findings
    assert report.meanings[0].startswith('unlabelled')
    assert len(report.sizes) == 3


def _write_exif(path, array, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(array[..., ::-1]).save(path, 'JPEG',
                                           exif=exif.tobytes())


def _exif_square(root):
    square = np.zeros((24, 24, 3), np.uint8)
    _write_exif(image(root, 0), square, 6)
    cv2.imwrite(str(mask(root, 0)), np.zeros((24, 24), np.uint8))
    return image(root, 0)


def _exif_non_square(root):
    _write_exif(image(root, 0), cv2.imread(str(image(root, 0))), 6)
    return image(root, 0)


def _colour(root):
    seg = cv2.imread(str(mask(root, 1)), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(mask(root, 1)), index_to_colour(seg, PALETTE)[..., ::-1])
    return mask(root, 1)


def _jpeg_mask(root):
    seg = cv2.imread(str(mask(root, 2)), cv2.IMREAD_UNCHANGED)
    ok, data = cv2.imencode('.jpg', seg)
    mask(root, 2).write_bytes(data.tobytes())
    return mask(root, 2)


def _truncated(root):
    data = image(root, 1).read_bytes()
    image(root, 1).write_bytes(data[:len(data) // 2])
    return image(root, 1)


def _out_of_range(root):
    seg = cv2.imread(str(mask(root, 0)), cv2.IMREAD_UNCHANGED)
    seg[:2] = 9
    cv2.imwrite(str(mask(root, 0)), seg)
    return mask(root, 0)


def _one_based(root):
    for i in range(3):
        seg = cv2.imread(str(mask(root, i)), cv2.IMREAD_UNCHANGED)
        seg = np.where(seg == 255, 0, seg + 1).astype(np.uint8)
        seg[:3] = len(CUSTOM_CLASSES)  # the top class stored as N
        cv2.imwrite(str(mask(root, i)), seg)
    return mask(root, 0)


def _size(root):
    seg = cv2.imread(str(mask(root, 2)), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(mask(root, 2)), seg[:20])
    return mask(root, 2)


def _deep(root):
    seg = cv2.imread(str(mask(root, 0)), cv2.IMREAD_UNCHANGED)
    seg = seg.astype(np.uint16)
    seg[0, 0] = 300
    cv2.imwrite(str(mask(root, 0)), seg)
    return mask(root, 0)


def _alpha(root):
    seg = cv2.imread(str(mask(root, 1)), cv2.IMREAD_UNCHANGED)
    Image.fromarray(np.dstack([seg, np.full_like(seg, 255)]), 'LA').save(
        mask(root, 1))
    return mask(root, 1)


def _orphan_image(root):
    mask(root, 1).unlink()
    return image(root, 1)


def _orphan_mask(root):
    image(root, 2).unlink()
    return mask(root, 2)


BROKEN = {
    'orphan_image': _orphan_image, 'orphan_mask': _orphan_mask,
    'size_mismatch': _size, 'out_of_range': _out_of_range,
    'colour_mask': _colour, 'jpeg_mask': _jpeg_mask,
    'truncated_image': _truncated, 'deep_mask': _deep,
    'alpha_mask': _alpha,
}


@pytest.mark.parametrize('kind', sorted(BROKEN))
def test_each_broken_variant_is_an_error_naming_the_file(custom, kind):
    named = str(BROKEN[kind](custom))
    report = inspect_dataset(build(custom_cfg(custom)), 'train')
    found = kinds(report)
    assert kind in found, format_report_of(report)
    assert KINDS[kind][0] == 'error' and report.errors
    assert named in found[kind].files, found[kind].files
    assert named in format_report_of(report)


def test_one_based_masks_read_as_zero_based_are_out_of_range_with_the_hint(
        custom):
    named = str(_one_based(custom))
    report = inspect_dataset(build(custom_cfg(custom)), 'train')
    finding = kinds(report)['out_of_range']
    assert named in finding.files
    assert 'every value is in range with reduce_zero_label=True' in \
        finding.details[named]
    assert report.meanings[len(CUSTOM_CLASSES)].startswith('OUT OF RANGE')
    assert report.other_setting.startswith('with reduce_zero_label=True')
    # anchored: '10 px would be out of range' must not pass
    assert '; 0 px would be out of range' in report.other_setting


@pytest.mark.parametrize('make', [_exif_square, _exif_non_square])
def test_an_image_its_exif_orientation_turns_on_decode_is_an_error(
        custom, make):
    named = str(make(custom))
    report = inspect_dataset(build(custom_cfg(custom)), 'train')
    finding = kinds(report)['exif_rotation']
    assert finding.files == [named] and 'EXIF orientation 6' in \
        finding.details[named]
    assert 'size_mismatch' not in kinds(report)
    # read ignoring the orientation, as the mask is: nothing to report
    ignore = custom_cfg(custom, pipeline=[
        dict(type='LoadImageFromFile', color_type='color_ignore_orientation'),
        dict(type='LoadAnnotations')])
    assert not inspect_dataset(build(ignore), 'train').findings


def test_all_problems_are_reported_not_the_first(custom):
    for make in (_orphan_image, _orphan_mask, _out_of_range):
        make(custom)
    found = kinds(inspect_dataset(build(custom_cfg(custom)), 'train'))
    assert {'orphan_image', 'orphan_mask', 'out_of_range'} <= set(found)


def test_masks_without_class_zero_warn_without_failing(custom):
    for i in range(3):
        seg = cv2.imread(str(mask(custom, i)), cv2.IMREAD_UNCHANGED)
        seg[seg == 0] = 1
        cv2.imwrite(str(mask(custom, i)), seg)
    report = inspect_dataset(build(custom_cfg(custom)), 'train')
    assert list(kinds(report)) == ['no_class_zero'] and not report.errors


def test_two_workers_find_the_same(custom):
    _out_of_range(custom)
    one = inspect_dataset(build(custom_cfg(custom)), 'train')
    two = inspect_dataset(build(custom_cfg(custom)), 'train', workers=2)
    assert one.to_json()['findings'] == two.to_json()['findings']
    assert one.values == two.values


def test_training_values_are_what_load_annotations_reads(tmp_path):
    from mmseg.datasets.transforms import LoadAnnotations
    path = tmp_path / 'all.png'
    cv2.imwrite(str(path), np.arange(256, dtype=np.uint8).reshape(16, 16))
    for reduce, label_map in ((False, None), (True, None),
                              (True, {0: 3, 5: 255})):
        loaded = LoadAnnotations()(dict(
            seg_map_path=str(path), reduce_zero_label=reduce,
            label_map=label_map, seg_fields=[]))['gt_seg_map']
        np.testing.assert_array_equal(
            loaded.ravel(), training_values(reduce, label_map))


def test_mmcv_turns_images_by_exif_only_with_the_color_flags():
    array = np.zeros((20, 40, 3), np.uint8)
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(array).save(buf, 'JPEG', exif=exif.tobytes())
    for backend in ('cv2', 'pillow'):
        shape = {flag: mmcv.imfrombytes(buf.getvalue(), flag=flag,
                                        backend=backend).shape[:2]
                 for flag in ('color', 'color_ignore_orientation',
                              'unchanged')}
        assert shape == {'color': (40, 20), 'color_ignore_orientation':
                         (20, 40), 'unchanged': (20, 40)}, backend


def test_palette_masks_are_indices_with_pillow_and_colours_with_cv2(
        custom):
    seg = cv2.imread(str(mask(custom, 0)), cv2.IMREAD_UNCHANGED)
    indexed = Image.fromarray(seg, 'P')
    # all 256 entries: with a short palette Pillow writes fewer bits and
    # the ignore value 255 would not survive
    indexed.putpalette([v for c in PALETTE for v in c]
                       + [0] * 3 * (256 - len(PALETTE)))
    indexed.save(mask(custom, 0))
    assert not inspect_dataset(build(custom_cfg(custom)), 'train').findings
    cv2_read = custom_cfg(custom, pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', imdecode_backend='cv2')])
    finding = kinds(inspect_dataset(build(cv2_read), 'train'))['colour_mask']
    assert finding.files == [str(mask(custom, 0))]
    assert "imdecode_backend='pillow'" in finding.details[finding.files[0]]


def test_config_findings_name_heads_metrics_and_padding(custom):
    dataset = build(custom_cfg(custom))
    cfg = Config(dict(
        model=dict(data_preprocessor=dict(seg_pad_val=0),
                   decode_head=dict(num_classes=150),
                   auxiliary_head=[dict(num_classes=6, ignore_index=0)]),
        val_evaluator=dict(type='IoUMetric', ignore_index=254)))
    found = {f.kind: f for f in config_findings(
        cfg, dict(train=dataset, val=dataset), 'my_config.py')}
    assert set(found) == {'head_num_classes', 'ignore_index', 'seg_pad_val'}
    details = ' '.join(found['ignore_index'].details.values())
    assert found['head_num_classes'].files == ['my_config.py']
    assert 'decode_head.num_classes=150' in \
        found['head_num_classes'].details['my_config.py']
    assert 'auxiliary_head.ignore_index=0' in details and \
        'val_evaluator.ignore_index=254' in details
    ok = Config(dict(model=dict(decode_head=dict(num_classes=6))))
    assert config_findings(ok, dict(train=dataset), 'c.py') == []


def test_config_findings_name_the_pipelines_padding_and_crop(custom):
    size = dict(type='Resize', scale=(32, 24))
    bad = build(custom_cfg(custom, pipeline=[
        dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), size,
        dict(type='RandomCrop', crop_size=(16, 16), cat_max_ratio=0.75,
             ignore_index=0),
        dict(type='Pad', size=(32, 32), pad_val=dict(img=0, seg=0)),
        dict(type='RandomChoice', transforms=[[
            dict(type='RandomRotate', prob=1., degree=10, seg_pad_val=3),
            dict(type='RandomCutOut', prob=1., n_holes=1,
                 cutout_shape=(2, 2), seg_fill_in=200)]]),
        dict(type='PackSegInputs')]))
    found = {f.kind: f for f in config_findings(
        Config(dict()), dict(train=bad), 'my_config.py')}
    assert set(found) == {'ignore_index', 'seg_pad_val'}
    crop = found['ignore_index'].details['my_config.py']
    assert 'train pipeline[3]: RandomCrop(ignore_index=0)' in crop
    assert "dataset's 255" in crop
    pads = found['seg_pad_val'].details['my_config.py']
    assert "Pad(pad_val['seg']=0)" in pads and 'would be class 0' in pads
    assert 'train pipeline[5][0][0]: RandomRotate(seg_pad_val=3)' in pads
    assert 'class 3' in pads
    assert 'RandomCutOut(seg_fill_in=200)' in pads and \
        'out of range' in pads
    # mmcv's and mmseg's defaults pad with 255 and fill in nothing; without
    # cat_max_ratio the crop's ignore_index is not used
    good = build(custom_cfg(custom, pipeline=[
        dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), size,
        dict(type='RandomCrop', crop_size=(16, 16), ignore_index=0),
        dict(type='Pad', size=(32, 32)),
        dict(type='RandomRotate', prob=1., degree=10),
        dict(type='RandomCutOut', prob=1., n_holes=1, cutout_shape=(2, 2)),
        dict(type='PackSegInputs')]))
    assert config_findings(Config(dict()), dict(train=good), 'c.py') == []


def test_a_config_split_that_cannot_be_built_is_reported(custom):
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        custom_cfg(custom), reduce_zero_label=None)),
        val_dataloader=dict(dataset=custom_cfg(custom))))
    report = inspect_config(cfg, ['train', 'val', 'test'], source='c.py')
    assert [s.name for s in report.splits] == ['train', 'val']
    assert report.splits[0].findings[0].kind == 'no_dataset'
    assert 'reduce_zero_label' in report.splits[0].findings[0].details[
        'c.py']
    assert not report.ok and not report.splits[1].findings


def test_colour_masks_round_trip_and_unknown_colours_are_listed(custom):
    seg = cv2.imread(str(mask(custom, 0)), cv2.IMREAD_UNCHANGED)
    colour = index_to_colour(seg, PALETTE, ignore_colour=(255, 255, 255))
    back = colour_to_index(colour, PALETTE, ignore_index=255)
    np.testing.assert_array_equal(back, seg)
    colour[0, :3] = (1, 2, 3)
    with pytest.raises(UnknownColoursError,
                       match=r'colour\(s\) not in the palette') as err:
        colour_to_index(colour, PALETTE, unknown='error', name='m.png')
    assert ((1, 2, 3), 3) in err.value.colours
    assert ((255, 255, 255), int((seg == 255).sum())) in err.value.colours
    # a void colour is the ignore index, never unknown; not a class colour
    colour[0, :3] = colour[1, 0]
    np.testing.assert_array_equal(
        colour_to_index(colour, PALETTE, unknown='error', name='m.png',
                        void=[(255, 255, 255)]), seg)
    with pytest.raises(ValueError, match=r'void colour .* is the colour of '
                       r'class 0'):
        colour_to_index(colour, PALETTE, void=[PALETTE[0]])


def test_colour_masks_refuse_what_would_convert_wrong(custom):
    seg = cv2.imread(str(mask(custom, 0)), cv2.IMREAD_UNCHANGED)
    colour = index_to_colour(seg, PALETTE, ignore_colour=(255, 255, 255))
    # an ignore index that is a class: unknown colours would become it
    with pytest.raises(ValueError, match=r'ignore_index 3 is class 3 of '
                       r'the 6'):
        colour_to_index(colour, PALETTE, ignore_index=3)
    # a 16-bit colour mask: every pixel would be unknown
    with pytest.raises(ValueError, match=r'deep\.png: a uint16 colour mask'):
        colour_to_index(colour.astype(np.uint16) * 257, PALETTE,
                        name='deep.png')
    # ignore_colour=None: values outside the palette refused, others kept
    with pytest.raises(ValueError, match=r'outside the palette .*\[255\]'):
        index_to_colour(seg, PALETTE, ignore_colour=None)
    inside = np.where(seg == 255, 0, seg).astype(np.uint8)
    np.testing.assert_array_equal(
        index_to_colour(inside, PALETTE, ignore_colour=None),
        index_to_colour(inside, PALETTE))


def test_the_package_only_re_exports_and_no_module_takes_private_names():
    """The inspector's logic lives in modules named for it: ``__init__``
    holds imports and ``__all__`` only, and no module imports another's
    ``_private`` names (a shared helper is public where it lives)."""
    import ast

    from pathlib import Path

    import inceptionnext_seg.datasets.inspection as package
    folder = Path(package.__file__).parent
    modules = sorted(folder.glob('*.py'))
    assert len(modules) > 3
    for path in modules:
        tree = ast.parse(path.read_text())
        taken = [alias.name for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom)
                 for alias in node.names if alias.name.startswith('_')]
        assert taken == [], path.name
    init = ast.parse((folder / '__init__.py').read_text()).body
    kinds = {type(node).__name__ for node in init[1:]}
    assert kinds <= {'ImportFrom', 'Import', 'Assign'}, kinds
    assert all(node.targets[0].id == '__all__' for node in init
               if isinstance(node, ast.Assign))
