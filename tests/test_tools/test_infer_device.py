"""tools/infer.py's device: --onnx and --fastest are CPU paths, taken on
the CPU whatever GPU the machine has; an explicit GPU with them is refused
with the way out. The GPU is reported present in this process
(``torch.cuda.is_available``), nothing runs on it."""
import pytest
import torch

from tests.helpers.tools import load_tool

ARGS = ['demo.jpg', 'CONFIG', 'CKPT.pth', '--out', 'out.png']


@pytest.fixture(scope='module')
def infer():
    return load_tool('infer')


@pytest.fixture
def gpu_present(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)


@pytest.mark.parametrize('extra', [['--onnx', 'model.onnx'], ['--fastest'],
                                   ['--onnx', 'model.onnx', '--fastest']])
def test_cpu_paths_run_on_the_cpu_where_a_gpu_is_present(infer, gpu_present,
                                                         extra):
    assert infer.parse_args(ARGS + extra).device == 'cpu'
    assert infer.parse_args(ARGS + extra + ['--device', 'cpu']).device == \
        'cpu'


def test_eager_takes_the_gpu_where_present(infer, gpu_present):
    assert infer.parse_args(ARGS).device == 'cuda:0'
    assert infer.parse_args(ARGS + ['--device', 'cuda:1']).device == 'cuda:1'


def test_eager_on_a_machine_without_gpu(infer, monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert infer.parse_args(ARGS).device == 'cpu'


def test_an_explicit_gpu_with_onnx_is_refused(infer, gpu_present, capsys):
    with pytest.raises(SystemExit) as stop:
        infer.parse_args(ARGS + ['--onnx', 'model.onnx', '--device', 'cuda'])
    assert stop.value.code == 2
    error = capsys.readouterr().err
    assert '--onnx and --fastest are CPU paths' in error
    assert 'Leave --device out' in error
