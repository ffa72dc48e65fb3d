"""Measuring models (``tools/analysis_tools/get_flops.py``,
``tools/analysis_tools/benchmark.py``, ``tools/analysis_tools/summarize.py``):
parameters and MACs, timing, memory, the paper's results to compare with; the
benchmark's models (``models``), steps and TF32 policy (``steps``), its
fresh-process memory probe (``memory_probe``) and the CPU inference ladder
(``cpu_ladder``). Nothing here is registered."""
from .cpu_ladder import (choose_path, cpu_features, fastest_verified,
                         ladder_for_this_cpu, ladder_head,
                         ladder_record_path, save_ladder)
from .complexity import count_macs, params_m, segmentor_complexity
from .memory import peak_rss_mb, reset_peak_rss, rss_mb, saved_activations_mb
from .paper import MACS_SHAPE, PAPER_ADE20K
from .timing import interleaved, sync

__all__ = [
    'count_macs', 'params_m', 'segmentor_complexity', 'peak_rss_mb',
    'reset_peak_rss', 'rss_mb', 'saved_activations_mb', 'MACS_SHAPE',
    'PAPER_ADE20K', 'interleaved', 'sync', 'cpu_features',
    'fastest_verified', 'ladder_record_path', 'save_ladder',
    'ladder_for_this_cpu', 'ladder_head', 'choose_path'
]
