"""Deployment policy, decided once: the agreement thresholds an export, an
int8 file and a ladder row must meet, the verification record an export
carries (written by :func:`~inceptionnext_seg.deploy.checked.export_checked`
and friends, read by every tool that trusts a file), and the inference paths
as a small typed value instead of display strings.

Imports neither torch nor onnx: ``tools/deployment/infer_onnx.py``
(onnxruntime, numpy and OpenCV only) reads the record through it."""
import datetime
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

__all__ = ['TOLERANCE', 'INT8_TOLERANCE', 'MIN_AGREEMENT', 'min_agreement',
           'Verification', 'verification_of', 'InferencePath',
           'EAGER_FP32', 'EAGER_BF16', 'COMPILED_FP32', 'COMPILED_BF16',
           'ONNX_FP32', 'ONNX_INT8', 'ALL_PATHS']

# A float32 export passes when, at every size checked, the largest logit
# difference is below 1e-3 of the largest logit and 99.9% of the pixels get
# the class PyTorch gives them (the rest are near-ties at class borders).
TOLERANCE = dict(max_rel_diff=1e-3, min_agreement=0.999)

# An int8 file passes when, on the held-out images, at least 99% of the
# pixels get the class the float32 PyTorch model gives them and, where the
# images have labels, its mIoU is at most 1 point below float32's.
INT8_TOLERANCE = dict(min_agreement=0.99, max_miou_drop=1.0)

# A ladder row counts as verified with the same agreement as the export
# checks: float32 runtimes the float32 check's, reduced precision (bf16,
# int8) the int8 check's.
MIN_AGREEMENT = dict(fp32=TOLERANCE['min_agreement'],
                     reduced=INT8_TOLERANCE['min_agreement'])


def min_agreement(precision: str) -> float:
    """The class agreement with eager float32 a path of ``precision``
    ('fp32', 'bf16', 'int8') must reach."""
    return MIN_AGREEMENT['fp32' if precision == 'fp32' else 'reduced']


@dataclass(frozen=True)
class Verification:
    """The check an exported file passed, as stored in its ``verification``
    metadata entry.

    Args:
        agreement: share of pixels whose class agreed with float32 PyTorch
            (the lowest over the sizes checked).
        source: the images: 'random images', or the config's split or
            folder of the int8 check.
        images: how many images were checked.
        date: ISO date of the check.
        extra: what else the check measured (mIoU of both, its drop, ...).
    """
    agreement: float
    source: str
    images: int
    date: str = ''
    extra: Optional[Mapping[str, Any]] = None

    @classmethod
    def today(cls, agreement: float, source: str, images: int,
              **extra: Any) -> 'Verification':
        return cls(float(agreement), source, int(images),
                   datetime.date.today().isoformat(), dict(extra))

    def to_metadata(self) -> Dict[str, Dict[str, Any]]:
        """The metadata entry (``deploy.add_metadata`` writes it)."""
        return dict(verification=dict(
            dict(self.extra or {}), ok=True, agreement=self.agreement,
            source=self.source, images=self.images, date=self.date))

    def describe(self, precision: str) -> str:
        """One line for a tool's output."""
        line = (f'{precision}, checked at export ({self.date}) on '
                f'{self.images} image(s) of {self.source!r}: '
                f'{100 * self.agreement:.2f}% class agreement with float32')
        if self.extra and 'miou_drop' in self.extra:
            line += f', mIoU change {-self.extra["miou_drop"]:+.2f}'
        return line


def verification_of(meta: Mapping[str, Any]) -> Optional[Verification]:
    """The passed check a file's metadata records (None: none recorded, or
    one that did not pass; files that fail are deleted at export)."""
    record = meta.get('verification')
    if not isinstance(record, dict) or not record.get('ok'):
        return None
    known = ('ok', 'agreement', 'source', 'images', 'date')
    return Verification(
        float(record.get('agreement', 0.0)), str(record.get('source', '?')),
        int(record.get('images', 0)), str(record.get('date', '')),
        {k: v for k, v in record.items() if k not in known})


@dataclass(frozen=True)
class InferencePath:
    """A way to run the segmentor on the CPU: a runtime and a precision.

    Args:
        runtime: 'eager' (PyTorch) or 'onnxruntime'.
        precision: 'fp32', 'bf16' (eager, with channels-last) or 'int8'
            (ONNX Runtime).
        compiled: eager only: the backbone and heads compiled by
            ``torch.compile`` (inductor), as ``tools/infer.py --compile``
            runs them; each run pays the compilation once.
    """
    runtime: str
    precision: str
    compiled: bool = False

    RUNTIMES = ('eager', 'onnxruntime')

    def __post_init__(self):
        if self.runtime not in self.RUNTIMES:
            raise ValueError(f'runtime {self.runtime!r}: one of '
                             f'{", ".join(self.RUNTIMES)}')
        if self.precision not in ('fp32', 'bf16', 'int8'):
            raise ValueError(f'precision {self.precision!r}: fp32, bf16 or '
                             f'int8')
        if self.compiled and self.onnx:
            raise ValueError('compiled: an eager path only (ONNX Runtime '
                             'runs the exported graph)')

    @property
    def onnx(self) -> bool:
        return self.runtime == 'onnxruntime'

    @property
    def eager_bf16(self) -> bool:
        """bf16 autocast with a channels-last model (compiled or not)."""
        return not self.onnx and self.precision == 'bf16'

    def __str__(self) -> str:
        """The name tables, the ladder record and the tools print."""
        if self.onnx:
            return f'ONNX Runtime {self.precision}'
        name = ('eager fp32' if self.precision == 'fp32' else
                f'eager {self.precision} + channels-last')
        return name + (', compiled' if self.compiled else '')

    @classmethod
    def parse(cls, name: str) -> 'InferencePath':
        """The path of a name written by ``str()`` (the ladder record)."""
        for path in ALL_PATHS:
            if str(path) == name:
                return path
        raise ValueError(f'{name!r}: not an inference path (one of '
                         f'{", ".join(map(str, ALL_PATHS))})')


EAGER_FP32 = InferencePath('eager', 'fp32')
EAGER_BF16 = InferencePath('eager', 'bf16')
COMPILED_FP32 = InferencePath('eager', 'fp32', compiled=True)
COMPILED_BF16 = InferencePath('eager', 'bf16', compiled=True)
ONNX_FP32 = InferencePath('onnxruntime', 'fp32')
ONNX_INT8 = InferencePath('onnxruntime', 'int8')
ALL_PATHS = (EAGER_FP32, EAGER_BF16, COMPILED_FP32, COMPILED_BF16, ONNX_FP32,
             ONNX_INT8)
