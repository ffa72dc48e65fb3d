"""The doors an mmseg user already knows: mmseg's own tools (from its wheel,
with the project installed and no PYTHONPATH) and mmseg.apis, on this
project's configs and on a user's config in its own folder. The guarantees
come from the configs, so these get them too."""
import pickletools
import re
import shutil
import zipfile
from pathlib import Path

import cv2
import pytest
import torch

from tests.helpers.tools import (DEMO_CONFIG, ON_THE_FORK, ROOT,
                                 CodeRunningPayload, data_options, full_log,
                                 resume_copy, run_mmseg_tool, run_snippet,
                                 run_tool, tiny_run_options)

FPN_T = 'configs/fpn_inceptionnext_t_ade20k.py'


def eval_options(root):
    return ['--cfg-options', *data_options(root, ['test']),
            'test_dataloader.num_workers=0',
            'test_dataloader.persistent_workers=False']


def printed_miou(log: str) -> float:
    found = re.findall(r'Iter\(test\).*mIoU: ([\d.]+)', log)
    assert found, log[-3000:]
    return float(found[-1])


# The tests of a stock run share one worker under `pytest -n 2 --dist
# loadgroup` (make test), so the run is made once.
STOCK = pytest.mark.xdist_group('stock_run')


@pytest.fixture(scope='module')
def stock_run(demo_data, tmp_path_factory):
    """mmseg's train.py with every hook of the project removed
    (custom_hooks=[]): its checkpoints are plain mmengine's, with pickled
    HistoryBuffers and numpy objects in the message hub."""
    work_dir = tmp_path_factory.mktemp('stock')
    result = run_mmseg_tool('train.py', DEMO_CONFIG, '--work-dir', work_dir,
                            '--cfg-options', *tiny_run_options(demo_data),
                            'custom_hooks=[]')
    return work_dir, result.stdout + result.stderr


@STOCK
@pytest.mark.compat
def test_stock_checkpoint_is_what_plain_mmengine_writes(stock_run):
    work_dir, _ = stock_run
    # The globals its pickle names (torch.save writes protocol 2: GLOBAL).
    with zipfile.ZipFile(work_dir / 'iter_4.pth') as archive:
        pickled = next(n for n in archive.namelist()
                       if n.endswith('/data.pkl'))
        ops = pickletools.genops(archive.read(pickled))
        unsafe = {arg.replace(' ', '.') for op, arg, _ in ops
                  if op.name == 'GLOBAL' and not arg.startswith(
                      ('torch', 'collections'))}
    assert any('HistoryBuffer' in name for name in unsafe), unsafe
    assert any(name.startswith('numpy') for name in unsafe), unsafe


@STOCK
def test_mmseg_train_resumes_a_stock_checkpoint(
        stock_run, demo_data, tmp_path):
    work_dir, _ = stock_run
    resumed = tmp_path / 'resumed'
    # The configs' hooks now write checkpoints torch reads with no allowlist
    # (and atomically).
    log = resume_copy(lambda *args: run_mmseg_tool('train.py', *args),
                      work_dir, resumed, demo_data)
    assert "backend_args=dict(backend='atomic_local')" in log
    assert not list(resumed.glob('*.tmp-*'))


@STOCK
def test_our_test_py_evaluates_a_stock_checkpoint_like_mmseg(
        stock_run, demo_data, tmp_path):
    work_dir, _ = stock_run
    ours = run_tool('tools/test.py', DEMO_CONFIG, work_dir / 'iter_4.pth',
                    '--work-dir', tmp_path / 'ours', *eval_options(demo_data))
    theirs = run_mmseg_tool('test.py', DEMO_CONFIG, work_dir / 'iter_4.pth',
                            '--work-dir', tmp_path / 'theirs',
                            *eval_options(demo_data))
    assert printed_miou(ours.stdout + ours.stderr) == printed_miou(
        theirs.stdout + theirs.stderr)


@STOCK
def test_a_stock_checkpoint_with_a_payload_is_still_refused(
        stock_run, demo_data, tmp_path):
    """The allowlist admits mmengine's data classes, not code."""
    work_dir, _ = stock_run
    checkpoint = torch.load(work_dir / 'iter_4.pth', weights_only=False)
    marker = tmp_path / 'PWNED'
    checkpoint['message_hub']['runtime_info']['x'] = CodeRunningPayload(
        marker)
    evil = tmp_path / 'evil.pth'
    torch.save(checkpoint, evil)
    result = run_mmseg_tool('test.py', DEMO_CONFIG, evil, '--work-dir',
                            tmp_path / 'wd', *eval_options(demo_data),
                            check=False)
    assert result.returncode != 0
    assert f'Refused to load {evil}' in result.stderr
    assert not marker.exists()


