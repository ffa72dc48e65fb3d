"""Let mmsegmentation import on ``mmcv-lite`` (mmcv without compiled ops),
whatever is imported first.

mmseg 1.2.2 imports ``mmcv.ops`` at module level in four files (for
``point_sample`` and ``sigmoid_focal_loss``), so ``import mmseg.models`` (and
with it ``mmseg.apis`` and every mmseg tool) fails when only ``mmcv-lite`` is
installed, although UperNet, FPN and their heads need no compiled op.

This file is installed into an environment's ``site-packages`` as the module
``mmcv_lite_ops`` plus ``mmcv_lite_ops.pth``, which puts one import finder on
``sys.meta_path`` at interpreter start-up (no mmcv or mmseg import happens
then). When ``mmcv.ops`` is imported and ``mmcv._ext`` (the compiled ops) does
not exist, the finder provides a small ``mmcv.ops`` instead:

* ``point_sample``: mmcv's own pure-PyTorch implementation, loaded from the
  installed ``mmcv/ops/point_sample.py`` (no code is copied here);
* every other op: a ``ModuleNotFoundError`` that says to install the full mmcv.
  mmseg's optional imports (``CrissCrossAttention``, ``PSAMask``, ...) catch
  exactly that error, so they degrade as if ``mmcv.ops`` were absent.

With a full mmcv (``mmcv._ext`` present) the finder does nothing and mmcv's own
``mmcv.ops`` is imported. With the maintained fork (onedl-mmcv, whose mmseg
imports ``mmcv.ops`` only where an op is used and says itself what to install)
it does nothing either. Nothing else in the process is changed.

Usage (``make install`` runs the first line for ``.venv``)::

    python tools/install/mmcv_lite_ops.py install  # the running Python's env
    python tools/install/mmcv_lite_ops.py status
    python tools/install/mmcv_lite_ops.py uninstall

Only the standard library is imported here: this module runs at every start-up
of the environment's Python.
"""
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import types

MODULE_NAME = 'mmcv_lite_ops'
PTH_LINE = f'import {MODULE_NAME}; {MODULE_NAME}.register()\n'
FULL_MMCV_HINT = ('it needs the full mmcv build with compiled ops, but this '
                  'environment has mmcv-lite. Install it with '
                  '`pip uninstall -y mmcv-lite && pip install -U openmim && '
                  'mim install mmcv==2.1.0`.')


def _missing_op(name: str):

    def op(*args, **kwargs):
        raise ModuleNotFoundError(f'mmcv.ops.{name}: {FULL_MMCV_HINT}',
                                  name='mmcv._ext')

    op.__name__ = name
    return op


def _module_getattr(name: str):
    if name.startswith('__'):
        raise AttributeError(name)
    # ModuleNotFoundError, not AttributeError: mmseg's optional imports
    # (`try: from mmcv.ops import X except ModuleNotFoundError`) catch it.
    raise ModuleNotFoundError(f'mmcv.ops.{name}: {FULL_MMCV_HINT}',
                              name='mmcv._ext')


class _StandInLoader(importlib.abc.Loader):
    """Builds the ``mmcv.ops`` stand-in from the installed mmcv package."""

    def __init__(self, mmcv_path):
        self.ops_dir = os.path.join(list(mmcv_path)[0], 'ops')

    def create_module(self, spec):
        return None  # a plain module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__doc__ = ('mmcv.ops stand-in for mmcv-lite '
                          '(tools/install/mmcv_lite_ops.py)')
        module.__mmcv_lite_compat__ = True
        spec = importlib.util.spec_from_file_location(
            'mmcv.ops.point_sample',
            os.path.join(self.ops_dir, 'point_sample.py'))
        point_sample = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = point_sample
        spec.loader.exec_module(point_sample)
        module.point_sample = point_sample.point_sample
        module.sigmoid_focal_loss = _missing_op('sigmoid_focal_loss')
        module.__getattr__ = _module_getattr


def is_fork_mmcv() -> bool:
    """Whether the installed mmcv is the maintained fork's (onedl-mmcv)."""
    import importlib.metadata
    try:
        importlib.metadata.version('onedl-mmcv')
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


class MmcvOpsFinder(importlib.abc.MetaPathFinder):
    """Provides ``mmcv.ops`` when mmcv has no compiled ``mmcv._ext``
    (mmcv-lite)."""

    def find_spec(self, fullname, path, target=None):
        if fullname != 'mmcv.ops' or not path:
            return None
        if importlib.machinery.PathFinder.find_spec('mmcv._ext',
                                                    path) is not None:
            return None  # a full mmcv: its own ops are imported
        if is_fork_mmcv():
            return None  # the fork's mmseg imports no op it does not use
        return importlib.util.spec_from_loader(
            fullname, _StandInLoader(path), is_package=True)


def register() -> None:
    """Put the finder first on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, MmcvOpsFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, MmcvOpsFinder())


# ---------------------------------------------------------------- installer
def _site_packages() -> str:
    import sysconfig
    return sysconfig.get_paths()['purelib']


def _targets():
    site = _site_packages()
    return (os.path.join(site, f'{MODULE_NAME}.py'),
            os.path.join(site, f'{MODULE_NAME}.pth'))


def install() -> None:
    """Copy this file into site-packages and add the ``.pth`` that loads it."""
    module, pth = _targets()
    with open(os.path.abspath(__file__), encoding='utf-8') as f:
        source = f.read()
    with open(module, 'w', encoding='utf-8') as f:
        f.write(source)
    with open(pth, 'w', encoding='utf-8') as f:
        f.write(PTH_LINE)
    print(f'installed {module} and {pth}')


def uninstall() -> None:
    for path in _targets():
        if os.path.exists(path):
            os.remove(path)
            print(f'removed {path}')


def status() -> int:
    """0 if installed and identical to this file, 1 otherwise."""
    module, pth = _targets()
    if not (os.path.isfile(module) and os.path.isfile(pth)):
        print(f'not installed in {_site_packages()}')
        return 1
    with open(module, encoding='utf-8') as a, open(
            os.path.abspath(__file__), encoding='utf-8') as b:
        if a.read() != b.read():
            print(f'{module} differs from {__file__}: run install again')
            return 1
    print(f'installed in {_site_packages()}')
    return 0


COMMANDS = dict(install=install, uninstall=uninstall, status=status)


def build_parser():
    """The command line of this tool (builds the parser, parses nothing).

    Returns:
        argparse.ArgumentParser: unannotated, as ``argparse`` is imported
        only here: this module also loads at every interpreter start-up.
    """
    import argparse
    parser = argparse.ArgumentParser(
        description='Let mmseg import on mmcv-lite: put this stand-in for '
        'mmcv.ops (and the .pth line that registers it at start-up) into the '
        "running Python's site-packages, remove it, or check it. pip "
        'install of this project does the install step itself.')
    parser.add_argument('command', choices=sorted(COMMANDS),
                        help='install, uninstall, or status (exit 1 when '
                        'not installed or out of date)')
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command]() or 0


if __name__ == '__main__':
    sys.exit(main())
