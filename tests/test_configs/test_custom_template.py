"""configs/custom/upernet_inceptionnext_t_custom.py, the template for a
dataset of one's own: its settings in one place, the UperNet-T recipe of the
ADE20K config, and a copy of it in another folder that trains, tests,
exports and starts a fine-tune from a checkpoint of another class count
(without the exemption such a checkpoint is refused: tests/test_models/
test_strict_encoder_decoder.py)."""
import argparse
import json
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config, DictAction
from mmseg.registry import RUNNERS

from inceptionnext_seg.utils.config import load_config
from inceptionnext_seg.utils.short_run import short_run_options
from tests.helpers.datasets import CUSTOM_CLASSES, make_custom_like
from tests.helpers.tools import (ROOT, atto_model_options, make_timm_model,
                                 run_tool)

pytestmark = pytest.mark.compat  # a copy must load on the fork too

TEMPLATE = ROOT / 'configs' / 'custom' / 'upernet_inceptionnext_t_custom.py'
ADE20K = ROOT / 'configs' / 'upernet_inceptionnext_t_ade20k.py'
CONVS = ['decode_head.conv_seg', 'auxiliary_head.conv_seg']


def test_one_ignore_index_and_class_count_everywhere():
    cfg = load_config(str(TEMPLATE))
    for loader in (cfg.train_dataloader, cfg.val_dataloader,
                   cfg.test_dataloader):
        data = loader.dataset
        assert data.type == 'CheckedFolderDataset'
        assert (data.data_root, data.classes_file) == (
            'data/my_dataset', 'data/my_dataset/classes.txt')
        assert (data.img_suffix, data.seg_map_suffix) == ('.jpg', '.png')
        assert data.reduce_zero_label is False and data.ignore_index == 255
        loads = [t for t in data.pipeline if t.type == 'LoadAnnotations']
        assert loads[0].reduce_zero_label is False
    for head in (cfg.model.decode_head, cfg.model.auxiliary_head):
        assert (head.num_classes, head.ignore_index) == (6, 255)
    assert cfg.model.data_preprocessor.seg_pad_val == 255
    crop = [t for t in cfg.train_pipeline if t.type == 'RandomCrop'][0]
    assert crop.ignore_index == 255
    assert cfg.val_evaluator.ignore_index == 255
    # The two starts: ImageNet weights by default, no exemption from strict
    # loading; a checkpoint (load_from) with the class convs exempted and no
    # ImageNet download.
    assert cfg.load_from is None and cfg.model.strict_load_except == []
    assert cfg.model.backbone.init_cfg.checkpoint.endswith(
        'inceptionnext_tiny.pth')
    text = TEMPLATE.read_text().replace('load_from = None',
                                        "load_from = 'ade20k.pth'")
    assert "load_from = 'ade20k.pth'" in text
    started = Config.fromstring(text, '.py')
    assert started.model.strict_load_except == CONVS
    assert started.model.backbone.init_cfg is None


def test_the_recipe_is_the_ade20k_configs():
    """The template inherits nothing (so that a copy loads anywhere): what
    it repeats of upernet_inceptionnext_t_ade20k.py stays the same."""
    cfg, ade = load_config(str(TEMPLATE)), load_config(str(ADE20K))
    for key in ('optim_wrapper', 'custom_imports', 'custom_hooks',
                'runner_type', 'auto_resume', 'resume', 'default_scope',
                'env_cfg', 'visualizer', 'log_processor', 'log_level',
                'tta_model', 'tta_pipeline', 'auto_scale_lr', 'val_cfg',
                'test_cfg'):
        assert cfg[key] == ade[key], key
    model = cfg.model.to_dict()
    assert model.pop('strict_load_except') == []
    expected = ade.model.to_dict()
    for head in ('decode_head', 'auxiliary_head'):
        expected[head].update(num_classes=6, ignore_index=255)
        expected[head]['loss_decode'].update(class_weight=None)
    assert cfg.loss_type == 'CrossEntropyLoss'
    assert model == expected
    assert cfg.train_pipeline == [
        dict(t, ignore_index=255) if t['type'] == 'RandomCrop' else
        dict(t, reduce_zero_label=False) if t['type'] == 'LoadAnnotations'
        else t for t in ade.train_pipeline]
    assert cfg.test_pipeline == [
        dict(t, reduce_zero_label=False) if t['type'] == 'LoadAnnotations'
        else t for t in ade.test_pipeline]
    hooks = dict(cfg.default_hooks, checkpoint=dict(
        cfg.default_hooks.checkpoint, interval=None))
    assert hooks == dict(ade.default_hooks, checkpoint=dict(
        ade.default_hooks.checkpoint, interval=None))
    assert cfg.param_scheduler == [
        dict(s, end=1500) if s['type'] == 'LinearLR' else
        dict(s, begin=1500, end=20000) for s in ade.param_scheduler]
    assert cfg.train_cfg == dict(ade.train_cfg, max_iters=20000,
                                 val_interval=2000)


def filled_in(template: str, data_root) -> str:
    """The template as a user fills it in: their data root."""
    text, count = re.subn(r"^data_root = .*$", f"data_root = '{data_root}'",
                          template, flags=re.M)
    assert count == 1
    return text