@STOCK
@pytest.mark.compat
def test_analyze_logs_plots_the_training_curve(stock_run, tmp_path):
    work_dir, _ = stock_run
    scalars = next(work_dir.glob('*/vis_data/scalars.json'))
    out = tmp_path / 'loss.png'
    run_mmseg_tool('analysis_tools/analyze_logs.py', scalars, '--keys',
                   'loss', '--out', out)
    image = cv2.imread(str(out))
    assert image is not None and image.shape[0] > 100


def test_browse_dataset_writes_the_samples(demo_data, tmp_path):
    out = tmp_path / 'browse'
    run_mmseg_tool('analysis_tools/browse_dataset.py', DEMO_CONFIG,
                   '--output-dir', out, '--not-show', '--cfg-options',
                   f'train_dataloader.dataset.data_root={demo_data}')
    images = sorted(demo_data.glob('images/training/*.jpg'))
    written = sorted(out.glob('*.jpg'))
    assert [p.name for p in written] == [p.name for p in images]
    drawn = cv2.imread(str(written[0]))
    assert drawn is not None and drawn.shape[2] == 3


def test_print_config_shows_the_guarantees(tmp_path):
    # print_config.py writes example.py into its working directory.
    result = run_mmseg_tool('misc/print_config.py', ROOT / FPN_T,
                            cwd=tmp_path)
    for text in ("type='StrictEncoderDecoder'",
                 "'inceptionnext_seg.checkpoint.mmengine_loader'",
                 "type='NonFiniteLossHook'",
                 "backend='atomic_local'", "type='CheckedADE20KDataset'"):
        assert text in result.stdout, text
    assert (tmp_path / 'example.py').is_file()


@pytest.mark.compat
def test_mmseg_inferencer_and_init_model_on_a_real_image(trained,
                                                         ade_samples,
                                                         tmp_path):
    work_dir, _ = trained
    image = sorted(ade_samples.glob('images/validation/*.jpg'))[0]
    config, weights = str(ROOT / DEMO_CONFIG), str(work_dir / 'iter_4.pth')
    code = f'''
from mmseg.apis import MMSegInferencer, inference_model, init_model
inferencer = MMSegInferencer({config!r}, weights={weights!r}, device='cpu')
out = inferencer({str(image)!r}, out_dir={str(tmp_path / 'out')!r})
print('inferencer', tuple(out['predictions'].shape))
model = init_model({config!r}, {weights!r}, device='cpu')
result = inference_model(model, {str(image)!r})
print('init_model', tuple(result.pred_sem_seg.shape))
'''
    result = run_snippet(code, tmp_path)
    h, w = cv2.imread(str(image)).shape[:2]
    assert f'inferencer ({h}, {w})' in result.stdout
    assert f'init_model ({h}, {w})' in result.stdout
    assert (tmp_path / 'out' / 'vis' / image.name).is_file()


def test_mmseg_benchmark_measures_the_trained_model(
        trained, tmp_path_factory):
    """mmseg's benchmark.py times 200 test images (no --cfg-options)."""
    from inceptionnext_seg.datasets.synthetic_ade20k import make_ade20k_like
    work_dir, _ = trained
    folder = tmp_path_factory.mktemp('bench')
    root = make_ade20k_like(folder / 'ADEChallengeData2016', num_train=1,
                            num_val=201, size=(32, 48))
    config = folder / 'bench_config.py'
    # The images at their own size (the demo's test pipeline enlarges them
    # 5x): what is under test is the tool on the trained model, not speed.
    config.write_text(
        f"_base_ = ['{ROOT / DEMO_CONFIG}']\n"
        "model = dict(data_preprocessor=dict(size=(32, 48)))\n"
        f"test_dataloader = dict(num_workers=0, persistent_workers=False, "
        f"dataset=dict(data_root='{root}', pipeline=["
        "dict(type='LoadImageFromFile'), "
        "dict(type='LoadAnnotations', reduce_zero_label=True), "
        "dict(type='PackSegInputs')]))\n")
    result = run_mmseg_tool('analysis_tools/benchmark.py', config,
                            work_dir / 'iter_4.pth', '--work-dir',
                            folder / 'wd')
    assert re.search(r'Overall fps: [\d.]+ img / s', result.stdout), \
        result.stdout[-2000:]


