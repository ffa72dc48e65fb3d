"""ReportIoUMetric and the saved run results: the evaluator's numbers, the
confusion matrix, the worst and best images, clear errors on bad input."""
import csv
import json
import logging
import math
import re
from pathlib import Path

import numpy as np
import pytest
from mmseg.evaluation import IoUMetric

from inceptionnext_seg.evaluation import (ClassIoUMetric, ReportIoUMetric,
                                          load_run)
from inceptionnext_seg.visualization.report import (worst_and_best,
                                                    write_comparison)
from tests.helpers.report_runs import (dataset_meta, evaluate, make_samples,
                                       table_cells)

# ADE20K as the configs evaluate it (150 classes, reduce_zero_label makes
# "other" 255) and a Cityscapes-like set with more of IoUMetric's options.
CASES = {
    'ade20k': dict(num_classes=150, options=dict(iou_metrics=['mIoU'])),
    'cityscapes-like': dict(num_classes=19, options=dict(
        iou_metrics=['mIoU', 'mDice', 'mFscore'], nan_to_num=-1)),
}


def independent_iou(samples, num_classes, ignore=255):
    """Per-class IoU in percent from the arrays, with NumPy only."""
    inter, union = np.zeros(num_classes), np.zeros(num_classes)
    for s in samples:
        p = s['pred_sem_seg']['data'].numpy().ravel()
        t = s['gt_sem_seg']['data'].numpy().ravel()
        p, t = p[t != ignore], t[t != ignore]
        for c in range(num_classes):
            inter[c] += np.sum((p == c) & (t == c))
            union[c] += np.sum((p == c) | (t == c))
    with np.errstate(invalid='ignore'):
        return inter / union * 100


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    """Each case evaluated by IoUMetric, ClassIoUMetric and ReportIoUMetric
    on the same generated samples."""
    out = {}
    for case, spec in CASES.items():
        tmp = tmp_path_factory.mktemp(case)
        n = spec['num_classes']
        samples = make_samples(tmp / 'images', n=7, num_classes=n)
        plain = evaluate(IoUMetric(**spec['options']), samples, n)
        per_class = ClassIoUMetric(**spec['options'])
        evaluate(per_class, samples, n)
        report = evaluate(ReportIoUMetric(report_dir=str(tmp / 'report'),
                                          gallery_size=2,
                                          run_info=dict(config='c.py'),
                                          **spec['options']), samples, n)
        out[case] = dict(samples=samples, plain=plain, report=report,
                         per_class=per_class.per_class, dir=tmp / 'report',
                         num_classes=n)
    return out


@pytest.mark.parametrize('case', CASES)
def test_the_report_shows_iou_metrics_numbers(runs, case):
    r = runs[case]
    assert r['report'] == r['plain']  # the metric's own result is unchanged
    run = load_run(r['dir'])
    assert run.summary() == {k: float(v) for k, v in r['plain'].items()}
    reference = independent_iou(r['samples'], r['num_classes'])
    per_class = run.per_class()
    nan_to_num = CASES[case]['options'].get('nan_to_num')
    for i, (name, row) in enumerate(per_class.items()):
        assert row['IoU'] == r['per_class'][name]['IoU']  # IoUMetric's
        expected = reference[i] if not math.isnan(reference[i]) else (
            None if nan_to_num is None else nan_to_num * 100)
        if expected is None:
            assert row['IoU'] is None
        else:
            assert row['IoU'] == pytest.approx(round(expected, 2), abs=1e-9)
    # The page shows the same: summary cells and the per-class table.
    page = (r['dir'] / 'index.html').read_text()
    shown = table_cells(page, 'summary')[0]
    assert [float(v) for v in shown] == [round(v, 2) for v in
                                         run.summary().values()]
    rows = table_cells(page, 'per-class')
    assert [row[1] for row in rows] == list(per_class)
    assert [None if row[2] == '–' else float(row[2]) for row in rows] == \
        [row['IoU'] for row in per_class.values()]
    run_info = dict(table_cells(page, 'run'))
    assert run_info['config'] == 'c.py' and 'UTC' in run_info['date']


