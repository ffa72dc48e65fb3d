"""inceptionnext_seg.engine.compile: --compile's config value and argument
check; compile_segmentor, which keeps the plain parameter names and the
eager outputs and gradients (dynamo's 'aot_eager' backend: the traced
forward and backward graphs run without inductor's minutes of code
generation on a CPU; tests/test_gpu.py runs inductor); and SegRunner's
training with the config's ``compile``, which compiles those parts once.
The demo segmentor with one backbone block per stage
(tests.helpers.tools.one_block_per_stage): dynamo traces every block."""
import argparse

import pytest
import torch
from mmengine.config import DictAction
from mmengine.hooks import Hook
from mmseg.registry import RUNNERS

from inceptionnext_seg.engine.compile import (backend_name, compile_option,
                                              compile_run, compile_segmentor)
from inceptionnext_seg.utils.config import (build_segmentor_for_analysis,
                                            load_config)
from tests.helpers.faults import deterministic
from tests.helpers.tools import DEMO_CONFIG, ROOT, one_block_per_stage

#: The graphs that dynamo handed to the ``counting_eager`` backend.
COMPILED_GRAPHS = []


def _counting_eager(graph_module, example_inputs):
    COMPILED_GRAPHS.append(graph_module)
    return graph_module.forward


if 'counting_eager' not in torch._dynamo.list_backends(exclude_tags=()):
    torch._dynamo.register_backend(_counting_eager, name='counting_eager')


def build():
    torch.manual_seed(0)
    # no dropout or drop path: both would draw random numbers
    return build_segmentor_for_analysis(DEMO_CONFIG, {
        'model.backbone.drop_path_rate': 0.,
        'model.decode_head.dropout_ratio': 0., **one_block_per_stage()})


def test_compile_option_and_backend_check():
    assert compile_option(None) is False
    assert compile_option('eager') == dict(backend='eager')
    assert backend_name('inductor') == 'inductor'
    with pytest.raises(argparse.ArgumentTypeError, match='after the '
                       'positional arguments'):
        backend_name('configs/upernet_inceptionnext_t_ade20k.py')


def test_compiled_segmentor_keeps_names_outputs_and_gradients():
    torch._dynamo.reset()
    eager, compiled = build(), build()
    compiled.load_state_dict(eager.state_dict())
    names = list(compiled.state_dict())
    assert compile_segmentor(compiled, 'aot_eager') == ['backbone',
                                                        'decode_head']
    assert list(compiled.state_dict()) == names  # no _orig_mod. prefix
    # a checkpoint of the compiled model loads strictly into an uncompiled
    # one and back
    build().load_state_dict(compiled.state_dict(), strict=True)
    compiled.load_state_dict(eager.state_dict(), strict=True)
    x = torch.randn(2, 3, 64, 64)
    for model in (eager, compiled):
        model.eval()
    with torch.no_grad():
        torch.testing.assert_close(compiled(x, mode='tensor'),
                                   eager(x, mode='tensor'))
    for model in (eager, compiled):
        model.train()
        model(x, mode='tensor').square().mean().backward()
    for (name, p), q in zip(eager.named_parameters(),
                            compiled.parameters()):
        if p.grad is None:
            assert q.grad is None, name
            continue
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-4, atol=1e-6,
                                   msg=lambda m: f'{name}: {m}')


class _Record(Hook):
    """Per training iteration: the graphs compiled during it (validation's
    own, between iterations, not counted), the samples' flips and the
    learning rate."""

    def __init__(self):
        self.graphs, self.flips, self.lrs = [], set(), set()

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._before = len(COMPILED_GRAPHS)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.graphs.append(len(COMPILED_GRAPHS) - self._before)
        self.flips.update(s.flip for s in data_batch['data_samples'])
        self.lrs.add(runner.optim_wrapper.get_lr()['lr'][0])


