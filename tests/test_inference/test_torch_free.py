"""inceptionnext_seg.inference and tools/deployment/infer_onnx.py run where
only onnxruntime, numpy and OpenCV are installed: in a fresh interpreter where
importing torch (or mmseg, mmengine, mmcv, onnx) fails, the package imports and
the tool segments an image and a folder with an ONNX file."""
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from tests.helpers.tools import ROOT

BLOCKED = ('torch', 'torchvision', 'mmseg', 'mmengine', 'mmcv', 'onnx',
           'timm')
PALETTE = [[255, 0, 0], [0, 255, 0], [0, 0, 255]]


@pytest.fixture
def without_torch(tmp_path):
    """A PYTHONPATH whose first folder holds a package of each name in
    :data:`BLOCKED` that raises on import, as on a machine without them."""
    stubs = tmp_path / 'stubs'
    for name in BLOCKED:
        (stubs / name).mkdir(parents=True)
        (stubs / name / '__init__.py').write_text(
            f'raise ImportError("{name} is not installed here (test stub)")\n')
    return dict(PYTHONPATH=f'{stubs}:{ROOT}')


def tiny_onnx(path):
    """A 1x1 convolution from the BGR image to 3 logits (class = the strongest
    channel: B, G or R), with tools/deployment/export.py's metadata."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    weight = numpy_helper.from_array(
        np.eye(3, dtype=np.float32).reshape(3, 3, 1, 1), 'w')
    graph = helper.make_graph(
        [helper.make_node('Conv', ['image', 'w'], ['logits'])], 'tiny',
        [helper.make_tensor_value_info('image', TensorProto.FLOAT,
                                       ['batch', 3, 'height', 'width'])],
        [helper.make_tensor_value_info('logits', TensorProto.FLOAT,
                                       ['batch', 3, 'height', 'width'])],
        [weight])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid('', 17)])
    model.ir_version = 8
    for key, value in dict(palette=PALETTE, classes=['b', 'g', 'r'],
                           reduce_zero_label=True, test_scale=None,
                           size_divisor=None, output='logits').items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    onnx.save(model, str(path))
    return path


def run(env, *args, cwd=ROOT):
    return subprocess.run([sys.executable, *map(str, args)], cwd=cwd,
                          env=dict(env, PATH='/usr/bin:/bin'),
                          capture_output=True, text=True, timeout=300)


def test_the_stubs_block_torch(without_torch):
    result = run(without_torch, '-c', 'import torch')
    assert result.returncode == 1 and 'test stub' in result.stderr


def test_the_inference_layer_imports_without_torch(without_torch,
                                                   tmp_path):
    cv2.imwrite(str(tmp_path / 'a.png'), np.zeros((4, 4, 3), np.uint8))
    # every import tried is recorded, even one caught as missing
    code = ('import sys\n'
            'tried = []\n'
            'class Recorder:\n'
            '    def find_spec(self, name, path=None, target=None):\n'
            '        tried.append(name)\n'
            'sys.meta_path.insert(0, Recorder())\n'
            'import inceptionnext_seg.inference as inference\n'
            'from inceptionnext_seg.deploy.policy import InferencePath\n'
            f'blocked = {BLOCKED!r}\n'
            'print(sorted(m for m in tried if m.split(".")[0] in blocked))\n'
            'print(inference.find_inputs(sys.argv[1]).kind)\n')
    result = run(without_torch, '-c', code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ['[]', 'images']


def test_infer_onnx_segments_without_torch(without_torch, tmp_path):
    model = tiny_onnx(tmp_path / 'tiny.onnx')
    image = np.zeros((20, 30, 3), np.uint8)
    image[:, :10, 0] = 200  # blue: class 0
    image[:, 10:20, 1] = 200  # green: class 1
    image[:, 20:, 2] = 200  # red: class 2
    folder = tmp_path / 'in'
    (folder / 'sub').mkdir(parents=True)
    cv2.imwrite(str(folder / 'a.png'), image)
    cv2.imwrite(str(folder / 'sub' / 'b.png'), image[:, ::-1])
    result = run(without_torch,
                 ROOT / 'tools' / 'deployment' / 'infer_onnx.py',
                 folder / 'a.png', model, '--out', tmp_path / 'a.png',
                 '--labels-out', tmp_path / 'a_labels.png')
    assert result.returncode == 0, result.stderr
    assert 'model: float32' in result.stdout
    labels = cv2.imread(str(tmp_path / 'a_labels.png'), cv2.IMREAD_UNCHANGED)
    expected = np.repeat([1, 2, 3], 10)  # the dataset's encoding: from 1
    assert (labels == expected).all()
    result = run(without_torch,
                 ROOT / 'tools' / 'deployment' / 'infer_onnx.py', folder,
                 model, '--out', tmp_path / 'out', '--labels-out',
                 tmp_path / 'labels')
    assert result.returncode == 0, result.stderr
    assert 'segmented 2 images' in result.stdout
    flipped = cv2.imread(str(tmp_path / 'labels' / 'sub' / 'b.png'),
                         cv2.IMREAD_UNCHANGED)
    assert (flipped == expected[::-1]).all()


def test_a_fixed_size_file_refuses_an_image_of_another_size():
    """An export without --dynamic takes its export size only; the config's
    test resize makes most images another size: said, with the fix, instead
    of ONNX Runtime's 'Got invalid dimensions for input'."""
    import numpy as np
    import pytest

    from inceptionnext_seg.inference.onnx_runner import segment

    class Session:
        def get_inputs(self):
            return [type('I', (), dict(name='image',
                                       shape=[1, 3, 64, 64]))()]

        def run(self, *args):
            raise AssertionError('not reached')

    image = np.zeros((480, 640, 3), np.uint8)
    with pytest.raises(ValueError, match=r'takes 64x64 images only .*'
                       r'--dynamic'):
        segment(Session(), image, dict(test_scale=[2048, 512]))
