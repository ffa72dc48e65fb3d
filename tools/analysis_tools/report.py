"""Build the evaluation report from saved results, compare two runs, or
check a report in headless Chromium.

``tools/test.py CONFIG CKPT --report DIR`` writes DIR/index.html and the
per-image results it is built from (DIR/data/). This tool reads DIR/data/
again.

Examples:
    # rebuild runs/a/index.html, or the same elsewhere
    python tools/analysis_tools/report.py runs/a
    python tools/analysis_tools/report.py runs/a --out elsewhere/
    # compare two runs
    python tools/analysis_tools/report.py runs/a runs/b --out a_vs_b/
    # open it in Chromium
    python tools/analysis_tools/report.py runs/a --check --screenshot a.png
"""
import argparse
import sys
from pathlib import Path

from inceptionnext_seg.utils.quiet import quiet_library_warnings

quiet_library_warnings()  # before mmengine/mmcv/mmseg raise them at import

from inceptionnext_seg.evaluation import load_run
from inceptionnext_seg.visualization.report import (write_comparison,
                                                    write_report)
from inceptionnext_seg.visualization.report.browser import (find_chromium,
                                                            screenshot,
                                                            self_check)


def build_parser() -> argparse.ArgumentParser:
    """The command line of this tool (builds the parser, parses nothing)."""
    parser = argparse.ArgumentParser(
        description='Build the HTML evaluation report from the results '
        'tools/test.py --report saved (one run), or the comparison of two '
        'runs on the same images.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('runs', nargs='+', metavar='RUN',
                        help='report folders written by tools/test.py '
                        '--report, or work dirs holding them (the newest); '
                        'one: rebuild; two: compare the second with the '
                        'first')
    parser.add_argument('--out', help='where to write the page (default: '
                        'the run\'s folder; required to compare)')
    parser.add_argument('--names', nargs=2, default=('A', 'B'),
                        metavar=('FIRST', 'SECOND'),
                        help='short names of the compared runs')
    parser.add_argument('--images', type=int, default=8, metavar='K',
                        help='the K worst and best (or most changed) images')
    parser.add_argument('--check', action='store_true',
                        help='then open the page in headless Chromium and '
                        'print what loaded and how long it took')
    parser.add_argument('--screenshot', metavar='PNG',
                        help='then save a screenshot of the page')
    return parser


def parse_args(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if len(args.runs) > 2:
        parser.error(f'one run (rebuild) or two (compare), got '
                     f'{len(args.runs)}')
    if len(args.runs) == 2 and not args.out:
        parser.error('comparing two runs needs --out DIR')
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        runs = [load_run(r) for r in args.runs]
        for given, run in zip(args.runs, runs):
            if Path(given).resolve() not in (run.root.resolve(),
                                             run.root.resolve() / 'data'):
                print(f'{given}: the newest report in it, {run.root}')
        if len(runs) == 2 and runs[0].root.resolve() == \
                runs[1].root.resolve():
            raise ValueError(f'both runs are the report {runs[0].root}; '
                             f'compare two different reports')
        if len(runs) == 1:
            page = write_report(runs[0], args.out or runs[0].root,
                                gallery_size=args.images)
        else:
            page = write_comparison(runs[0], runs[1], args.out,
                                    gallery_size=args.images,
                                    labels=tuple(args.names))
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f'tools/analysis_tools/report.py: {error}')
    print(f'Report: {page}')
    size = sum(p.stat().st_size for p in page.parent.rglob('*')
               if p.is_file() and 'data' not in p.relative_to(
                   page.parent).parts)
    print(f'  page {page.stat().st_size / 1e6:.2f} MB, page + pictures '
          f'{size / 1e6:.2f} MB')
    if args.check or args.screenshot:
        if find_chromium() is None:
            sys.exit('tools/analysis_tools/report.py: --check/--screenshot '
                     'need Chromium '
                     '(Debian: apt-get install chromium)')
    if args.check:
        checked = self_check(page)
        print(f'  Chromium: {checked["images"]} pictures, '
              f'{len(checked["broken"])} broken, DOMContentLoaded '
              f'{_ms(checked.get("dom_content_loaded_ms"))}, load '
              f'{_ms(checked.get("load_ms"))} (Chromium run, start '
              f'included: {checked["wall_s"]:.1f} s)')
        if checked['broken']:
            sys.exit('tools/analysis_tools/report.py: pictures that did not '
                     'load: '
                     f'{checked["broken"][:5]}')
    if args.screenshot:
        print(f'  screenshot: {screenshot(page, args.screenshot)}')


def _ms(value) -> str:
    # Chromium may record no navigation timing (then the page has none).
    return 'n/a' if value is None else f'{value:.0f} ms'


if __name__ == '__main__':
    main()
