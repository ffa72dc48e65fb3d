"""tools/analysis_tools/benchmark.py: its tables report the times it measured,
each ratio the right way round, and the tool runs end to end. Speed itself is
measured by the tool, never asserted here."""
import json
import math
import re

import pytest

from tests.helpers.tools import load_tool, run_tool

SMALL = ['--sizes', '32', '--seg-size', '64', '--memory-size', '32',
         '--batch', '2', '--seg-batch', '2', '--warmup', '0', '--repeats',
         '1', '--seg-warmup', '0', '--seg-repeats', '1', '--device', 'cpu']

# Seconds per call that the fake timer reports, by step: (train, infer).
BACKBONE_S = {'InceptionNeXt-T (ours)': (0.5, 0.25),
              'InceptionNeXt-T (timm)': (0.4, 0.2),
              'ConvNeXt-T (timm)': (1.0, 0.5),
              'ResNet-50 (timm)': (2.0, 1.0)}
SEGMENTOR_S = {'InceptionNeXt-T': (3.0, 0.5), 'ConvNeXt-T': (6.0, 1.0)}
OTHER_S = {'default': 4.0, 'recommended': 2.0, 'default_i': 1.0,
           'recommended_i': 0.25, 'eager': 0.3, 'onnx': 0.1,
           'eager fp32': 4.0, 'eager bf16 + channels-last': 1.6,
           'ONNX Runtime fp32': 2.0, 'ONNX Runtime int8': 1.0,
           'eager fp32, compiled': 3.2,
           'eager bf16 + channels-last, compiled': 0.8}


def fake_seconds(key):
    if isinstance(key, tuple):
        name, kind = key
        # (the GPU matrix names the backbones as the segmentors do)
        table = BACKBONE_S if name in BACKBONE_S else SEGMENTOR_S
        return table[name][kind == 'infer']
    return OTHER_S[key]


def row(text, name, *cells):
    """The Markdown table row of ``name`` starts with these cells."""
    pattern = r'\| ' + re.escape(name) + r'\s+' + ''.join(
        r'\| ' + re.escape(c) + r'\s+' for c in cells)
    return re.search(pattern, text) is not None


@pytest.fixture
def shallow_models(monkeypatch):
    """The benchmark's models with one block per stage, their widths and
    heads kept (the same builders: InceptionNeXt's ``tiny`` and timm's
    constructors, also under mmseg's TIMMBackbone): these tests check
    tables, ratios and records, and building and running the full depths
    (initialisation, an int8 calibration of FPN-T) took three quarters of
    their time. At full depth: the backbones in test_the_tool_runs_end_to_end
    and the memory probe's fresh process, the segmentor configs in
    tests/test_configs/test_ade20k_configs.py; the ConvNeXt-T segmentors
    only here, shallow. Returns the names of the timm models made."""
    import timm

    from backbones import InceptionNeXt
    monkeypatch.setitem(InceptionNeXt.arch_settings, 'tiny', dict(
        InceptionNeXt.arch_settings['tiny'], depths=(1, 1, 1, 1)))
    create_model = timm.create_model
    depth_key = {'inception_next_tiny': 'depths', 'convnext_tiny': 'depths',
                 'resnet50': 'layers'}
    made = []

    def shallow(model_name, **kwargs):  # (mmseg's TIMMBackbone: keywords)
        assert model_name in depth_key, \
            f'a benchmark model not made shallow: {model_name}'
        made.append(model_name)
        return create_model(model_name, **kwargs,
                            **{depth_key[model_name]: (1, 1, 1, 1)})
    monkeypatch.setattr(timm, 'create_model', shallow)
    return made


