"""tools/benchmark.py: its tables report the times it measured, each ratio
the right way round, and the tool runs end to end. Speed itself is measured
by the tool, never asserted here."""
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
           'ONNX Runtime fp32': 2.0, 'ONNX Runtime int8': 1.0}


def fake_seconds(key):
    if isinstance(key, tuple):
        name, kind = key
        table = BACKBONE_S if name in BACKBONE_S else SEGMENTOR_S
        return table[name][kind == 'infer']
    return OTHER_S[key]


def row(text, name, *cells):
    """The Markdown table row of ``name`` starts with these cells."""
    pattern = r'\| ' + re.escape(name) + r'\s+' + ''.join(
        r'\| ' + re.escape(c) + r'\s+' for c in cells)
    return re.search(pattern, text) is not None


@pytest.fixture
def benchmark(monkeypatch):
    """The tool with its timer replaced: every step still runs once (the
    models are built and run), and reports the seconds above."""
    tool = load_tool('benchmark')

    def interleaved(steps, warmup, repeats, device):
        for step in steps.values():
            step()
        return {key: fake_seconds(key) for key in steps}

    monkeypatch.setattr(tool, 'interleaved', interleaved)
    return tool


def test_tables_and_ratios_from_the_measured_times(benchmark, capsys,
                                                   monkeypatch):
    import inceptionnext_seg.engine.mixed_precision as mixed_precision
    monkeypatch.setattr(mixed_precision, 'bf16_supported', lambda d: False)
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
    for head in ('UperNet', 'FPN'):
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


def test_the_tool_runs_end_to_end(tmp_path):
    """The real timer on two parts (the others run above with the fake
    one), a JSON of positive figures, no per-parameter init log."""
    out = tmp_path / 'bench.json'
    result = run_tool('tools/benchmark.py', *SMALL, '--parts', 'backbone',
                      'export', '--json', out)
    for title in ('Backbones at 32x32',
                  'Exported model (ONNX Runtime, CPU) vs PyTorch eager'):
        assert title in result.stdout, result.stdout
    # mmengine's per-parameter initialisation log is not printed.
    assert 'torch.Size([' not in result.stdout + result.stderr
    figures = json.loads(out.read_text())
    numbers = [v for part in ('backbone', 'export')
               for entry in figures[part].values() for v in entry.values()]
    assert len(numbers) == 4 * 4 + 2 + 2 * 3
    assert all(math.isfinite(v) and v > 0 for v in numbers)


def test_benchmark_tool_memory_table(tmp_path):
    out = tmp_path / 'bench.json'
    # Each row is a fresh process (~10 s here), so two rows: the backbone
    # pair. The segmentor rows build through segmentor_steps, which the
    # speed-table test runs.
    result = run_tool('tools/benchmark.py', *SMALL, '--parts', 'memory',
                      '--memory-models', 'InceptionNeXt-T (ours)',
                      'InceptionNeXt-T (ours, with_cp)', '--json', out)
    assert 'Memory of a train step, MB' in result.stdout
    memory = json.loads(out.read_text())['memory']
    assert sorted(memory) == ['InceptionNeXt-T (ours)',
                              'InceptionNeXt-T (ours, with_cp)']
    # Activation checkpointing saves fewer activations.
    assert memory['InceptionNeXt-T (ours)']['peak_mb'] > 0
    assert memory['InceptionNeXt-T (ours)']['saved_mb'] > memory[
        'InceptionNeXt-T (ours, with_cp)']['saved_mb'] > 0


def test_the_ladder_table(benchmark, capsys, monkeypatch, native_bf16=True):
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
    results = benchmark.main(SMALL + ['--parts', 'ladder', '--seg-size',
                                      '32'])
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
