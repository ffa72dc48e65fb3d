"""InceptionNeXt backbone for mmsegmentation 1.x.

Paper: Weihao Yu, Pan Zhou, Shuicheng Yan, Xinchao Wang. "InceptionNeXt: When
Inception Meets ConvNeXt", CVPR 2024 (arXiv:2303.16900).
Original code and ImageNet weights: https://github.com/sail-sg/inceptionnext
(Apache-2.0). The layers are timm's (``timm.models.inception_next``,
Apache-2.0), which keep the official parameter names, so the official release
files and timm's files load without renaming.

Differences from the classification model, as the authors describe their
segmentation setup: the classification head is removed, every BatchNorm follows
``norm_cfg`` (SyncBN on GPUs), and a new norm layer is added on each output.
"""
import difflib
import inspect
from functools import partial
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from timm.layers import trunc_normal_
from timm.models import adapt_input_conv, checkpoint_seq
from timm.models.inception_next import (InceptionDWConv2d, MetaNeXtBlock,
                                        MetaNeXtStage)
from torch.nn.modules.batchnorm import _BatchNorm

from inceptionnext_seg.checkpoint import (CheckpointMismatchError,
                                          compare_state_dicts)

from .pretrained import describe_arch, read_backbone_weights

__all__ = ['InceptionNeXt', 'InceptionNeXtBlock', 'MLP_IMPLS',
           'choose_mlp_impl']

_REQUIRED_ARCH_KEYS = ('depths', 'dims')
_DEFAULT_ARCH = dict(
    mlp_ratios=(4, 4, 4, 3),
    square_kernel_size=3,
    band_kernel_size=11,
    branch_ratio=0.125,
)


# ----------------------------------------------------------------- block
_HAS_LINEAR_POINTWISE = (torch.backends.mkldnn.is_available() and hasattr(
    torch.ops.mkldnn, '_linear_pointwise'))
if _HAS_LINEAR_POINTWISE:
    _linear_pointwise = torch.ops.mkldnn._linear_pointwise
#: The formulations of a block's MLP (``mlp_impl``): ``'conv'`` is timm's
#: (1x1 convolutions), ``'linear'`` the same parameters applied as GEMMs
#: (``F.linear``) on the channels-last view, as ConvNeXt runs its MLP;
#: ``'auto'`` chooses per input (:func:`choose_mlp_impl`).
MLP_IMPLS = ('auto', 'conv', 'linear')


def choose_mlp_impl(x: torch.Tensor) -> str:
    """The MLP formulation ``'auto'`` takes for ``x``.

    CPUs: the GEMM (``'linear'``), faster or equal in every case measured
    (docs/speed.md, 2026-12-07: InceptionNeXt-T at 512x512, fp32, NCHW and
    channels-last, training and inference, AVX-512 + AMX and emulated AVX2),
    since oneDNN's 1x1-convolution backward is the slowest part of a train
    step. Other devices: timm's 1x1 convolutions, the reference, until the
    GEMM is measured there (``mlp_impl='linear'`` forces it).
    """
    if _tracing():  # exported graphs keep timm's 1x1 convolutions
        return 'conv'
    return 'linear' if x.device.type == 'cpu' else 'conv'


def _tracing() -> bool:
    """Whether the forward is being traced for export (TorchScript, ONNX):
    the exported graph keeps timm's operators (Conv nodes, which the int8
    quantisation and ONNX Runtime's fusions expect) and no private op."""
    return torch.jit.is_tracing() or torch.onnx.is_in_onnx_export()


def _compiling() -> bool:
    """Whether dynamo traces the forward (torch.compile, torch.export):
    inductor fuses the GEMM's epilogue itself."""
    compiler = getattr(torch, 'compiler', None)
    return bool(compiler is not None and hasattr(compiler, 'is_compiling')
                and compiler.is_compiling())


def _cpu_autocast_enabled() -> bool:
    try:
        return torch.is_autocast_enabled('cpu')
    except TypeError:  # torch < 2.4
        return torch.is_autocast_cpu_enabled()