@pytest.fixture
def benchmark(monkeypatch, shallow_models):
    """The tool with its timer replaced: every step still runs once (the
    models are built, shallow, and run), and reports the seconds above."""
    from inceptionnext_seg.analysis import cpu_ladder
    tool = load_tool('benchmark')

    def interleaved(steps, warmup, repeats, device, first=None):
        for step in steps.values():
            step()
        if first is not None:  # a compilation of 10 s more per step
            first.update({key: fake_seconds(key) + 10 for key in steps})
        return {key: fake_seconds(key) for key in steps}

    # the tool's tables, and the ladder measured in the package
    monkeypatch.setattr(tool, 'interleaved', interleaved)
    monkeypatch.setattr(cpu_ladder, 'interleaved', interleaved)
    return tool


def test_tables_and_ratios_from_the_measured_times(benchmark, capsys,
                                                   monkeypatch,
                                                   shallow_models):
    """FPN-T's segmentor and export rows (UperNet-T's come from the same
    loops: the matrix test below has both heads' rows; the export tests
    export UperNet-T)."""
    import inceptionnext_seg.engine.mixed_precision as mixed_precision
    monkeypatch.setattr(mixed_precision, 'bf16_supported', lambda d: False)
    monkeypatch.setattr(benchmark, 'SEGMENTORS',
                        {'FPN': benchmark.SEGMENTORS['FPN']})
    results = benchmark.main(SMALL + ['--parts', 'backbone', 'segmentor',
                                      'recommended', 'export'])
    text = capsys.readouterr().out
    # batch 2: img/s = 2 / s; "vs ConvNeXt-T" = ConvNeXt's time / ours.
    assert row(text, 'InceptionNeXt-T (ours)', '4.00', '8.00', '2.00',
               '2.00')
    assert row(text, 'ResNet-50 (timm)', '1.00', '2.00', '0.50', '0.50')
    assert 'ours vs timm reference: train 0.80x, infer 0.80x' in text
    assert results['backbone']['InceptionNeXt-T (ours)@32'] == dict(
        train_img_s=4.0, infer_img_s=8.0, train_vs_convnext=2.0,
        infer_vs_convnext=2.0)
    # Segmentors: s/iter as timed, img/s of a single-image predict.
    assert not row(text, 'UperNet + InceptionNeXt-T', '3.00')
    for head in ('FPN', ):
        assert row(text, f'{head} + InceptionNeXt-T', '3.00', '2.00', '2.00',
                   '2.00')
        assert row(text, f'{head} + ConvNeXt-T', '6.00', '1.00', '1.00',
                   '1.00')
        assert results['export'][head]['speedup'] == pytest.approx(3.0)
        assert row(text, f'{head} + InceptionNeXt-T', '0.30', '0.10', '3.00')
    assert row(text, 'train s/iter', '4.00', '2.00', '2.00')
    assert row(text, 'infer s/img', '1.00', '0.25', '4.00')
    # Without native bf16 the recommended settings are fp32 channels-last:
    # only the summation order changes, so the predictions stay.
    recommended = results['recommended']
    assert recommended['settings'] == 'float32, channels-last'
    assert recommended['max_rel_logit_diff'] < 1e-4
    assert recommended['argmax_agreement_pct'] >= 99.9
    # the timm backbones and the ConvNeXt-T segmentor, all made shallow
    assert set(shallow_models) == {'inception_next_tiny', 'convnext_tiny',
                                   'resnet50'}


def test_compiled_parts_state_their_compilation(benchmark, capsys,
                                                monkeypatch):
    """--compile: each backbone's and segmentor's step, its first call
    minus its median, printed and in the figures (torch.compile stubbed:
    inductor would take minutes; FPN-T only)."""
    import torch
    monkeypatch.setattr(torch, 'compile', lambda fn, **kwargs: fn)
    monkeypatch.setattr(benchmark, 'SEGMENTORS',
                        {'FPN': benchmark.SEGMENTORS['FPN']})
    results = benchmark.main(SMALL + ['--parts', 'backbone', 'segmentor',
                                      '--compile'])
    text = capsys.readouterr().out
    assert 'float32, NCHW, compiled' in text
    assert ('compilation (first call minus the median): InceptionNeXt-T '
            '(ours) train 10.0 s, infer 10.0 s;') in text
    assert results['backbone']['ConvNeXt-T (timm)@32'][
        'infer_compile_s'] == pytest.approx(10.0)
    assert ('compilation (first call minus the median): FPN + '
            'InceptionNeXt-T train 10.0 s, infer 10.0 s; FPN + ConvNeXt-T '
            'train 10.0 s, infer 10.0 s') in text
    assert results['segmentor']['FPN+ConvNeXt-T'][
        'train_compile_s'] == pytest.approx(10.0)


