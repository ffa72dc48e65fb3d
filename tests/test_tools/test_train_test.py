"""tools/train.py, test.py, dist_train.sh, dist_test.sh, infer.py on CPU."""
import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from inceptionnext_seg.visualization.local_visualizer import CAPTION_HEIGHT
from tests.helpers.tools import (DEMO_CONFIG, data_options, full_log,
                                 resume_copy, run_ranks, run_tool,
                                 tiny_run_options)


@pytest.mark.compat
def test_train_checkpoints_and_validates(trained):
    work_dir, result = trained
    log = result.stdout + result.stderr
    assert (work_dir / 'iter_2.pth').is_file()
    assert (work_dir / 'iter_4.pth').is_file()
    assert 'mIoU' in log and 'Iter(train) [4/4]' in log
    assert re.search(r'eta: \d+:\d\d:\d\d', log)  # progress with ETA
    assert 'using BN instead of SyncBN' not in log  # the demo uses BN


@pytest.mark.compat
def test_checkpoints_load_with_weights_only(trained):
    work_dir, _ = trained
    ckpt = torch.load(work_dir / 'iter_4.pth', weights_only=True)
    assert ckpt['meta']['iter'] == 4
    assert 'message_hub' in ckpt and 'optimizer' in ckpt


def logged(log: str):
    """(iteration, loss) per train line and (mIoU, ...) per validation."""
    train = [(int(i), float(v)) for i, v in re.findall(
        r'Iter\(train\) \[(\d+)/\d+\].*? loss: ([\d.]+)', log)]
    val = [float(v) for v in re.findall(
        r'Iter\(val\) \[\d+/\d+\]\s+aAcc: [\d.]+\s+mIoU: ([\d.]+)', log)]
    return train, val


def test_training_curves_png_with_loss_lr_and_miou(trained):
    import cv2
    work_dir, result = trained
    log = result.stdout + result.stderr
    png = work_dir / 'training_curves.png'
    assert f'Training curves: {png}' in log
    image = cv2.imread(str(png))
    assert image is not None and image.shape == (800, 700, 3)
    assert image.std() > 10  # something is drawn
    # What is drawn is what the log says, iteration by iteration (the log
    # shows the running mean over mmengine's window of 10 iterations).
    curves = json.loads((work_dir / 'training_curves.json').read_text())
    train, val = logged(log)
    assert [r[0] for r in curves['train']] == [i for i, _ in train]
    losses = [r[1] for r in curves['train']]
    assert [round(sum(losses[:i + 1]) / (i + 1), 4)
            for i in range(len(losses))] == [v for _, v in train]
    assert [r[0] for r in curves['val']] == [2, 4]
    assert [round(m['mIoU'], 2) for _, m in curves['val']] == val
    logged_lrs = [float(v) for v in re.findall(
        r'Iter\(train\) \[\d+/\d+\]\s+lr: ([\d.e+-]+)', log)]
    drawn_lrs = [r[2] for r in curves['train']]
    assert drawn_lrs == pytest.approx(logged_lrs, rel=1e-4)
    assert logged_lrs[0] < logged_lrs[1] > logged_lrs[-1]  # warm-up, decay
    # The checkpoints carry the history up to their iteration.
    meta = torch.load(work_dir / 'iter_4.pth',
                      weights_only=True)['meta']['training_curves']
    assert meta['train'] == curves['train']