SMALL = [
    'model.data_preprocessor.size=(32,32)',
    'train_dataloader.dataset.pipeline.2.scale=(64,48)',
    'train_dataloader.dataset.pipeline.3.crop_size=(32,32)',
    'val_dataloader.dataset.pipeline.1.scale=(64,48)',
    'test_dataloader.dataset.pipeline.1.scale=(64,48)',
    'train_dataloader.batch_size=2', 'default_hooks.logger.interval=1',
    'default_hooks.checkpoint.save_optimizer=False',
] + [f'{s}_dataloader.{k}' for s in ('train', 'val', 'test')
     for k in ('num_workers=0', 'persistent_workers=False')]
TWO_ITERATIONS = short_run_options(2)
# The copy's model at atto size with narrow heads: what is tested here is
# the copy's data, classes and folders through the tools (the template's
# UperNet-T: test_the_recipe_is_the_ade20k_configs).
ATTO = atto_model_options('upernet')


def test_a_copy_elsewhere_trains_tests_and_fine_tunes(tmp_path):
    data = make_custom_like(tmp_path / 'my_dataset', num_train=4, num_val=2)
    mine = tmp_path / 'my_project'
    mine.mkdir()
    config = mine / 'upernet_custom.py'
    config.write_text(filled_in(TEMPLATE.read_text(), data))
    weights = tmp_path / 'inceptionnext_atto.pth'
    torch.save(make_timm_model('atto').state_dict(), weights)

    # From the ImageNet weights, run from the user's folder.
    result = run_tool(
        str(ROOT / 'tools/train.py'), config, '--work-dir', mine / 'run',
        '--cfg-options', *SMALL, *ATTO, *TWO_ITERATIONS,
        f'model.backbone.init_cfg.checkpoint={weights}', cwd=mine)
    log = result.stdout + result.stderr
    assert f'from {weights}' in log
    assert re.search(r'Iter\(train\) \[2/2\].*loss: \d', log)
    assert re.search(r'Iter\(val\) \[2/2\]\s+aAcc', log), log[-3000:]
    trained = mine / 'run' / 'iter_2.pth'
    assert trained.is_file()

    tested = run_tool(str(ROOT / 'tools/test.py'), config, trained,
                      '--work-dir', mine / 'test', '--cfg-options', *SMALL,
                      *ATTO, cwd=mine)
    (metrics, ) = (mine / 'test').glob('*/test_metrics.json')
    per_class = json.loads(metrics.read_text())['per_class']
    assert list(per_class) == [name for name, _ in CUSTOM_CLASSES]
    assert 'mIoU' in tested.stdout

    # Exported (into a folder that does not exist yet) and run without
    # torch's runtime: the classes and colours are the classes file's.
    onnx = mine / 'exported' / 'model.onnx'
    run_tool(str(ROOT / 'tools/deployment/export.py'), config, trained,
             '--format', 'onnx', '--out', onnx, '--shape', '64', '64',
             '--dynamic', '--cfg-options', *ATTO, cwd=mine)
    from inceptionnext_seg.inference import read_metadata
    assert read_metadata(str(onnx))['classes'] == [
        name for name, _ in CUSTOM_CLASSES]
    image = next((data / 'images' / 'val').glob('*.jpg'))
    run_tool(str(ROOT / 'tools/deployment/infer_onnx.py'), image, onnx,
             '--out', mine / 'painted.png', cwd=mine)
    assert (mine / 'painted.png').is_file()

    # From a checkpoint of the same model with 150 classes (an ADE20K one):
    # load_from set in the file exempts the class convs, and only those.
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    cfg = load_config(str(config), parser.parse_args(
        ['--cfg-options', *ATTO]).cfg_options)
    cfg.model.decode_head.num_classes = 150
    cfg.model.auxiliary_head.num_classes = 150
    cfg.model.backbone.init_cfg = None
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    ade = MODELS.build(cfg.model).state_dict()
    ade150 = tmp_path / 'ade20k_upernet_t.pth'
    torch.save(dict(state_dict=ade), ade150)
    started = config.parent / 'from_ade20k.py'
    started.write_text(config.read_text().replace(
        'load_from = None', f"load_from = '{ade150}'"))
    # The run starts as tools/train.py starts it (its training with such a
    # partial load: tests/test_tools/test_mmseg_tools.py::
    # test_fine_tuning_with_another_class_count_when_asked).
    tuned = load_config(str(started), parser.parse_args(
        ['--cfg-options', *SMALL, *ATTO, *TWO_ITERATIONS]).cfg_options)
    assert tuned.model.backbone.init_cfg is None  # no ImageNet weights read
    tuned.work_dir = str(mine / 'tuned')
    tuned.launcher = 'none'
    runner = RUNNERS.build(tuned)
    runner.load_or_resume()
    log = Path(runner.log_file).read_text()
    assert 'Not loaded from the checkpoint (strict_load_except)' in log
    assert 'decode_head.conv_seg.weight: checkpoint (150, 32, 1, 1) vs ' \
        'model (6, 32, 1, 1)' in log
    assert 'auxiliary_head.conv_seg.weight: checkpoint (150, 16, 1, 1)' \
        in log
    state = runner.model.state_dict()
    assert state['decode_head.conv_seg.weight'].shape[0] == 6
    for key in ('backbone.stem.0.weight',
                'decode_head.bottleneck.conv.weight'):
        assert torch.equal(state[key], ade[key]), key  # loaded