def test_confusion_matrix_is_the_metrics_areas(runs):
    r = runs['ade20k']
    run = load_run(r['dir'])
    inter, _, predicted, labelled = run.areas.sum(0)
    assert run.confusion.sum() > 0
    np.testing.assert_array_equal(np.diag(run.confusion), inter)
    np.testing.assert_array_equal(run.confusion.sum(1), labelled)
    np.testing.assert_array_equal(run.confusion.sum(0), predicted)
    with open(r['dir'] / 'data' / 'confusion.csv') as f:
        rows = list(csv.reader(f))
    assert rows[0][1:] == run.classes
    assert np.array_equal(np.array([r[1:] for r in rows[1:]], int),
                          run.confusion)
    pairs = run.confused_pairs(5)
    off = run.confusion.copy()
    np.fill_diagonal(off, 0)
    assert [p['pixels'] for p in pairs] == sorted(off.ravel())[::-1][:5]
    assert all(p['label'] != p['pred'] for p in pairs)
    page = (r['dir'] / 'index.html').read_text()
    assert [c[:3] for c in table_cells(page, 'confused-pairs')[:5]] == [
        [p['label'], p['pred'], str(p['pixels'])] for p in pairs]


def test_gallery_holds_the_worst_and_best_images(runs):
    r = runs['ade20k']
    run = load_run(r['dir'])
    miou = run.image_miou()
    # per-image mIoU from the arrays: mean IoU over the image's classes
    for i, s in enumerate(r['samples']):
        ious = [v for v in independent_iou([s], 150) if not math.isnan(v)]
        assert miou[i] == pytest.approx(np.mean(ious))
    worst, best = worst_and_best(miou, 2)
    assert list(miou[worst]) == sorted(miou)[:2]
    assert list(miou[best]) == sorted(miou)[::-1][:2]
    page = (r['dir'] / 'index.html').read_text()
    for section, chosen in (('worst', worst), ('best', best)):
        part = page.split(f'id="gallery-{section}-items"')[1].split('<h2')[0]
        for i in chosen:
            assert run.names[i] in part
        assert part.count('<img ') == 4 * len(chosen)
    # self-contained: every picture and link is a file beside the page
    sources = set(re.findall(r'(?:src|href)="([^"]+)"', page))
    assert sources
    for src in sources:
        assert (r['dir'] / src).is_file(), src
    # every image is in the page's lazily drawn table
    data = json.loads(page.split('id="all-images-json">')[1].split(
        '</script>')[0])
    assert [row[0] for row in data] == run.names


def test_bad_input_is_named(runs, tmp_path):
    with pytest.raises(FileNotFoundError, match='meta.json not found'):
        load_run(tmp_path)
    with pytest.raises(ValueError, match='format_only'):
        ReportIoUMetric(report_dir=str(tmp_path), format_only=True)
    import shutil
    broken = tmp_path / 'broken'
    shutil.copytree(runs['ade20k']['dir'], broken)
    np.save(broken / 'data' / 'areas.npy', np.zeros((2, 4, 150), np.int64))
    with pytest.raises(ValueError, match=r'areas.npy has shape \(2, 4, 150'):
        load_run(broken)
    other = load_run(runs['cityscapes-like']['dir'])
    with pytest.raises(ValueError, match='different classes'):
        write_comparison(load_run(runs['ade20k']['dir']), other,
                         tmp_path / 'cmp')


def test_comparison_of_two_runs(runs, tmp_path):
    """B: run A's samples with the first image predicted right; its classes'
    IoU rise, and it is the image that changed most."""
    import copy
    a = runs['ade20k']
    samples = copy.deepcopy(a['samples'])
    samples[0]['pred_sem_seg']['data'] = samples[0]['gt_sem_seg'][
        'data'].clone()
    samples[0]['pred_sem_seg']['data'][samples[0]['pred_sem_seg']['data'] ==
                                       255] = 0
    evaluate(ReportIoUMetric(report_dir=str(tmp_path / 'b'), gallery_size=2,
                             write_html=False), samples, 150)
    run_a, run_b = load_run(a['dir']), load_run(tmp_path / 'b')
    page = write_comparison(run_a, run_b, tmp_path / 'cmp',
                            gallery_size=2).read_text()
    ia, ib = run_a.per_class(), run_b.per_class()
    rows = {r[0]: r for r in table_cells(page, 'class-diff')}
    assert len(rows) == 150
    changed = [n for n in ia if ia[n]['IoU'] != ib[n]['IoU']]
    assert changed
    for name in changed:
        assert float(rows[name][3]) == pytest.approx(
            ib[name]['IoU'] - ia[name]['IoU'], abs=0.006)
    items = page.split('id="changed-items"')[1].split('<h2')[0]
    first = items.split('class="item"')[1]
    assert run_a.names[0] in first
    assert items.count('<img ') == 2 * 5