@pytest.mark.compat
def test_resume_continues_to_the_end_and_test_reports_miou(
        trained, demo_data, tmp_path):
    work_dir, _ = trained
    resumed = tmp_path / 'resumed'
    # Continue the run from its own work dir (auto-latest) to 6 iterations.
    resume_copy(lambda *args: run_tool('tools/train.py', *args), work_dir,
                resumed, demo_data)
    # The curves of the resumed run start at iteration 1, not 5.
    curves = json.loads((resumed / 'training_curves.json').read_text())
    assert [r[0] for r in curves['train']] == [1, 2, 3, 4, 5, 6]
    assert [r[0] for r in curves['val']] == [2, 4, 6]
    assert (resumed / 'training_curves.png').is_file()

    result = run_tool('tools/test.py', DEMO_CONFIG, resumed / 'iter_6.pth',
                      '--work-dir', tmp_path / 'test', '--cfg-options',
                      *data_options(demo_data, ['test']),
                      'test_dataloader.num_workers=0',
                      'test_dataloader.persistent_workers=False')
    log = result.stdout + result.stderr
    # The run ends with its summary: metrics and where the files are.
    printed = re.search(r'Test done\n  metrics: aAcc ([\d.]+)  mIoU ([\d.]+)  '
                        r'mAcc ([\d.]+)\n', log)
    assert printed, log[-2000:]
    assert 'Metrics JSON (per-class table included): ' in log
    # The console's per-class table has the classes that occur, with the
    # numbers the metrics JSON stores for them.
    table = {cells[0]: cells[1:] for cells in (
        [c.strip() for c in row.strip('|').split('|')]
        for row in re.findall(r'^\|.*\|$', log, re.M)) if cells[0] != 'Class'}
    # ProgressBarHook's bar (mmengine's own test log says Iter(test) [4/4])
    assert re.search(r'\] 4/4, [\d.]+ task/s', log), log[-2000:]
    stored = json.loads(next((tmp_path / 'test').glob('*/test_metrics.json'))
                        .read_text())
    assert stored['mIoU'] == pytest.approx(float(printed.group(2)), abs=0.01)
    per_class = stored['per_class']
    assert len(per_class) == 150
    occurring = {name for name, m in per_class.items()
                 if m['IoU'] is not None or m['Acc'] is not None}
    assert occurring and set(table) == occurring
    for name in occurring:
        assert [float(v) for v in table[name]] == pytest.approx(
            [per_class[name]['IoU'], per_class[name]['Acc']], abs=0.01)
    # mIoU is the mean over the classes with an IoU, as mmseg averages
    assert stored['mIoU'] == pytest.approx(
        sum(per_class[n]['IoU'] for n in occurring
            if per_class[n]['IoU'] is not None) /
        sum(per_class[n]['IoU'] is not None for n in occurring), abs=0.01)


def test_resume_from_a_given_checkpoint(trained, demo_data, tmp_path):
    work_dir, _ = trained
    result = run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', tmp_path,
                      '--resume', work_dir / 'iter_2.pth', '--cfg-options',
                      *tiny_run_options(demo_data, max_iters=4))
    log = result.stdout + result.stderr
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [3/4]' in log
    assert (tmp_path / 'iter_4.pth').is_file()


def read_metrics(work_dir: Path) -> dict:
    return json.loads(next(work_dir.glob('*/test_metrics.json')).read_text())


@pytest.mark.compat
@pytest.mark.xdist_group('dist_run')
def test_two_process_training_and_dist_test_on_cpu(dist_run, demo_data,
                                                   tmp_path):
    """Training in two gloo processes (``dist_run``) and testing its
    checkpoint in two, started as torchrun starts them (tools/dist_train.sh's
    real torchrun: the two-process preemption test; the torchrun command of
    dist_train.sh and dist_test.sh: test_launch_scripts.py), with the metrics
    of one process."""
    work_dir, result = dist_run
    log = result.stdout + result.stderr + full_log(work_dir)
    assert 'Distributed training: True' in log
    assert (work_dir / 'iter_6.pth').is_file()
    ckpt = work_dir / 'iter_6.pth'
    test_opts = ['--cfg-options', *data_options(demo_data, ['test']),
                 'test_dataloader.num_workers=0',
                 'test_dataloader.persistent_workers=False']
    tested = run_ranks(2, 'tools/test.py', DEMO_CONFIG, ckpt, '--work-dir',
                       tmp_path / 'dist_test', *test_opts)
    assert 'Distributed training: True' in tested.stdout + tested.stderr + \
        full_log(tmp_path / 'dist_test')
    run_tool('tools/test.py', DEMO_CONFIG, ckpt, '--work-dir',
             tmp_path / 'single_test', *test_opts)
    dist_metrics = read_metrics(tmp_path / 'dist_test')
    single = read_metrics(tmp_path / 'single_test')
    for key in ('aAcc', 'mIoU', 'mAcc'):
        assert dist_metrics[key] == pytest.approx(single[key], abs=0.01)


def test_missing_dataset_fails_before_training(tmp_path):
    result = run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', tmp_path,
                      '--cfg-options', *tiny_run_options(tmp_path / 'nope'),
                      check=False)
    assert result.returncode != 0
    assert 'ADE20K data root not found' in result.stderr
    assert 'unzip ADEChallengeData2016.zip -d data/ade' in result.stderr
    assert not list(tmp_path.glob('iter_*.pth'))


