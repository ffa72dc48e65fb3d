"""Compare finished runs with the paper in one table.

For each work dir: the config (the copy mmengine dumps into the work dir,
with every --cfg-options of the run), the single-scale and multi-scale +
flip mIoU of the newest `tools/test.py` results found under it
(`test_metrics.json`; without a single-scale test, the best validation mIoU
of training, marked "val"), the paper's mIoU, and the parameters and MACs
at the paper's input size (UperNet 512x2048, FPN 512x512).

Example:
    python tools/test.py configs/upernet_inceptionnext_t_ade20k.py \
        work_dirs/upernet_inceptionnext_t_ade20k/best_mIoU_iter_160000.pth \
        --tta --work-dir work_dirs/upernet_inceptionnext_t_ade20k/test_ms
    python tools/analysis_tools/summarize.py work_dirs/*_inceptionnext_*
"""
import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional

from inceptionnext_seg.utils.quiet import quiet_library_warnings

quiet_library_warnings()  # before mmengine/mmcv/mmseg raise them at import

from inceptionnext_seg.analysis import (MACS_SHAPE, PAPER_ADE20K,
                                        segmentor_complexity)
from inceptionnext_seg.utils.config import (build_segmentor_for_analysis,
                                            load_config)
from inceptionnext_seg.utils.markdown import table


def newest_test(work_dir: Path, tta: bool) -> Optional[dict]:
    # each test run writes RUN_DIR/<start time>/test_metrics.json
    paths = sorted(work_dir.rglob('test_metrics.json'),
                   key=lambda p: p.parent.name)
    found = [json.loads(p.read_text()) for p in paths]
    found = [m for m in found if bool(m.get('tta')) == tta]
    return found[-1] if found else None


def best_validation(work_dir: Path) -> Optional[float]:
    curves = work_dir / 'training_curves.json'
    if not curves.is_file():
        return None
    values = [m['mIoU'] for _, m in json.loads(curves.read_text())['val']
              if 'mIoU' in m]
    return max(values) if values else None


def run_config(work_dir: Path) -> Path:
    """The config mmengine dumped into the work dir."""
    dumped = sorted(work_dir.glob('*.py'))
    if len(dumped) != 1:
        raise SystemExit(f'{work_dir}: expected the one config file mmengine '
                         f'writes into a work dir, found '
                         f'{[p.name for p in dumped]}.')
    return dumped[0]


def summarize(work_dir: Path, macs: bool) -> List:
    if not work_dir.is_dir():
        raise SystemExit(f'{work_dir}: no such work dir.')
    config = run_config(work_dir)
    ss = newest_test(work_dir, tta=False)
    ms = newest_test(work_dir, tta=True)
    if ss:
        single = f'{ss["mIoU"]:.2f}'
    else:
        val = best_validation(work_dir)
        single = f'{val:.2f} (val)' if val is not None else '-'
    multi = f'{ms["mIoU"]:.2f}' if ms else '-'
    paper = PAPER_ADE20K.get(config.stem)
    paper_text = f'{paper["miou"]} ({paper["test"]})' if paper else '-'
    params = flops = '-'
    if macs:
        cfg = load_config(str(config))
        options = None
        if cfg.model.type == 'SegTTAModel':  # dumped by a `test.py --tta`
            options = {'model': dict(cfg.model.module, _delete_=True)}
            cfg.model = cfg.model.module
        shape = MACS_SHAPE.get(cfg.model.decode_head.type, (512, 512))
        model = build_segmentor_for_analysis(str(config), options)
        count, mac = segmentor_complexity(model, shape)
        params = f'{count / 1e6:.2f}M'
        flops = f'{mac / 1e9:.1f}G at {shape[0]}x{shape[1]}'
        if paper:
            params += f' (paper {paper["params"]}M)'
            flops += f' (paper {paper["macs"]}G)'
    return [str(work_dir), config.stem, f'{single} / {multi}', paper_text,
            params, flops]


def build_parser() -> argparse.ArgumentParser:
    """The command line of this tool (builds the parser, parses nothing)."""
    parser = argparse.ArgumentParser(
        description='Compare finished runs with the paper in one table: '
        'mIoU of the newest tests (single-scale and multi-scale), the '
        'paper\'s mIoU, parameters and MACs at the paper\'s input size.')
    parser.add_argument('work_dirs', nargs='+', type=Path,
                        help='work dirs of finished runs (one row each)')
    parser.add_argument('--no-macs', action='store_true',
                        help='skip building the models (parameters, MACs)')
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    rows = [summarize(d, not args.no_macs) for d in args.work_dirs]
    # The paper has ADE20K figures only: a run of another config (a dataset
    # of your own) gets no comparison, and the title does not claim one.
    title = ('These runs against the paper (ADE20K)'
             if any(row[3] != '-' for row in rows) else
             'These runs (no config of the paper among them: no paper '
             'figures)')
    print(table(title,
                ['run (work dir)', 'config', 'mIoU ss / ms (this run)',
                 'paper mIoU',
                 'params', 'MACs'], rows))


if __name__ == '__main__':
    sys.exit(main())