def test_images_of_one_stem_in_two_folders_keep_their_own_maps(
        tmp_path, monkeypatch):
    """a/x.jpg and b/x.jpg: named by their path below img_prefix, each
    keeps its maps; meta.json holds absolute paths (relative data_root)."""
    monkeypatch.chdir(tmp_path)
    a = make_samples(tmp_path / 'set' / 'a', n=2, num_classes=19)
    b = make_samples(tmp_path / 'set' / 'b', n=2, num_classes=19, noise=0.9)
    samples = a + b
    for s in samples:  # as a config's relative data_root gives them
        s['img_path'] = str(Path(s['img_path']).relative_to(tmp_path))
    evaluate(ReportIoUMetric(report_dir='report', img_prefix='set',
                             gallery_size=1), samples, 19)
    monkeypatch.chdir('/')
    run = load_run(tmp_path / 'report')
    assert run.names == ['a__img_0_000', 'a__img_0_001', 'b__img_0_000',
                         'b__img_0_001']
    assert run.img_paths == [str(tmp_path / s['img_path']) for s in samples]
    for i, s in enumerate(samples):
        np.testing.assert_array_equal(
            run.label_map('pred', i), s['pred_sem_seg']['data'][0].numpy())
    # without the prefix the stems clash: at the first clash, both named
    monkeypatch.chdir(tmp_path)
    metric = ReportIoUMetric(report_dir=str(tmp_path / 'stems'))
    metric.dataset_meta = dataset_meta(19)
    metric.process({}, a)
    with pytest.raises(ValueError, match=re.escape(
            f"{tmp_path / b[0]['img_path']} and "
            f"{tmp_path / a[0]['img_path']} are both named 'img_0_000'")):
        metric.process({}, b)


def test_a_failing_html_page_is_logged_and_the_metrics_returned(
        runs, tmp_path, monkeypatch):
    """On several processes an exception on rank 0 would leave the others
    waiting: the page's failure is logged (by EvaluationReportHook, which
    renders it), the data kept."""
    from inceptionnext_seg.engine.hooks import evaluation_report_hook

    def fail(*args, **kwargs):
        raise OSError('disk full')

    logged = []
    monkeypatch.setattr(evaluation_report_hook, 'write_report', fail)
    monkeypatch.setattr(evaluation_report_hook, 'print_log',
                        lambda msg, **kw: logged.append((msg, kw)))
    r = runs['ade20k']
    metrics = evaluate(ReportIoUMetric(report_dir=str(tmp_path / 'r')),
                       r['samples'], 150)
    assert metrics == r['plain']
    assert len(logged) == 1
    msg, kw = logged[0]
    assert kw['level'] == logging.ERROR
    assert str(tmp_path / 'r') in msg and 'disk full' in msg
    assert 'tools/analysis_tools/report.py' in msg
    assert not (tmp_path / 'r' / 'index.html').exists()
    assert load_run(tmp_path / 'r').summary() == load_run(r['dir']).summary()


