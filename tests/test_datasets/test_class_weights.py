"""Class weights from the class frequencies (class_weights.py): median
frequency balancing by hand, the inspector's weights of a generated
imbalanced dataset, and the line it prints taken by the own-data template
as it is."""
import argparse
import re
import shlex

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, MODELS

from inceptionnext_seg.datasets.class_weights import (class_weight_lines,
                                                      median_frequency_weights)
from inceptionnext_seg.datasets.inspection import (InspectionReport,
                                                   folder_dataset_config,
                                                   format_report,
                                                   inspect_dataset)
from inceptionnext_seg.utils.config import load_config
from tests.helpers.datasets import make_binary_like
from tests.helpers.tools import ROOT

TEMPLATE = ROOT / 'configs' / 'custom' / 'upernet_inceptionnext_t_custom.py'


def test_median_frequency_balancing_by_hand():
    # f = 100/400, 30/300, 10/100 = 0.25, 0.1, 0.1; median 0.1
    assert median_frequency_weights([100, 30, 10, 0], [400, 300, 100, 0]) \
        == [0.4, 1.0, 1.0, 1.0]
    assert median_frequency_weights([0, 0], [0, 0]) == [1.0, 1.0]
    lines = class_weight_lines([0.4, 1.0, 2.5])
    assert lines['template'] == 'class_weight = [0.4, 1, 2.5]'
    assert 'model.decode_head.loss_decode.class_weight="[0.4,1,2.5]"' in \
        lines['cfg_options']
    assert 'model.auxiliary_head.loss_decode.type=WeightedCrossEntropyLoss' \
        in lines['cfg_options']


@pytest.fixture
def imbalanced(tmp_path):
    """A small square foreground in one of four masks."""
    root = make_binary_like(tmp_path / 'rare', num_train=4, num_val=0,
                            size=(32, 48), foreground=1)
    for i, path in enumerate(sorted((root / 'masks' / 'train')
                                    .glob('*.png'))):
        seg = np.zeros((32, 48), np.uint8)
        if i == 0:
            seg[:5, :4] = 1  # 20 px of 1536
        cv2.imwrite(str(path), seg)
    return root


def test_the_inspector_weighs_a_rare_class_up(imbalanced):
    init_default_scope('mmseg')
    dataset = DATASETS.build(dict(folder_dataset_config(
        str(imbalanced / 'images' / 'train'),
        str(imbalanced / 'masks' / 'train'), reduce_zero_label=False,
        classes_file=str(imbalanced / 'classes.txt')), lazy_init=True))
    report = inspect_dataset(dataset, 'data')
    assert report.class_pixels == [4 * 1536 - 20, 20]
    # background: in all four masks; the foreground in one
    f = np.array([(4 * 1536 - 20) / (4 * 1536), 20 / 1536])
    assert report.class_weights == [round(np.median(f) / x, 3) for x in f]
    assert report.class_weights[1] > 1 > report.class_weights[0]
    assert report.to_json()['class_weights'] == dict(
        background=report.class_weights[0], sky=report.class_weights[1])
    text = format_report(InspectionReport('test', [report]))
    (line, ) = re.findall(r'^    (class_weight = \[.*\])', text, re.M)

    # the printed line, pasted into the template, reaches both losses
    cfg = Config.fromstring(TEMPLATE.read_text().replace(
        'class_weight = None', line), '.py')
    for head in (cfg.model.decode_head, cfg.model.auxiliary_head):
        assert head.loss_decode.class_weight == report.class_weights
    assert cfg.model.decode_head.loss_decode.type == \
        'WeightedCrossEntropyLoss'
    loss = MODELS.build(cfg.model.decode_head.loss_decode)
    logits = torch.zeros(1, 2, 2, 2)  # the two classes of these masks
    logits[0, 0, 0, 0] = 3.0  # the background pixel nearly right
    labels = torch.tensor([[[0, 1], [1, 255]]])  # and an ignored one
    each = torch.nn.functional.cross_entropy(logits, labels,
                                             reduction='none',
                                             ignore_index=255)
    w = torch.tensor(report.class_weights + [0.0])[labels.clamp(max=2)]
    # the weighted mean over the labelled pixels: the rare class counts more
    assert float(loss(logits, labels, ignore_index=255)) == pytest.approx(
        float((w * each).sum() / w.sum()), rel=1e-5)
    assert float(loss(logits, labels, ignore_index=255)) > \
        float(each[labels != 255].mean()) + 0.01

    # the --cfg-options line sets the same in a config of the project
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    (options, ) = re.findall(r'^    (--cfg-options .*)$', text, re.M)
    overrides = parser.parse_args(shlex.split(options)).cfg_options
    ade = load_config(
        str(ROOT / 'configs' / 'upernet_inceptionnext_t_ade20k.py'),
        overrides)
    for head in (ade.model.decode_head, ade.model.auxiliary_head):
        assert head.loss_decode.type == 'WeightedCrossEntropyLoss'
        assert head.loss_decode.class_weight == report.class_weights


def test_the_inspector_refuses_weights_that_would_stop_or_mislead(
        imbalanced):
    from inceptionnext_seg.datasets.inspection import config_findings
    init_default_scope('mmseg')
    dataset = DATASETS.build(dict(folder_dataset_config(
        str(imbalanced / 'images' / 'train'),
        str(imbalanced / 'masks' / 'train'), reduce_zero_label=False,
        classes_file=str(imbalanced / 'classes.txt')), lazy_init=True))

    def findings(loss):
        cfg = Config(dict(model=dict(decode_head=dict(
            num_classes=2, loss_decode=loss))))
        return [d for f in config_findings(cfg, dict(train=dataset), 'c.py')
                if f.kind == 'class_weight' for d in f.details.values()]

    (said, ) = findings(dict(type='CrossEntropyLoss',
                             class_weight=[0.5, 2.0]))
    assert "type='WeightedCrossEntropyLoss'" in said
    (said, ) = findings([dict(type='WeightedCrossEntropyLoss',
                              class_weight=[1.0, 1.0, 1.0])])
    assert 'loss_decode[0].class_weight has 3 values, the dataset 2' in said
    assert findings(dict(type='WeightedCrossEntropyLoss',
                         class_weight=[0.5, 2.0])) == []
    assert findings(dict(type='CrossEntropyLoss')) == []
