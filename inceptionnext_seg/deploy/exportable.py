"""The whole segmentor as one graph that exports with its sizes free.

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
import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['ExportableSegmentor', 'make_exportable', 'flips_channels',
           'ScaleUpsample', 'DynamicAdaptiveAvgPool2d']


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


def flips_channels(preprocessor: nn.Module) -> bool:
    """Whether the segmentor's data preprocessor reverses the channel order
    (``bgr_to_rgb`` or ``rgb_to_bgr``), read from what it does to one pixel:
    the attribute that holds it is ``channel_conversion`` in mmseg 1.2.2 and
    mmengine's private ``_channel_conversion`` in onedl-mmsegmentation."""
    pixel = torch.tensor([10., 100., 200.]).view(3, 1, 1)
    with torch.no_grad():
        out = preprocessor({'inputs': [pixel]}, training=False)['inputs']
    kept = (pixel.view(3) - preprocessor.mean.view(3).cpu()) / \
        preprocessor.std.view(3).cpu()
    return not torch.allclose(out[0, :, 0, 0].float().cpu(), kept, atol=1e-4)


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
        self.bgr_to_rgb = flips_channels(preprocessor)
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
