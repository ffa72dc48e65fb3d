"""The built-in example (`make demo`): generate a small ADE20K-format dataset,
train InceptionNeXt-atto + Semantic FPN on it on the CPU (a few minutes),
evaluate the best checkpoint and write coloured predictions.

It runs the same commands a user runs on ADE20K, and prints them.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CONFIG = 'configs/demo/fpn_inceptionnext_atto_demo.py'
DATA_ROOT = 'data/ade_demo/ADEChallengeData2016'


def run(cmd):
    print('\n$ ' + ' '.join(cmd), flush=True)
    subprocess.run([sys.executable] + cmd, cwd=ROOT, check=True)


def main():
    parser = argparse.ArgumentParser(
        description='The built-in example (make demo): generate a small '
        'ADE20K-format dataset, train InceptionNeXt-atto + Semantic FPN on it '
        'on the CPU, evaluate the best checkpoint and write coloured '
        'predictions.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/demo',
                        help='where the run writes its files')
    parser.add_argument('--iters', type=int, default=None,
                        help='training iterations (default: the config\'s '
                        '600)')
    args = parser.parse_args()

    from inceptionnext_seg.datasets.synthetic_ade20k import make_ade20k_like
    if not (ROOT / DATA_ROOT / 'images').is_dir():
        print(f'Generating the demo dataset in {DATA_ROOT} ...', flush=True)
        make_ade20k_like(ROOT / DATA_ROOT)
    work_dir = Path(args.work_dir)
    train = ['tools/train.py', CONFIG, '--work-dir', str(work_dir)]
    if args.iters:
        train += ['--cfg-options', f'train_cfg.max_iters={args.iters}']
    run(train)
    best = sorted(work_dir.glob('best_mIoU_iter_*.pth'))
    checkpoint = best[-1] if best else work_dir / (
        (work_dir / 'last_checkpoint').read_text().strip())
    out = work_dir / 'predictions'
    run(['tools/test.py', CONFIG, str(checkpoint), '--work-dir',
         str(work_dir / 'test'), '--out', str(out / 'labels'),
         '--show-dir', str(out / 'coloured')])
    metrics = sorted((work_dir / 'test').glob('*/test_metrics.json'))[-1]
    result = json.loads(metrics.read_text())
    print(f'\nDemo done: mIoU {result["mIoU"]:.2f} (aAcc {result["aAcc"]:.2f}, '
          f'mAcc {result["mAcc"]:.2f}) on the demo validation set.\n'
          f'Checkpoint:           {checkpoint}\n'
          f'Training curves:      {work_dir / "training_curves.png"}\n'
          f'ADE20K-encoded PNGs:  {out / "labels"}\n'
          f'Coloured predictions: {out / "coloured"}/vis_data/vis_image')


if __name__ == '__main__':
    main()
