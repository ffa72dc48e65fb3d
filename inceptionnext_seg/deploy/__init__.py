"""Deployment: the whole segmentor as one exportable graph (preprocessing
included, sizes free), ONNX / TorchScript files, static INT8 ONNX, their
verification against PyTorch and the policy deciding it all (``policy``:
thresholds, the verification record, the inference paths). Imported by
``tools/deployment/export.py``, ``tools/infer.py`` and
``tools/analysis_tools/benchmark.py``; nothing here is registered.

The names below are loaded on first use (PEP 562), so that the torch-free
``deploy.policy`` can be imported where torch is not installed
(``inceptionnext_seg.inference``, ``tools/deployment/infer_onnx.py``). No
submodule bears the name of a function here (importing it would bind the
package's attribute to the module)."""
import importlib
from typing import Any

# name -> the submodule that defines it
_NAMES = {
    'export_onnx': 'export', 'export_torchscript': 'export',
    'metadata_for': 'export', 'add_metadata': 'export',
    'read_metadata': 'export', 'reduce_zero_label': 'export',
    'ExportableSegmentor': 'exportable', 'make_exportable': 'exportable',
    'PipelineImage': 'images', 'pipeline_images': 'images',
    'quantize_int8': 'quantize', 'verify_on_images': 'quantize',
    'int8_failure_advice': 'quantize',
    'onnx_runner': 'verification',
    'torchscript_runner': 'verification',
    'verify': 'verification',
    'TOLERANCE': 'policy', 'INT8_TOLERANCE': 'policy',
    'Verification': 'policy', 'InferencePath': 'policy',
    'export_checked': 'checked', 'quantize_checked': 'checked',
    'CheckFailed': 'checked',
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    if name not in _NAMES:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    module = importlib.import_module(f'.{_NAMES[name]}', __name__)
    return getattr(module, name)


def __dir__():
    return sorted(list(globals()) + __all__)
