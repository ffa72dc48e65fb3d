"""tools/test.py --report and tools/analysis_tools/report.py on the demo model:
the report's numbers are the evaluator's, it rebuilds from its saved results,
two runs compare, and it opens in headless Chromium (every picture loads, the
tables are there, each sortable column sorts both ways), with a screenshot in
work_dirs/report_browser_test/."""
import json
import re
import urllib.parse

import cv2
import pytest

from inceptionnext_seg.evaluation import load_run
from inceptionnext_seg.visualization.report.browser import (find_chromium,
                                                            screenshot,
                                                            self_check)
from tests.helpers.report_runs import table_cells
from tests.helpers.tools import (DEMO_CONFIG, ROOT, data_options,
                                 run_mmseg_tool, run_tool)

# One worker runs them all (make test: -n 2 --dist loadgroup), so the demo
# model's report is made once.
pytestmark = pytest.mark.xdist_group('report')

#: Where the browser tests leave their screenshots (git ignores work_dirs).
SHOTS = ROOT / 'work_dirs' / 'report_browser_test'
K = 3


def needs_chromium() -> str:
    chromium = find_chromium()
    if chromium is None:
        pytest.skip('headless Chromium not found on PATH (Debian: apt-get '
                    'install chromium; .ci/run installs it)')
    return chromium


def report_of(trained, data_root, work_dir, checkpoint='iter_4.pth'):
    """tools/test.py --report; returns (report dir, test_metrics.json)."""
    run_tool('tools/test.py', DEMO_CONFIG, trained / checkpoint,
             '--work-dir', work_dir, '--report', work_dir / 'report',
             '--report-images', K, '--cfg-options',
             *data_options(data_root, ['test']),
             # only the evaluated split exists, as on an evaluation box
             f'train_dataloader.dataset.data_root={work_dir / "absent"}',
             f'val_dataloader.dataset.data_root={work_dir / "absent"}',
             'test_dataloader.num_workers=0',
             'test_dataloader.persistent_workers=False')
    metrics = json.loads(next(work_dir.glob('*/test_metrics.json'))
                         .read_text())
    return work_dir / 'report', metrics


@pytest.fixture(scope='module')
def demo_report(trained, demo_data, tmp_path_factory):
    return report_of(trained[0], demo_data,
                     tmp_path_factory.mktemp('demo_report'))


def check_sorts(sorts: dict) -> None:
    """Each column, clicked twice, came out in order (missing values last)
    with the same values: numbers by value, text in localeCompare order
    (as the page's self-check found it), each way once; at least one text
    column was sorted."""
    text_columns = 0
    for table, columns in sorts.items():
        assert columns, table
        for c in columns:
            for dir_, got, text_in_order in (
                    (c['dir1'], c['first'], c['text_in_order1']),
                    (c['dir2'], c['second'], c['text_in_order2'])):
                present = [v for v in got if v is not None]
                assert got == present + [None] * (len(got) - len(present))
                if present and isinstance(present[0], str):
                    assert text_in_order, (table, c['column'], dir_, got)
                    text_columns += dir_ == 'asc'
                else:
                    assert present == sorted(present,
                                             reverse=dir_ == 'desc'), (
                        table, c['column'])
                assert sorted(map(str, got)) == sorted(map(str, c['before']))
            assert {c['dir1'], c['dir2']} == {'asc', 'desc'}
            if c['first'] and isinstance(c['first'][0], str) and \
                    len(set(c['first'])) > 1:
                # the two directions are each other's reverse
                assert c['first'] != c['second'], (table, c['column'])
    assert text_columns > 0


def test_report_of_test_py_has_the_evaluators_numbers(demo_report):
    report, metrics = demo_report
    run = load_run(report)
    summary = run.summary()
    for key in ('aAcc', 'mIoU', 'mAcc'):
        assert summary[key] == metrics[key]
    per_class = run.per_class()
    assert list(per_class) == list(metrics['per_class'])
    for name, row in per_class.items():
        assert row['IoU'] == metrics['per_class'][name]['IoU'], name
        assert row['Acc'] == metrics['per_class'][name]['Acc'], name
        assert row['pixels'] == metrics['per_class'][name]['pixels'], name
    page = (report / 'index.html').read_text()
    assert dict(table_cells(page, 'run'))['checkpoint'].endswith(
        'iter_4.pth')
    assert (report / 'data' / 'confusion.npy').is_file()
    assert (report / 'data' / 'confusion.csv').is_file()


def test_report_rebuilds_from_its_saved_results(demo_report, tmp_path):
    from tests.helpers.tools import load_tool
    report, _ = demo_report
    load_tool('report').main([str(report), '--out', str(tmp_path),
                              '--images', str(K)])
    a = (report / 'index.html').read_text()
    b = (tmp_path / 'index.html').read_text()
    for table in ('summary', 'per-class', 'confused-pairs', 'confusion-heat'):
        assert table_cells(a, table) == table_cells(b, table), table
    assert len(list((tmp_path / 'img').glob('*'))) == \
        len(list((report / 'img').glob('*')))
    # every link and picture of the page written elsewhere is a file (the
    # confusion matrix stays in the run's data/)
    sources = set(re.findall(r'(?:src|href)="([^"]+)"', b))
    assert any('confusion.csv' in src for src in sources)
    for src in sources:
        assert (tmp_path / urllib.parse.unquote(src)).is_file(), src


