"""Reading one sample as the split's loaders read it, alone or in a pool of
worker processes: its problems, decoded size and stored label values.

What mmcv 2.1 does on decode (``mmcv/image/io.py``, checked by the tests):
``flag='color'`` (``LoadImageFromFile``'s default) applies the image's EXIF
orientation with both the cv2 and the pillow backend (cv2's ``IMREAD_COLOR``;
pillow's ``ImageOps.exif_transpose``), ``'color_ignore_orientation'`` does
not, and masks are read with ``'unchanged'``, which never rotates: an image
with an EXIF orientation is turned on decode and its mask is not. With
``'unchanged'`` the cv2 backend expands a palette (P-mode) PNG to its BGR
colours, the pillow backend (``LoadAnnotations``' default) keeps its indices;
``LoadAnnotations`` casts to uint8, so a 16-bit mask's values above 255 wrap
around (300 becomes 44).
"""
import multiprocessing
import os.path as osp
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import numpy as np

from ..masks import decode_mask, mask_problems
from ..transforms.loading import APPLIES_ORIENTATION, jpeg_truncation

__all__ = ['APPLIES_ORIENTATION', 'ReadContext', 'split_loaders',
           'read_samples']

_ORIENTATION_TAG = 0x0112
_PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


@dataclass
class ReadContext:
    """What reading one sample needs (sent once to each worker)."""
    img_loader: Any
    ann_backend: str
    ann_backend_args: Optional[dict]
    applies_orientation: bool


def _header(path: str) -> dict:
    """The stored image's format, mode, size (w, h), EXIF orientation and
    PNG bit depth, from the file's header (Pillow opens lazily: no
    decode)."""
    from PIL import Image
    info: Dict[str, Any] = {}
    try:
        with open(path, 'rb') as f:
            head = f.read(26)
        if head.startswith(_PNG_MAGIC):
            info['bit_depth'] = head[24]
        with Image.open(path) as image:
            info.update(format=image.format, mode=image.mode,
                        size=image.size,
                        transparency='transparency' in image.info)
            try:
                info['orientation'] = image.getexif().get(_ORIENTATION_TAG)
            except Exception:  # noqa: BLE001 - a bad EXIF block is no error
                pass
    except Exception:  # noqa: BLE001 - the decoder reports unreadable files
        pass
    return info


def _read_image(path: str, ctx: ReadContext, problems: list
                ) -> Optional[Tuple[int, int]]:
    from mmcv.transforms import LoadImageFromFile
    if not osp.isfile(path):
        problems.append(('unreadable_image', path, 'file not found'))
        return None
    header = _header(path)
    decoded, error = None, ''
    try:
        # mmcv's own transform, not a checked subclass's: the problems are
        # collected here, none is raised
        results = LoadImageFromFile.transform(ctx.img_loader,
                                              dict(img_path=path))
        decoded = None if results is None else results.get('img')
    except Exception as err:  # noqa: BLE001 - decoder errors vary
        error = f'{type(err).__name__}: {err}'
    truncated = jpeg_truncation(path)
    if truncated:
        problems.append(('truncated_image', path, truncated))
    elif decoded is None:
        problems.append(('unreadable_image', path, error or 'decodes to '
                         'nothing'))
    if header.get('bit_depth') == 16 or str(header.get('mode', '')
                                            ).startswith('I;16'):
        problems.append(('deep_image', path, f'mode {header.get("mode")}'))
    if 'A' in str(header.get('mode', '')) or header.get('transparency'):
        problems.append(('alpha_image', path, f'mode {header.get("mode")}'))
    if decoded is None:
        return None
    shape = tuple(decoded.shape[:2])
    orientation = header.get('orientation')
    if orientation not in (None, 1) and ctx.applies_orientation:
        w, h = header.get('size', (shape[1], shape[0]))
        problems.append(('_oriented', path, (orientation, (h, w))))
    return shape


def _read_mask(path: str, ctx: ReadContext, header_mode: Callable[[], str],
               problems: list) -> Optional[np.ndarray]:
    from mmengine import fileio
    try:
        content = fileio.get(path, backend_args=ctx.ann_backend_args)
        raw = decode_mask(content, ctx.ann_backend)
    except Exception as err:  # noqa: BLE001 - decoder errors vary
        problems.append(('unreadable_mask', path,
                         f'{type(err).__name__}: {err}'))
        return None
    if raw is None:
        problems.append(('unreadable_mask', path, 'decodes to nothing'))
        return None
    problems.extend((kind, path, detail) for kind, detail in
                    mask_problems(raw, content, ctx.ann_backend, header_mode))
    return raw.squeeze()


