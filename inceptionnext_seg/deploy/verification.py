"""Running an exported file next to PyTorch and judging the difference
(:func:`~inceptionnext_seg.deploy.checked.export_checked` deletes an
export outside :data:`~inceptionnext_seg.deploy.policy.TOLERANCE`)."""
from typing import Callable, Dict, List, Sequence

import torch

from ..inference.onnx_runner import open_session
from .exportable import ExportableSegmentor
from .policy import TOLERANCE

__all__ = ['TOLERANCE', 'onnx_runner', 'torchscript_runner', 'verify']


def onnx_runner(path: str, threads: int = 0) -> Callable:
    """ONNX Runtime on ``path`` (CPU) as a function of torch tensors."""
    session = open_session(path, threads)
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