def test_mmseg_test_py_writes_the_same_report(trained, demo_data,
                                              demo_report, tmp_path):
    """mmseg's own tools/test.py, the metric chosen in --cfg-options."""
    run_mmseg_tool('test.py', DEMO_CONFIG, trained[0] / 'iter_4.pth',
                   '--work-dir', tmp_path, '--cfg-options',
                   *data_options(demo_data, ['test']),
                   'test_dataloader.num_workers=0',
                   'test_dataloader.persistent_workers=False',
                   'test_evaluator.type=ReportIoUMetric',
                   f'test_evaluator.report_dir={tmp_path / "report"}')
    ours, theirs = load_run(demo_report[0]), load_run(tmp_path / 'report')
    assert theirs.summary() == ours.summary()
    assert theirs.per_class() == ours.per_class()
    assert (theirs.confusion == ours.confusion).all()
    page = (tmp_path / 'report' / 'index.html').read_text()
    assert len(table_cells(page, 'per-class')) == len(ours.classes)


def test_report_tool_refuses_comparing_a_report_with_itself(
        demo_report, tmp_path):
    from tests.helpers.tools import load_tool
    report, _ = demo_report
    tool = load_tool('report')
    with pytest.raises(SystemExit, match=f'both runs are the report '
                       f'{re.escape(str(report))}'):
        tool.main([str(report), str(report.parent), '--out',
                   str(tmp_path)])
    assert not (tmp_path / 'index.html').exists()
    # no navigation timing recorded: said, not a TypeError
    assert tool._ms(None) == 'n/a' and tool._ms(361.6) == '362 ms'


def test_report_tool_names_a_folder_that_is_no_report(tmp_path):
    result = run_tool('tools/analysis_tools/report.py', tmp_path, check=False)
    assert result.returncode != 0
    assert f'{tmp_path / "data" / "meta.json"} not found' in result.stderr


def test_report_opens_in_chromium(demo_report):
    chromium = needs_chromium()
    report, _ = demo_report
    run = load_run(report)
    checked = self_check(report / 'index.html', chromium)
    shown = min(2 * K, len(run.names))  # worst + best, each image once
    assert checked['broken'] == []
    assert checked['images'] == shown * 4  # image, label, prediction, errors
    assert checked['tables']['per-class'] == len(run.classes)
    assert checked['tables']['all-images-table'] == len(run.names)
    assert checked['tables']['confusion-heat'] > 0
    assert set(checked['sorts']) >= {'per-class', 'confused-pairs',
                                     'all-images-table'}
    check_sorts(checked['sorts'])
    # what the browser shows (rows in the self-check's last order) is what
    # was computed
    shown = {r[1]: None if r[2] == '–' else float(r[2])
             for r in table_cells(checked['dom'], 'per-class')}
    assert shown == {name.strip(): row['IoU']
                     for name, row in run.per_class().items()}
    shot = screenshot(report / 'index.html', SHOTS / 'report.png', chromium)
    image = cv2.imread(str(shot))
    assert image is not None and image.std() > 5


def test_two_checkpoints_compare_on_real_ade20k_samples(trained,
                                                        ade_samples,
                                                        tmp_path):
    work_dir, _ = trained
    runs = [report_of(work_dir, ade_samples, tmp_path / name, ckpt)[0]
            for name, ckpt in (('a', 'iter_2.pth'), ('b', 'iter_4.pth'))]
    out = tmp_path / 'compare'
    # the second as its work dir: the newest report in it
    result = run_tool('tools/analysis_tools/report.py', runs[0],
                      tmp_path / 'b', '--out',
                      out, '--names', 'iter2', 'iter4', '--images', 2)
    assert f'Report: {out / "index.html"}' in result.stdout
    assert f'{tmp_path / "b"}: the newest report in it, ' \
        f'{tmp_path / "b" / "report"}' in result.stdout
    a, b = (load_run(r) for r in runs)
    assert len(a.names) == 3  # the three real samples
    page = (out / 'index.html').read_text()
    rows = table_cells(page, 'class-diff')
    # (ADE20K's names in mmseg keep trailing blanks: 'bed ')
    ia = {k.strip(): v for k, v in a.per_class().items()}
    ib = {k.strip(): v for k, v in b.per_class().items()}
    assert len(rows) == 150
    compared = 0
    for name, iou_a, iou_b, diff, _ in rows:
        if ia[name]['IoU'] is not None and ib[name]['IoU'] is not None:
            assert float(diff) == pytest.approx(
                ib[name]['IoU'] - ia[name]['IoU'], abs=0.006)
            compared += 1
    assert compared > 0
    assert len(re.findall(r'class="item"', page)) == 2
    chromium = needs_chromium()
    # The runs' own pages are the writer test_report_opens_in_chromium
    # checks; here the comparison page.
    checked = self_check(out / 'index.html', chromium)
    assert checked['broken'] == []
    assert checked['images'] == 2 * 5  # image, label, 2 predictions, errors
    assert checked['tables']['class-diff'] == 150
    check_sorts(checked['sorts'])
    shot = screenshot(out / 'index.html',
                      SHOTS / 'compare_ade20k_samples.png', chromium)
    assert cv2.imread(str(shot)).std() > 5
