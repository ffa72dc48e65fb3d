"""Export a segmentor for deployment (ONNX, TorchScript) and verify it.

The exported graph takes what OpenCV reads, ``image``: float32 N x 3 x H x W,
BGR, 0..255, and does the rest as mmseg's ``SegDataPreProcessor`` and
``whole`` inference do: BGR to RGB, mean/std normalisation, backbone, neck,
decode head, and a bilinear resize of the logits to H x W. It returns the
``logits`` (N x C x H x W) or the argmax ``labels`` (N x H x W, int64).
SyncBN is BN (one process, eval mode).

Two of mmseg's modules would fix the export size into the graph:
``mmseg.models.utils.Upsample`` (FPNHead) computes ``int(h * scale)``, and
``nn.AdaptiveAvgPool2d`` (UperNet's pooling pyramid) has no dynamic ONNX
form. :func:`make_exportable` swaps them for modules that compute the same
values from the input's shape; ``verify`` checks the result at other sizes.

Slide inference (``test_cfg.mode='slide'``) is not in the graph: run the
exported model on crops of ``crop_size`` every ``stride`` pixels and average
the logits where crops overlap, as mmseg's ``slide_inference`` does.
"""
import inspect
import json
from typing import Callable, Dict, List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['ExportableSegmentor', 'make_exportable', 'export_onnx',
           'export_torchscript', 'verify', 'onnx_runner',
           'torchscript_runner', 'TOLERANCE']

# An export passes when, at every size checked, the largest logit difference
# is below 1e-3 of the largest logit and 99.9% of the pixels get the class
# PyTorch gives them (float32; the rest are near-ties at class borders).
TOLERANCE = dict(max_rel_diff=1e-3, min_agreement=0.999)


class ScaleUpsample(nn.Module):
    """mmseg's ``Upsample(scale_factor=s)`` with the output size taken from
    the input's shape in the graph (same values: ``floor(h * s)``)."""

    def __init__(self, scale_factor: float, mode: str, align_corners):
        super().__init__()
        self.scale_factor = float(scale_factor)
        self.mode = mode
        self.align_corners = align_corners

    def forward(self, x):
        return F.interpolate(x, scale_factor=self.scale_factor,
                             mode=self.mode, align_corners=self.align_corners)


class DynamicAdaptiveAvgPool2d(nn.Module):
    """``nn.AdaptiveAvgPool2d(k)`` from tensor ops, for any input size in the
    graph: bin i of n covers [floor(i*n/k), ceil((i+1)*n/k)) as in PyTorch,
    summed through an integral image."""

    def __init__(self, output_size: int):
        super().__init__()
        self.k = int(output_size)

    def _bins(self, n, device):
        i = torch.arange(self.k, device=device)
        start = torch.div(i * n, self.k, rounding_mode='floor')
        end = torch.div((i + 1) * n + self.k - 1, self.k,
                        rounding_mode='floor')
        return start, end

    def forward(self, x):
        # x.shape[i] is an int in eager mode and a traced size when exporting
        h, w = x.shape[2], x.shape[3]
        integral = F.pad(x.cumsum(2).cumsum(3), (1, 0, 1, 0))
        h0, h1 = self._bins(h, x.device)
        w0, w1 = self._bins(w, x.device)
        rows = integral.index_select(2, h1) - integral.index_select(2, h0)
        total = rows.index_select(3, w1) - rows.index_select(3, w0)
        area = ((h1 - h0).unsqueeze(1) * (w1 - w0).unsqueeze(0)).to(x.dtype)
        return total / area


def make_exportable(model: nn.Module, pooling: bool = True) -> nn.Module:
    """Swap, in place, the modules that would fix the export size (see the
    module docstring); ``pooling=False`` keeps ``nn.AdaptiveAvgPool2d``
    (TorchScript records it with any input size)."""
    from mmseg.models.utils import Upsample
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, Upsample) and not child.size:
                setattr(module, child_name, ScaleUpsample(
                    child.scale_factor, child.mode, child.align_corners))
            elif pooling and isinstance(child, nn.AdaptiveAvgPool2d):
                size = child.output_size
                size = size if isinstance(size, int) else (
                    size[0] if size[0] == size[1] else None)
                if size is None:
                    raise ValueError(f'{name}.{child_name}: non-square '
                                     f'adaptive pooling is not supported.')
                setattr(module, child_name, DynamicAdaptiveAvgPool2d(size))
    return model


