"""Static INT8 quantization of an exported ONNX model with ONNX Runtime's own
tools, calibrated on real images, and its verification against the float32
PyTorch model on held-out images (``tools/deployment/export.py --quantize
int8``)."""
import os
import re
import tempfile
from typing import Callable, Dict, Iterable, List, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod,
                                      QuantFormat, QuantType, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

from .export import add_metadata, read_metadata
from .images import PipelineImage
from .policy import INT8_TOLERANCE

__all__ = ['INT8_TOLERANCE', 'NEAR_TIE', 'quantize_int8', 'verify_on_images',
           'int8_failure_advice']

_TOKEN_MIXER = re.compile(r'/token_mixer(_\d+)?/')


class _CalibrationImages(CalibrationDataReader):
    """The calibration images, one batch at a time."""

    def __init__(self, input_name: str, images: Iterable[np.ndarray]):
        self.input_name = input_name
        self.images = iter(images)

    def get_next(self):
        image = next(self.images, None)
        return None if image is None else {self.input_name: image}


def float_nodes(model) -> List[str]:
    """The nodes that stay in float32 (every other Conv, MatMul, Add ... is
    quantized):

    - the classifier and the resize of its logits (from the graph's output
      back to the last convolutions included): 8-bit logits would tie
      classes at many pixels;
    - InceptionNeXt's token mixers (the split, the band and square
      depthwise convolutions, the concatenation) and the BatchNorm after
      them: with them in int8 a demo model agreed with float32 on 98.6% of
      the pixels of the real ADE20K samples, in float32 on 99.5%
      (docs/deploy.md), for a few percent of the backbone's MACs.

    The mixers are found by their module path in the exported node names
    (``.../token_mixer/...``, the official parameter paths; torch's
    exporter numbers a scope that recurs: ``token_mixer_2``);
    tests/test_tools/test_export.py pins that the int8 file keeps them.
    """
    producer = {out: node for node in model.graph.node for out in node.output}
    names, pending = [], [o.name for o in model.graph.output]
    while pending:
        node = producer.get(pending.pop())
        if node is None or node.name in names:
            continue
        names.append(node.name)
        if node.op_type != 'Conv':
            pending += [i for i in node.input if i]
    return names + [node.name for node in model.graph.node
                    if _TOKEN_MIXER.search(node.name)
                    or node.op_type == 'BatchNormalization']


def quantize_int8(fp32_path: str, out_path: str,
                  calibration: Sequence[np.ndarray],
                  metadata: Dict[str, object]) -> None:
    """Write ``out_path``: QDQ int8 (uint8 activations, int8 weights per
    output channel in 7 bits, min/max ranges from ``calibration``; the
    nodes of :func:`float_nodes` in float32), after ONNX Runtime's
    pre-processing (shape inference, graph optimisation), with the float32
    file's metadata plus ``metadata``.

    7-bit weights (``reduce_range``): CPUs without VNNI (AVX2, AVX-512F)
    multiply uint8 by int8 with 16-bit sums that saturate on full-range
    weights (ONNX Runtime's quantization docs); a file that holds its
    accuracy there holds it everywhere (98.5% against 97.0% class agreement
    on the real ADE20K samples, on an AVX2 CPU)."""
    import onnx
    if not calibration:
        raise ValueError('no calibration images')
    source = onnx.load(fp32_path)
    reader = _CalibrationImages(source.graph.input[0].name, calibration)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = os.path.join(tmp, 'prepared.onnx')
        # ONNX's own shape inference: the symbolic one stops on the free
        # sizes of a --dynamic export.
        quant_pre_process(fp32_path, prepared, skip_symbolic_shape=True)
        kept = float_nodes(onnx.load(prepared))
        quantize_static(prepared, out_path, reader, nodes_to_exclude=kept,
                        quant_format=QuantFormat.QDQ, per_channel=True,
                        reduce_range=True, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax)
    # The float32 file's check is not the int8 file's
    # (tools/deployment/export.py adds that after its own check).
    inherited = {k: v for k, v in read_metadata(fp32_path).items()
                 if k != 'verification'}
    add_metadata(out_path, dict(inherited, **metadata))