def test_the_tool_runs_end_to_end(tmp_path):
    """The real timer, as a command (the other parts run above with the
    fake one, through the same ``interleaved``), a JSON of positive
    figures, no per-parameter init log."""
    out = tmp_path / 'bench.json'
    result = run_tool('tools/analysis_tools/benchmark.py', *SMALL, '--parts',
                      'backbone', '--json', out)
    assert 'Backbones at 32x32' in result.stdout, result.stdout
    # mmengine's per-parameter initialisation log is not printed.
    assert 'torch.Size([' not in result.stdout + result.stderr
    figures = json.loads(out.read_text())
    numbers = [v for entry in figures['backbone'].values()
               for v in entry.values()]
    assert len(numbers) == 4 * 4 + 2  # (+ ours against timm: train, infer)
    assert all(math.isfinite(v) and v > 0 for v in numbers)


def test_the_memory_table(tmp_path, monkeypatch, shallow_models):
    """--parts memory: a row per model, each measured by the fresh-process
    probe (here its ``probe`` in this process: the fresh process itself is
    the next test's), activation checkpointing saving fewer activations."""
    from inceptionnext_seg.analysis import memory_probe
    tool = load_tool('benchmark')
    measured = []

    def in_this_process(*args):
        measured.append(args[:2])
        return memory_probe.probe(*args[:7])
    monkeypatch.setattr(tool, 'measure_in_fresh_process', in_this_process)
    out = tmp_path / 'bench.json'
    tool.main(SMALL + ['--parts', 'memory', '--memory-models',
                       'InceptionNeXt-T (ours)',
                       'InceptionNeXt-T (ours, with_cp)', '--json', str(out)])
    assert measured == [('backbone', 'InceptionNeXt-T (ours)'),
                        ('backbone', 'InceptionNeXt-T (ours, with_cp)')]
    memory = json.loads(out.read_text())['memory']
    assert sorted(memory) == ['InceptionNeXt-T (ours)',
                              'InceptionNeXt-T (ours, with_cp)']
    # Activation checkpointing saves fewer activations.
    assert memory['InceptionNeXt-T (ours)']['saved_mb'] > memory[
        'InceptionNeXt-T (ours, with_cp)']['saved_mb'] > 0


def test_the_memory_probe_measures_in_a_fresh_process():
    from inceptionnext_seg.analysis.memory_probe import \
        measure_in_fresh_process
    mem = measure_in_fresh_process('backbone', 'InceptionNeXt-T (ours)',
                                   'cpu', 'fp32', False, 2, 32)
    assert mem['peak_mb'] > 0 and mem['saved_mb'] > 0