class ExportableSegmentor(nn.Module):
    """The graph that is exported (see the module docstring)."""

    def __init__(self, segmentor: nn.Module, output: str = 'logits'):
        super().__init__()
        if output not in ('logits', 'labels'):
            raise ValueError(f"output must be 'logits' or 'labels', got "
                             f'{output!r}.')
        preprocessor = segmentor.data_preprocessor
        self.segmentor = segmentor.eval()
        self.output = output
        self.bgr_to_rgb = bool(preprocessor.channel_conversion)
        self.register_buffer('mean', preprocessor.mean.clone().view(1, 3, 1,
                                                                    1))
        self.register_buffer('std', preprocessor.std.clone().view(1, 3, 1, 1))
        self.align_corners = bool(segmentor.decode_head.align_corners)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = image.flip(1) if self.bgr_to_rgb else image
        x = (x - self.mean) / self.std
        logits = self.segmentor(x, mode='tensor')
        logits = F.interpolate(logits, size=image.shape[2:], mode='bilinear',
                               align_corners=self.align_corners)
        return logits if self.output == 'logits' else logits.argmax(1)


def export_onnx(wrapper: ExportableSegmentor, path: str,
                shape: Sequence[int], dynamic: bool, metadata: dict,
                opset: int = 17) -> None:
    """Write ``wrapper`` as ONNX (torch's TorchScript-based exporter, which
    every supported torch has), with ``metadata`` as JSON strings."""
    example = torch.zeros(1, 3, *shape)
    axes = None
    if dynamic:
        axes = {'image': {0: 'batch', 2: 'height', 3: 'width'},
                wrapper.output: {0: 'batch', 2: 'height', 3: 'width'}
                if wrapper.output == 'logits' else
                {0: 'batch', 1: 'height', 2: 'width'}}
    # torch >= 2.5 has a `dynamo` switch (its default became True in 2.9);
    # before, the TorchScript-based exporter is the only one.
    legacy = ({'dynamo': False} if 'dynamo' in inspect.signature(
        torch.onnx.export).parameters else {})
    with torch.no_grad():
        torch.onnx.export(wrapper, (example, ), path, opset_version=opset,
                          input_names=['image'],
                          output_names=[wrapper.output], dynamic_axes=axes,
                          **legacy)
    if not metadata:
        return
    import onnx
    model = onnx.load(path)
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    onnx.save(model, path)


def export_torchscript(wrapper: ExportableSegmentor, path: str,
                       shape: Sequence[int]) -> None:
    example = torch.zeros(1, 3, *shape)
    with torch.no_grad():
        traced = torch.jit.trace(wrapper, (example, ), check_trace=False)
    traced.save(path)


def onnx_runner(path: str, threads: int = 0) -> Callable:
    import onnxruntime as ort
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    session = ort.InferenceSession(path, options,
                                   providers=['CPUExecutionProvider'])
    name = session.get_inputs()[0].name
    return lambda x: torch.from_numpy(session.run(None, {name: x.numpy()})[0])


def torchscript_runner(path: str) -> Callable:
    model = torch.jit.load(path, map_location='cpu').eval()

    def run(x):
        with torch.no_grad():
            return model(x)
    return run


def verify(run_exported: Callable, wrapper: ExportableSegmentor,
           shapes: List[Sequence[int]], seed: int = 0) -> List[Dict]:
    """Run the export and PyTorch on the same random images at each shape:
    the largest logit difference (absolute and over the largest logit) and
    the share of pixels whose class agrees. ``ok`` per :data:`TOLERANCE`."""
    gen = torch.Generator().manual_seed(seed)
    report = []
    for shape in shapes:
        image = torch.rand(1, 3, *shape, generator=gen) * 255
        with torch.no_grad():
            ref = wrapper(image)
        out = run_exported(image)
        if wrapper.output == 'logits':
            diff = (out - ref).abs().max().item()
            rel = diff / max(ref.abs().max().item(), 1e-12)
            agree = (out.argmax(1) == ref.argmax(1)).float().mean().item()
        else:
            diff = rel = float('nan')
            agree = (out == ref).float().mean().item()
        ok = agree >= TOLERANCE['min_agreement'] and not (
            rel > TOLERANCE['max_rel_diff'])
        report.append(dict(shape=tuple(shape), max_abs_diff=diff,
                           max_rel_diff=rel, agreement=agree, ok=ok))
    return report


def metadata_for(cfg, checkpoint: str, output: str) -> dict:
    """What a runtime without mmseg needs: classes, palette, the test-time
    resize of the config and what the graph returns."""
    from mmseg.registry import DATASETS
    dataset_cls = DATASETS.get(cfg.test_dataloader.dataset.type)
    meta = getattr(dataset_cls, 'METAINFO', {})
    resize = [t for t in cfg.test_dataloader.dataset.pipeline
              if t['type'] == 'Resize']
    multiple = [t for t in cfg.test_dataloader.dataset.pipeline
                if t['type'] == 'ResizeToMultiple']
    return dict(classes=list(meta.get('classes', ())),
                palette=[list(map(int, c)) for c in meta.get('palette', ())],
                test_scale=list(resize[0]['scale']) if resize else None,
                size_divisor=multiple[0]['size_divisor'] if multiple else None,
                output=output, input='float32 NCHW BGR 0..255',
                checkpoint=str(checkpoint))
