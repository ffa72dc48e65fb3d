"""tools/analysis_tools/check_dataset.py on configs (the ADE20K recipe, a
Cityscapes config) and folders: exit 0 with nothing found on valid data
(generated and the real ADE20K samples), 1 naming the file or setting for each
broken variant, 2 for usage errors;
tools/dataset_converters/convert_colour_masks.py round-trips a mask."""
import json

import cv2
import numpy as np
import pytest

from inceptionnext_seg.datasets.colour_masks import index_to_colour
from inceptionnext_seg.datasets.synthetic_ade20k import make_ade20k_like
from tests.helpers.datasets import (CUSTOM_CLASSES, make_cityscapes_like,
                                    make_custom_like)
from tests.helpers.tools import ROOT, data_options, load_tool, run_tool

ADE_CONFIG = str(ROOT / 'configs' / 'upernet_inceptionnext_t_ade20k.py')
check = load_tool('check_dataset')


def run(capsys, *argv):
    code = check.main([str(a) for a in argv])
    return code, capsys.readouterr().out


@pytest.fixture(scope='module')
def ade(tmp_path_factory):
    return make_ade20k_like(tmp_path_factory.mktemp('ade') / 'ADE',
                            num_train=2, num_val=2, size=(32, 48))


@pytest.fixture
def custom(tmp_path):
    return make_custom_like(tmp_path / 'mine', num_train=3, num_val=0,
                            size=(24, 32))


def folder_args(root, *extra):
    return ['--images', root / 'images' / 'train', '--masks',
            root / 'masks' / 'train', '--classes-file', root / 'classes.txt',
            '--reduce-zero-label', 'no', *extra]


def test_the_ade20k_recipe_on_generated_data_passes(ade, tmp_path, capsys):
    code, out = run(capsys, ADE_CONFIG, '--out-dir', tmp_path / 'out',
                    '--cfg-options', *data_options(ade))
    assert code == 0, out
    assert 'OK: nothing found' in out and '[train]' in out
    assert 'test: the same dataset as val, read once' in out
    report = json.loads((tmp_path / 'out' / 'report.json').read_text())
    assert report['ok'] and [s['name'] for s in report['splits']] == [
        'train', 'val']
    assert report['splits'][1]['num_images'] == 2
    picture = tmp_path / 'out' / 'class_pixels_val.png'
    assert cv2.imread(str(picture)).shape[1] > 600  # 150 bars


def test_the_real_ade20k_samples_pass(ade_samples, tmp_path, capsys):
    code, out = run(capsys, ADE_CONFIG, '--split', 'val', '--out-dir',
                    tmp_path, '--cfg-options',
                    f'val_dataloader.dataset.data_root={ade_samples}')
    assert code == 0, out
    assert '3 images' in out and 'unlabelled: ignored' in out


@pytest.mark.parametrize('option, kind, says', [
    ('model.decode_head.num_classes=19', 'head_num_classes',
     'decode_head.num_classes=19'),
    ('val_evaluator.ignore_index=0', 'ignore_index',
     'val_evaluator.ignore_index=0'),
])
def test_a_config_that_disagrees_with_its_dataset_fails(
        ade, tmp_path, capsys, option, kind, says):
    code, out = run(capsys, ADE_CONFIG, '--split', 'val', '--out-dir',
                    tmp_path, '--cfg-options', option, *data_options(ade))
    assert code == 1 and says in out and 'FAILED' in out, out
    report = json.loads((tmp_path / 'report.json').read_text())
    assert [f['kind'] for f in report['config_findings']] == [kind]
    assert report['config_findings'][0]['files'][0]['file'] == ADE_CONFIG


def cityscapes_config(tmp_path, root):
    config = tmp_path / 'cityscapes_check.py'
    config.write_text(f'''
_base_ = [{ADE_CONFIG!r}]
model = dict(decode_head=dict(num_classes=19),
             auxiliary_head=dict(num_classes=19))
pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
train_dataloader = dict(dataset=dict(
    _delete_=True, type='CheckedCityscapesDataset', data_root={str(root)!r},
    data_prefix=dict(img_path='leftImg8bit/train',
                     seg_map_path='gtFine/train'), pipeline=pipeline))
val_dataloader = dict(dataset=dict(
    _delete_=True, type='CheckedCityscapesDataset', data_root={str(root)!r},
    data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
    pipeline=pipeline))
test_dataloader = val_dataloader
''')
    return config