def test_the_ladder_table(benchmark, capsys, monkeypatch, tmp_path,
                          native_bf16=True):
    """Every rung runs (bf16 too, as where it is native; where it is not,
    the row is left out: the tool's real run on an AVX2 CPU, docs/deploy.md),
    ratios against eager fp32,
    the float32 runtimes agree with eager, the fastest verified path is the
    fastest row that agrees enough, and the CPU is named."""
    import inceptionnext_seg.engine.mixed_precision as mixed_precision
    from inceptionnext_seg.analysis import fastest_verified
    monkeypatch.setattr(mixed_precision, 'bf16_supported',
                        lambda d: native_bf16)
    # FPN-T only here: UperNet-T's export and int8 run the same code (the
    # export tests export it), at twice the time.
    monkeypatch.setattr(benchmark, 'SEGMENTORS',
                        {'FPN': benchmark.SEGMENTORS['FPN']})
    record = tmp_path / 'ladder.json'
    results = benchmark.main(SMALL + ['--parts', 'ladder', '--seg-size',
                                      '32', '--ladder', str(record)])
    text = capsys.readouterr().out
    ladder = results['ladder']
    assert f'CPU: {ladder["cpu"]["name"]} ({ladder["cpu"]["isa"]}' in text
    for head in ('FPN', ):
        rows = {r['path']: r for r in ladder[head]['rows']}
        expected = ['eager fp32', 'ONNX Runtime fp32', 'ONNX Runtime int8']
        if native_bf16:
            expected.insert(1, 'eager bf16 + channels-last')
        assert list(rows) == expected
        assert rows['eager fp32']['agreement'] == 1.0
        assert rows['ONNX Runtime fp32']['agreement'] >= 0.999
        assert row(text, 'ONNX Runtime int8', '1.00', '4.00')
        assert row(text, 'ONNX Runtime fp32', '2.00', '2.00')
        assert ladder[head]['fastest_verified'] == fastest_verified(
            list(rows.values()))['path']
    assert ('not run, no native bf16' in text) != native_bf16
    # kept for tools/infer.py, as this CPU's entry of the file given
    from inceptionnext_seg.analysis import ladder_for_this_cpu
    assert 'ladder kept for tools/infer.py' in text and str(record) in text
    assert ladder_for_this_cpu(record) == json.loads(json.dumps(ladder))


def test_the_ladders_compiled_rows(benchmark, capsys, monkeypatch,
                                   tmp_path):
    """--compile: each eager rung also compiled, on its own model (the
    reference stays eager), as tools/infer.py --compile compiles it, with
    its agreement and compilation (torch.compile stubbed: inductor would
    take minutes; no native bf16, no ONNX rows: test_the_ladder_table)."""
    import torch

    import inceptionnext_seg.engine.mixed_precision as mixed_precision
    from inceptionnext_seg import deploy
    compiled = []

    def stub(fn, backend):
        compiled.append((fn.__self__, backend))
        return fn
    monkeypatch.setattr(torch, 'compile', stub)
    monkeypatch.setattr(mixed_precision, 'bf16_supported', lambda d: False)
    monkeypatch.setattr(benchmark, 'SEGMENTORS',
                        {'FPN': benchmark.SEGMENTORS['FPN']})

    def failed_check(*args):
        raise deploy.CheckFailed('not here', [])
    exported = []  # the eager fp32 reference
    monkeypatch.setattr(deploy, 'export_onnx',
                        lambda wrapper, *args: exported.append(wrapper))
    monkeypatch.setattr(deploy, 'onnx_runner', lambda *args: None)
    monkeypatch.setattr(deploy, 'export_checked', failed_check)
    results = benchmark.main(SMALL + ['--parts', 'ladder', '--seg-size',
                                      '32', '--compile', '--ladder',
                                      str(tmp_path / 'ladder.json')])
    text = capsys.readouterr().out
    rows = {r['path']: r for r in results['ladder']['FPN']['rows']}
    assert list(rows) == ['eager fp32', 'eager fp32, compiled']
    assert rows['eager fp32, compiled']['agreement'] == 1.0
    assert rows['eager fp32, compiled']['compile_s'] == pytest.approx(10.0)
    assert 'compile_s' not in rows['eager fp32']
    assert row(text, 'eager fp32, compiled', '3.20', '1.25', '100.00',
               '10.00')
    assert results['ladder']['FPN']['fastest_verified'] == \
        'eager fp32, compiled'
    # the backbone and heads of one model, not the reference's
    assert [type(m).__name__ for m, _ in compiled] == ['InceptionNeXt',
                                                       'FPNHead']
    assert {b for _, b in compiled} == {'inductor'}
    reference = set(map(id, exported[0].modules()))
    assert not reference & {id(m) for m, _ in compiled}


