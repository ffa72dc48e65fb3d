"""EvaluationReportHook in this process: it renders the page of each test
metric that saved a run, leaves the others alone, and logs (does not raise)
a page it cannot write."""
import logging
from types import SimpleNamespace

from inceptionnext_seg.engine.hooks import EvaluationReportHook
from inceptionnext_seg.engine.hooks import evaluation_report_hook
from inceptionnext_seg.evaluation import ReportIoUMetric, load_run
from tests.helpers.report_runs import dataset_meta, make_samples


def saved_metric(tmp_path, **kwargs):
    """A ReportIoUMetric that has evaluated and saved three samples, its
    page not written."""
    metric = ReportIoUMetric(report_dir=str(tmp_path / 'r'), gallery_size=1,
                             **kwargs)
    metric.dataset_meta = dataset_meta(5)
    metric.process({}, make_samples(tmp_path / 'images', n=3, num_classes=5))
    metric.compute_metrics(metric.results)
    return metric


def runner_of(*metrics):
    return SimpleNamespace(test_evaluator=SimpleNamespace(
        metrics=list(metrics)))


def test_it_writes_the_page_of_the_saved_run(tmp_path):
    metric = saved_metric(tmp_path)
    page = tmp_path / 'r' / 'index.html'
    assert metric.saved_run is not None and not page.exists()
    other = SimpleNamespace()  # an IoUMetric: no saved_run
    hook = EvaluationReportHook()
    hook.after_test_epoch(runner_of(other, metric), {})
    assert hook.pages == [page] and page.is_file()
    assert load_run(tmp_path / 'r').names == metric.saved_run.names


def test_write_html_false_and_no_saved_run_write_nothing(tmp_path):
    metric = saved_metric(tmp_path, write_html=False)
    hook = EvaluationReportHook()
    hook.after_test_epoch(runner_of(metric), {})
    assert hook.pages == [] and not (tmp_path / 'r' / 'index.html').exists()
    # a process that computed no metrics (rank > 0): nothing saved, nothing
    # written
    fresh = ReportIoUMetric(report_dir=str(tmp_path / 'rank1'))
    hook.after_test_epoch(runner_of(fresh), {})
    assert hook.pages == [] and not (tmp_path / 'rank1').exists()


def test_a_page_that_fails_is_logged_not_raised(tmp_path, monkeypatch):
    metric = saved_metric(tmp_path)
    logged = []

    def fail(*args, **kwargs):
        raise PermissionError('read-only')

    monkeypatch.setattr(evaluation_report_hook, 'write_report', fail)
    monkeypatch.setattr(evaluation_report_hook, 'print_log',
                        lambda msg, **kw: logged.append((msg, kw)))
    hook = EvaluationReportHook()
    hook.after_test_epoch(runner_of(metric), {})
    assert hook.pages == []
    [(msg, kw)] = logged
    assert kw['level'] == logging.ERROR
    assert 'read-only' in msg and str(tmp_path / 'r') in msg
    assert f'tools/analysis_tools/report.py {tmp_path / "r"}' in msg
