"""configs/custom/upernet_inceptionnext_t_binary.py: binary masks as
annotation tools store them (0/255) train and test on generated data, each
validation's per-class IoU and Acc land in the logged scalars (the JSON log
and every visualizer backend, as TensorBoard's), and inference writes 0/255
masks."""
import json

import cv2
import numpy as np
import pytest
from mmengine.registry import VISBACKENDS
from mmengine.visualization import BaseVisBackend
from mmseg.registry import RUNNERS

from inceptionnext_seg.utils.config import load_config
from tests.helpers.datasets import make_binary_like
from tests.helpers.tools import ROOT, run_tool

TEMPLATE = ROOT / 'configs' / 'custom' / 'upernet_inceptionnext_t_binary.py'
RECORDED = []


@VISBACKENDS.register_module(force=True)
class RecordingVisBackend(BaseVisBackend):
    """Stands in for TensorBoard's backend: keeps what add_scalars gets."""

    def _init_env(self):
        pass

    @property
    def experiment(self):
        return self

    def add_scalars(self, scalar_dict, step=0, file_path=None, **kwargs):
        RECORDED.append((step, dict(scalar_dict)))


def tiny(cfg, data, work_dir, max_iters=4):
    """The template on the atto backbone, 32x32 crops, a few iterations."""
    for key in ('train', 'val', 'test'):
        loader = cfg[f'{key}_dataloader']
        loader.dataset.data_root = str(data)
        loader.num_workers, loader.persistent_workers = 0, False
    cfg.train_dataloader.batch_size = 2
    norm = dict(type='BN', requires_grad=True)
    cfg.model.backbone.update(arch='atto', init_cfg=None, norm_cfg=norm)
    cfg.model.decode_head.update(in_channels=[40, 80, 160, 320],
                                 channels=32, norm_cfg=norm)
    cfg.model.auxiliary_head.update(in_channels=160, channels=16,
                                    norm_cfg=norm)
    cfg.model.data_preprocessor.size = (32, 32)
    cfg.train_dataloader.dataset.pipeline[2].scale = (64, 48)
    cfg.train_dataloader.dataset.pipeline[3].crop_size = (32, 32)
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.pipeline[1].scale = (64, 48)
    cfg.train_cfg.update(max_iters=max_iters, val_interval=2)
    cfg.param_scheduler[0].end = 1
    cfg.param_scheduler[1].update(begin=1, end=max_iters)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.update(interval=max_iters,
                                        save_optimizer=False)
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend'),
                                   dict(type='RecordingVisBackend')]
    cfg.work_dir, cfg.launcher = str(work_dir), 'none'
    return cfg


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp('binary')
    data = make_binary_like(root / 'sky', num_train=4, num_val=2,
                            foreground=255)
    RECORDED.clear()
    runner = RUNNERS.build(tiny(load_config(str(TEMPLATE)), data,
                                root / 'run'))
    runner.train()
    return data, root / 'run', runner, list(RECORDED)


def test_the_template_is_the_custom_one_with_two_classes():
    cfg = load_config(str(TEMPLATE))
    custom = load_config(str(TEMPLATE.parent /
                             'upernet_inceptionnext_t_custom.py'))
    for head in ('decode_head', 'auxiliary_head'):
        assert cfg.model[head].num_classes == 2
        assert cfg.model[head].loss_decode == custom.model[head].loss_decode
    for key in ('train', 'val', 'test'):
        dataset = cfg[f'{key}_dataloader'].dataset
        assert dataset.metainfo.classes == ('background', 'foreground')
        assert dataset.value_map == {255: 1} and dataset.ignore_index == 255
        assert dataset.classes_file is None
    assert cfg.val_evaluator.type == 'ClassIoUMetric'
    assert dict(type='ClassScalarsHook') in cfg.custom_hooks


def test_0_255_masks_train_and_log_each_class_in_the_scalars(trained):
    _, work_dir, runner, recorded = trained
    assert runner.iter == 4
    (json_log, ) = work_dir.glob('*/vis_data/2*.json')  # <time>.json
    records = [json.loads(line) for line in json_log.read_text()
               .splitlines()]
    validations = [r for r in records if 'mIoU' in r]
    assert [r['step'] for r in validations] == [2, 4]
    for record in validations:
        for key in ('IoU.background', 'Acc.background'):
            assert 0 <= record[key] <= 100
        # the foreground's IoU where it is defined (labelled in val: yes)
        assert 'IoU.foreground' in record
        # mIoU is the mean of the two, as mmseg averages
        assert record['mIoU'] == pytest.approx(
            (record['IoU.background'] + record['IoU.foreground']) / 2,
            abs=0.02)
    scalars = [json.loads(line) for line in
               (json_log.parent / 'scalars.json').read_text().splitlines()]
    assert [r['IoU.foreground'] for r in scalars if 'mIoU' in r] == \
        [r['IoU.foreground'] for r in validations]
    # every backend gets them (TensorBoard's as this one)
    assert [(step, s['IoU.foreground']) for step, s in recorded
            if 'mIoU' in s] == [(r['step'], r['IoU.foreground'])
                                for r in validations]
    # the metrics themselves are unchanged (save_best, the curves)
    assert set(runner.val_loop.evaluator.metrics[0]
               .per_class) == {'background', 'foreground'}
    log = next(work_dir.glob('*/*.log')).read_text()
    assert 'IoU.foreground' in log


def test_inference_writes_0_255_masks(trained, tmp_path):
    data, work_dir, _, _ = trained
    image = next((data / 'images' / 'val').glob('*.jpg'))
    config = next(work_dir.glob('*/vis_data/config.py'))
    labels = tmp_path / 'labels.png'
    run_tool('tools/infer.py', image, config, work_dir / 'iter_4.pth',
             '--out', tmp_path / 'painted.png', '--labels-out', labels,
             '--label-values', '0', '255', '--device', 'cpu')
    written = cv2.imread(str(labels), cv2.IMREAD_UNCHANGED)
    assert written.dtype == np.uint8 and written.shape == (48, 64)
    assert set(np.unique(written)) <= {0, 255}
    refused = run_tool('tools/infer.py', image, config,
                       work_dir / 'iter_4.pth', '--out',
                       tmp_path / 'p.png', '--labels-out', labels,
                       '--label-values', '0', '1', '2', '--device', 'cpu',
                       check=False)
    assert refused.returncode != 0
    assert '3 values for 2 classes' in refused.stdout + refused.stderr
