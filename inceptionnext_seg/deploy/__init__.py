"""Deployment: the whole segmentor as one exportable graph (preprocessing
included, sizes free), ONNX / TorchScript files, and their verification
against PyTorch. Imported by ``tools/export.py``; nothing here is registered."""
from .export import export_onnx, export_torchscript, metadata_for
from .exportable import ExportableSegmentor, make_exportable
from .verify import (TOLERANCE, onnx_runner, torchscript_runner,
                     verify)

__all__ = [
    'ExportableSegmentor', 'make_exportable', 'export_onnx',
    'export_torchscript', 'metadata_for', 'TOLERANCE', 'onnx_runner',
    'torchscript_runner', 'verify'
]
