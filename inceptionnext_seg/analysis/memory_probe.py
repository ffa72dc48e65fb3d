"""Peak memory of one train step, measured in a fresh process (the peak RSS
mark and CUDA's allocator start clean there):
``tools/analysis_tools/benchmark.py --parts memory`` runs one per row with
:func:`measure_in_fresh_process`.

    python -m inceptionnext_seg.analysis.memory_probe backbone \\
        'InceptionNeXt-T (ours)' --device cpu --batch 2 --size 512

prints one JSON line: ``peak_mb`` (CUDA max allocated on a GPU, peak RSS
growth on the CPU) and ``saved_mb`` (activations saved for backward)."""
import argparse
import json
import subprocess
import sys
from typing import Dict, List, Optional

__all__ = ['probe', 'measure_in_fresh_process']


def probe(kind: str, name: str, device: str, dtype: str,
          channels_last: bool, batch: int, size: int) -> Dict[str, float]:
    """Peak and saved-activation memory of one train step of ``name`` (a
    backbone; or 'HEAD|BACKBONE' for a segmentor), in this process."""
    import torch

    from .memory import (peak_rss_mb, reset_peak_rss, rss_mb,
                         saved_activations_mb)
    from .steps import Settings, backbone_steps, segmentor_steps
    s = Settings(device, dtype, channels_last)
    if kind == 'backbone':
        _, train, _, _ = backbone_steps(name, size, batch, s)
    else:
        head, backbone = name.split('|')
        _, train, _, _ = segmentor_steps(head, backbone, size, batch, s)
    if s.device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(s.device)
        train()
        peak = torch.cuda.max_memory_allocated(s.device) / 2**20
    else:
        # The first step from a clean process: every allocation it makes
        # (activations, gradients, workspaces) shows in the peak RSS.
        before = rss_mb()
        if not reset_peak_rss():
            raise SystemExit('cannot reset the peak RSS mark on this system')
        train()
        peak = peak_rss_mb() - before
    return dict(peak_mb=peak, saved_mb=saved_activations_mb(train))


def measure_in_fresh_process(kind: str, name: str, device: str, dtype: str,
                             channels_last: bool, batch: int, size: int,
                             threads: Optional[int] = None
                             ) -> Dict[str, float]:
    """:func:`probe` in a new interpreter (this module's command line)."""
    cmd = [sys.executable, '-m', __name__, kind, name, '--device', device,
           '--dtype', dtype, '--batch', str(batch), '--size', str(size)]
    if channels_last:
        cmd.append('--channels-last')
    if threads:
        cmd += ['--threads', str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('kind', choices=['backbone', 'segmentor'])
    parser.add_argument('name', help="a backbone, or 'HEAD|BACKBONE'")
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--dtype', default='fp32')
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--size', type=int, default=512)
    parser.add_argument('--threads', type=int)
    args = parser.parse_args(argv)
    from ..utils.quiet import quiet_library_warnings, set_log_level
    quiet_library_warnings()
    set_log_level('WARNING')
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    result = probe(args.kind, args.name, args.device, args.dtype,
                   args.channels_last, args.batch, args.size)
    sys.stdout.write(json.dumps(result) + '\n')


if __name__ == '__main__':
    main()