# ------------------------------------------------- a checkpoint that does
# not fit: an atto checkpoint with the tiny config, on every loading path.
MISMATCH = 'The checkpoint does not fit this model'


@pytest.fixture(scope='module')
def atto_checkpoint(trained):
    work_dir, _ = trained
    return work_dir / 'iter_4.pth'


def tiny_model_options(root):
    return [*data_options(root), 'model.backbone.init_cfg=None',
            'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False',
            'val_dataloader.num_workers=0',
            'val_dataloader.persistent_workers=False',
            'test_dataloader.num_workers=0',
            'test_dataloader.persistent_workers=False']


def assert_refused(result):
    assert result.returncode != 0
    assert MISMATCH in result.stderr, result.stderr[-3000:]
    assert "backbone: checkpoint {'depths': (2, 2, 6, 2)" in result.stderr


@pytest.mark.parametrize('door', ['mmseg load_from', 'mmseg resume',
                                  'mmseg test.py', 'our test.py'])
def test_mismatched_checkpoint_is_refused_by_the_runner_doors(
        door, atto_checkpoint, demo_data, tmp_path):
    opts = tiny_model_options(demo_data)
    if door == 'mmseg load_from':
        result = run_mmseg_tool('train.py', FPN_T, '--work-dir', tmp_path,
                                '--cfg-options', *opts,
                                f'load_from={atto_checkpoint}', check=False)
    elif door == 'mmseg resume':
        result = run_mmseg_tool('train.py', FPN_T, '--work-dir', tmp_path,
                                '--cfg-options', *opts, 'resume=True',
                                f'load_from={atto_checkpoint}', check=False)
    else:
        tool = (run_mmseg_tool if door.startswith('mmseg') else run_tool)
        script = 'test.py' if door.startswith('mmseg') else 'tools/test.py'
        result = tool(script, FPN_T, atto_checkpoint, '--work-dir',
                      tmp_path, '--cfg-options', *opts, check=False)
    assert_refused(result)
    assert not list(tmp_path.rglob('iter_*.pth'))
    assert 'mIoU:' not in result.stdout + result.stderr


def test_mismatched_checkpoint_is_refused_by_infer_and_the_apis(
        atto_checkpoint, ade_samples, tmp_path):
    image = sorted(ade_samples.glob('images/validation/*.jpg'))[0]
    result = run_tool('tools/infer.py', image, FPN_T, atto_checkpoint,
                      '--out', tmp_path / 'out.png', check=False)
    assert_refused(result)
    assert not (tmp_path / 'out.png').exists()
    # Both APIs in one process: each call must raise.
    code = f'''
from mmseg.apis import MMSegInferencer, init_model
from inceptionnext_seg.checkpoint import CheckpointMismatchError
for name, call in (
        ('MMSegInferencer', lambda: MMSegInferencer(
            {str(ROOT / FPN_T)!r}, weights={str(atto_checkpoint)!r},
            device='cpu')),
        ('init_model', lambda: init_model(
            {str(ROOT / FPN_T)!r}, {str(atto_checkpoint)!r}, device='cpu'))):
    try:
        call()
        print(name, 'loaded')
    except CheckpointMismatchError as err:
        print(name, 'refused:', str(err).splitlines()[0])
        print(str(err).splitlines()[-2])
'''
    result = run_snippet(code, tmp_path)
    for api in ('MMSegInferencer', 'init_model'):
        assert f'{api} refused: {MISMATCH}' in result.stdout
    assert result.stdout.count("backbone: checkpoint {'depths': "
                               "(2, 2, 6, 2)") == 2


