"""The CUDA paths: AMP training, SyncBN over two NCCL processes, channels-last
on CUDA, tools/analysis_tools/benchmark.py on a GPU, and what a user's first
GPU run walks through (a SIGTERM stop and its resume on the GPU with fp16 and
channels-last, deterministic training, test and infer, two ranks on one GPU
over gloo, compile=True). `tools/dev/gpu_check.sh` runs this file and the GPU
benchmark on a bare CUDA machine (docs/development.md).

Each test runs where CUDA is present and skips with the reason elsewhere;
the rest of the suite runs its tools with the GPUs hidden, so it behaves the
same on either kind of machine."""
import json
import os
import re
import subprocess

import pytest
import torch

from inceptionnext_seg.engine.mixed_precision import bf16_supported
from inceptionnext_seg.utils.config import build_segmentor_for_analysis
from inceptionnext_seg.utils.synthetic_batch import synthetic_batch
from tests.helpers.faults import FAULT_HOOKS_PATH, fault_config
from tests.helpers.tools import (DEMO_CONFIG, ROOT, data_options, free_port,
                                 full_log, run_tool, tiny_run_options)

cuda = pytest.mark.skipif(not torch.cuda.is_available(),
                          reason='needs a CUDA GPU')
two_gpus = pytest.mark.skipif(torch.cuda.device_count() < 2,
                              reason='SyncBN over NCCL needs 2 CUDA GPUs '
                              '(NCCL refuses two ranks on one GPU)')


@cuda
def test_train_with_amp_on_cuda(demo_data, tmp_path):
    """--amp on the GPU, with 2 x 2 accumulation to a batch of 4."""
    result = run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', tmp_path,
                      '--amp', '--keep-recipe-batch', '1', '2',
                      '--cfg-options',
                      *tiny_run_options(demo_data, max_iters=3),
                      'auto_scale_lr.base_batch_size=4', gpu=True)
    log = result.stdout + result.stderr + full_log(tmp_path)
    # bf16 without a scaler from Ampere on, fp16 with a scaler before.
    expected = ('BF16OptimWrapper' if bf16_supported('cuda') else
                'AmpOptimWrapper')
    assert f"type='{expected}'" in log
    losses = [float(x) for x in re.findall(
        r'Iter\(train\) \[\d/6\].*? loss: ([\d.]+|nan|inf)', log)]
    assert len(losses) == 6 and all(0 < x < 100 for x in losses), losses
    assert 'Recipe batch 4 kept as 1 GPU(s) x 2 images x 2' in log
    ckpt = torch.load(tmp_path / 'iter_6.pth', weights_only=True,
                      map_location='cpu')
    assert ckpt['meta']['iter'] == 6


@cuda
@two_gpus
def test_syncbn_trains_and_tests_on_two_nccl_processes(demo_data, tmp_path):
    syncbn = ['model.backbone.norm_cfg.type=SyncBN',
              'model.decode_head.norm_cfg.type=SyncBN']
    result = run_tool('tools/dist_train.sh', DEMO_CONFIG, 2, '--work-dir',
                      tmp_path / 'train', '--cfg-options',
                      *tiny_run_options(demo_data), *syncbn,
                      env=dict(PORT=str(free_port())), gpu=True)
    log = result.stdout + result.stderr + full_log(tmp_path / 'train')
    assert 'Distributed training: True' in log
    assert "backend='nccl'" in log
    # SyncBN stays SyncBN: neither mmengine's single-process revert nor our
    # CPU fallback ran.
    assert 'automatically reverted' not in log
    assert 'using BN instead of SyncBN' not in log
    ckpt = tmp_path / 'train' / 'iter_4.pth'
    assert ckpt.is_file()
    test_opts = ['--cfg-options', *data_options(demo_data, ['test']),
                 'test_dataloader.num_workers=0',
                 'test_dataloader.persistent_workers=False']
    run_tool('tools/dist_test.sh', DEMO_CONFIG, ckpt, 2, '--work-dir',
             tmp_path / 'test', *test_opts, env=dict(PORT=str(free_port())),
             gpu=True)
    run_tool('tools/test.py', DEMO_CONFIG, ckpt, '--work-dir',
             tmp_path / 'single', *test_opts, gpu=True)
    two, one = (json.loads(next((tmp_path / d).glob(
        '*/test_metrics.json')).read_text()) for d in ('test', 'single'))
    for key in ('aAcc', 'mIoU', 'mAcc'):
        assert two[key] == pytest.approx(one[key], abs=0.01)


