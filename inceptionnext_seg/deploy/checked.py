"""The export policy, applied the same way by every tool that writes a file
others will run (``tools/deployment/export.py``,
``tools/analysis_tools/benchmark.py --parts ladder``): check the file against
PyTorch, delete it where the check fails, and stamp the passed check into an
ONNX file's ``verification`` metadata, which ``tools/infer.py --fastest`` and
``tools/deployment/infer_onnx.py`` trust."""
import os
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

from .export import add_metadata
from .images import PipelineImage
from .policy import INT8_TOLERANCE, TOLERANCE, Verification
from .quantize import quantize_int8, verify_on_images
from .verification import onnx_runner, verify

__all__ = ['CheckFailed', 'export_checked', 'quantize_checked']


class CheckFailed(RuntimeError):
    """The file disagreed with PyTorch beyond the policy's tolerance and
    was deleted.

    Args:
        message: what failed, the tolerance and the deleted path.
        report: the check's figures (a list per size for float32, one dict
            for int8).
    """

    def __init__(self, message: str, report):
        super().__init__(message)
        self.report = report


def export_checked(run: Callable[[torch.Tensor], torch.Tensor],
                   wrapper: torch.nn.Module, path: str,
                   shapes: List[Sequence[int]],
                   stamp: bool = True) -> List[Dict]:
    """The float32 check on random images at each of ``shapes``
    (:func:`~inceptionnext_seg.deploy.verification.verify`, judged by
    :data:`~inceptionnext_seg.deploy.policy.TOLERANCE`).

    Args:
        run: the exported file as a function of an image tensor.
        wrapper: the PyTorch model it was exported from.
        path: the exported file: deleted where the check fails.
        shapes: the (H, W) sizes to check.
        stamp: write the passed check into the file's metadata (ONNX files;
            a TorchScript file carries no metadata).

    Returns:
        The per-size report.

    Raises:
        CheckFailed: where a size is outside the tolerance (``path`` is
            deleted; the report is on the exception).
    """
    report = verify(run, wrapper, shapes)
    if not all(r['ok'] for r in report):
        os.remove(path)
        raise CheckFailed(f'the export disagrees with PyTorch beyond the '
                          f'tolerance {TOLERANCE}; {path} was deleted.',
                          report)
    if stamp:
        add_metadata(path, Verification.today(
            min(r['agreement'] for r in report), 'random images',
            len(report)).to_metadata())
    return report


def quantize_checked(fp32_path: str, out_path: str,
                     calibration: Sequence[np.ndarray],
                     held_out: List[PipelineImage],
                     wrapper: torch.nn.Module, num_classes: int,
                     source: str, metadata: Optional[Dict] = None,
                     threads: int = 0) -> Dict[str, object]:
    """Static int8 of a checked float32 ONNX file, calibrated on
    ``calibration`` and checked against float32 PyTorch on ``held_out``
    (:func:`~inceptionnext_seg.deploy.quantize.verify_on_images`, judged by
    :data:`~inceptionnext_seg.deploy.policy.INT8_TOLERANCE`).

    Args:
        fp32_path: the float32 ONNX file (its metadata is carried over).
        out_path: the int8 file to write: deleted where the check fails.
        calibration: float32 1 x 3 x H x W images for the ranges.
        held_out: the images of the check (labels give the mIoU change).
        wrapper: the float32 PyTorch model.
        num_classes: the model's classes (for the mIoU).
        source: where the held-out images come from, for the record.
        metadata: more metadata for the int8 file.
        threads: ONNX Runtime threads of the check.

    Returns:
        The check's report (``agreement``, ``ok``, the mIoUs where
        labelled).

    Raises:
        CheckFailed: outside the tolerance (``out_path`` is deleted).
    """
    quantize_int8(fp32_path, out_path, calibration,
                  dict(metadata or {}, precision='int8'))
    report = verify_on_images(onnx_runner(out_path, threads), wrapper,
                              held_out, num_classes)
    if not report['ok']:
        os.remove(out_path)
        raise CheckFailed(f'the int8 model is outside the tolerance '
                          f'{INT8_TOLERANCE}; {out_path} was deleted.',
                          report)
    extra = {k: v for k, v in report.items()
             if k not in ('ok', 'agreement', 'images')}
    add_metadata(out_path, Verification.today(
        report['agreement'], source, report['images'],
        **extra).to_metadata())
    return report
