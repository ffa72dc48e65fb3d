"""HeadDatasetCheckHook stops a run whose heads and dataset disagree on the
classes or the ignore index, which mmseg trains and evaluates on anyway."""
from types import SimpleNamespace

import pytest

from inceptionnext_seg.engine.hooks import (HeadDatasetCheckHook,
                                            HeadDatasetMismatch)
from tests.helpers.tools import DEMO_CONFIG, run_tool, tiny_run_options


class Dataset:
    metainfo = dict(classes=('a', 'b', 'c'))
    ignore_index = 255

    def __len__(self):
        return 1


def runner(decode_head, auxiliary_head=None, dataset=None):
    loop = SimpleNamespace(dataloader=SimpleNamespace(
        dataset=dataset or Dataset()))
    model = SimpleNamespace(decode_head=decode_head,
                            auxiliary_head=auxiliary_head)
    return SimpleNamespace(model=model, train_loop=loop, val_loop=loop,
                           test_loop=loop)


def head(num_classes=3, ignore_index=255):
    return SimpleNamespace(num_classes=num_classes, ignore_index=ignore_index)


def test_heads_that_fit_the_dataset_pass_in_every_loop():
    hook = HeadDatasetCheckHook()
    # mmengine's wrappers hold theirs in .dataset (Repeat, ClassBalanced)
    # and .datasets (Concat)
    wrapped = SimpleNamespace(datasets=[SimpleNamespace(dataset=Dataset())])
    for dataset in (Dataset(), wrapped):
        fits = runner(head(), head(), dataset=dataset)
        for check in (hook.before_train, hook.before_val, hook.before_test):
            check(fits)
    with pytest.raises(HeadDatasetMismatch, match='has 3 classes'):
        hook.before_test(runner(head(2), dataset=wrapped))


@pytest.mark.parametrize('decode, auxiliary, message', [
    (head(150), None, r'model\.decode_head\.num_classes=150, but the train '
                      r'dataset \(Dataset\) has 3 classes: set '
                      r'num_classes=3'),
    (head(), head(150), r'model\.auxiliary_head\.num_classes=150'),
    (head(ignore_index=0), None, r'decode_head\.ignore_index=0, but .* '
                                 r'ignore_index=255'),
])
def test_a_head_that_disagrees_is_named(decode, auxiliary, message):
    with pytest.raises(HeadDatasetMismatch, match=message):
        HeadDatasetCheckHook().before_train(runner(decode, auxiliary))


def test_train_py_stops_before_the_first_iteration(demo_data, tmp_path):
    result = run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', tmp_path,
                      '--cfg-options', *tiny_run_options(demo_data),
                      'model.decode_head.num_classes=19', check=False)
    assert result.returncode != 0
    assert ('model.decode_head.num_classes=19, but the train dataset '
            '(CheckedADE20KDataset) has 150 classes') in result.stderr
    assert not list(tmp_path.glob('*.pth'))
