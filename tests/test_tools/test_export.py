"""tools/deployment/export.py (ONNX, TorchScript) with its verification, and
tools/deployment/infer_onnx.py against PyTorch."""
import re

import cv2
import pytest
import torch

from tests.helpers.ladder import fpn_rows
from tests.helpers.tools import (DEMO_CONFIG, ROOT, data_options, load_tool,
                                 run_tool, tiny_run_options)

# the tests that share the exported demo model run on one worker
DEMO_EXPORT = pytest.mark.xdist_group('export_demo')
CHECKED = re.compile(r'(\d+)x(\d+): max \|logit diff\| \S+ \(\S+ of the '
                     r'largest logit\), class agreement ([\d.]+)%  ok')


@pytest.fixture(scope='module')
def demo_onnx(trained, tmp_path_factory):
    work_dir, _ = trained
    out = tmp_path_factory.mktemp('export') / 'demo.onnx'
    result = run_tool('tools/deployment/export.py', DEMO_CONFIG,
                      work_dir / 'iter_4.pth',
                      '--format', 'onnx', '--out', out, '--shape', '160',
                      '320', '--dynamic')
    return out, result.stdout


@DEMO_EXPORT
@pytest.mark.compat
def test_onnx_export_of_a_trained_model_verifies_at_three_sizes(demo_onnx):
    path, log = demo_onnx
    assert path.is_file()
    sizes = [(int(h), int(w)) for h, w, _ in CHECKED.findall(log)]
    assert sizes == [(160, 320), (224, 256), (128, 416)], log


def test_torchscript_export_verifies(trained, tmp_path):
    work_dir, _ = trained
    out = tmp_path / 'demo.pt'
    log = run_tool('tools/deployment/export.py', DEMO_CONFIG,
                   work_dir / 'iter_4.pth',
                   '--format', 'torchscript', '--out', out, '--shape', '128',
                   '128', '--dynamic', '--output', 'labels').stdout
    assert len(re.findall(r'class agreement 100\.000%  ok', log)) == 3, log
    traced = torch.jit.load(str(out))
    labels = traced(torch.rand(1, 3, 96, 160) * 255)
    assert labels.shape == (1, 96, 160) and labels.dtype == torch.int64


@DEMO_EXPORT
def test_onnx_infer_gives_pytorchs_label_map_and_picture(
        demo_onnx, trained, ade_samples, tmp_path):
    from mmseg.apis import inference_model, init_model

    from inceptionnext_seg.utils.config import load_config
    path, _ = demo_onnx
    cfg = load_config(str(ROOT / DEMO_CONFIG))
    cfg.model.backbone.init_cfg = None
    checkpoint = trained[0] / 'iter_4.pth'
    model = init_model(cfg, str(checkpoint), device='cpu')
    folder = ade_samples / 'images' / 'validation'
    images = sorted(folder.glob('*.jpg'))
    assert len(images) == 3
    # The samples' folder, twice (a single image's file names: the int8
    # test's run): ADE20K's own encoding (1..150, as tools/test.py --out
    # writes it) by default, the model's class indices with --train-ids.
    painted, labels, ids = (tmp_path / name for name in
                            ('painted', 'labels', 'ids'))
    run_tool('tools/deployment/infer_onnx.py', folder, path, '--out',
             painted, '--labels-out', labels)
    run_tool('tools/deployment/infer_onnx.py', folder, path, '--out',
             tmp_path / 'again', '--labels-out', ids, '--train-ids')
    for image in images:
        name = f'{image.stem}.png'
        ref = inference_model(model, str(image)).pred_sem_seg.data[0].numpy()
        ours = cv2.imread(str(ids / name), cv2.IMREAD_UNCHANGED)
        assert ours.shape == ref.shape
        assert (ours == ref).mean() >= 0.999, (image, (ours == ref).mean())
        encoded = cv2.imread(str(labels / name), cv2.IMREAD_UNCHANGED)
        assert (encoded.astype(int) == ours.astype(int) + 1).all()
    # The picture is the one tools/infer.py paints with mmseg's visualizer.
    torch_png = tmp_path / 'torch.png'
    run_tool('tools/infer.py', images[0], DEMO_CONFIG, checkpoint, '--out',
             torch_png)
    ours = cv2.imread(str(painted / f'{images[0].stem}.png'))
    ref = cv2.imread(str(torch_png))
    assert (ours == ref).all(axis=2).mean() >= 0.999
    # tools/infer.py takes the file where this CPU's ladder says it is the
    # fastest verified path, and paints the same picture.
    ladder_for(fpn_rows(onnx_fp32=0.5, onnx_int8=0.25), tmp_path)
    onnx_png = tmp_path / 'onnx.png'
    log = run_tool('tools/infer.py', images[0], DEMO_CONFIG, checkpoint,
                   '--out', onnx_png, '--onnx', path, '--fastest', '--ladder',
                   tmp_path / 'ladder.json').stdout
    assert 'fastest verified on this CPU for FPN: ONNX Runtime fp32, ' \
        '2.00x eager fp32' in log, log
    assert 'faster: ONNX Runtime int8, 4.00x' in log
    assert '(ONNX Runtime fp32); wrote' in log
    ours = cv2.imread(str(onnx_png))
    assert (ours == ref).all(axis=2).mean() >= 0.999