def test_values_outside_the_classes_and_a_negative_ignore_index(tmp_path):
    """ignore_index=-1; a label of 300 (16 bits, not ignored) and of 20, a
    prediction of 25, with 19 classes: the maps keep every value, the
    ignored pixels are drawn as not counted, and the confusion matrix is
    the metric's areas less exactly the pixels outside the classes."""
    import cv2
    import torch
    from inceptionnext_seg.visualization.report.images import (IGNORED,
                                                               error_map)
    samples = make_samples(tmp_path / 'images', n=2, num_classes=19,
                           ignore_index=-1)
    big = samples[0]
    big['gt_sem_seg']['data'][0, :3, :5] = 300
    big['gt_sem_seg']['data'][0, 3, :4] = 20
    big['pred_sem_seg']['data'][0, 5:7, :6] = 25
    metric = ReportIoUMetric(report_dir=str(tmp_path / 'r'), ignore_index=-1,
                             gallery_size=1)
    evaluate(metric, samples, 19)
    run = load_run(tmp_path / 'r')
    for i, s in enumerate(samples):
        label = s['gt_sem_seg']['data'][0].numpy()
        pred = s['pred_sem_seg']['data'][0].numpy()
        stored = cv2.imread(str(tmp_path / 'r' / 'data' / 'label' /
                                f'{run.names[i]}.png'), cv2.IMREAD_UNCHANGED)
        assert stored.dtype == (np.uint16 if i == 0 else np.uint8)
        assert (stored[label == -1] == np.iinfo(stored.dtype).max).all()
        assert (label == -1).any()
        np.testing.assert_array_equal(run.label_map('label', i), label)
        np.testing.assert_array_equal(run.label_map('pred', i), pred)
        errors = error_map(run.label_map('pred', i), run.label_map('label', i),
                           run.ignore_index)
        assert (errors[label == -1] == IGNORED).all()
    assert (run.label_map('label', 0)[:3, :5] == 300).all()
    inter, _, predicted, labelled = run.areas.sum(0)
    np.testing.assert_array_equal(np.diag(run.confusion), inter)
    # exactly what a matrix of classes has no cell for
    label = torch.cat([s['gt_sem_seg']['data'].ravel()
                       for s in samples]).numpy()
    pred = torch.cat([s['pred_sem_seg']['data'].ravel()
                      for s in samples]).numpy()
    counted = label != -1
    inside = lambda v: (v >= 0) & (v < 19)  # noqa: E731
    pred_of_outside = np.bincount(pred[counted & ~inside(label) &
                                       inside(pred)], minlength=19)
    label_of_outside = np.bincount(label[counted & ~inside(pred) &
                                         inside(label)], minlength=19)
    assert pred_of_outside.sum() == 3 * 5 + 4 and label_of_outside.sum() > 0
    np.testing.assert_array_equal(run.confusion.sum(0),
                                  predicted - pred_of_outside)
    np.testing.assert_array_equal(run.confusion.sum(1),
                                  labelled - label_of_outside)


def test_sort_keys_are_exact():
    from inceptionnext_seg.visualization.report.page import num

    def key(cell):
        return re.search(r'data-v="([^"]*)"', cell).group(1)

    assert key(num(12345678, 0)) == '12345678'
    assert key(num(np.int64(12345999), 0)) == '12345999'
    assert key(num(2**53 + 1, 0)) == str(2**53 + 1)
    assert float(key(num(0.1 + 0.2))) == 0.1 + 0.2
    assert float(key(num(np.float32(1 / 3)))) == float(np.float32(1 / 3))
    assert key(num(None)) == ''


def test_pixels_are_exact_past_float32_and_the_metrics_iou_metrics():
    """A class of 2**24 + 3 labelled pixels over four images (areas as
    IoUMetric's float32 histograms): ClassIoUMetric's pixels are exact, as
    the report's are, and its IoU/Acc are IoUMetric's."""
    import torch
    per_image = [2**24 - 1, 2, 1, 1]  # float32 sum: 2**24 + 2 (rounded)
    results = []
    for n in per_image:
        labelled = torch.tensor([n, 5], dtype=torch.float32)
        inter = torch.tensor([n - 1, 4], dtype=torch.float32)
        predicted = torch.tensor([n, 6], dtype=torch.float32)
        results.append((inter, predicted + labelled - inter, predicted,
                        labelled))
    assert int(sum(r[3] for r in results)[0]) != sum(per_image)
    meta = dataset_meta(2)
    plain = IoUMetric(iou_metrics=['mIoU'])
    plain.dataset_meta = meta
    metric = ClassIoUMetric(iou_metrics=['mIoU'])
    metric.dataset_meta = meta
    assert metric.compute_metrics(results) == plain.compute_metrics(results)
    row = metric.per_class['class0']
    assert row['pixels'] == sum(per_image) == 2**24 + 3
    ret = IoUMetric.total_area_to_metrics(
        *(sum(r[k] for r in results) for k in range(4)), ['mIoU'])
    assert row['IoU'] == round(float(ret['IoU'][0]) * 100, 2)
    assert row['Acc'] == round(float(ret['Acc'][0]) * 100, 2)
    assert metric.per_class['class1']['pixels'] == 20