def test_cityscapes_passes_and_its_label_ids_are_named(tmp_path, capsys):
    root = make_cityscapes_like(tmp_path / 'cityscapes', per_city=1,
                                size=(32, 64))
    config = cityscapes_config(tmp_path, root)
    code, out = run(capsys, config, '--out-dir', tmp_path / 'ok')
    assert code == 0, out
    code, out = run(capsys, config, '--split', 'train', '--out-dir',
                    tmp_path / 'ids', '--cfg-options',
                    'train_dataloader.dataset.seg_map_suffix='
                    '_gtFine_labelIds.png')
    assert code == 1 and 'label values that are neither' in out, out
    assert 'aachen_000000_000000_gtFine_labelIds.png' in out
    assert 'labelTrainIds' in out


def test_a_valid_folder_passes(custom, tmp_path, capsys):
    code, out = run(capsys, *folder_args(custom, '--out-dir', tmp_path))
    assert code == 0, out
    assert 'class 0 background' in out
    code, out = run(capsys, '--images', custom / 'images' / 'train',
                    '--masks', custom / 'masks' / 'train', '--num-classes',
                    '6', '--reduce-zero-label', 'no', '--out-dir', tmp_path)
    assert code == 0 and 'class 5 class_5' in out, out


def test_a_broken_folder_fails_naming_every_file(custom, tmp_path, capsys):
    (custom / 'masks' / 'train' / 'scene_001.png').unlink()
    seg = cv2.imread(str(custom / 'masks' / 'train' / 'scene_000.png'),
                     cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(custom / 'masks' / 'train' / 'scene_002.png'),
                index_to_colour(seg, [c for _, c in CUSTOM_CLASSES]))
    code, out = run(capsys, *folder_args(custom, '--out-dir', tmp_path))
    assert code == 1, out
    assert 'images without a mask (1)' in out and 'scene_001.jpg' in out
    assert 'colour-coded masks' in out and 'scene_002.png' in out
    assert 'convert_colour_masks.py' in out


@pytest.mark.parametrize('argv', [
    [], ['--images', 'x'], ['--images', 'x', '--masks', 'y',
                            '--reduce-zero-label', 'no'],
    ['missing_config.py'],
    # the folder form has no config to override: not silently ignored
    ['--images', 'x', '--masks', 'y', '--num-classes', '2',
     '--reduce-zero-label', 'no', '--cfg-options', 'a=1'],
    # a value map is STORED:CLASS ints, and the folder form's
    ['--images', 'x', '--masks', 'y', '--num-classes', '2',
     '--reduce-zero-label', 'no', '--value-map', '255=1'],
    [ADE_CONFIG, '--value-map', '255:1'],
])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        check.main(argv)
    assert exit_.value.code == 2
    if '--cfg-options' in argv:
        assert '--cfg-options is for a CONFIG' in capsys.readouterr().err
    if '--value-map' in argv:
        assert '--value-map' in capsys.readouterr().err


def test_the_template_catches_num_classes_that_disagree_with_the_classes(
        tmp_path, capsys):
    root = make_custom_like(tmp_path / 'mine', num_train=2, num_val=1,
                            size=(24, 32))
    template = ROOT / 'configs' / 'custom' / \
        'upernet_inceptionnext_t_custom.py'
    # the template filled in as its comment says: data_root (and so the
    # classes file under it) set in the copy
    config = tmp_path / 'mine.py'
    text = template.read_text()
    assert "data_root = 'data/my_dataset'" in text
    config.write_text(text.replace("data_root = 'data/my_dataset'",
                                   f'data_root = {str(root)!r}'))
    code, out = run(capsys, config, '--out-dir', tmp_path / 'ok')
    assert code == 0, out
    code, out = run(capsys, config, '--out-dir', tmp_path / 'wrong',
                    '--cfg-options', 'model.decode_head.num_classes=5',
                    'model.auxiliary_head.num_classes=7')
    assert code == 1, out
    report = json.loads((tmp_path / 'wrong' / 'report.json').read_text())
    assert [f['kind'] for f in report['config_findings']] == [
        'head_num_classes']
    detail = report['config_findings'][0]['files'][0]['detail']
    assert 'model.decode_head.num_classes=5, the dataset has 6' in detail
    assert 'model.auxiliary_head.num_classes=7' in detail