def ladder_for(rows, folder):
    """A ladder record in ``folder`` whose entry for this CPU has ``rows``
    for FPN."""
    from inceptionnext_seg.analysis import cpu_features, save_ladder
    return save_ladder(dict(cpu=cpu_features(), date='2026-12-02',
                            FPN=dict(rows=rows)), folder / 'ladder.json')


def test_infer_names_the_path_and_needs_a_ladder_for_fastest(
        trained, demo_data, tmp_path, monkeypatch, capsys):
    """Without a file, eager fp32 is taken and the faster int8 path named
    with the command that makes its file; --fastest without this CPU's
    ladder stops and says how to measure one."""
    image = sorted((demo_data / 'images' / 'validation').glob('*.jpg'))[0]
    checkpoint = trained[0] / 'iter_4.pth'
    ladder = ladder_for(fpn_rows(onnx_fp32=2.0, onnx_int8=0.25), tmp_path)
    log = run_tool('tools/infer.py', image, DEMO_CONFIG, checkpoint, '--out',
                   tmp_path / 'a.png', '--fastest', '--ladder', ladder).stdout
    assert 'fastest verified on this CPU for FPN: eager fp32, 1.00x' in log
    assert 'faster: ONNX Runtime int8, 4.00x' in log
    assert '--quantize int8 --out FILE, then --onnx FILE' in log
    assert '(eager fp32); wrote' in log
    # Where the ladder has a verified bf16 row (CPUs with native bf16; here
    # emulated), --fastest runs bf16 + channels-last in eager PyTorch.
    import inceptionnext_seg.engine.mixed_precision as mixed_precision
    monkeypatch.setattr(mixed_precision, 'bf16_supported', lambda d: True)
    rows = fpn_rows(onnx_fp32=2.0, onnx_int8=0.25)
    rows.insert(1, dict(rows[0], path='eager bf16 + channels-last',
                        precision='bf16', s_per_img=0.5, speedup=2.0,
                        agreement=0.995))
    ladder = ladder_for(rows, tmp_path)
    load_tool('infer').main([str(image), DEMO_CONFIG, str(checkpoint),
                             '--out', str(tmp_path / 'bf16.png'),
                             '--fastest', '--ladder', str(ladder)])
    assert '(eager bf16 + channels-last); wrote' in capsys.readouterr().out
    fp32 = cv2.imread(str(tmp_path / 'a.png'))
    bf16 = cv2.imread(str(tmp_path / 'bf16.png'))
    assert (fp32 == bf16).all(axis=2).mean() >= 0.9
    result = run_tool('tools/infer.py', image, DEMO_CONFIG, checkpoint,
                      '--out', tmp_path / 'b.png', '--fastest', '--ladder',
                      tmp_path / 'none.json', check=False)
    assert result.returncode == 1
    assert (f'--fastest: no ladder for this CPU in {tmp_path / "none.json"}; '
            f'run python tools/analysis_tools/benchmark.py --parts ladder') \
        in result.stderr


