"""Evaluate a checkpoint: aAcc, mIoU, mAcc and the per-class IoU table.

Examples:
    python tools/test.py configs/upernet_inceptionnext_t_ade20k.py CKPT.pth
    python tools/test.py CONFIG CKPT --tta          # multi-scale + flip
    python tools/test.py CONFIG CKPT --compile      # torch.compile (inductor)
    python tools/test.py CONFIG CKPT --out preds/   # ADE20K-encoded PNGs
    python tools/test.py CONFIG CKPT --report report/  # HTML evaluation report
    tools/dist_test.sh CONFIG CKPT 8
"""
import argparse
import json
import os.path as osp

from inceptionnext_seg.utils.quiet import quiet_library_warnings

quiet_library_warnings()  # before mmengine/mmcv/mmseg raise them at import

from mmengine.runner import Runner
from mmseg.registry import RUNNERS

from inceptionnext_seg.engine import end_cpu_processes
from inceptionnext_seg.engine.compile import compile_run
from inceptionnext_seg.engine.runner import SegRunner
from inceptionnext_seg.utils.tool_args import (add_common_args, add_hook,
                                               config_from_args)


def build_parser() -> argparse.ArgumentParser:
    """The command line of this tool (builds the parser, parses nothing)."""
    parser = argparse.ArgumentParser(
        description='Evaluate a checkpoint on the config\'s test set: aAcc, '
        'mIoU, mAcc and the per-class table, also written to '
        'WORK_DIR/<time>/test_metrics.json.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out', help='write predictions as PNG label maps in the dataset\'s '
        'own encoding (ADE20K: 1..150) to this dir')
    parser.add_argument('--show-dir',
                        help='write coloured overlays to this dir')
    parser.add_argument(
        '--report', metavar='DIR',
        help='write the evaluation report to DIR: DIR/index.html (open it '
        'in a browser; per-class table, confusion, worst and best images) '
        'and DIR/data/ (per-image results, confusion matrix as .npy and '
        '.csv, for tools/analysis_tools/report.py)')
    parser.add_argument('--report-images', type=int, default=8,
                        metavar='K',
                        help='with --report: the K worst and K best images')
    parser.add_argument('--tta', action='store_true',
                        help='multi-scale + flip test-time augmentation')
    add_common_args(parser)
    return parser


def parse_args():
    parser = build_parser()
    return parser.parse_args()


def use_report_metric(cfg, args) -> None:
    """Evaluate with ``ReportIoUMetric`` (the same numbers, and the
    report) in place of the config's IoU metric."""
    evaluators = cfg.test_evaluator if isinstance(
        cfg.test_evaluator, list) else [cfg.test_evaluator]
    iou = [e for e in evaluators if e.get('type') in
           ('IoUMetric', 'ClassIoUMetric', 'ReportIoUMetric',
            'mmseg.IoUMetric')]
    if not iou:
        raise SystemExit(f'--report needs an IoU metric in the config\'s '
                         f'test_evaluator; it has '
                         f'{[e.get("type") for e in evaluators]}')
    # The images are named by their path below the test set's image folder
    # (unique where the paths are, unlike file stems).
    dataset = cfg.test_dataloader.get('dataset', {})
    img_prefix = osp.join(dataset.get('data_root') or '',
                          (dataset.get('data_prefix') or {}).get(
                              'img_path', ''))
    iou[0].update(type='ReportIoUMetric', report_dir=args.report,
                  gallery_size=args.report_images,
                  img_prefix=img_prefix or None,
                  run_info=dict(config=args.config,
                                checkpoint=args.checkpoint, tta=args.tta))


def main():
    args = parse_args()
    cfg = config_from_args(args)
    cfg.load_from = args.checkpoint
    if args.show_dir:
        hook = cfg.default_hooks.visualization
        hook.draw = True
        visualizer = cfg.visualizer
        visualizer['save_dir'] = args.show_dir
    if args.tta:
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        evaluators = cfg.test_evaluator if isinstance(
            cfg.test_evaluator, list) else [cfg.test_evaluator]
        for evaluator in evaluators:
            evaluator['output_dir'] = args.out
            evaluator['keep_results'] = True
    if args.report is not None:
        use_report_metric(cfg, args)
        # renders the page from the metric's saved data (the configs have
        # it; a config of one's own may not)
        add_hook(cfg, 'EvaluationReportHook')
    add_hook(cfg, 'ProgressBarHook')
    runner = (Runner.from_cfg(cfg) if 'runner_type' not in cfg else
              RUNNERS.build(cfg))
    if not isinstance(runner, SegRunner):
        # --compile or the config's compile with mmengine's own Runner
        # (SegRunner compiles after its hooks' before_run and the load)
        compile_run(runner)
    metrics = runner.test()
    if runner.rank == 0:
        path = osp.join(runner.log_dir, 'test_metrics.json')
        per_class = [getattr(m, 'per_class', None)
                     for m in runner.test_evaluator.metrics]
        with open(path, 'w') as f:
            json.dump(dict(config=args.config, checkpoint=args.checkpoint,
                           tta=args.tta,
                           **{k: float(v) for k, v in metrics.items()},
                           per_class=next((p for p in per_class if p), None)),
                      f, indent=2)
        runner.logger.info(f'Metrics JSON (per-class table included): '
                           f'{path}')
    end_cpu_processes()


if __name__ == '__main__':
    main()