def test_training_compiles_the_segmentors_parts_once(demo_data, tmp_path):
    """``compile`` in the config (what ``tools/train.py --compile`` sets and
    mmseg's own train.py reads): SegRunner compiles the backbone and the
    decode head where mmengine's Runner would compile ``train_step`` whole,
    whose samples' ``flip`` and learning rate recompiled it at every new
    value. The graphs of the first iteration serve every later one through
    both flips and a changing learning rate; the checkpoint has the plain
    names. (mmengine calls ``_maybe_compile('train_step')`` from
    ``Runner.train``, a private hook that SegRunner overrides: were it
    renamed or no longer called, the parts would not be compiled, or
    ``train_step`` would be and recompile.)"""
    torch._dynamo.reset()
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args(['--cfg-options', *deterministic(
        demo_data, max_iters=4), 'train_dataloader.num_workers=0',
        'randomness.deterministic=False']).cfg_options
    cfg = load_config(str(ROOT / DEMO_CONFIG),
                      dict(options, **one_block_per_stage()))
    cfg.work_dir = str(tmp_path)
    cfg.launcher = 'none'
    cfg.compile = dict(backend='counting_eager')
    runner = RUNNERS.build(cfg)
    record = _Record()
    runner.register_hook(record)
    del COMPILED_GRAPHS[:]
    runner.train()
    assert record.flips == {True, False} and len(record.lrs) > 1
    assert record.graphs[0] > 0, 'nothing was compiled'
    assert record.graphs[1:] == [0, 0, 0], (
        f'graphs compiled in each iteration: {record.graphs}')
    assert 'compile: backbone, decode_head compiled with backend ' \
        "'counting_eager'" in (tmp_path / runner.timestamp /
                               f'{runner.timestamp}.log').read_text()
    state = torch.load(tmp_path / 'iter_4.pth',
                       weights_only=True)['state_dict']
    assert list(state) == list(build().state_dict())


def test_testing_compiles_the_parts_with_the_configs_runner(
        trained, demo_data, tmp_path):
    """The config's runner (``runner_type``, as tools/test.py and mmseg's
    train.py build it) calls test(), which mmengine compiles nothing for:
    SegRunner compiles the parts there too when the config has
    ``compile``. (mmseg's own test.py builds mmengine's plain Runner.)"""
    work_dir, _ = trained
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args([
        '--cfg-options', f'test_dataloader.dataset.data_root={demo_data}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False']).cfg_options
    cfg = load_config(str(ROOT / DEMO_CONFIG), options)
    cfg.work_dir = str(tmp_path)
    cfg.launcher = 'none'
    cfg.load_from = str(work_dir / 'iter_4.pth')
    cfg.compile = dict(backend='counting_eager')
    runner = RUNNERS.build(cfg)
    del COMPILED_GRAPHS[:]
    metrics = runner.test()
    assert COMPILED_GRAPHS, 'nothing was compiled'
    assert 'mIoU' in metrics


def test_the_compile_key_as_mmengine_reads_it_and_a_tta_model():
    """None/False compile nothing; an empty dict is torch's defaults (as in
    mmengine); mmengine's ``target`` key is not passed to torch.compile;
    the segmentor inside ``--tta``'s SegTTAModel is the one compiled, once.
    No forward runs here, so inductor compiles nothing."""
    from types import SimpleNamespace

    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmseg.models import SegTTAModel

    def run(compile_value, model):
        cfg = Config(dict() if compile_value == 'unset' else
                     dict(compile=compile_value))
        return SimpleNamespace(cfg=cfg, model=model,
                               logger=MMLogger.get_current_instance())

    for value in ('unset', None, False):
        assert compile_run(run(value, build())) == []
    assert compile_run(run(dict(), build())) == ['backbone', 'decode_head']
    segmentor = build()
    tta = SegTTAModel(module=segmentor)
    runner = run(dict(backend='counting_eager', target='train_step'), tta)
    assert compile_run(runner) == ['backbone', 'decode_head']
    assert compile_run(runner) == []  # once
    del COMPILED_GRAPHS[:]
    segmentor.eval()
    with torch.no_grad():
        segmentor(torch.randn(1, 3, 64, 64), mode='tensor')
    assert COMPILED_GRAPHS, 'the segmentor inside the TTA model not compiled'