@DEMO_EXPORT
def test_label_maps_in_the_datasets_encoding(demo_onnx, demo_data, tmp_path):
    """--labels-out: ADE20K's 1..150 (as test.py --out); --train-ids: the
    model's 0-based ids; a file exported before the export stored the
    encoding: 0-based, and the tool says so."""
    import onnx
    path, _ = demo_onnx
    image = sorted((demo_data / 'images' / 'validation').glob('*.jpg'))[0]

    def labels(model, *options):
        out = tmp_path / f'{len(list(tmp_path.iterdir()))}.png'
        result = run_tool('tools/deployment/infer_onnx.py', image, model,
                          '--out',
                          tmp_path / 'painted.png', '--labels-out', out,
                          *options)
        return cv2.imread(str(out), cv2.IMREAD_UNCHANGED).astype(int), result

    ids, _ = labels(path, '--train-ids')
    encoded, result = labels(path)
    assert (encoded == ids + 1).all() and encoded.min() >= 1
    assert result.stderr == ''
    old = onnx.load(str(path))
    kept = [p for p in old.metadata_props if p.key != 'reduce_zero_label']
    del old.metadata_props[:]
    old.metadata_props.extend(kept)
    old_path = tmp_path / 'old.onnx'
    onnx.save(old, str(old_path))
    unencoded, result = labels(old_path)
    assert (unencoded == ids).all()
    assert 'holds 0-based class indices' in result.stderr


INT8_CHECKED = re.compile(
    r"int8 against float32 PyTorch on (\d+) held-out image\(s\) of 'val': "
    r'class agreement ([\d.]+)%, mIoU ([\d.]+) vs ([\d.]+) \(change '
    r'([-+][\d.]+)\)  (ok|FAILED)')


# the int8 tests share a model trained long enough to predict something
INT8 = pytest.mark.xdist_group('int8')


@pytest.fixture(scope='module')
def trained_40(demo_data, tmp_path_factory):
    """40 iterations (mIoU about 30 on the demo data): a 4-iteration model
    has such small margins between classes that any rounding flips them.
    On 64x64 crops of images resized to about 160x80 (a quarter of the demo
    config's pixels: it learns as much, in a quarter of the time)."""
    work_dir = tmp_path_factory.mktemp('trained_40')
    run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', work_dir,
             '--cfg-options', *tiny_run_options(demo_data, max_iters=40,
                                                interval=40),
             'model.data_preprocessor.size=(64,64)',
             'train_dataloader.dataset.pipeline.2.scale=(160,80)',
             'train_dataloader.dataset.pipeline.3.crop_size=(64,64)')
    return work_dir / 'iter_40.pth'


def export_int8(checkpoint, demo_data, out, *calibration):
    return run_tool('tools/deployment/export.py', DEMO_CONFIG, checkpoint,
                    '--format',
                    'onnx', '--out', out, '--shape', '64', '96', '--dynamic',
                    '--quantize', 'int8', '--calib-images', '4',
                    '--verify-images', '4', *calibration, '--cfg-options',
                    *data_options(demo_data), check=False)


