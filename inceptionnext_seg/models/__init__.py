"""Models: the strict segmentor, the channels-last data preprocessor and
the class-weighted cross-entropy (mmseg's ``MODELS``)."""
# First: the start-up check (once per process), before mmseg is imported.
from ..environment import check_environment_once  # noqa: I001

check_environment_once()
from .data_preprocessor import ChannelsLastSegDataPreProcessor  # noqa: E402
from .losses import WeightedCrossEntropyLoss  # noqa: E402
from .segmentors import StrictEncoderDecoder  # noqa: E402

__all__ = ['ChannelsLastSegDataPreProcessor', 'StrictEncoderDecoder',
           'WeightedCrossEntropyLoss']
