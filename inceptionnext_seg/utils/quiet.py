"""A quiet start for the tools: the library notices that do not concern the
user are filtered by message where a tool starts (never at the import of a
module of this project), and mmengine's per-parameter initialisation log is
kept for the debug level.

Tools call :func:`quiet_library_warnings` before they import mmengine, mmcv or
mmseg (the notices are raised at import time)."""
import contextlib
import importlib
import io
import logging
import warnings
from typing import Iterator

from ..environment import check_environment_once, installed_distributions

__all__ = ['LIBRARY_NOTICES', 'FORK_PRINTED_NOTICES', 'quiet_library_warnings',
           'set_log_level', 'quiet_init_log', 'init_weights_quietly']

#: (message regex, category) of each notice filtered at tool start, and why
#: it does not concern the user.
LIBRARY_NOTICES = (
    # mmcv-lite has no compiled ops; UperNet and FPN need none.
    (r'Fail to import ``MultiScaleDeformableAttention``', UserWarning),
    # setuptools' notice about mmengine 0.10's use of pkg_resources.
    (r'pkg_resources is deprecated', UserWarning),
    # mmseg's notices about its own API, raised for every model built.
    (r'``build_loss`` would be deprecated', UserWarning),
    (r'Default ``avg_non_ignore`` is False', UserWarning),
    (r'`reduce_zero_label` will be deprecated', UserWarning),
    # mmseg's drawing hook when a run draws nothing (test.py --show-dir
    # switches it on).
    (r'The draw is False, it means that the hook for visualization',
     UserWarning),
    # torch's ONNX exporter leaves a strided Slice unfolded; the graph is
    # right (tools/deployment/export.py checks the file against PyTorch).
    (r'Constant folding - Only steps=1 can be constant folded', UserWarning),
    # mmseg.apis.show_result_pyplot (tools/infer.py) builds the config's
    # visualizer without a save_dir; it writes the picture itself.
    (r'Failed to add .*LocalVisBackend.*save_dir', UserWarning),
)


#: Lines that the fork's mmseg (onedl-mmsegmentation) prints when
#: ``mmseg.datasets`` is imported: a debug-level notice that its optional
#: OneDL dataset is absent, printed because mmengine's ``print_log`` without
#: a logger prints at every level.
FORK_PRINTED_NOTICES = ('Could not import OneDL', )


def quiet_library_warnings() -> None:
    """Ignore :data:`LIBRARY_NOTICES` in this process (every other warning is
    shown); with the fork's mmseg, import ``mmseg.datasets`` here without
    :data:`FORK_PRINTED_NOTICES` (anything else it prints is shown).

    Every tool that imports mmseg calls this first, so this is also where a
    tool's start-up refuses a known-bad environment, before an import fails
    less clearly
    (:func:`~inceptionnext_seg.environment.check_environment_once`; the
    configs' ``custom_imports`` check for mmseg's own tools)."""
    check_environment_once()
    for message, category in LIBRARY_NOTICES:
        warnings.filterwarnings('ignore', message=message, category=category)
    if ('onedl-mmsegmentation' not in
            dict(installed_distributions('mmseg'))):
        return
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            importlib.import_module('mmseg.datasets')
    finally:
        for line in printed.getvalue().splitlines():
            if line not in FORK_PRINTED_NOTICES:
                print(line)


def set_log_level(level: str) -> None:
    """Show mmengine's log from ``level`` on (``--log-level`` of the tools
    that build models outside a Runner); DEBUG also shows the
    per-parameter initialisation log."""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    logger.setLevel(level)
    for handler in logger.handlers:
        handler.setLevel(level)


@contextlib.contextmanager
def quiet_init_log() -> Iterator[None]:
    """Hide mmengine's per-parameter initialisation log (one entry per
    tensor, thousands of lines for a segmentor) while ``init_weights`` runs,
    unless mmengine's log is shown at the debug level
    (:func:`set_log_level`)."""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    if logger.handlers and all(h.level <= logging.DEBUG
                               for h in logger.handlers):
        yield
        return
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def init_weights_quietly(model) -> None:
    """``model.init_weights()`` under :func:`quiet_init_log`."""
    with quiet_init_log():
        model.init_weights()