def test_the_fastest_verified_path_must_agree_enough():
    from inceptionnext_seg.analysis import fastest_verified
    rows = [dict(path='eager fp32', precision='fp32', s_per_img=4.0,
                 agreement=1.0),
            dict(path='ort fp32', precision='fp32', s_per_img=2.0,
                 agreement=0.9985),
            dict(path='ort int8', precision='int8', s_per_img=1.0,
                 agreement=0.991),
            dict(path='bf16', precision='bf16', s_per_img=0.5,
                 agreement=0.98)]
    assert fastest_verified(rows)['path'] == 'ort int8'
    rows[2]['agreement'] = 0.989
    assert fastest_verified(rows)['path'] == 'eager fp32'
    assert fastest_verified(rows[1:2]) is None


def test_cpu_features_are_read_from_cpuinfo(tmp_path):
    from inceptionnext_seg.analysis import cpu_features
    info = tmp_path / 'cpuinfo'
    info.write_text('processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu '
                    'avx2 avx512f avx512_vnni amx_int8 sse4_2\n\n'
                    'processor\t: 1\nmodel name\t: Some CPU\nflags\t\t: fpu\n')
    found = cpu_features(str(info))
    assert found['name'] == 'Some CPU'
    assert found['features'] == ['avx2', 'avx512f', 'avx512_vnni',
                                 'amx_int8']
    assert cpu_features(str(tmp_path / 'absent'))['features'] == []


LADDER_ROWS = [
    dict(path='eager fp32', precision='fp32', s_per_img=4.0, speedup=1.0,
         agreement=1.0),
    dict(path='eager bf16 + channels-last', precision='bf16', s_per_img=2.0,
         speedup=2.0, agreement=0.995),
    dict(path='ONNX Runtime fp32', precision='fp32', s_per_img=3.0,
         speedup=1.33, agreement=1.0),
    dict(path='ONNX Runtime int8', precision='int8', s_per_img=1.0,
         speedup=4.0, agreement=0.8)]


@pytest.mark.parametrize('onnx_file, take, faster', [
    (None, 'eager bf16 + channels-last', 'ONNX Runtime int8'),
    (dict(precision='int8', checked=True), 'ONNX Runtime int8', None),
    # an int8 file's own check decides, not the ladder's random weights
    (dict(precision='int8', checked=False), 'eager bf16 + channels-last',
     'ONNX Runtime int8'),
    (dict(precision='fp32', checked=True), 'eager bf16 + channels-last',
     'ONNX Runtime int8')])
def test_the_path_a_run_takes(onnx_file, take, faster):
    from inceptionnext_seg.analysis import choose_path
    choice = choose_path(LADDER_ROWS, onnx_file)
    assert choice['take']['path'] == take
    assert (choice['faster'] and choice['faster']['path']) == faster
    # bf16 below the agreement bar is not verified
    rows = [dict(r) for r in LADDER_ROWS]
    rows[1]['agreement'] = 0.98
    assert choose_path(rows, None)['take']['path'] == 'eager fp32'


COMPILED_ROWS = LADDER_ROWS + [
    dict(path='eager fp32, compiled', precision='fp32', s_per_img=3.5,
         speedup=1.14, agreement=1.0, compile_s=20.0),
    dict(path='eager bf16 + channels-last, compiled', precision='bf16',
         s_per_img=0.5, speedup=8.0, agreement=0.995, compile_s=30.0)]