def test_fine_tuning_with_another_class_count_when_asked(
        atto_checkpoint, demo_data, tmp_path):
    """The 150-class checkpoint fine-tuned on the 7 classes the demo data
    draws (an ADE20K subset, mmseg's label_map): the class conv differs."""
    from mmseg.datasets import ADE20KDataset

    from inceptionnext_seg.datasets.synthetic_ade20k import CLASSES
    names = ADE20KDataset.METAINFO['classes']
    subset = tuple(names[i - 1] for i in sorted(CLASSES.values()))
    config = tmp_path / 'seven_classes.py'
    config.write_text(
        f'_base_ = [{str(ROOT / DEMO_CONFIG)!r}]\n'
        f'classes = {subset!r}\n'
        'subset = dict(dataset=dict(metainfo=dict(classes=classes)))\n'
        'train_dataloader = val_dataloader = test_dataloader = subset\n'
        f'model = dict(decode_head=dict(num_classes={len(subset)}))\n')
    opts = [*tiny_run_options(demo_data, max_iters=3, interval=3),
            f'load_from={atto_checkpoint}']
    result = run_mmseg_tool('train.py', config, '--work-dir',
                            tmp_path / 'refused', '--cfg-options', *opts,
                            check=False)
    assert result.returncode != 0
    assert 'decode_head.conv_seg.weight: checkpoint (150, 64, 1, 1) vs ' \
        'model (7, 64, 1, 1)' in result.stderr
    assert "model.strict_load_except=\"['decode_head.conv_seg']\"" in \
        result.stderr

    allowed = "model.strict_load_except=['decode_head.conv_seg']"
    result = run_mmseg_tool('train.py', config, '--work-dir',
                            tmp_path / 'allowed', '--cfg-options', *opts,
                            allowed)
    log = result.stdout + result.stderr
    assert 'Not loaded from the checkpoint (strict_load_except)' in log
    assert 'decode_head.conv_seg.weight: checkpoint (150, 64, 1, 1)' in log
    tuned = torch.load(tmp_path / 'allowed' / 'iter_3.pth',
                       weights_only=True)['state_dict']
    start = torch.load(atto_checkpoint, weights_only=True)['state_dict']
    assert tuned['decode_head.conv_seg.weight'].shape[0] == 7
    # Everything else started from the checkpoint: after three small steps
    # the stem is within 0.01 of it (a fresh initialisation is not).
    stem = 'backbone.stem.0.weight'
    assert (tuned[stem] - start[stem]).abs().max() < 0.01


USER_BASES = ['_base_/models/fpn_r50.py', '_base_/datasets/ade20k.py',
              '_base_/default_runtime.py', '_base_/schedules/schedule_20k.py']
USER_CONFIG = '''\
# A user's own config: mmseg's base files, the backbone by custom_imports.
_base_ = {bases}
# The checkpoint loader: mmengine's own checkpoints load on torch >= 2.6.
custom_imports = dict(
    imports=['backbones', 'inceptionnext_seg.checkpoint.mmengine_loader'],
    allow_failed_imports=False)
norm_cfg = dict(type='BN', requires_grad=True)
# mmseg's ADE20K pipelines at the demo images' size (the base's 512x512
# crops of 8x enlarged images take ten times as long on the CPU).
crop_size = (64, 64)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='RandomResize', scale=(256, 64), ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 64), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs')]
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(_delete_=True, type='InceptionNeXt', arch='atto',
                  norm_cfg=norm_cfg),
    neck=dict(in_channels=[40, 80, 160, 320], out_channels=32),
    decode_head=dict(in_channels=[32, 32, 32, 32], channels=32,
                     num_classes=150, norm_cfg=norm_cfg))
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root='{root}',
                                     pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root='{root}',
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2, val_interval=2)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=2))
'''


