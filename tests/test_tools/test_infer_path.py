"""tools/infer.py's word on the CPU path (inceptionnext_seg.apis), in
process: the faster path the ladder found is named with the export command
that makes its file (an int8 file for int8, a float32 one for ONNX Runtime
fp32)."""
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
