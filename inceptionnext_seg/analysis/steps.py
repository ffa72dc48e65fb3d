"""The steps ``tools/analysis_tools/benchmark.py`` times: a backbone's or a
segmentor's train step and inference under one :class:`Settings` (device,
autocast dtype, memory format, ``torch.compile``), with the float32 matmul
policy (TF32) decided in one place, :func:`set_tf32`, for every model alike."""
from contextlib import nullcontext
from typing import Callable, Dict, Tuple

import torch

from ..utils.synthetic_batch import synthetic_batch
from .complexity import count_macs
from .models import build_backbone, build_segmentor

__all__ = ['DTYPES', 'set_tf32', 'tf32_policy', 'Settings', 'backbone_steps',
           'segmentor_steps']

DTYPES = dict(fp32=torch.float32, bf16=torch.bfloat16, fp16=torch.float16)


def set_tf32(enabled: bool) -> Dict[str, bool]:
    """One TF32 policy for cuDNN's convolutions and cuBLAS's matmuls.

    By default cuDNN convolutions run in TF32 on Ampere and later while
    cuBLAS matmuls stay float32: InceptionNeXt's MLPs are 1x1 convolutions,
    ConvNeXt-T's are ``nn.Linear``, so "float32" would time the two at
    different precisions. Both flags get ``enabled``; the result is what
    the tables and the JSON state (:func:`tf32_policy`).
    """
    torch.backends.cudnn.allow_tf32 = enabled
    torch.backends.cuda.matmul.allow_tf32 = enabled
    return tf32_policy()


def tf32_policy() -> Dict[str, bool]:
    """The TF32 switches in force (both must agree for a fair float32
    comparison)."""
    return dict(cudnn_conv=bool(torch.backends.cudnn.allow_tf32),
                cublas_matmul=bool(torch.backends.cuda.matmul.allow_tf32))


class Settings:
    """How the models of one table run.

    Args:
        device: 'cpu', 'cuda' or 'cuda:N'.
        dtype: autocast dtype, a key of :data:`DTYPES` ('fp32': none).
        channels_last: channels-last models and inputs.
        compile: ``torch.compile`` the backbone (backbone steps) or the
            segmentor's backbone and decode head (segmentor steps; the loss
            and the post-processing stay eager).
    """

    def __init__(self, device: str, dtype: str = 'fp32',
                 channels_last: bool = False, compile: bool = False):
        self.device = torch.device(device)
        self.dtype = DTYPES[dtype]
        self.channels_last = channels_last
        self.compile = compile

    def autocast(self):
        if self.dtype == torch.float32:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def prepare(self, model: torch.nn.Module) -> torch.nn.Module:
        model = model.to(self.device)
        if self.channels_last:
            model = model.to(memory_format=torch.channels_last)
        return model

    def tensor(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.device)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def maybe_compile(self, fn: Callable) -> Callable:
        return torch.compile(fn) if self.compile else fn

    def describe(self, what: str = 'backbone') -> str:
        """The settings as the table titles state them: dtype (autocast's;
        float32 on CUDA with the TF32 policy in force), memory format, and
        what is compiled (``what``: 'backbone' or 'segmentor')."""
        dtype = str(self.dtype).replace('torch.', '')
        if self.dtype == torch.float32 and self.device.type == 'cuda':
            tf32 = tf32_policy()
            state = ('on' if all(tf32.values()) else
                     'off' if not any(tf32.values()) else 'MIXED')
            dtype += f' (TF32 {state}: cuDNN convolutions and cuBLAS matmuls)'
        compiled = ''
        if self.compile:
            compiled = (', compiled' if what == 'backbone' else
                        ', compiled backbone + decode head')
        return (f'{dtype}, '
                f'{"channels-last" if self.channels_last else "NCHW"}'
                f'{compiled}')


def backbone_steps(name: str, size: int, batch: int, s: Settings
                   ) -> Tuple[torch.nn.Module, Callable, Callable, float]:
    """The backbone ``name``: (model, train step, inference, MACs of one
    image)."""
    model = s.prepare(build_backbone(name))
    x = s.tensor(torch.randn(batch, 3, size, size))
    forward = s.maybe_compile(model)

    def train():
        model.train()
        with s.autocast():
            outs = forward(x)
        sum(o.float().mean() for o in outs).backward()
        model.zero_grad(set_to_none=True)

    def infer():
        model.eval()
        with torch.inference_mode(), s.autocast():
            forward(x)

    macs = count_macs(model, lambda: model(x[:1]))
    return model, train, infer, macs


def segmentor_steps(head: str, backbone: str, size: int, batch: int,
                    s: Settings, recommended: bool = False
                    ) -> Tuple[torch.nn.Module, Callable, Callable, float]:
    """The segmentor of ``head`` with ``backbone`` ('InceptionNeXt-T',
    'ConvNeXt-T', '... with_cp'): (model, train iteration with AdamW,
    single-image ``predict``, MACs of one image). ``recommended``: the
    channels-last preprocessor (the inputs arrive channels-last)."""
    with_cp = backbone.endswith('with_cp')
    backbone = backbone.replace(' with_cp', '')
    model = build_segmentor(head, backbone, size, recommended).to(s.device)
    model.backbone.with_cp = with_cp
    if s.channels_last and not recommended:
        model = model.to(memory_format=torch.channels_last)
    data = model.data_preprocessor(synthetic_batch(batch, size), True)
    if s.channels_last:
        data['inputs'] = data['inputs'].contiguous(
            memory_format=torch.channels_last)
    macs = count_macs(
        model, lambda: model(data['inputs'][:1], mode='tensor'))
    if s.compile:
        # The convolutions: the backbone and the decode head (mmseg's loss
        # and post-processing take data samples and stay eager).
        model.backbone.forward = s.maybe_compile(model.backbone.forward)
        model.decode_head.forward = s.maybe_compile(
            model.decode_head.forward)
    optimizer = torch.optim.AdamW(model.parameters(), lr=6e-5)

    def train():
        model.train()
        with s.autocast():
            losses = model.loss(data['inputs'], data['data_samples'])
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    def infer():
        model.eval()
        with torch.inference_mode(), s.autocast():
            model.predict(data['inputs'][:1], data['data_samples'][:1])

    return model, train, infer, macs