@pytest.mark.compat
def test_mmseg_train_on_a_users_config_in_its_own_folder(demo_data,
                                                         tmp_path):
    """The door of docs/own_project.md: with the project installed, a config
    in the user's folder on mmseg's base files names the backbone in
    ``custom_imports``, and mmseg's own train.py and this project's run it
    from a third folder, in a new interpreter with no ``PYTHONPATH``; mmseg's
    test.py and mmseg.apis read its checkpoint."""
    own = tmp_path / 'my_project'
    elsewhere = tmp_path / 'elsewhere'
    own.mkdir()
    elsewhere.mkdir()
    config = own / 'my_config.py'
    if ON_THE_FORK:
        # onedl-mmengine 0.10.12 looks `mmseg::` bases up under the
        # distribution name mmsegmentation: the fork's users copy mmseg's
        # base configs into their project (docs/own_project.md).
        import mmseg
        shutil.copytree(Path(mmseg.__file__).parent / '.mim' / 'configs' /
                        '_base_', own / '_base_')
        bases = [f'./{base}' for base in USER_BASES]
    else:
        bases = [f'mmseg::{base}' for base in USER_BASES]
    config.write_text(USER_CONFIG.replace('{root}', str(demo_data))
                      .replace('{bases}', repr(bases)))
    result = run_mmseg_tool('train.py', config, '--work-dir',
                            tmp_path / 'work', cwd=elsewhere, fresh=True,
                            env={'PYTHONPATH': ''})
    log = result.stdout + result.stderr
    assert "type='InceptionNeXt'" in full_log(tmp_path / 'work')
    assert re.search(r'Iter\(train\) \[2/2\].*loss: \d+\.\d+', log), \
        log[-2000:]
    assert re.search(r'Iter\(val\) \[4/4\]', log)
    assert (tmp_path / 'work' / 'iter_2.pth').is_file()
    # The same config with this project's train.py, also from elsewhere.
    ours = run_tool(ROOT / 'tools' / 'train.py', config, '--work-dir',
                    tmp_path / 'ours', cwd=elsewhere)
    assert re.search(r'Iter\(train\) \[2/2\].*loss: \d+\.\d+',
                     ours.stdout + ours.stderr)
    assert (tmp_path / 'ours' / 'iter_2.pth').is_file()
    # mmseg's test.py and mmseg.apis read the checkpoint back.
    tested = run_mmseg_tool('test.py', config,
                            tmp_path / 'work' / 'iter_2.pth',
                            '--work-dir', tmp_path / 'test', cwd=elsewhere)
    assert re.search(r'Iter\(test\) \[4/4\]\s+aAcc: [\d.]+\s+mIoU',
                     tested.stdout + tested.stderr)
    image = sorted((demo_data / 'images' / 'validation').glob('*.jpg'))[0]
    result = run_snippet(
        'from mmseg.apis import inference_model, init_model\n'
        f'model = init_model({str(config)!r}, '
        f"{str(tmp_path / 'work' / 'iter_2.pth')!r}, device='cpu')\n"
        f'result = inference_model(model, {str(image)!r})\n'
        'print(type(model.backbone).__name__, '
        'tuple(result.pred_sem_seg.shape))\n', elsewhere)
    name, shape = result.stdout.splitlines()[-1].split(maxsplit=1)
    assert name == 'InceptionNeXt'
    assert shape == str(tuple(cv2.imread(str(image)).shape[:2]))


def page_config(page: Path, heading: str) -> str:
    """The first ``python`` block after ``heading`` in a docs page."""
    text = page.read_text()
    assert heading in text, f'{page.name} lost the section {heading!r}'
    blocks = re.findall(r'```python\n(.*?)```', text.split(heading, 1)[1],
                        re.S)
    assert blocks, f'no python block after {heading!r} in {page.name}'
    return blocks[0]


@pytest.mark.skipif(ON_THE_FORK, reason="the page's `mmseg::` bases do not "
                    'resolve on the fork (its own section says so)')
def test_the_own_project_page_config_trains_with_mmseg_train_py(
        demo_data, tmp_path):
    """The config of docs/own_project.md, taken from the page as it is
    written, trains with mmseg's own train.py as the page says (a missing
    ``data_preprocessor.size`` stopped it at the first iteration: "only one
    of size and size_divisor should be valid"). Only what a CPU test must
    change is given on the command line: no ImageNet weights
    (``model.backbone.init_cfg=None``, the documented switch), atto, the
    demo data, one iteration and a smaller validation scale; the data
    preprocessor is left to the page. (That mmseg's train.py finds the
    installed project from any folder, in a new interpreter with no
    ``PYTHONPATH``: test_mmseg_train_on_a_users_config_in_its_own_folder.)"""
    own = tmp_path / 'my_project'
    own.mkdir()
    config = own / 'my_config.py'
    config.write_text(page_config(ROOT / 'docs' / 'own_project.md',
                                  '## A config in your own folder'))
    result = run_mmseg_tool(
        'train.py', config, '--work-dir', tmp_path / 'work',
        '--cfg-options', *data_options(demo_data),
        # mmseg's schedule_20k: one PolyLR (short_run_options moves the
        # two phases of this project's schedules)
        'train_cfg.max_iters=1', 'train_cfg.val_interval=1',
        'default_hooks.checkpoint.interval=1', 'param_scheduler.0.end=1',
        'default_hooks.logger.interval=1',
        'val_dataloader.dataset.pipeline.1.scale=(96,64)',
        'model.backbone.init_cfg=None', 'model.backbone.arch=atto',
        'model.neck.in_channels=[40,80,160,320]',
        'train_dataloader.batch_size=1', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        cwd=tmp_path, check=False)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert re.search(r'Iter\(train\) \[1/1\].*loss: \d+\.\d+', log), \
        log[-2000:]
    assert re.search(r'Iter\(val\) \[4/4\]\s+aAcc', log), log[-2000:]
    assert (tmp_path / 'work' / 'iter_1.pth').is_file()