@INT8
@pytest.mark.compat
def test_int8_export_is_calibrated_checked_and_runs(trained_40, demo_data,
                                                    tmp_path):
    """Calibrated on the training images, checked on the validation images
    (labels: the mIoU change), the result in the file; the ONNX-only tool
    runs it."""
    import onnx

    from inceptionnext_seg.deploy import read_metadata
    out = tmp_path / 'int8.onnx'
    result = export_int8(trained_40, demo_data, out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Axis 1 is out-of-range' not in result.stdout + result.stderr
    (count, agreement, miou_int8, miou_fp32, change, verdict), = \
        INT8_CHECKED.findall(result.stdout)
    assert (count, verdict) == ('4', 'ok') and float(agreement) >= 99
    assert abs(float(miou_int8) - float(miou_fp32) - float(change)) < 0.02
    meta = read_metadata(str(out))
    assert meta['precision'] == 'int8'
    assert meta['calibration'] == dict(source='train', images=4)
    assert meta['verification']['ok'] and meta['verification']['images'] == 4
    # int8 convolutions, except the token mixers' and the classifier
    graph = onnx.load(str(out)).graph
    dequantized = {o for n in graph.node if n.op_type == 'DequantizeLinear'
                   for o in n.output}
    convs = [n for n in graph.node if n.op_type == 'Conv']
    in_int8 = {n.name for n in convs if n.input[1] in dequantized}
    mixers = {n.name for n in graph.node if '/token_mixer' in n.name}
    assert {'Conv', 'Split', 'Concat'} <= {n.op_type for n in graph.node
                                           if n.name in mixers}
    # float32 inside a mixer: weights not dequantized, outputs not quantized
    quantized = {i for n in graph.node if n.op_type == 'QuantizeLinear'
                 for i in n.input}
    assert not any(n.input[1] in dequantized for n in convs
                   if n.name in mixers)
    assert not any(o in quantized for n in graph.node if n.name in mixers
                   for o in n.output)
    assert any('/mlp/' in n for n in in_int8) and convs[-1].name not in in_int8
    image = sorted((demo_data / 'images' / 'validation').glob('*.jpg'))[0]
    log = run_tool('tools/deployment/infer_onnx.py', image, out, '--out',
                   tmp_path / 'p.png').stdout
    assert re.search(r"model: int8, checked at export \(\S+\) on 4 image\(s\) "
                     r"of 'val': [\d.]+% class agreement with float32, mIoU "
                     r'change [-+][\d.]+', log), log
    assert cv2.imread(str(tmp_path / 'p.png')).shape[:2] == \
        cv2.imread(str(image)).shape[:2]


@INT8
def test_a_broken_calibration_is_caught_and_the_file_deleted(
        trained_40, demo_data, tmp_path):
    """Calibrated on black images, the int8 ranges cut real images off: the
    check on held-out images fails, the file is deleted, the tool exits 1
    and says why."""
    import numpy as np
    black = tmp_path / 'black'
    black.mkdir()
    for i in range(4):
        cv2.imwrite(str(black / f'{i}.png'), np.zeros((64, 96, 3), np.uint8))
    out = tmp_path / 'int8.onnx'
    result = export_int8(trained_40, demo_data, out, '--calib', black)
    assert result.returncode == 1
    assert INT8_CHECKED.findall(result.stdout)[0][-1] == 'FAILED'
    assert f'{out} was deleted' in result.stderr and not out.exists()
    assert 'int8 also flips clearly decided pixels' in result.stderr
    assert 'calibrate on more images' in result.stderr


def test_int8_needs_a_dynamic_onnx_export_of_logits(tmp_path):
    for options, message in (
            (['--format', 'torchscript'], 'needs --format onnx'),
            (['--format', 'onnx'], 'needs --dynamic'),
            (['--format', 'onnx', '--dynamic', '--output', 'labels'],
             'needs --output logits')):
        result = run_tool('tools/deployment/export.py', DEMO_CONFIG, 'none',
                          '--out',
                          tmp_path / 'x', '--quantize', 'int8', *options,
                          check=False)
        assert result.returncode == 2 and message in result.stderr, options
