"""Parameters and MACs: of a segmentor as ``tools/analysis_tools/get_flops.py``
and ``tools/analysis_tools/summarize.py`` print them (mmengine's counter), and
of any forward pass (``torch.utils.flop_counter``,
``tools/analysis_tools/benchmark.py``)."""
import contextlib
import logging
from typing import Callable, Iterator

import torch

__all__ = ['segmentor_complexity', 'count_macs', 'params_m']


def segmentor_complexity(model: torch.nn.Module, shape) -> tuple:
    """(parameters, MACs) of a segmentor at input ``shape`` (H, W), with
    mmengine's complexity counter, as ``tools/analysis_tools/get_flops.py``
    prints them: parameters of every head, MACs of the inference path
    (backbone, neck, decode head; the auxiliary head runs only in training).
    The counter's warnings about operators it does not count (element-wise
    ones, about 20 lines; they count 0 in every published figure it gives)
    are left out."""
    from mmengine.analysis import get_model_complexity_info
    params = sum(p.numel() for p in model.parameters())
    with torch.no_grad(), _without_counter_warnings():
        info = get_model_complexity_info(
            model.eval(), inputs=(torch.zeros(1, 3, *shape), ),
            show_table=False, show_arch=False)
    return params, info['flops']


#: How mmengine's counter starts the warnings it gives for every model.
COUNTER_WARNINGS = ('Unsupported operator ',
                    'The following submodules of the model were never called')


class _CounterWarningFilter(logging.Filter):

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(COUNTER_WARNINGS)


@contextlib.contextmanager
def _without_counter_warnings() -> Iterator[None]:
    """mmengine's counter logs through the current MMLogger; its handlers
    leave those lines out while this runs."""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    quiet = _CounterWarningFilter()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


def count_macs(model: torch.nn.Module, forward: Callable) -> float:
    from torch.utils.flop_counter import FlopCounterMode
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        forward()
    return counter.get_total_flops() / 2


def params_m(model: torch.nn.Module) -> float:
    return sum(p.numel() for p in model.parameters()) / 1e6
