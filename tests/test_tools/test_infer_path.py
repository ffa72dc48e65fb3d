"""tools/infer.py's word on the CPU path (inceptionnext_seg.apis), in
process: the faster path the ladder found is named with the export command
that makes its file (an int8 file for int8, a float32 one for ONNX Runtime
fp32), and a compiled path with --compile."""
from types import SimpleNamespace

import pytest

from inceptionnext_seg.analysis import cpu_features, save_ladder
from inceptionnext_seg.apis import choose_cpu_path
from tests.helpers.ladder import fpn_rows


@pytest.mark.parametrize('fp32,int8,faster,command', [
    (0.25, 0.5, 'ONNX Runtime fp32, 4.00x', '--dynamic --out FILE'),
    (0.5, 0.25, 'ONNX Runtime int8, 4.00x',
     '--dynamic --quantize int8 --out FILE')])
def test_the_faster_path_is_named_with_its_export(tmp_path, capsys, fp32,
                                                  int8, faster, command):
    ladder = save_ladder(dict(cpu=cpu_features(), date='2026-12-07',
                              FPN=dict(rows=fpn_rows(fp32, int8))),
                         tmp_path / 'ladder.json')
    cfg = SimpleNamespace(model=SimpleNamespace(
        decode_head=SimpleNamespace(type='FPNHead')))
    path = choose_cpu_path(cfg, None, ladder, fastest=False)
    out = capsys.readouterr().out
    assert str(path) == 'eager fp32'
    assert f'faster: {faster}' in out
    assert f'--format onnx {command}, then --onnx FILE' in out


def test_compiled_rows_are_named_and_taken_with_compile(tmp_path, capsys):
    """Without --compile, a faster compiled row is named with its
    compilation; with it, --fastest takes the fastest compiled row, and a
    plain run is eager fp32 compiled; a ladder measured without --compile
    says how to measure compiled rows."""
    rows = fpn_rows(2.0, 4.0) + [dict(
        path='eager fp32, compiled', precision='fp32', s_per_img=0.5,
        speedup=2.0, agreement=1.0, compile_s=25.0)]
    ladder = save_ladder(dict(cpu=cpu_features(), date='2026-12-07',
                              FPN=dict(rows=rows)), tmp_path / 'ladder.json')
    cfg = SimpleNamespace(model=SimpleNamespace(
        decode_head=SimpleNamespace(type='FPNHead')))
    assert str(choose_cpu_path(cfg, None, ladder, fastest=True)) == \
        'eager fp32'
    out = capsys.readouterr().out
    # 0.5 s less per image: 25 s of compilation pay off after 50 images
    assert ('faster: eager fp32, compiled, 2.00x, after 25 s of compilation '
            'at the start of each run (a run of 50 images or more gains): '
            '--compile') in out
    for fastest in (True, False):
        path = choose_cpu_path(cfg, None, ladder, fastest, compiling=True)
        assert str(path) == 'eager fp32, compiled' and path.compiled
    out = capsys.readouterr().out
    assert 'for FPN when compiling: eager fp32, compiled, 2.00x' in out
    assert 'faster:' not in out
    uncompiled = save_ladder(dict(cpu=cpu_features(), date='2026-12-07',
                                  FPN=dict(rows=fpn_rows(2.0, 4.0))),
                             tmp_path / 'plain.json')
    path = choose_cpu_path(cfg, None, uncompiled, True, compiling=True)
    assert str(path) == 'eager fp32, compiled'
    assert ('the ladder has no compiled rows (tools/analysis_tools/'
            'benchmark.py --parts ladder --compile measures them)') in \
        capsys.readouterr().out