def test_confused_pairs_of_a_run_with_few_confusions(tmp_path):
    """Two confused cells among 150 classes: the list holds those two and
    never a diagonal cell (correct pixels), on the page too."""
    import copy
    samples = make_samples(tmp_path / 'images', n=2, num_classes=150)
    for s in samples:
        label = s['gt_sem_seg']['data']
        pred = label.clone()
        pred[label == 255] = 0
        s['pred_sem_seg']['data'] = pred
    first = samples[0]['gt_sem_seg']['data'][0]
    classes = [int(c) for c in first.unique() if c != 255][:2]
    assert len(classes) == 2
    wrong = copy.deepcopy(samples[0]['pred_sem_seg']['data'][0])
    where = [(first == c).nonzero()[0] for c in classes]
    wrong[tuple(where[0])] = classes[1]  # classes[0] predicted as [1]
    wrong[tuple(where[1])] = classes[0]  # and the other way
    samples[0]['pred_sem_seg']['data'][0] = wrong
    evaluate(ReportIoUMetric(report_dir=str(tmp_path / 'r'),
                             gallery_size=1), samples, 150)
    run = load_run(tmp_path / 'r')
    pairs = run.confused_pairs(30)
    assert sorted((p['label'], p['pred'], p['pixels']) for p in pairs) == \
        sorted([(f'class{classes[0]}', f'class{classes[1]}', 1),
                (f'class{classes[1]}', f'class{classes[0]}', 1)])
    page = (tmp_path / 'r' / 'index.html').read_text()
    rows = table_cells(page, 'confused-pairs')
    assert len(rows) == 2 and all(row[0] != row[1] for row in rows)


def test_confused_pairs_never_list_the_diagonal():
    """The reported bug: 'building -> building 2348 px' where fewer than n
    cells are off the diagonal."""
    from inceptionnext_seg.evaluation import RunResults
    confusion = np.array([[2348, 0, 3], [0, 900, 0], [0, 7, 500]])
    run = RunResults(classes=['building', 'sky', 'tree'],
                     palette=[[0, 0, 0]] * 3, names=[], img_paths=[],
                     areas=np.zeros((0, 4, 3), np.int64), confusion=confusion)
    assert [(p['label'], p['pred'], p['pixels'])
            for p in run.confused_pairs(30)] == [
        ('tree', 'sky', 7), ('building', 'tree', 3)]
    assert run.confused_pairs(1)[0]['pixels'] == 7
    assert RunResults(classes=['a', 'b'], palette=[[0, 0, 0]] * 2, names=[],
                      img_paths=[], areas=np.zeros((0, 4, 2), np.int64),
                      confusion=np.diag([5, 6])).confused_pairs() == []


def test_image_scores_are_each_images_own_iou(runs):
    """data/image_scores.csv: one row per image, its mIoU, pixel accuracy
    and each class's IoU, from the image's own pixels."""
    run = runs['cityscapes-like']
    with open(run['dir'] / 'data' / 'image_scores.csv') as f:
        rows = list(csv.DictReader(f))
    samples, n = run['samples'], run['num_classes']
    assert len(rows) == len(samples) == 7
    for row, sample in zip(rows, samples):
        assert row['img_path'].endswith(Path(sample['img_path']).name)
        iou = independent_iou([sample], n)
        for c in range(n):
            cell = row[f'IoU.class{c}']
            if np.isnan(iou[c]):
                assert cell == ''
            else:
                assert float(cell) == pytest.approx(iou[c], abs=0.006)
        assert float(row['mIoU']) == pytest.approx(np.nanmean(iou),
                                                   abs=0.006)
    loaded = load_run(run['dir'])
    assert [r['image'] for r in loaded.image_scores()] == loaded.names
