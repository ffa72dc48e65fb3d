"""mmseg's data preprocessor handing the batch over in channels-last memory
format (``tools/analysis_tools/benchmark.py`` shows where it pays;
docs/speed.md)."""
import torch
from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS

__all__ = ['ChannelsLastSegDataPreProcessor']


@MODELS.register_module()
class ChannelsLastSegDataPreProcessor(SegDataPreProcessor):
    """``SegDataPreProcessor`` returning channels-last (NHWC-strided) inputs.

    Switch a config to it with
    ``model = dict(data_preprocessor=dict(
    type='ChannelsLastSegDataPreProcessor'))``.
    Results are unchanged; only the memory layout differs.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        data = super().forward(data, training)
        data['inputs'] = data['inputs'].contiguous(
            memory_format=torch.channels_last)
        return data
