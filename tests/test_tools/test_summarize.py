"""tools/analysis_tools/summarize.py: finished runs against the paper in one
table."""
import json
import shutil

from tests.helpers.tools import (DEMO_CONFIG, ROOT, data_options, load_tool,
                                 run_tool)


def test_summary_of_a_trained_and_tested_run(trained, demo_data, tmp_path):
    work_dir = tmp_path / 'run'
    shutil.copytree(trained[0], work_dir)
    run_tool('tools/test.py', DEMO_CONFIG, work_dir / 'iter_4.pth', '--tta',
             '--work-dir', work_dir / 'test_ms', '--cfg-options',
             *data_options(demo_data, ['test']),
             'test_dataloader.num_workers=0',
             'test_dataloader.persistent_workers=False')
    ms = json.loads(next((work_dir / 'test_ms').glob(
        '*/test_metrics.json')).read_text())
    assert ms['tta'] is True
    val = max(m['mIoU'] for _, m in json.loads(
        (work_dir / 'training_curves.json').read_text())['val'])

    # Two runs of one config: the rows are told apart by their work dirs.
    other = tmp_path / 'run_again'
    shutil.copytree(work_dir, other)
    result = run_tool('tools/analysis_tools/summarize.py', work_dir, other)
    text = result.stdout
    # A run of a config that is not the paper's claims no comparison, and
    # the counter's ~20 warnings on operators it leaves out are not shown.
    assert 'against the paper' not in text
    assert 'no config of the paper among them' in text
    assert 'Unsupported operator' not in text + result.stderr
    rows = [[c.strip() for c in line.strip('|').split('|')]
            for line in text.splitlines()
            if 'fpn_inceptionnext_atto_demo' in line]
    assert [r[:2] for r in rows] == [
        [str(work_dir), 'fpn_inceptionnext_atto_demo'],
        [str(other), 'fpn_inceptionnext_atto_demo']], text
    cells = rows[0][1:]
    from inceptionnext_seg.utils.config import build_segmentor_for_analysis
    model = build_segmentor_for_analysis(str(ROOT / DEMO_CONFIG))
    params = sum(p.numel() for p in model.parameters()) / 1e6
    assert cells[1] == f'{val:.2f} (val) / {ms["mIoU"]:.2f}'
    assert cells[2] == '-'  # not a paper config
    assert cells[3] == f'{params:.2f}M'
    assert cells[4].endswith('G at 512x512')


def test_paper_row_and_single_scale_test(tmp_path):
    tool = load_tool('summarize')
    work_dir = tmp_path / 'upernet'
    (work_dir / 'test' / '20261126_000000').mkdir(parents=True)
    shutil.copy(ROOT / 'configs' / 'upernet_inceptionnext_t_ade20k.py',
                work_dir)
    for stamp, miou in (('20261126_000000', 40.0), ('20261127_000000', 47.5)):
        folder = work_dir / 'test' / stamp
        folder.mkdir(exist_ok=True)
        (folder / 'test_metrics.json').write_text(json.dumps(
            dict(tta=False, mIoU=miou, aAcc=80.0, mAcc=60.0)))
    row = tool.summarize(work_dir, macs=False)
    assert row == [str(work_dir), 'upernet_inceptionnext_t_ade20k',
                   '47.50 / -',
                   '47.9 (ms)', '-', '-']