def test_compiled_rows_are_taken_when_the_run_compiles():
    """A run that compiles takes the fastest compiled or ONNX row, one that
    does not the fastest uncompiled one, each naming the other choice where
    it is faster; a ladder without compiled rows (measured without
    --compile) gives a compiling run its uncompiled rows, and a compiled row
    that does not agree is not taken."""
    from inceptionnext_seg.analysis import choose_path
    plain = choose_path(COMPILED_ROWS, None)
    assert plain['take']['path'] == 'eager bf16 + channels-last'
    assert plain['faster']['path'] == 'eager bf16 + channels-last, compiled'
    compiling = choose_path(COMPILED_ROWS, None, compiling=True)
    assert compiling['take']['path'] == 'eager bf16 + channels-last, compiled'
    assert compiling['faster'] is None
    slower = [dict(r) for r in COMPILED_ROWS if 'int8' not in r['path']]
    slower[-1]['s_per_img'] = 2.5
    compiling = choose_path(slower, None, True)
    assert compiling['take']['path'] == 'eager bf16 + channels-last, compiled'
    assert compiling['faster']['path'] == 'eager bf16 + channels-last'
    int8 = dict(precision='int8', checked=True)
    assert choose_path(slower + LADDER_ROWS[3:], int8, True)['take'][
        'path'] == 'ONNX Runtime int8'
    assert choose_path(LADDER_ROWS, None, True)['take']['path'] == \
        'eager bf16 + channels-last'
    slower[-2]['agreement'] = slower[-1]['agreement'] = 0.9
    choice = choose_path(slower, None, True)
    assert choice['take']['path'] == 'eager fp32'
    assert choice['faster']['path'] == 'eager bf16 + channels-last'


def test_the_ladder_record_keeps_one_entry_per_cpu(tmp_path, monkeypatch):
    from inceptionnext_seg.analysis import cpu_ladder
    path = tmp_path / 'sub' / 'ladder.json'
    here = cpu_ladder.cpu_features()
    other = dict(here, name='Another CPU')
    cpu_ladder.save_ladder(dict(cpu=other, FPN=dict(rows=[])), path)
    assert cpu_ladder.ladder_for_this_cpu(path) is None
    cpu_ladder.save_ladder(dict(cpu=here, date='d'), path)
    assert cpu_ladder.ladder_for_this_cpu(path) == dict(cpu=here, date='d')
    assert len(json.loads(path.read_text())) == 2
    assert cpu_ladder.ladder_for_this_cpu(tmp_path / 'none.json') is None
    path.write_text('[1, 2]')
    with pytest.raises(ValueError, match=f'{path}: not a ladder record'):
        cpu_ladder.ladder_for_this_cpu(path)
    monkeypatch.setenv('INCEPTIONNEXT_LADDER', '')
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path))
    assert cpu_ladder.ladder_record_path() == \
        tmp_path / 'inceptionnext_seg' / 'cpu_ladder.json'
    assert cpu_ladder.ladder_head('UPerHead') == 'UperNet'
    assert cpu_ladder.ladder_head('ASPPHead') is None


@pytest.fixture
def tf32_restored():
    import torch
    saved = (torch.backends.cudnn.allow_tf32,
             torch.backends.cuda.matmul.allow_tf32)
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 \
        = saved


@pytest.mark.parametrize('enabled', [False, True])
def test_one_tf32_policy_for_convolutions_and_matmuls(tf32_restored,
                                                      enabled):
    """InceptionNeXt's MLPs are 1x1 convolutions (cuDNN), ConvNeXt-T's are
    linear layers (cuBLAS): both switches get the same value, and a CUDA
    table says which."""
    import torch

    from inceptionnext_seg.analysis.steps import Settings, set_tf32
    # torch's own defaults differ (convolutions on, matmuls off)
    torch.backends.cudnn.allow_tf32 = not enabled
    torch.backends.cuda.matmul.allow_tf32 = enabled
    assert set_tf32(enabled) == dict(cudnn_conv=enabled,
                                     cublas_matmul=enabled)
    assert torch.backends.cudnn.allow_tf32 is enabled
    assert torch.backends.cuda.matmul.allow_tf32 is enabled
    state = 'on' if enabled else 'off'
    assert Settings('cuda').describe() == (
        f'float32 (TF32 {state}: cuDNN convolutions and cuBLAS matmuls), '
        f'NCHW')
    torch.backends.cuda.matmul.allow_tf32 = not enabled
    assert 'TF32 MIXED' in Settings('cuda').describe()
    # the CPU has no TF32: its titles stay as they were
    assert Settings('cpu').describe() == 'float32, NCHW'