#: Two classes whose float32 logits are closer than this share of the
#: largest logit count as a near-tie (which int8 rounding may flip).
NEAR_TIE = 0.05


def int8_failure_advice(report: Dict[str, object]) -> str:
    """What to do about a refused int8 file, from its check's report: a
    barely trained model (the pixels int8 flips are near-ties, of which it
    has many) or the calibration (it flips clearly decided pixels)."""
    if report['decided_agreement'] >= INT8_TOLERANCE['min_agreement']:
        return (f'The flipped pixels are near-ties: '
                f'{100 * report["near_tie_share"]:.1f}% of the pixels have '
                f'their two best classes within {NEAR_TIE:.0%} of the '
                f'largest logit, and int8 keeps '
                f'{100 * report["decided_agreement"]:.2f}% of the others. A '
                f'model trained for few iterations has such near-ties '
                f'almost everywhere (docs/deploy.md, int8): train it '
                f'longer, or use the float32 ONNX file.')
    return (f'int8 also flips clearly decided pixels (it keeps '
            f'{100 * report["decided_agreement"]:.2f}% of them): calibrate '
            f'on more images, or on images like the ones it will see '
            f'(--calib).')


def verify_on_images(run_int8: Callable[[torch.Tensor], torch.Tensor],
                     wrapper: torch.nn.Module,
                     images: List[PipelineImage], num_classes: int,
                     ignore_index: int = 255) -> Dict[str, object]:
    """The int8 file against the float32 PyTorch model on real images: the
    share of pixels whose class agrees and, where labels exist, both mIoUs
    (mmseg's ``IoUMetric``, logits resized to each label map as mmseg
    does). ``ok`` per :data:`INT8_TOLERANCE`."""
    from mmseg.evaluation import IoUMetric
    if not images:
        raise ValueError('no verification images')
    same = total = decided = decided_same = 0
    areas = {'fp32': [], 'int8': []}
    labelled = 0
    for item in images:
        with torch.no_grad():
            ref = wrapper(torch.from_numpy(item.image))
        out = run_int8(torch.from_numpy(item.image))
        agree = out.argmax(1) == ref.argmax(1)
        same += int(agree.sum())
        total += ref[:, 0].numel()
        # Pixels whose two best float32 classes are further apart than
        # NEAR_TIE of the largest logit: int8's rounding should not flip
        # them; at the others (many in a barely trained model) it may.
        top2 = ref.topk(2, dim=1).values
        clear = (top2[:, 0] - top2[:, 1]) > NEAR_TIE * ref.abs().max()
        decided += int(clear.sum())
        decided_same += int(agree[clear].sum())
        if item.labels is None:
            continue
        labelled += 1
        label = torch.from_numpy(item.labels)
        for key, logits in (('fp32', ref), ('int8', out)):
            pred = F.interpolate(logits, size=label.shape, mode='bilinear',
                                 align_corners=wrapper.align_corners)
            areas[key].append(IoUMetric.intersect_and_union(
                pred.argmax(1)[0], label, num_classes, ignore_index))
    report = dict(images=len(images), labelled=labelled,
                  agreement=same / total,
                  near_tie_share=1 - decided / total,
                  decided_agreement=decided_same / decided if decided
                  else 1.0)
    if labelled:
        for key, per_image in areas.items():
            sums = [sum(a[i] for a in per_image) for i in range(4)]
            iou = IoUMetric.total_area_to_metrics(
                *sums, metrics=['mIoU'])['IoU']
            report[f'miou_{key}'] = float(np.nanmean(iou) * 100)
        report['miou_drop'] = report['miou_fp32'] - report['miou_int8']
    report['ok'] = bool(
        report['agreement'] >= INT8_TOLERANCE['min_agreement']
        and report.get('miou_drop', 0.0) <= INT8_TOLERANCE['max_miou_drop'])
    return report
