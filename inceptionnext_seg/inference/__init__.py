"""Inference without torch: the inputs and outputs of the inference tools, ONNX
Runtime on an exported file, and the file's metadata. Needs only onnxruntime,
numpy and OpenCV (``tools/deployment/infer_onnx.py``); ``tools/infer.py`` uses
the same inputs and outputs. Nothing here is registered, and nothing here
imports torch or mmseg (tests/test_inference/test_torch_free.py)."""
from .media import (IMAGE_SUFFIXES, UNREADABLE, VIDEO_CODECS, VIDEO_SUFFIXES,
                    Inputs, Item, Progress, Writer, add_output_arguments,
                    check_outputs, count_items, find_inputs, read_items)
from .metadata import describe, read_metadata
from .onnx_runner import open_session, paint, segment

__all__ = [
    'IMAGE_SUFFIXES', 'VIDEO_SUFFIXES', 'VIDEO_CODECS', 'UNREADABLE',
    'Inputs', 'Item', 'Progress', 'Writer', 'add_output_arguments',
    'check_outputs', 'count_items', 'find_inputs', 'read_items', 'describe',
    'read_metadata', 'open_session', 'paint', 'segment'
]