@cuda
def test_channels_last_and_autocast_on_cuda_keep_predictions():
    torch.manual_seed(0)
    config = str(ROOT / 'configs/upernet_inceptionnext_t_ade20k.py')
    options = {'model.data_preprocessor.size': (128, 128)}
    plain = build_segmentor_for_analysis(config, options)
    plain.init_weights()  # the configs' initialisation, not torch's default
    plain.cuda()
    fast = build_segmentor_for_analysis(config, dict(
        options, **{'model.data_preprocessor.type':
                    'ChannelsLastSegDataPreProcessor'})).cuda()
    fast.load_state_dict(plain.state_dict())
    batch = synthetic_batch(2, 128)
    a = plain.data_preprocessor(batch, False)['inputs']
    b = fast.data_preprocessor(batch, False)['inputs']
    assert b.is_cuda and b.is_contiguous(memory_format=torch.channels_last)
    dtype = torch.bfloat16 if bf16_supported('cuda') else torch.float16
    # fp32 on both layouts: no TF32, so only the summation order differs.
    tf32 = (torch.backends.cuda.matmul.allow_tf32,
            torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    try:
        with torch.no_grad():
            ref = plain(a, mode='tensor')
            out = fast(b, mode='tensor')
            with torch.autocast('cuda', dtype=dtype):
                low = fast(b, mode='tensor').float()
    finally:
        (torch.backends.cuda.matmul.allow_tf32,
         torch.backends.cudnn.allow_tf32) = tf32
    scale = ref.abs().max()
    top2 = ref.topk(2, dim=1).values
    margin = (top2[:, 0] - top2[:, 1]) / scale
    labels = ref.argmax(1)

    def agreement(x, decided):
        """Share of the pixels whose reference class is decided by more
        than ``decided`` (of the largest logit) that keep their class; an
        untrained model has near ties, which any rounding may flip."""
        keep = margin > decided
        assert keep.float().mean() > 0.5  # the check covers most pixels
        return (x.argmax(1) == labels)[keep].float().mean().item()

    fp32_diff = ((out - ref).abs().max() / scale).item()
    low_diff = ((low - ref).abs().max() / scale).item()
    print(f'channels-last fp32: max diff {fp32_diff:.2e} of the largest '
          f'logit; {dtype} autocast: {low_diff:.2e}')
    assert fp32_diff < 1e-4
    assert agreement(out, 1e-3) == 1.0
    assert low_diff < 0.05
    assert agreement(low, 0.05) >= 0.999


@cuda
def test_benchmark_tool_on_cuda(tmp_path):
    out = tmp_path / 'bench.json'
    result = run_tool(
        'tools/analysis_tools/benchmark.py', '--device', 'cuda', '--sizes',
        '64',
        '--seg-size', '128', '--memory-size', '64', '--batch', '2',
        '--warmup', '1', '--repeats', '2', '--seg-warmup', '1',
        '--seg-repeats', '2', '--parts', 'backbone', 'memory',
        'recommended', '--json', out, gpu=True)
    figures = json.loads(out.read_text())
    assert figures['device'] == torch.cuda.get_device_name(0)
    assert 'Backbones at 64x64, batch 2, float32 (TF32 off: cuDNN ' \
        'convolutions and cuBLAS matmuls), NCHW (cuda)' in result.stdout
    assert figures['tf32'] == dict(cudnn_conv=False, cublas_matmul=False)
    assert 'CUDA max allocated' in result.stdout
    memory = figures['memory']
    assert memory['UperNet|InceptionNeXt-T']['peak_mb'] > 0
    assert memory['UperNet|InceptionNeXt-T']['saved_mb'] > memory[
        'UperNet|InceptionNeXt-T with_cp']['saved_mb'] > 0
    recommended = figures['recommended']
    assert recommended['settings'] == (
        'bfloat16' if bf16_supported('cuda') else 'float16') + \
        ', channels-last'
    assert 90 < recommended['argmax_agreement_pct'] <= 100


# What a user's first GPU run walks through (the GPU-readiness issue): each
# of these has a CPU test with a stand-in (tests/helpers/cuda_standin.py,
# tests/helpers/slurm.py, tests/test_engine/test_run_environment.py); here
# they run on the real thing.

SIGTERM_AT_3 = "dict(type='SignalAtIterHook', at_iter={0: 3}, " \
    "signum='SIGTERM')"


@cuda
def test_a_sigterm_stop_resumes_on_the_gpu_with_fp16_and_channels_last(
        demo_data, tmp_path):
    """mmengine's resume loads the checkpoint to the GPU (map_location=
    get_device()): the message hub's buffers, the optimizer, the fp16 loss
    scaler's state, all arrive there. The same command resumes."""
    config = fault_config(tmp_path, SIGTERM_AT_3)
    work = tmp_path / 'work'
    command = ['tools/train.py', config, '--work-dir', work,
               '--amp-dtype', 'fp16', '--cfg-options',
               *tiny_run_options(demo_data, max_iters=6),
               'model.data_preprocessor.type='
               'ChannelsLastSegDataPreProcessor']
    stopped = run_tool(*command, env=FAULT_HOOKS_PATH, gpu=True, check=False)
    log = stopped.stdout + stopped.stderr
    assert stopped.returncode == 75, log[-3000:]
    assert "type='AmpOptimWrapper'" in log + full_log(work)
    resumed = run_tool(*command, env=FAULT_HOOKS_PATH, gpu=True)
    log = resumed.stdout + resumed.stderr
    assert f"resuming from {work / 'iter_3.pth'}" in log
    assert 'Iter(train) [6/6]' in log
    final = torch.load(work / 'iter_6.pth', weights_only=True,
                       map_location='cpu')
    assert final['optimizer']['loss_scaler']['scale'] > 0


@cuda
def test_deterministic_training_runs_on_the_gpu(demo_data, tmp_path):
    """randomness.deterministic=True (the exact-resume recipe) on UPerHead,
    whose AdaptiveAvgPool2d and the logits' bilinear resize have no
    deterministic CUDA backward."""
    result = run_tool(
        'tools/train.py', 'configs/upernet_inceptionnext_t_ade20k.py',
        '--work-dir', tmp_path, '--cfg-options',
        *tiny_run_options(demo_data, max_iters=3, interval=3),
        'randomness.seed=0', 'randomness.deterministic=True',
        'model.backbone.init_cfg=None',
        'train_dataloader.dataset.type=CheckedADE20KDataset',
        "train_dataloader.dataset.pipeline.2.scale=[256,128]",
        'train_dataloader.dataset.pipeline.3.crop_size=[128,128]',
        'model.data_preprocessor.size=[128,128]', gpu=True)
    log = result.stdout + result.stderr
    assert 'randomness.deterministic=True on CUDA' in log + full_log(
        tmp_path)
    assert (tmp_path / 'iter_3.pth').is_file()


@cuda
def test_test_and_infer_on_the_gpu(trained, demo_data, tmp_path):
    ckpt = trained[0] / 'iter_4.pth'
    image = next((demo_data / 'images' / 'validation').glob('*.jpg'))
    run_tool('tools/test.py', DEMO_CONFIG, ckpt, '--work-dir',
             tmp_path / 'test', '--cfg-options',
             *data_options(demo_data, ['test']), gpu=True)
    assert next((tmp_path / 'test').glob('*/test_metrics.json'))
    result = run_tool('tools/infer.py', image, DEMO_CONFIG, ckpt, '--out',
                      tmp_path / 'pred.png', gpu=True)
    assert (tmp_path / 'pred.png').is_file(), result.stdout
    # The ONNX path where a GPU is present: taken on the CPU, not refused.
    onnx = tmp_path / 'demo.onnx'
    run_tool('tools/deployment/export.py', DEMO_CONFIG, ckpt, '--format',
             'onnx', '--out', onnx, '--shape', '64', '96', '--dynamic',
             gpu=True)
    run_tool('tools/infer.py', image, DEMO_CONFIG, ckpt, '--out',
             tmp_path / 'onnx.png', '--onnx', onnx, gpu=True)
    assert (tmp_path / 'onnx.png').is_file()


@cuda
def test_two_ranks_on_one_gpu_over_gloo_stop_and_resume(demo_data,
                                                        tmp_path):
    """NCCL refuses two ranks on one GPU; gloo takes CUDA tensors. Two
    torchrun 'nodes' of one process each share the GPU: DDP with device
    ids, the stop's all-reduce and barrier on SIGTERM to rank 0, both ranks'
    exit, and the same commands resuming."""
    config = fault_config(tmp_path, SIGTERM_AT_3)
    work = tmp_path / 'work'
    port = str(free_port())

    def both():
        procs = [subprocess.Popen(
            ['bash', str(ROOT / 'tools/dist_train.sh'), str(config), '1',
             '--work-dir', str(work), '--cfg-options',
             *tiny_run_options(demo_data, max_iters=6),
             'env_cfg.dist_cfg.backend=gloo'],
            env=dict(os.environ, NNODES='2', NODE_RANK=str(node),
                     PORT=port, PYTHONPATH=str(ROOT)),
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True) for node in (0, 1)]
        return [(p.communicate(timeout=600)[0], p.returncode) for p in procs]

    (log0, code0), (log1, code1) = both()
    assert code0 != 0 and code1 != 0, log0[-3000:]
    assert 'Stopping on SIGTERM after iteration 3' in log0
    assert (work / 'iter_3.pth').is_file()
    (log0, code0), (log1, code1) = both()
    assert code0 == 0 and code1 == 0, (log0 + log1)[-3000:]
    assert f"resuming from {work / 'iter_3.pth'}" in log0
    assert "backend='gloo'" in log0 + full_log(work)


@cuda
def test_compile_true_trains_and_its_checkpoint_loads_uncompiled(
        demo_data, tmp_path):
    """mmengine's compile=True (docs/speed.md) with inductor: SegRunner
    compiles the backbone and heads; the checkpoint keeps the plain
    parameter names, so tools/test.py loads it strictly into an uncompiled
    model."""
    work = tmp_path / 'work'
    result = run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', work,
                      '--cfg-options', *tiny_run_options(demo_data),
                      'compile=True', gpu=True)
    assert "compile: backbone, decode_head compiled with backend " \
        "'inductor'" in result.stdout + full_log(work)
    state = torch.load(work / 'iter_4.pth', weights_only=True,
                       map_location='cpu')['state_dict']
    assert not any('_orig_mod' in key for key in state)
    run_tool('tools/test.py', DEMO_CONFIG, work / 'iter_4.pth',
             '--work-dir', tmp_path / 'test', '--cfg-options',
             *data_options(demo_data, ['test']), gpu=True)


@cuda
def test_benchmark_gpu_matrix(tmp_path):
    """What --device cuda adds: InceptionNeXt-T vs ConvNeXt-T, backbone and
    UperNet-T, fp32 (TF32 off) and AMP + channels-last, eager and
    compiled, in the JSON and the printed table."""
    out = tmp_path / 'bench.json'
    result = run_tool(
        'tools/analysis_tools/benchmark.py', '--device', 'cuda', '--sizes',
        '64',
        '--seg-size', '128', '--batch', '2', '--warmup', '1', '--repeats',
        '2', '--seg-warmup', '1', '--seg-repeats', '2', '--parts', 'matrix',
        '--json', out, gpu=True)
    rows = json.loads(out.read_text())['matrix']['rows']
    assert len(rows) == 16
    assert {r['compiled'] for r in rows} == {False, True}
    assert {r['precision'] for r in rows} == {
        'fp32', 'bf16' if bf16_supported('cuda') else 'fp16'}
    assert all(r['train_s'] > 0 and r['infer_s'] > 0 for r in rows)
    assert 'InceptionNeXt-T vs ConvNeXt-T (cuda)' in result.stdout
    assert 'TF32 off' in result.stdout