def test_the_tool_applies_the_policy_once_for_every_model(
        benchmark, monkeypatch, tf32_restored):
    import torch
    calls = []
    real = benchmark.set_tf32
    monkeypatch.setattr(benchmark, 'set_tf32',
                        lambda enabled: calls.append(enabled) or
                        real(enabled))
    monkeypatch.setattr(benchmark, 'run_backbones', lambda *a: None)
    results = benchmark.main(SMALL + ['--parts', 'backbone'])
    assert calls == [False]
    assert results['tf32'] == dict(cudnn_conv=False, cublas_matmul=False)
    assert not torch.backends.cudnn.allow_tf32
    benchmark.main(SMALL + ['--parts', 'backbone', '--tf32'])
    assert calls == [False, True]


def test_compiled_labels_say_what_is_compiled(monkeypatch, shallow_models):
    """--compile compiles the segmentors' backbone and decode head (a
    stand-in for torch.compile records it), and the titles say so."""
    import torch

    from inceptionnext_seg.analysis.steps import Settings, segmentor_steps
    compiled = []

    def fake_compile(fn):
        compiled.append(fn)
        return fn
    monkeypatch.setattr(torch, 'compile', fake_compile)
    s = Settings('cpu', compile=True)
    model, train, infer, _ = segmentor_steps('FPN', 'InceptionNeXt-T', 32,
                                             2, s)
    owners = {fn.__self__ for fn in compiled}
    assert owners == {model.backbone, model.decode_head}
    infer()
    assert s.describe('segmentor') == \
        'float32, NCHW, compiled backbone + decode head'
    assert s.describe('backbone') == 'float32, NCHW, compiled'
    assert Settings('cpu').describe('segmentor') == 'float32, NCHW'


