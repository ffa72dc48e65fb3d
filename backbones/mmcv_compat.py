"""Let mmsegmentation import on ``mmcv-lite`` (mmcv without compiled ops).

mmseg 1.2.2 imports ``mmcv.ops`` at module level in four files (for
``point_sample`` and ``sigmoid_focal_loss``), so ``import mmseg.models`` fails
when only ``mmcv-lite`` is installed, although UperNet, FPN and their heads need
no compiled op. When ``mmcv.ops`` cannot be imported because ``mmcv._ext`` is
missing, :func:`install` registers a small ``mmcv.ops`` module that provides:

* ``point_sample``: mmcv's own pure-PyTorch implementation, loaded from the
  installed ``mmcv/ops/point_sample.py`` file (no code is copied here);
* every other op: a ``ModuleNotFoundError`` that says to install the full mmcv.
  mmseg's optional imports (``CrissCrossAttention``, ``PSAMask``, ...) catch
  exactly that error, so they degrade as if ``mmcv.ops`` were absent.

With a full mmcv build (GPU users may have one) ``mmcv.ops`` imports and this
module does nothing.
"""
import importlib.util
import sys
import types
import warnings
from pathlib import Path

FULL_MMCV_HINT = ('it needs the full mmcv build with compiled ops, but this '
                  'environment has mmcv-lite. Install it with '
                  '`pip uninstall -y mmcv-lite && pip install -U openmim && '
                  'mim install mmcv==2.1.0`.')


def _mmcv_ops_importable() -> bool:
    try:
        import mmcv.ops  # noqa: F401
    except ModuleNotFoundError as err:
        if err.name != 'mmcv._ext':
            raise
        return False
    return True


def _missing_op(name: str):

    def op(*args, **kwargs):
        raise ModuleNotFoundError(f'mmcv.ops.{name}: {FULL_MMCV_HINT}',
                                  name='mmcv._ext')

    op.__name__ = name
    return op


def _load_pure_module(ops_dir: Path, name: str) -> types.ModuleType:
    """Load one pure-PyTorch file of ``mmcv/ops`` without its package init."""
    spec = importlib.util.spec_from_file_location(f'mmcv.ops.{name}',
                                                  ops_dir / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def install() -> bool:
    """Register the ``mmcv.ops`` stand-in if the compiled ops are missing.

    Returns:
        bool: True if the stand-in is (now) in place, False if the real
        ``mmcv.ops`` is importable.
    """
    current = sys.modules.get('mmcv.ops')
    if current is not None:
        return getattr(current, '__mmcv_lite_compat__', False)
    if _mmcv_ops_importable():
        return False

    import mmcv
    ops_dir = Path(mmcv.__file__).parent / 'ops'
    ops = types.ModuleType('mmcv.ops', 'mmcv.ops stand-in for mmcv-lite')
    ops.__path__ = []
    ops.__mmcv_lite_compat__ = True
    ops.point_sample = _load_pure_module(ops_dir, 'point_sample').point_sample
    ops.sigmoid_focal_loss = _missing_op('sigmoid_focal_loss')

    def __getattr__(name: str):
        if name.startswith('__'):
            raise AttributeError(name)
        # ModuleNotFoundError, not AttributeError: mmseg's optional imports
        # (`try: from mmcv.ops import X except ModuleNotFoundError`) catch it.
        raise ModuleNotFoundError(f'mmcv.ops.{name}: {FULL_MMCV_HINT}',
                                  name='mmcv._ext')

    ops.__getattr__ = __getattr__
    sys.modules['mmcv.ops'] = ops
    mmcv.ops = ops
    # mmcv.cnn warns about this op on every import; the hint above covers it.
    warnings.filterwarnings(
        'ignore', message='Fail to import ``MultiScaleDeformableAttention``')
    return True
