"""Models: the strict segmentor and the channels-last data preprocessor
(mmseg's ``MODELS``)."""
from .data_preprocessor import ChannelsLastSegDataPreProcessor
from .segmentors import StrictEncoderDecoder

__all__ = ['ChannelsLastSegDataPreProcessor', 'StrictEncoderDecoder']
