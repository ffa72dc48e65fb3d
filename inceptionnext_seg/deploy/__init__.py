"""Deployment: the whole segmentor as one exportable graph (preprocessing
included, sizes free), ONNX / TorchScript files, static INT8 ONNX, and their
verification against PyTorch. Imported by ``tools/export.py`` and
``tools/benchmark.py``; nothing here is registered."""
from .export import (add_metadata, export_onnx, export_torchscript,
                     metadata_for, read_metadata)
from .exportable import ExportableSegmentor, make_exportable
from .pipeline_images import PipelineImage, pipeline_images
from .quantize import INT8_TOLERANCE, quantize_int8, verify_on_images
from .verify import (TOLERANCE, onnx_runner, torchscript_runner,
                     verify)

__all__ = [
    'ExportableSegmentor', 'make_exportable', 'export_onnx',
    'export_torchscript', 'metadata_for', 'TOLERANCE', 'onnx_runner',
    'torchscript_runner', 'verify', 'PipelineImage', 'pipeline_images',
    'INT8_TOLERANCE', 'quantize_int8', 'verify_on_images', 'add_metadata',
    'read_metadata'
]
