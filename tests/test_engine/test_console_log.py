"""The console of a run (SegRunner): long blocks digested, the
per-class table reduced to the classes that occur, library notices left
out, a summary at the end; the log file keeps everything."""
import logging
import re
from pathlib import Path

from inceptionnext_seg.engine.console_log import (DigestFormatter,
                                                  LibraryNoticeFilter,
                                                  condensed_class_table)
from tests.helpers.tools import full_log

TABLE = '''
+---------+-------+-------+
|  Class  |  IoU  |  Acc  |
+---------+-------+-------+
|   wall  | 43.28 | 98.77 |
|   bed   |  nan  |  nan  |
|   sky   |  0.0  |  nan  |
|   car   |  nan  |  nan  |
+---------+-------+-------+'''


def test_the_class_table_keeps_the_classes_that_occur():
    shown = condensed_class_table(TABLE)
    assert '|   wall  | 43.28 | 98.77 |' in shown
    assert '|   sky   |  0.0  |  nan  |' in shown  # predicted, not labelled
    assert 'bed' not in shown and 'car' not in shown
    assert shown.splitlines()[-1].startswith('(2 of 4 classes')
    assert condensed_class_table('| not | a table |') is None


def record(message, level=logging.INFO):
    return logging.LogRecord('mmengine', level, __file__, 1, message, (),
                             None)


def test_the_digest_leaves_the_record_whole_for_the_log_file():
    formatter = DigestFormatter(logging.Formatter('%(message)s'), 'RUN.log')
    config = record("Config:\nmodel = dict(\n    type='X')\n")
    assert formatter.format(config) == (
        'Config: 3 lines, in the log file RUN.log (and as a .py file in the '
        'work dir)')
    assert config.getMessage().startswith('Config:\nmodel = dict(')
    plain = record('Iter(train) [1/4]  loss: 1.0')
    assert formatter.format(plain) == 'Iter(train) [1/4]  loss: 1.0'
    notice = LibraryNoticeFilter()
    assert not notice.filter(record(
        'The prefix is not set in metric class IoUMetric.', logging.WARNING))
    assert notice.filter(plain)


def test_an_error_paragraph_without_mmengines_source_location():
    """mmengine's formatter puts the file, function and line of its own
    print_log before every error (``MMFormatter.err_format``, pinned here):
    the console shows the project's error paragraphs without it, tracebacks
    keep it, the log file's formatter is not changed."""
    from mmengine.logging.logger import MMFormatter
    base = MMFormatter(color=False, datefmt='%m/%d %H:%M:%S')
    assert '%(pathname)s - %(funcName)s - %(lineno)d - ' in base.err_format
    formatter = DigestFormatter(base, 'RUN.log')
    error = record('The ImageNet weights could not be fetched.',
                   logging.ERROR)
    shown = formatter.format(error)
    assert shown.endswith(' - ERROR - The ImageNet weights could not be '
                          'fetched.'), shown
    assert __file__ not in shown and 'record' not in shown
    assert __file__ in base.format(error)  # the formatter itself is as it was
    try:
        raise ValueError('boom')
    except ValueError:
        import sys
        error.exc_info = sys.exc_info()
    assert __file__ in formatter.format(error)


def test_the_per_parameter_optimizer_lines_are_one_line():
    """mmengine's optimizer constructor logs one line per parameter with a
    paramwise setting (78 for UperNet-T): the console shows one."""
    formatter = DigestFormatter(logging.Formatter('%(message)s'), 'RUN.log')
    notice = LibraryNoticeFilter()
    lines = [record(f'paramwise_options -- backbone.stem.{i}.bias:'
                    f'weight_decay=0.0') for i in range(78)]
    shown = [formatter.format(line) for line in lines if notice.filter(line)]
    assert shown == ['Per-parameter optimizer settings (paramwise_cfg, e.g. '
                     'no weight decay on norms), one line each: in the log '
                     'file RUN.log']
    assert lines[5].getMessage().startswith('paramwise_options -- ')


def test_a_training_runs_console_and_its_log_file(trained):
    work_dir, result = trained
    console = result.stdout + result.stderr
    log = full_log(work_dir)
    # The config and the environment: one line each on the console, whole in
    # the log file.
    assert re.search(r'Config: \d+ lines, in the log file ', console)
    assert "type='StrictEncoderDecoder'" not in console
    assert "type='StrictEncoderDecoder'" in log
    assert 'System and runtime environment: in the log file' in console
    assert 'Runtime environment:' in log
    # Per-class tables: the classes that occur on the console, all 150 in
    # the log file.
    bicycle = r'\|\s+bicycle\s+\|\s+nan\s+\|\s+nan\s+\|'
    assert not re.search(bicycle, console) and re.search(bicycle, log)
    assert 'not shown; the log file has the full table' in console
    # How long it will take, said after the second of its 4 iterations.
    assert re.search(r'Training pace: [\d.]+ s per iteration; the remaining '
                     r'2 iterations take about \d+ s at this pace', console)
    # mmengine's notices about its own API stay in the log file.
    assert 'The prefix is not set in metric class' not in console
    assert 'The prefix is not set in metric class' in log
    # The end: metrics and where the files are.
    summary = console[console.rindex('Training done'):]
    assert re.search(r'metrics: aAcc [\d.]+  mIoU [\d.]+  mAcc [\d.]+',
                     summary)
    for name in ('last checkpoint', 'best checkpoint', 'training curves',
                 'full log'):
        path = re.search(rf'{name}: +(\S+)', summary).group(1)
        assert Path(path).exists(), (name, path)
    assert len(console.splitlines()) < 120, len(console.splitlines())


def test_no_warning_from_the_projects_own_code(demo_data, tmp_path):
    """A training run with Python's default warnings: none is raised by
    this project's code (a library's may be, outside our control). The
    project's modules are imported anew by the run (the tool server has
    imported only the libraries)."""
    from tests.helpers.tools import DEMO_CONFIG, run_tool, tiny_run_options
    result = run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', tmp_path,
                      '--cfg-options',
                      *tiny_run_options(demo_data),
                      env={'PYTHONWARNINGS': 'default'})
    warned = re.findall(r'^(\S+\.py):\d+: \w*Warning', result.stderr, re.M)
    ours = [path for path in warned
            if re.search(r'/(backbones|inceptionnext_seg|tools)/', path)]
    assert not ours, result.stderr[-3000:]
