"""Write a clean InceptionNeXt backbone checkpoint from any supported source.

Reads the official release files, timm's files (pytorch_model.bin,
model.safetensors), wrapped or prefixed state dicts and mmseg segmentor
checkpoints, without unpickling code, drops the classification head, checks the
result against the backbone of ``--arch`` (detected if omitted) and writes
``{'state_dict': ..., 'meta': {'arch': ...}}``, or a .safetensors file.

Example:
    python tools/model_converters/convert_weights.py inceptionnext_tiny.pth \
        pretrained/inceptionnext_tiny_backbone.pth
"""
import argparse
import sys
from pathlib import Path

from inceptionnext_seg.utils.quiet import quiet_library_warnings

quiet_library_warnings()  # before mmengine/mmcv/mmseg raise them at import

import torch

from backbones import InceptionNeXt, describe_arch, read_backbone_weights
from inceptionnext_seg.checkpoint import CheckpointError


def build_parser() -> argparse.ArgumentParser:
    """The command line of this tool (builds the parser, parses nothing)."""
    parser = argparse.ArgumentParser(
        description='Write a clean InceptionNeXt backbone checkpoint (the '
        'backbone\'s tensors, checked against its variant) from any supported '
        'source: the official release, timm\'s files, wrapped or prefixed '
        'state dicts, mmseg segmentor checkpoints.')
    parser.add_argument('src', help='checkpoint path, URL or timm hub id')
    parser.add_argument('dst', help='output file (.pth or .safetensors)')
    parser.add_argument(
        '--arch', choices=sorted(InceptionNeXt.arch_settings),
        help='variant to check against (default: detected from the weights)')
    return parser


def parse_args(argv=None):
    parser = build_parser()
    return parser.parse_args(argv)


def detect_arch(state) -> str:
    arch = InceptionNeXt.arch_of(state)
    if arch is None:
        raise CheckpointError(
            f'The weights ({describe_arch(state)}) match no InceptionNeXt '
            f'variant of {sorted(InceptionNeXt.arch_settings)}.')
    return arch


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        state = read_backbone_weights(args.src)
        arch = args.arch or detect_arch(state)
        InceptionNeXt(arch=arch).load_weights(state, args.src)
    except CheckpointError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    dst = Path(args.dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + '.tmp')
    if dst.suffix == '.safetensors':
        from safetensors.torch import save_file
        save_file({k: v.contiguous() for k, v in state.items()}, str(tmp),
                  metadata={'arch': arch})
    else:
        torch.save({'state_dict': state, 'meta': {'arch': arch}}, tmp)
    tmp.replace(dst)
    print(f'wrote {len(state)} tensors of InceptionNeXt-{arch} to {dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