def test_the_command_line_entry_point(custom, tmp_path):
    (custom / 'images' / 'train' / 'scene_000.jpg').unlink()
    result = run_tool('tools/analysis_tools/check_dataset.py', *folder_args(
        custom, '--out-dir', tmp_path), check=False, fresh=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'masks without an image (1)' in result.stdout
    assert 'scene_000.png' in result.stdout
    assert result.stderr == '', result.stderr


convert = load_tool('convert_colour_masks')


def colour_masks(custom, src, bgr=True):
    """The custom masks as colour masks in src (white: no class), by
    name."""
    palette = [c for _, c in CUSTOM_CLASSES]
    src.mkdir()
    originals = {}
    for path in sorted((custom / 'masks' / 'train').glob('*.png')):
        seg = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        originals[path.name] = seg
        colour = index_to_colour(seg, palette, ignore_colour=(255, 255, 255))
        # cv2 writes BGR; bgr=False: a palette in the wrong channel order
        cv2.imwrite(str(src / path.name), colour[..., ::-1] if bgr
                    else colour)
    assert len(originals) == 3
    return originals


def test_colour_masks_convert_back_to_the_index_masks(custom, tmp_path,
                                                      capsys):
    src = tmp_path / 'colour'
    originals = colour_masks(custom, src)
    code = convert.main([str(src), str(tmp_path / 'index'),
                         '--classes-file', str(custom / 'classes.txt')])
    out = capsys.readouterr().out
    assert code == 0, out
    # the white pixels are unknown: their share per mask and in all
    share = (originals['scene_000.png'] == 255).mean()
    assert f'scene_000.png: {share:.1%} unknown pixels' in out
    total = np.mean([(s == 255).mean() for s in originals.values()])
    assert f'{total:.1%} unknown pixels in all read' in out
    for name, seg in originals.items():
        back = cv2.imread(str(tmp_path / 'index' / name),
                          cv2.IMREAD_UNCHANGED)
        assert back.ndim == 2
        np.testing.assert_array_equal(back, seg)
    # white is no class: refused, the colour listed with its pixels
    code = convert.main([str(src), str(tmp_path / 'refused'),
                         '--classes-file', str(custom / 'classes.txt'),
                         '--unknown', 'error'])
    assert code == 1
    assert '(255, 255, 255) x' in capsys.readouterr().err
    # white named as the void colour: the ignore index, not unknown, also
    # where unknown colours are refused
    code = convert.main([str(src), str(tmp_path / 'void'),
                         '--classes-file', str(custom / 'classes.txt'),
                         '--unknown', 'error', '--void', '255', '255', '255'])
    out = capsys.readouterr().out
    assert code == 0, out
    assert 'unknown pixels (' not in out
    assert '0.0% unknown pixels in all read' in out
    assert 'void colours [(255, 255, 255)] -> 255' in out
    for name, seg in originals.items():
        np.testing.assert_array_equal(
            cv2.imread(str(tmp_path / 'void' / name), cv2.IMREAD_UNCHANGED),
            seg)
    # the palette of an mmseg dataset type
    names, palette = convert.palette_of(convert.parse_args(
        ['a', 'b', '--dataset-type', 'CityscapesDataset']))
    assert len(names) == 19 and palette[0] == [128, 64, 128]


def test_colour_masks_that_would_convert_wrong_are_refused(custom, tmp_path,
                                                           capsys):
    src = tmp_path / 'colour'
    colour_masks(custom, src)
    classes = ['--classes-file', str(custom / 'classes.txt')]
    # an ignore index that is a class: unknown colours would become it
    assert convert.main([str(src), str(tmp_path / 'a'), *classes,
                         '--ignore-index', '3']) == 2
    assert 'is class 3' in capsys.readouterr().err
    assert not (tmp_path / 'a').exists()
    # in place: the colour masks would be overwritten
    with pytest.raises(SystemExit) as exit_:
        convert.main([str(src), str(src / '.'), *classes])
    assert exit_.value.code == 2 and 'dst is src' in capsys.readouterr().err
    # a 16-bit colour PNG: refused naming it, the others written
    deep = src / 'scene_001.png'
    cv2.imwrite(str(deep), cv2.imread(str(deep)).astype(np.uint16) * 257)
    assert convert.main([str(src), str(tmp_path / 'b'), *classes]) == 1
    err = capsys.readouterr().err
    assert f'{deep}: a uint16 colour mask' in err
    assert sorted(p.name for p in (tmp_path / 'b').iterdir()) == [
        'scene_000.png', 'scene_002.png']


def test_a_palette_in_the_wrong_channel_order_fails(custom, tmp_path,
                                                    capsys):
    src = tmp_path / 'colour'
    colour_masks(custom, src, bgr=False)
    code = convert.main([str(src), str(tmp_path / 'index'),
                         '--classes-file', str(custom / 'classes.txt')])
    err = capsys.readouterr().err
    assert code == 1
    assert 'scene_000.png: ' in err and 'more than --max-unknown 5.0%' in err
    assert not (tmp_path / 'index').exists()
    # the threshold is the user's to raise
    assert convert.main([str(src), str(tmp_path / 'index'), '--classes-file',
                         str(custom / 'classes.txt'),
                         '--max-unknown', '1']) == 0
