"""The binary template's recipes compared on a generated imbalanced dataset
(one drawn class against the rest, stored 0/255 as annotation tools write
it): the softmax head as the template has it, the same with the class
weights the inspector prints (median frequency balancing), and one channel
with a sigmoid and a threshold of 0.5. Each trains the template
(configs/custom/upernet_inceptionnext_t_binary.py) on the atto backbone
from scratch (no ImageNet weights: offline), 64x64 crops, batch 4, AdamW at
lr 1e-3 (the template's 6e-5 is for ImageNet-initialised backbones), then
prints each class's IoU on the validation images.

Example (the figures in docs/datasets.md):
    python tools/dev/binary_recipes.py --work-dir work_dirs/binary_recipes
"""
import argparse
import json
from pathlib import Path

from inceptionnext_seg.utils.quiet import quiet_library_warnings

quiet_library_warnings()  # before mmengine/mmcv/mmseg raise them at import

from mmengine.registry import init_default_scope  # noqa: E402
from mmseg.registry import DATASETS, RUNNERS  # noqa: E402

from inceptionnext_seg.datasets.inspection import (  # noqa: E402
    folder_dataset_config, inspect_dataset)
from inceptionnext_seg.datasets.synthetic_ade20k import \
    make_binary_like  # noqa: E402
from inceptionnext_seg.utils.config import load_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / 'configs' / 'custom' / 'upernet_inceptionnext_t_binary.py'
VARIANTS = ('softmax', 'softmax_weighted', 'sigmoid')


def build_parser() -> argparse.ArgumentParser:
    """The command line of this tool (builds the parser, parses nothing)."""
    parser = argparse.ArgumentParser(
        description='Train the binary template three ways (softmax, softmax '
        'with the inspector\'s class weights, sigmoid with a threshold) on '
        'a generated imbalanced binary dataset and print each class\'s IoU.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--work-dir', required=True,
                        help='where the data and the runs go')
    parser.add_argument('--iters', type=int, default=300,
                        help='training iterations of each recipe')
    parser.add_argument('--foreground', default='car',
                        help='the drawn class against the rest (car: a few '
                        'percent of the pixels; sky: a third)')
    parser.add_argument('--train', type=int, default=32,
                        help='training images')
    parser.add_argument('--val', type=int, default=16,
                        help='validation images')
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS),
                        choices=VARIANTS, help='the recipes to train')
    return parser


def class_weights(data: Path) -> list:
    """The inspector's weights of the training masks."""
    init_default_scope('mmseg')
    dataset = DATASETS.build(dict(folder_dataset_config(
        str(data / 'images' / 'train'), str(data / 'masks' / 'train'),
        reduce_zero_label=False, classes_file=str(data / 'classes.txt'),
        value_map={255: 1}), lazy_init=True))
    report = inspect_dataset(dataset, 'train')
    return report.class_weights, report.class_pixels


def small_run(variant: str, data: Path, work_dir: Path, iters: int,
              weights: list):
    """The template on atto, 64x64 crops, ``iters`` iterations."""
    cfg = load_config(str(TEMPLATE))
    classes = (data / 'classes.txt').read_text().split()
    for key in ('train', 'val', 'test'):
        loader = cfg[f'{key}_dataloader']
        loader.dataset.data_root = str(data)
        loader.dataset.metainfo.classes = tuple(classes)
        loader.num_workers, loader.persistent_workers = 0, False
    cfg.train_dataloader.batch_size = 4
    norm = dict(type='BN', requires_grad=True)
    cfg.model.backbone.update(arch='atto', init_cfg=None, norm_cfg=norm,
                              drop_path_rate=0.0)
    cfg.model.decode_head.update(in_channels=[40, 80, 160, 320],
                                 channels=64, norm_cfg=norm)
    cfg.model.auxiliary_head.update(in_channels=160, channels=32,
                                    norm_cfg=norm)
    for head in (cfg.model.decode_head, cfg.model.auxiliary_head):
        if variant == 'softmax_weighted':  # as class_weight = [...] does
            head.loss_decode.update(type='WeightedCrossEntropyLoss',
                                    class_weight=weights)
        if variant == 'sigmoid':
            head.update(out_channels=1, threshold=0.5)
            head.loss_decode.use_sigmoid = True
    cfg.model.data_preprocessor.size = (64, 64)
    pipeline = cfg.train_dataloader.dataset.pipeline
    pipeline[2].scale, pipeline[3].crop_size = (128, 96), (64, 64)
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.pipeline[1].scale = (128, 96)
    cfg.optim_wrapper.optimizer.lr = 1e-3
    warmup = max(1, iters // 10)
    cfg.param_scheduler[0].end = warmup
    cfg.param_scheduler[1].update(begin=warmup, end=iters)
    cfg.train_cfg.update(max_iters=iters, val_interval=iters)
    cfg.default_hooks.logger.interval = max(1, iters // 10)
    cfg.default_hooks.checkpoint.update(interval=iters, save_best=None,
                                        save_optimizer=False)
    cfg.work_dir, cfg.launcher = str(work_dir / variant), 'none'
    runner = RUNNERS.build(cfg)
    runner.train()
    return runner.val_evaluator.metrics[0].per_class


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    work_dir = Path(args.work_dir)
    data = make_binary_like(work_dir / 'data', args.train, args.val,
                            (96, 128), args.foreground, 255)
    weights, pixels = class_weights(data)
    results = {}
    for variant in args.variants:
        per_class = small_run(variant, data, work_dir, args.iters, weights)
        results[variant] = {name: row['IoU'] for name, row in
                            per_class.items()}
    share = pixels[1] / sum(pixels)
    lines = [f'{args.train} training / {args.val} validation images '
             f'(96x128), {args.foreground} {share:.1%} of the training '
             f'pixels; class weights {weights}; {args.iters} iterations',
             '| recipe | ' + ' | '.join(
                 f'IoU {n}' for n in next(iter(results.values())))
             + ' | mIoU |', '|---|---|---|---|']
    for variant, ious in results.items():
        values = [v if v is not None else float('nan')
                  for v in ious.values()]
        lines.append(f'| {variant} | ' + ' | '.join(f'{v:.2f}'
                                                    for v in values)
                     + f' | {sum(values) / len(values):.2f} |')
    print('\n'.join(lines))
    (work_dir / 'results.json').write_text(json.dumps(dict(
        weights=weights, pixels=pixels, iou=results), indent=1))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
