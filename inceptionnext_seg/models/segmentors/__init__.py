"""Segmentors (mmseg's ``MODELS``)."""
from .strict_encoder_decoder import StrictEncoderDecoder

__all__ = ['StrictEncoderDecoder']