def test_the_matrix_schema_and_table(benchmark, capsys, monkeypatch,
                                     tmp_path):
    """--parts matrix (what --device cuda runs, and the comparison of every
    machine): InceptionNeXt-T (ours; timm's for the backbone) and
    ConvNeXt-T, backbone, UperNet-T and FPN-T, fp32 NCHW, fp32 channels-last
    and the recommended precision + channels-last, eager and compiled, each
    ratio against ConvNeXt-T of its own setting, the best of each side; a
    JSON of records and printed tables. On the CPU here, with stand-ins for
    torch.compile and the timer."""
    import torch

    from inceptionnext_seg.engine.mixed_precision import bf16_supported
    monkeypatch.setattr(torch, 'compile', lambda fn: fn)
    for cap in ('MKL_ENABLE_INSTRUCTIONS', 'ATEN_CPU_CAPABILITY'):
        monkeypatch.delenv(cap, raising=False)  # the suite may run capped
    monkeypatch.setenv('ONEDNN_MAX_CPU_ISA', 'AVX2')
    # The rows, labels and ratios are what is tested here: the models' steps
    # stand in (building and running 16 UperNets and backbones, 8 of them
    # under emulated bf16 on an AVX2 CPU, took a minute and showed nothing
    # more; test_the_tool_runs_end_to_end and tests/test_gpu.py run them).
    built = []

    def steps(*args):
        built.append(args[-1].describe('segmentor'))
        return None, lambda: None, lambda: None, 4e9

    monkeypatch.setattr(benchmark, 'backbone_steps', steps)
    monkeypatch.setattr(benchmark, 'segmentor_steps', steps)
    out = tmp_path / 'matrix.json'
    results = benchmark.main(SMALL + ['--parts', 'matrix', '--seg-size',
                                      '32', '--json', str(out)])
    settings = 2 * (3 if bf16_supported('cpu') else 2)
    assert len(built) == 7 * settings
    text = capsys.readouterr().out
    figures = json.loads(out.read_text())
    assert figures['tf32'] == dict(cudnn_conv=False, cublas_matmul=False)
    matrix = figures['matrix']
    assert matrix == json.loads(json.dumps(results['matrix']))
    assert matrix['machine']['isa_caps'] == dict(ONEDNN_MAX_CPU_ISA='AVX2')
    assert 'capped by ONEDNN_MAX_CPU_ISA=AVX2' in text
    assert matrix['machine']['isa'] in text
    rows = matrix['rows']
    keys = {(r['part'], r['model'], r['precision'], r['memory_format'],
             r['compiled']) for r in rows}
    assert len(rows) == len(keys) == 7 * settings
    reduced = {r['precision'] for r in rows} - {'fp32'}
    assert reduced == ({'bf16'} if bf16_supported('cpu') else set())
    for r in rows:
        assert r['precision'] == 'fp32' or r['memory_format'] == \
            'channels_last'
        assert r['part'] in ('backbone', 'UperNet', 'FPN')
        assert r['model'] in ('InceptionNeXt-T', 'ConvNeXt-T') or (
            r['part'] == 'backbone' and r['model'] == 'InceptionNeXt-T (timm)')
        assert ('compiled' in r['settings']) == r['compiled']
        if r['part'] != 'backbone' and r['compiled']:
            assert 'compiled backbone + decode head' in r['settings']
        assert r['train_s'] > 0 and r['infer_s'] > 0 and \
            r['gmacs_per_img'] > 0
    # ratios from the fake timer: ConvNeXt-T's time over each model's
    ours = [r for r in rows if r['model'] == 'InceptionNeXt-T' and
            r['part'] in ('UperNet', 'FPN')]
    assert all(r['train_vs_convnext'] == 2.0 for r in ours)
    assert [(b['part'], b['step']) for b in matrix['best']] == [
        (p, s) for p in ('backbone', 'UperNet', 'FPN')
        for s in ('train', 'infer')]
    assert all(b['speedup'] == 2.0 for b in matrix['best'])
    assert row(text, 'FPN', 'train', 'float32, NCHW', '3.00',
               'float32, NCHW', '6.00', '2.00')
    assert 'InceptionNeXt-T vs ConvNeXt-T (cpu)' in text
    assert row(text, 'UperNet + InceptionNeXt-T', 'float32, NCHW', '3.00',
               '0.50', '2.00', '2.00')


def test_long_parts_say_how_long_before_they_start(benchmark, monkeypatch):
    """The ladder and the matrix (minutes to a quarter of an hour on 2
    cores) say their measured times first; parts without a figure say
    nothing ahead and every part its own time at its end."""
    from inceptionnext_seg.utils import expected_time
    monkeypatch.setattr(expected_time, 'usable_cpus', lambda: 2)
    monkeypatch.setattr(expected_time, 'vector_unit', lambda: 'AVX2')
    monkeypatch.setattr(expected_time.os, 'getloadavg', lambda: (0, 0, 0))
    lines = benchmark.expected_times(benchmark.parse_args(
        ['--parts', 'backbone', 'ladder', 'matrix']))
    assert lines == [
        '--parts ladder: about 4.0 min on 2 cores with AVX-512 (this '
        'machine: 2 CPUs, AVX2).',
        '--parts matrix (its eager rows; the compiled rows add minutes of '
        'compilation per model, not measured here): about 9.0 min on 2 '
        'cores with AVX-512, 14.0 min on 2 cores with AVX2 (this machine: '
        '2 CPUs, AVX2).']
    eager_only = benchmark.expected_times(benchmark.parse_args(
        ['--parts', 'matrix', '--matrix-eager-only']))
    assert eager_only[0].startswith('--parts matrix: about 9.0 min')
    compiled = benchmark.expected_times(benchmark.parse_args(
        ['--parts', 'ladder', '--compile']))
    assert compiled[0].startswith(
        '--parts ladder (without --compile; its compiled rows added 2.2 min '
        'of compilation on a 2-core AMX Xeon, docs/deploy.md): about 4.0 min')
