"""``torch.compile`` for the config's ``compile`` (mmengine's key, which the
tools' ``--compile`` sets): the segmentor's backbone and heads are compiled,
for training, evaluation and inference alike, so that checkpoints keep
their plain parameter names.

mmengine's own ``Runner`` compiles ``train_step`` whole; dynamo then also
traces the data preprocessing, the loss and the optimizer step, which hold
Python values that change from one iteration to the next (each sample's
``flip``, the learning rate): it compiled them again at every new value
(5 recompilations in 3 iterations of the demo config with torch 2.14, each
minutes long with inductor) until its cache limit turned them back to
eager. ``SegRunner`` compiles the parts whose inputs are tensors of fixed
shape instead (:func:`compile_run`).
"""
from typing import List, Optional, Union

import torch

__all__ = ['backend_name', 'compile_option', 'compile_segmentor',
           'compile_run', 'compiled_message', 'compiled_segmentor']

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


def compiled_message(parts: List[str], backend: str) -> str:
    """What the tools say about what they compiled."""
    return (f'compile: {", ".join(parts)} compiled with backend '
            f'{backend!r}, the rest stays eager; the first iterations '
            f'include the compilation')


def compiled_segmentor(model: torch.nn.Module) -> torch.nn.Module:
    """The segmentor inside a run's model: unwrapped from a distributed
    wrapper and from a test-time-augmentation model (``--tta``)."""
    from mmengine.model import BaseTTAModel, is_model_wrapper
    if is_model_wrapper(model):
        model = model.module
    if isinstance(model, BaseTTAModel):
        model = model.module
    return model


def compile_run(runner) -> List[str]:
    """Compile the runner's segmentor as its config's ``compile`` says, as
    mmengine reads that key (None or False: nothing; True: torch's
    defaults; a dict, empty included: ``torch.compile``'s arguments, its
    ``target`` ignored), once: a second call compiles nothing.

    Returns:
        The names of the compiled parts (empty when nothing was compiled
        by this call).
    """
    options = runner.cfg.get('compile')
    if options is None or options is False:
        return []
    if options is True:
        options = {}
    if not isinstance(options, dict):
        raise TypeError(f'config key compile: True or a dict of '
                        f'torch.compile arguments, got {options!r}')
    options = dict(options)
    options.pop('target', None)  # mmengine's strategies' key: what to wrap
    model = compiled_segmentor(runner.model)
    if getattr(model, '_compiled_parts', None):
        return []
    parts = compile_segmentor(model, **options)
    model._compiled_parts = parts
    runner.logger.info(compiled_message(
        parts, options.get('backend', DEFAULT_BACKEND)))
    return parts