def independent_miou(pred_dir: Path, label_dir: Path) -> float:
    """mIoU over ADE20K's 150 classes from the PNGs, as the benchmark reads
    them: 0 in the label is ignored, classes with an empty union skipped."""
    inter = np.zeros(151)
    union = np.zeros(151)
    for label_path in sorted(label_dir.glob('*.png')):
        label = cv2.imread(str(label_path), cv2.IMREAD_UNCHANGED)
        pred = cv2.imread(str(pred_dir / label_path.name),
                          cv2.IMREAD_UNCHANGED)
        assert pred.shape == label.shape
        assert pred.min() >= 1 and pred.max() <= 150
        valid = label > 0
        p, t = pred[valid], label[valid]
        for c in range(1, 151):
            pc, tc = p == c, t == c
            inter[c] += np.sum(pc & tc)
            union[c] += np.sum(pc | tc)
    present = union[1:] > 0
    return float(np.mean(inter[1:][present] / union[1:][present]) * 100)


def test_out_writes_ade20k_pngs_and_miou_matches(trained, ade_samples,
                                                 tmp_path):
    work_dir, _ = trained
    out = tmp_path / 'preds'
    run_tool('tools/test.py', DEMO_CONFIG, work_dir / 'iter_4.pth',
             '--work-dir', tmp_path / 'test', '--out', out, '--show-dir',
             tmp_path / 'show', '--cfg-options',
             f'test_dataloader.dataset.data_root={ade_samples}',
             # only the validation images exist, as on an evaluation box
             f'train_dataloader.dataset.data_root={tmp_path / "absent"}',
             f'val_dataloader.dataset.data_root={tmp_path / "absent"}',
             'test_dataloader.num_workers=0',
             'test_dataloader.persistent_workers=False')
    labels = ade_samples / 'annotations' / 'validation'
    assert sorted(p.name for p in out.glob('*.png')) == sorted(
        p.name for p in labels.glob('*.png'))
    printed = read_metrics(tmp_path / 'test')['mIoU']
    assert printed == pytest.approx(independent_miou(out, labels), abs=0.01)
    # the pictures straight in --show-dir, one per image (not under
    # vis_data/vis_image), a caption strip over the two panes
    shown = sorted((tmp_path / 'show').rglob('*.png'))
    assert [p.relative_to(tmp_path / 'show').as_posix() for p in shown] == \
        sorted(p.name for p in labels.glob('*.png'))
    picture = cv2.imread(str(shown[0]))
    image = cv2.imread(str(next((ade_samples / 'images' / 'validation')
                                .glob(shown[0].stem + '.*'))))
    assert picture.shape[1] == 2 * image.shape[1]  # ground truth | prediction
    assert picture.shape[0] == image.shape[0] + CAPTION_HEIGHT
    strip = picture[:CAPTION_HEIGHT]
    assert (strip == 255).mean() > 0.8 and (strip < 100).any()  # text


def test_infer_writes_an_image_of_the_input_size(trained, tmp_path):
    work_dir, _ = trained
    rng = np.random.default_rng(0)
    image = tmp_path / 'odd.jpg'
    cv2.imwrite(str(image), rng.integers(0, 255, (75, 133, 3), np.uint8))
    out = tmp_path / 'result.png'
    run_tool('tools/infer.py', image, DEMO_CONFIG, work_dir / 'iter_4.pth',
             '--out', out)
    written = cv2.imread(str(out))
    assert written.shape == (75, 133, 3)


def test_compile_flag_tests_with_the_eager_metrics(trained, demo_data,
                                                   tmp_path):
    """test.py --compile (the backbone and heads, compile_run; dynamo's
    'eager' backend: inductor takes minutes per model on a CPU) gives the
    uncompiled test's metrics. Training with --compile, its checkpoints and
    their resume: tests/test_reliability/test_preemption.py and
    tests/test_engine/test_compile.py."""
    work_dir, _ = trained
    metrics = {}
    for flag in ([], ['--compile', 'eager']):
        out = tmp_path / f'test{len(flag)}'
        result = run_tool('tools/test.py', DEMO_CONFIG,
                          work_dir / 'iter_4.pth',
                          '--work-dir', out, *flag, '--cfg-options',
                          *data_options(demo_data, ['test']),
                          'test_dataloader.num_workers=0',
                          'test_dataloader.persistent_workers=False')
        if flag:
            assert ("compile: backbone, decode_head compiled with backend "
                    "'eager'") in result.stdout + result.stderr + \
                full_log(out)
        metrics[len(flag)] = json.loads(
            next(out.glob('*/test_metrics.json')).read_text())
    for key in ('aAcc', 'mIoU', 'mAcc'):
        assert metrics[2][key] == pytest.approx(metrics[0][key], abs=0.01)
