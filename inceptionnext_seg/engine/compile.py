"""``torch.compile`` for the tools' ``--compile``: training through
mmengine's ``compile`` (it compiles ``train_step``), evaluation and
inference by compiling the segmentor's convolutional parts, so that
checkpoints keep their plain parameter names either way."""
from typing import List, Optional, Union

import torch

__all__ = ['backend_name', 'compile_option', 'compile_segmentor']

#: What ``--compile`` without a value means: torch's default backend.
DEFAULT_BACKEND = 'inductor'


def backend_name(value: str) -> str:
    """``--compile``'s argparse type: a backend name, not the config or
    checkpoint that ``--compile CONFIG`` would swallow as its value."""
    import argparse
    if value.endswith(('.py', '.pth', '.pt', '.safetensors', '.onnx')):
        raise argparse.ArgumentTypeError(
            f'{value!r} is a file, not a torch.compile backend: put '
            f'--compile after the positional arguments, or give it a '
            f'backend (--compile inductor).')
    return value


def compile_option(backend: Optional[str]) -> Union[bool, dict]:
    """mmengine's ``compile`` config value for ``--compile [BACKEND]``
    (None: not given, False)."""
    if not backend:
        return False
    return dict(backend=backend)


def compile_segmentor(model: torch.nn.Module, backend: str = DEFAULT_BACKEND,
                      **options) -> List[str]:
    """Compile the backbone's and the heads' ``forward`` of an mmseg
    segmentor in place (its data preprocessing, loss and post-processing
    take data samples and stay eager).

    The modules themselves are not wrapped (no ``_orig_mod.`` in their
    state dict): checkpoints load into the compiled model and out of it
    as into an uncompiled one. Compilation happens on the first call.

    Args:
        model: An mmseg ``EncoderDecoder`` (or one of its subclasses).
        backend: ``torch.compile``'s backend.
        **options: More ``torch.compile`` arguments (``mode``, ...).

    Returns:
        The names of the compiled parts.
    """
    parts = {'backbone': model.backbone, 'decode_head': model.decode_head}
    heads = getattr(model, 'auxiliary_head', None)
    if isinstance(heads, torch.nn.ModuleList):
        parts.update({f'auxiliary_head.{i}': h for i, h in enumerate(heads)})
    elif heads is not None:
        parts['auxiliary_head'] = heads
    for part in parts.values():
        part.forward = torch.compile(part.forward, backend=backend,
                                     **options)
    return list(parts)