def _mask_mode(path: str) -> Callable[[], str]:
    def mode() -> str:
        return str(_header(path).get('mode', '?'))
    return mode


def _inspect_sample(info: dict, ctx: ReadContext) -> dict:
    """One sample, read once: its problems (kind, file, detail), decoded
    image size and stored label values with pixel counts."""
    problems: list = []
    shape = _read_image(info['img_path'], ctx, problems)
    path = info.get('seg_map_path')
    out: Dict[str, Any] = dict(img_path=info['img_path'], mask_path=path,
                               shape=shape, values=None, problems=problems)
    if not path or not osp.isfile(path):
        return out  # listed as an orphan image already
    seg = _read_mask(path, ctx, _mask_mode(path), problems)
    oriented = [p for p in problems if p[0] == '_oriented']
    problems[:] = [p for p in problems if p[0] != '_oriented']
    if seg is None:
        return out
    if shape is not None and tuple(seg.shape[:2]) != shape:
        stored = oriented[0][2][1] if oriented else None
        if stored is not None and tuple(seg.shape[:2]) == tuple(stored):
            problems.append((
                'exif_rotation', info['img_path'],
                f'EXIF orientation {oriented[0][2][0]}: stored {stored}, '
                f'decoded {shape}, mask {path} {tuple(seg.shape[:2])}'))
        else:
            problems.append(('size_mismatch', path,
                             f'mask {tuple(seg.shape[:2])}, image '
                             f'{info["img_path"]} {shape}'))
    elif oriented:
        orientation, stored = oriented[0][2]
        if tuple(stored) != shape:  # the mask was drawn on the turned image
            problems.append(('exif_applied', info['img_path'],
                             f'EXIF orientation {orientation}'))
        else:
            problems.append((
                'exif_rotation', info['img_path'],
                f'EXIF orientation {orientation} turns or flips it on decode '
                f'(same size {shape}, so nothing else would notice); its '
                f'mask {path} is read as stored'))
    if seg.ndim == 2:
        if seg.dtype == np.uint8:
            counts = np.bincount(seg.ravel(), minlength=256)
            values = np.flatnonzero(counts)
            out['values'] = (values.tolist(), counts[values].tolist())
        else:
            values, counts = np.unique(seg, return_counts=True)
            out['values'] = (values.astype(np.int64).tolist(),
                             counts.tolist())
    return out


_WORKER_CTX: Optional[ReadContext] = None


def _init_worker(ctx: ReadContext) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx


def _work(info: dict) -> dict:
    return _inspect_sample(info, _WORKER_CTX)


def split_loaders(dataset) -> Tuple[Any, Any, List[str]]:
    """The split's image and annotation loaders (the first of each kind in
    its pipeline), mmcv's and mmseg's defaults where it has none."""
    from mmcv.transforms import LoadImageFromFile
    from mmseg.datasets.transforms import LoadAnnotations
    img_loader = ann_loader = None
    for transform in getattr(dataset.pipeline, 'transforms', []):
        if img_loader is None and isinstance(transform, LoadImageFromFile):
            img_loader = transform
        if ann_loader is None and isinstance(transform, LoadAnnotations):
            ann_loader = transform
    notes = []
    if img_loader is None:
        img_loader = LoadImageFromFile()
        notes.append('its pipeline loads no image: read with mmcv\'s '
                     'LoadImageFromFile defaults')
    if ann_loader is None:
        ann_loader = LoadAnnotations()
        notes.append('its pipeline loads no annotation: read with mmseg\'s '
                     'LoadAnnotations defaults')
    return img_loader, ann_loader, notes


def read_samples(data_list: List[dict], ctx: ReadContext, workers: int,
                 progress: Optional[Callable[[int, int], None]]
                 ) -> Iterator[dict]:
    """Each sample of ``data_list`` read (its problems, size and label
    values), in order, by this process or a pool of ``workers`` forked
    ones.

    Args:
        data_list: the samples (``img_path``, ``seg_map_path``).
        ctx: how to read them.
        workers: processes reading (1: this one).
        progress: called as ``progress(done, total)`` after each sample.
    """
    total = len(data_list)
    if workers > 1 and total > 1:
        pool = multiprocessing.get_context('fork').Pool(
            workers, initializer=_init_worker, initargs=(ctx, ))
        results = pool.imap(_work, data_list,
                            chunksize=max(1, min(32, total // (workers * 8))))
    else:
        pool, results = None, (_inspect_sample(d, ctx) for d in data_list)
    try:
        for done, sample in enumerate(results, 1):
            if progress:
                progress(done, total)
            yield sample
    finally:
        if pool is not None:
            pool.terminate()
