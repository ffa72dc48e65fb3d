"""Segmenting images, folders, globs and videos with a config and its
checkpoint, as ``tools/infer.py`` does (mmseg's ``mmseg.apis`` for the
model, this project's inference layer for inputs and outputs):

==================  ========================================================
``cpu_path``        which inference path a CPU run takes (this CPU's
                    ladder, an exported file's precision and check)
``segment_inputs``  batches of one size, eager or ONNX Runtime, the
                    pictures and label maps written
==================  ========================================================
"""
from .cpu_path import check_onnx_batch, choose_cpu_path, onnx_batch, onnx_file
from .segment_inputs import (counts_from_one, inference_pipeline, predict,
                             segment)

__all__ = ['onnx_file', 'onnx_batch', 'check_onnx_batch', 'choose_cpu_path',
           'inference_pipeline', 'predict', 'counts_from_one', 'segment']