def _fused_gelu_applies(block: MetaNeXtBlock, x: torch.Tensor,
                        weight: torch.Tensor) -> bool:
    """Whether fc1 and its GELU can run as one oneDNN call (CPU inference).

    ``torch.ops.mkldnn._linear_pointwise`` (the op inductor emits for the
    same pattern) applies the bias and the exact GELU in the GEMM's
    epilogue instead of two more passes over the 4x-wide hidden activation:
    12% off InceptionNeXt-T's inference at 512x512 (docs/speed.md). It has
    no autograd and no autocast rule, hence: no gradients, one dtype, no
    CPU autocast, and timm's plain GELU (exact, not tanh) with no dropout;
    never in a traced or compiled forward.
    """
    act = block.mlp.act
    return (x.device.type == 'cpu' and not torch.is_grad_enabled()
            and _HAS_LINEAR_POINTWISE and not _tracing()
            and not _compiling() and x.dtype == weight.dtype
            and not _cpu_autocast_enabled()
            and type(act) is nn.GELU and act.approximate == 'none'
            and isinstance(block.mlp.norm, nn.Identity)
            and not (block.mlp.drop.p and block.mlp.drop.training))


class InceptionNeXtBlock(MetaNeXtBlock):
    """timm's ``MetaNeXtBlock`` (same parameters, names and shapes) with its
    hot paths chosen per input.

    Args:
        *args: As timm's ``MetaNeXtBlock``.
        mlp_impl: A value of :data:`MLP_IMPLS`.
        **kwargs: As timm's ``MetaNeXtBlock``.
    """

    def __init__(self, *args, mlp_impl: str = 'auto', **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mlp_impl = mlp_impl

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.norm(self.token_mixer(x))
        impl = (choose_mlp_impl(x) if self.mlp_impl == 'auto'
                else self.mlp_impl)
        mlp = self.mlp
        if impl == 'conv':  # timm's MetaNeXtBlock.forward
            x = mlp(x)
            if self.gamma is not None:
                x = x.mul(self.gamma.reshape(1, -1, 1, 1))
        else:
            # (N, H, W, C): a view of a channels-last tensor, a copy of an
            # NCHW one; the GEMMs' outputs are channels-last.
            x = x.permute(0, 2, 3, 1)
            weight, bias = mlp.fc1.weight.flatten(1), mlp.fc1.bias
            if _fused_gelu_applies(self, x, weight):
                x = _linear_pointwise(x, weight, bias, 'gelu', [None],
                                      'none')
            else:
                x = mlp.drop(mlp.act(mlp.norm(F.linear(x, weight, bias))))
            weight, bias = mlp.fc2.weight.flatten(1), mlp.fc2.bias
            if self.gamma is not None:
                # gamma * (W h + b) = (gamma W) h + gamma b: the layer
                # scale on the (small) weight, not on the activation.
                weight = weight * self.gamma[:, None]
                bias = bias * self.gamma if bias is not None else None
            x = F.linear(x, weight, bias).permute(0, 3, 1, 2)
        return self.drop_path(x) + shortcut


@MODELS.register_module()
class InceptionNeXt(BaseModule):
    """InceptionNeXt backbone giving features at strides 4, 8, 16 and 32.

    Args:
        arch: ``'atto'``, ``'tiny'``, ``'small'``, ``'base'``, or a dict with
            ``depths`` and ``dims`` (4 values each) and optionally
            ``mlp_ratios``, ``square_kernel_size``, ``band_kernel_size``,
            ``branch_ratio``.
        in_channels: Number of input image channels.
        out_indices: Stages whose outputs are returned (NCHW, in this order);
            any subset of 0..3.
        frozen_stages: -1 freezes nothing, 0 the stem, ``k`` the stem and
            stages ``0..k-1`` (with their output norms).
        norm_cfg: Config of every norm layer (``dict(type='SyncBN')`` for
            multi-GPU training, ``dict(type='BN')`` on one device).
        norm_eval: Keep all BatchNorm layers in eval mode during training.
        drop_path_rate: Stochastic depth rate, increasing linearly per stage.
        layer_scale_init_value: Initial value of the layer scale (``gamma``);
            0 disables it.
        with_cp: Recompute each block's activations in the backward pass
            (activation checkpointing), trading compute for memory.
        mlp_impl: How the blocks compute their MLPs, all with the same
            parameters: ``'conv'`` (1x1 convolutions, as timm),
            ``'linear'`` (GEMMs on the channels-last view, as ConvNeXt) or
            ``'auto'`` (the faster of the two for the input's device and
            memory format, :func:`choose_mlp_impl`).
        init_cfg: ``dict(type='Pretrained', checkpoint=PATH_URL_OR_HUB_ID)``
            loads ImageNet weights strictly; other mmengine init configs work
            as usual.
    """

    arch_settings: Dict[str, dict] = {
        'atto': dict(depths=(2, 2, 6, 2), dims=(40, 80, 160, 320),
                     band_kernel_size=9, branch_ratio=0.25),
        'tiny': dict(depths=(3, 3, 9, 3), dims=(96, 192, 384, 768)),
        'small': dict(depths=(3, 3, 27, 3), dims=(96, 192, 384, 768)),
        'base': dict(depths=(3, 3, 27, 3), dims=(128, 256, 512, 1024)),
    }
    num_stages = 4

    def __init__(self,
                 arch: Union[str, dict] = 'tiny',
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 norm_eval: bool = False,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-6,
                 with_cp: bool = False,
                 mlp_impl: str = 'auto',
                 init_cfg: Optional[Union[dict, List[dict]]] = None,
                 **unknown) -> None:
        if unknown:  # mmseg would say only "unexpected keyword argument"
            raise TypeError(self._unknown_arguments(unknown))
        super().__init__(init_cfg=init_cfg)
        self.arch = self._parse_arch(arch)
        self.out_indices = self._parse_out_indices(out_indices)
        if not isinstance(frozen_stages, int) or not (
                -1 <= frozen_stages <= self.num_stages):
            raise ValueError(
                f'frozen_stages must be an int in -1..{self.num_stages} (-1: '
                f'none, 0: stem, k: stem and stages 0..k-1), got '
                f'{frozen_stages!r}.')
        if not 0. <= drop_path_rate < 1.:
            raise ValueError(
                f'drop_path_rate must be in [0, 1), got {drop_path_rate!r}.')
        if mlp_impl not in MLP_IMPLS:
            raise ValueError(f'mlp_impl must be one of {list(MLP_IMPLS)}, '
                             f'got {mlp_impl!r}.')
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        self.in_channels = in_channels

        def norm_layer(num_features: int, **_) -> nn.Module:
            return build_norm_layer(norm_cfg, num_features)[1]

        depths, dims = self.arch['depths'], self.arch['dims']
        token_mixer = partial(
            InceptionDWConv2d,
            square_kernel_size=self.arch['square_kernel_size'],
            band_kernel_size=self.arch['band_kernel_size'],
            branch_ratio=self.arch['branch_ratio'])
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, dims[0], kernel_size=4, stride=4),
            norm_layer(dims[0]))
        # Stages after the last requested output would be unused parameters
        # (DDP rejects those), so they are not built.
        num_built = max(self.out_indices) + 1
        # (numbers on the CPU whatever the default device: torch.device(
        # 'meta') builds the model without memory or initialisation)
        dp_rates = torch.linspace(0, drop_path_rate, sum(depths),
                                  device='cpu').tolist()
        self.stages = nn.Sequential()
        self.feature_info: List[dict] = []
        for i in range(num_built):
            start = sum(depths[:i])
            # `stride=` is timm's name in every release that ships
            # InceptionNeXt (0.9.7 on); `ds_stride=` is the official repo's.
            # tests/test_backbones/test_inceptionnext.py pins the signature.
            # timm's stage gives the downsampling layers; its blocks are
            # InceptionNeXtBlock (timm's block, same parameters, with the
            # hot paths chosen per input), hence depth=0 and the appends.
            stage = MetaNeXtStage(
                dims[i - 1] if i > 0 else dims[0],
                dims[i],
                stride=2 if i > 0 else 1,
                depth=0,
                ls_init_value=layer_scale_init_value,
                token_mixer=token_mixer,
                norm_layer=norm_layer,
                mlp_ratio=self.arch['mlp_ratios'][i])
            for rate in dp_rates[start:start + depths[i]]:
                stage.blocks.append(InceptionNeXtBlock(
                    dim=dims[i],
                    token_mixer=token_mixer,
                    norm_layer=norm_layer,
                    mlp_ratio=self.arch['mlp_ratios'][i],
                    ls_init_value=layer_scale_init_value,
                    drop_path=rate,
                    mlp_impl=mlp_impl))
            self.stages.append(stage)
            self.feature_info.append(
                dict(num_chs=dims[i], reduction=4 * 2**i,
                     module=f'stages.{i}'))
        for i in self.out_indices:
            self.add_module(f'norm{i}', norm_layer(dims[i]))
        self.apply(self._init_conv_linear)
        self._freeze_stages()

    # ----------------------------------------------------------- arguments
    @classmethod
    def _parse_arch(cls, arch: Union[str, dict]) -> dict:
        if isinstance(arch, str):
            if arch not in cls.arch_settings:
                raise ValueError(
                    f'Unknown InceptionNeXt arch {arch!r}; valid: '
                    f'{sorted(cls.arch_settings)} or a dict with keys '
                    f'{list(_REQUIRED_ARCH_KEYS) + list(_DEFAULT_ARCH)}.')
            arch = cls.arch_settings[arch]
        if not isinstance(arch, dict):
            raise TypeError(f'arch must be a str or a dict, got '
                            f'{type(arch).__name__}.')
        missing = [k for k in _REQUIRED_ARCH_KEYS if k not in arch]
        unknown = sorted(set(arch) - set(_REQUIRED_ARCH_KEYS) -
                         set(_DEFAULT_ARCH))
        if missing or unknown:
            raise ValueError(
                f'Invalid arch dict: missing keys {missing}, unknown keys '
                f'{unknown}; valid keys: '
                f'{list(_REQUIRED_ARCH_KEYS) + list(_DEFAULT_ARCH)}.')
        arch = {**_DEFAULT_ARCH, **arch}
        for key in ('depths', 'dims', 'mlp_ratios'):
            if len(arch[key]) != cls.num_stages:
                raise ValueError(f'arch[{key!r}] needs {cls.num_stages} '
                                 f'values, got {arch[key]!r}.')
        return arch

    @classmethod
    def _unknown_arguments(cls, unknown: dict) -> str:
        valid = [name for name in inspect.signature(cls.__init__).parameters
                 if name not in ('self', 'unknown')]
        if 'pretrained' in unknown:
            return (f'InceptionNeXt takes no pretrained= (got '
                    f'{unknown["pretrained"]!r}, from the model\'s '
                    f'pretrained of an mmseg base config for another '
                    f'backbone): set model.pretrained=None, and load '
                    f'ImageNet weights with init_cfg=dict(type=\'Pretrained\''
                    f', checkpoint=PATH_URL_OR_HUB_ID). Valid arguments: '
                    f'{valid}.')
        hints = [f'{name!r} (did you mean {close[0]!r}?)' if close else
                 repr(name) for name in sorted(unknown)
                 for close in [difflib.get_close_matches(name, valid, 1)]]
        return (f'InceptionNeXt got unknown argument(s) {", ".join(hints)}; '
                f'valid arguments: {valid}.')

    @classmethod
    def _parse_out_indices(cls, out_indices: Sequence[int]) -> Tuple[int]:
        if isinstance(out_indices, int):
            out_indices = (out_indices, )
        out_indices = tuple(out_indices)
        valid = range(cls.num_stages)
        if (not out_indices or len(set(out_indices)) != len(out_indices)
                or any(not isinstance(i, int) or i not in valid
                       for i in out_indices)):
            raise ValueError(
                f'out_indices must be distinct stage indices in '
                f'{list(valid)} (strides 4, 8, 16, 32), got {out_indices!r}.')
        return out_indices

    # ------------------------------------------------------------- weights
    @staticmethod
    def _init_conv_linear(m: nn.Module) -> None:
        # Same random init as timm's MetaNeXt.
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            trunc_normal_(m.weight, std=.02)
            if m.bias is not None:
                nn.init.constant_(m.bias, 0)

    def init_weights(self) -> None:
        """Load ``init_cfg`` Pretrained weights strictly, else mmengine's
        initialisation."""
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            unknown = sorted(set(cfg) - {'type', 'checkpoint'})
            if unknown or 'checkpoint' not in cfg:
                raise ValueError(
                    f"init_cfg=dict(type='Pretrained') takes exactly the key "
                    f"'checkpoint' here (the checkpoint layout is detected); "
                    f"got keys {sorted(cfg)}.")
            self.load_pretrained(cfg['checkpoint'])
            self.is_init = True  # mmengine does not initialise it again
        else:
            super().init_weights()

    def load_pretrained(self, source: str) -> None:
        """Read ImageNet (or segmentor) weights and load them strictly.

        Args:
            source: A file path, URL or hub id (see
                :func:`backbones.pretrained.resolve_checkpoint`).
        """
        state = read_backbone_weights(source)
        self.load_weights(state, source=str(source))
        print_log(f'InceptionNeXt: loaded {len(state)} tensors from {source}',
                  logger='current')

    def load_weights(self, state: Dict[str, torch.Tensor],
                     source: str = 'checkpoint') -> None:
        """Load a backbone state dict, failing on any mismatch.

        Only the output norms (new layers) may be absent from the checkpoint,
        and only the stages this backbone does not build may be left over.
        A stem for another number of input channels is adapted (timm's
        ``adapt_input_conv``).

        Raises:
            CheckpointMismatchError: naming the keys and shapes that differ
                and the variant the checkpoint looks like.
        """
        own = self.state_dict()
        state = dict(state)
        stem = state.get('stem.0.weight')
        if (stem is not None and stem.shape[1] != self.in_channels
                and stem.shape[0] == own['stem.0.weight'].shape[0]):
            state['stem.0.weight'] = adapt_input_conv(self.in_channels, stem)
        new_layers = tuple(f'norm{i}.' for i in self.out_indices)
        not_built = tuple(f'stages.{i}.'
                          for i in range(len(self.stages), self.num_stages))
        diff = compare_state_dicts(
            own, state, may_be_missing=lambda k: k.startswith(new_layers),
            may_be_unexpected=lambda k: k.startswith(not_built))
        if diff:
            want = {k: tuple(self.arch[k]) for k in ('depths', 'dims')}
            raise CheckpointMismatchError(
                f'{source} does not fit InceptionNeXt(arch={want}); the '
                f'checkpoint looks like {describe_arch(state)}.\n  '
                + '\n  '.join(diff.lines()))
        self.load_state_dict({k: v for k, v in state.items() if k in own},
                             strict=False)

    @staticmethod
    def describe_state_dict(state: Dict[str, torch.Tensor]) -> Optional[dict]:
        """Depths and widths of a backbone state dict (for error messages;
        ``StrictEncoderDecoder`` asks its backbone for this)."""
        return describe_arch(state)

    @classmethod
    def arch_of(cls, state: Dict[str, torch.Tensor]) -> Optional[str]:
        """The name of the variant whose depths and widths a backbone state
        dict has, or None."""
        found = describe_arch(state)
        for name, setting in cls.arch_settings.items():
            if found == dict(depths=tuple(setting['depths']),
                             dims=tuple(setting['dims'])):
                return name
        return None

    # -------------------------------------------------------------- forward
    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.stem(x)
        outs = {}
        for i, stage in enumerate(self.stages):
            x = stage.downsample(x)
            if self.with_cp and self.training and torch.is_grad_enabled():
                x = checkpoint_seq(stage.blocks, x, use_reentrant=False)
            else:
                x = stage.blocks(x)
            if i in self.out_indices:
                outs[i] = getattr(self, f'norm{i}')(x)
        return tuple(outs[i] for i in self.out_indices)

    # ------------------------------------------------------------ training
    def _freeze_stages(self) -> None:
        if self.frozen_stages < 0:
            return
        frozen = [self.stem] + [self.stages[i] for i in range(
            min(self.frozen_stages, len(self.stages)))]
        frozen += [getattr(self, f'norm{i}') for i in self.out_indices
                   if i < self.frozen_stages]
        for module in frozen:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'InceptionNeXt':
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
