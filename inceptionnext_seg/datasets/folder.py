"""A folder of images and a folder of index masks, checked before and while
loading: the dataset for the user's own data, of which ADE20K and Cityscapes
are cases (``ade20k.py``, ``cityscapes.py``).

mmseg's answer for a custom dataset is a ``BaseSegDataset`` subclass, and
what goes wrong there goes wrong silently: label values outside the classes
are dropped by the metric, a wrong ``reduce_zero_label`` shifts every class
by one, colour-coded masks fail far from their cause. Here the classes, the
suffixes, ``reduce_zero_label`` and the ignore index are explicit, the layout
is checked up front and every sample as it loads (the checked loaders of
``transforms/loading.py``), each error naming the file.
"""
import os
import os.path as osp
import re
import tempfile
import weakref
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

import numpy as np
from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .sample_randomness import SampleSeededDataset
from .transforms.loading import CheckedLoadAnnotations, CorruptSampleError

__all__ = ['CheckedFolderDataset', 'DatasetConfigError', 'DatasetLayoutError',
           'FOLDER_HELP', 'LayoutProblem', 'list_samples', 'read_classes_file',
           'use_checked_loaders']

# mmseg's loaders and their checked versions (transforms/loading.py).
_CHECKED_LOADERS = {
    'LoadImageFromFile': 'CheckedLoadImageFromFile',
    'LoadAnnotations': 'CheckedLoadAnnotations',
}
_ANNOTATION_LOADERS = ('LoadAnnotations', 'CheckedLoadAnnotations')

FOLDER_HELP = (
    'A folder dataset is laid out as\n'
    '  DATA_ROOT/IMG_DIR/**/NAME{img_suffix}\n'
    '  DATA_ROOT/ANN_DIR/**/NAME{seg_map_suffix}\n'
    'with data_prefix=dict(img_path=IMG_DIR, seg_map_path=ANN_DIR); each '
    'annotation is a single-channel index mask of the image\'s size. '
    'tools/analysis_tools/check_dataset.py CONFIG reports on it before '
    'training.')

# "name" or "name R G B" (the class's colour; commas or spaces between).
_CLASS_LINE = re.compile(
    r'^(?P<name>.*?)(?:[\s,]+(?P<rgb>\d{1,3}[\s,]+\d{1,3}[\s,]+\d{1,3}))?'
    r'\s*$')


class DatasetLayoutError(FileNotFoundError):
    """The dataset folders are missing, empty or unpaired."""


class DatasetConfigError(ValueError):
    """The dataset's settings cannot describe its masks (classes, palette,
    ``reduce_zero_label``, the ignore index)."""


def read_classes_file(path: str) -> Tuple[List[str], Optional[List[list]]]:
    """The classes (and palette) of a classes file.

    One class per line, in index order (after ``reduce_zero_label``): its
    name, optionally followed by its colour as three integers 0..255
    (``traffic light 250 170 30``). Blank lines and lines starting with
    ``#`` are skipped. Either every class has a colour or none has.

    Returns:
        The class names and the palette (None where no line has a colour).
    """
    if not osp.isfile(path):
        raise DatasetConfigError(f'classes file not found: {path!r}')
    names, colours = [], []
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            match = _CLASS_LINE.match(line)
            name = match['name'].strip()
            rgb = ([int(v) for v in re.split(r'[\s,]+', match['rgb'])]
                   if match['rgb'] else None)
            if not name:
                raise DatasetConfigError(
                    f'{path}:{number}: no class name in {line!r}')
            if rgb and max(rgb) > 255:
                raise DatasetConfigError(
                    f'{path}:{number}: colour {rgb} of {name!r} outside '
                    f'0..255')
            names.append(name)
            colours.append(rgb)
    if not names:
        raise DatasetConfigError(f'{path}: no classes (one name per line)')
    with_colour = [c is not None for c in colours]
    if any(with_colour) and not all(with_colour):
        missing = [n for n, c in zip(names, colours) if c is None]
        raise DatasetConfigError(
            f'{path}: some classes have a colour and {len(missing)} have '
            f'none, e.g. {missing[:3]}: give every class "NAME R G B" or '
            f'none')
    return names, colours if all(with_colour) else None


def use_checked_loaders(pipeline: Any, num_classes: int, ignore_index: int,
                        reduce_zero_label: bool, hint: str = '') -> Any:
    """The pipeline config with mmseg's loaders swapped for the checked
    ones, the annotation loader told the dataset's class count, ignore index,
    ``reduce_zero_label`` and what to say about values outside them; a
    loader that says otherwise is refused here, before any sample."""

    def swap(node: Any) -> Any:
        if isinstance(node, dict):
            node = {k: swap(v) for k, v in node.items()}
            kind = node.get('type')
            if kind in _ANNOTATION_LOADERS:
                if node.get('reduce_zero_label') is None:
                    node.pop('reduce_zero_label', None)  # the dataset's
                for key, value in (('num_classes', num_classes),
                                   ('ignore_index', ignore_index),
                                   ('reduce_zero_label', reduce_zero_label)):
                    if node.setdefault(key, value) != value:
                        raise DatasetConfigError(
                            f'the pipeline\'s {kind} has {key}='
                            f'{node[key]!r}, the dataset {value!r}: leave '
                            f'{key} out of the pipeline (the dataset sets '
                            f'it)')
                node.setdefault('hint', hint)
            if kind in _CHECKED_LOADERS:
                node['type'] = _CHECKED_LOADERS[kind]
            return node
        if isinstance(node, (list, tuple)):
            return type(node)(swap(v) for v in node)
        return node

    return swap(pipeline)


def _remove_skip_log(path: str, owner_pid: int) -> None:
    """The skipped-samples file, once its dataset is gone, by the process
    that created it (a dataloader worker's copy of the dataset goes with the
    worker, while the main process still reads the file)."""
    if os.getpid() == owner_pid:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


@DATASETS.register_module()
class CheckedFolderDataset(SampleSeededDataset, BaseSegDataset):
    """Images and index masks in two folders, checked up front and per
    sample, every error naming the file.

    Up front, before any compute: the classes (``metainfo=dict(classes=...,
    palette=...)`` or ``classes_file``) are given, unique and match the
    palette; the ignore index is no class index; the data root and both
    folders exist, the image folder holds images, every image has its mask
    and every mask its image. While loading (the checked loaders of
    ``transforms/loading.py``): a missing, truncated or undecodable image; a
    mask that is colour-coded, not single-channel, of another size than its
    image, or holds values other than the classes and the ignore index
    (saying what a wrong ``reduce_zero_label`` would look like) raises
    :class:`~.transforms.CorruptSampleError` naming the file.
    ``tools/analysis_tools/check_dataset.py`` reports on every sample at once.

    Args:
        img_suffix: The images' file-name ending, e.g. ``'.jpg'``.
        seg_map_suffix: The masks' file-name ending, e.g. ``'.png'``: a mask
            is named like its image with this ending instead.
        reduce_zero_label: True where 0 in the masks means "unlabelled"
            (ignored) and class ``i`` is stored as ``i + 1`` (ADE20K); False
            where class ``i`` is stored as ``i`` (Cityscapes' labelTrainIds).
        ignore_index: The mask value of pixels that count for nothing; the
            decode head's and the metric's ``ignore_index`` must be the
            same (the configs take all three from one variable).
        classes_file: A file of the class names (and colours), one per line
            (:func:`read_classes_file`), instead of ``metainfo``.
        skip_corrupt: In training, skip such samples instead (another sample
            is drawn); each is logged, and :class:`CorruptSampleReportHook`
            reports the count at the end. Never in test mode, where skipping
            would change the metrics.
        value_map: Stored mask values read as other values, e.g.
            ``{255: 1}`` for binary masks saved as 0/255 (the foreground as
            white); with ``reduce_zero_label=False`` only. mmseg's
            ``label_map``: ``LoadAnnotations`` applies it.
        presence_check_masks: How many masks (evenly spaced) are read when
            the dataset is built, to refuse classes that no mask holds while
            the ignore value covers many pixels (:mod:`.class_presence`:
            0/255 masks read with ``ignore_index=255``). 0 turns the check
            off; the inspector reads every mask.
        **kwargs: ``BaseSegDataset`` arguments (``data_root``,
            ``data_prefix``, ``metainfo``, ``pipeline``, ``ann_file`` ...).
    """

    # What the errors say about the expected layout (``str.format``-ed with
    # the dataset's suffixes); the ADE20K and Cityscapes cases say how to
    # get theirs.
    LAYOUT_HELP = FOLDER_HELP
    # How the layout errors name the dataset.
    DATASET_NAME = 'Folder dataset'
    # What the annotation loader adds to an error about values outside the
    # classes (the Cityscapes case names labelIds vs labelTrainIds).
    OUT_OF_RANGE_HINT = ''

    def __init__(self, img_suffix: Optional[str] = None,
                 seg_map_suffix: Optional[str] = None,
                 reduce_zero_label: Optional[bool] = None,
                 ignore_index: Optional[int] = None,
                 classes_file: Optional[str] = None,
                 skip_corrupt: bool = False,
                 value_map: Optional[Dict[int, int]] = None,
                 presence_check_masks: int = 256, **kwargs) -> None:
        name = type(self).__name__
        explicit = dict(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                        reduce_zero_label=reduce_zero_label,
                        ignore_index=ignore_index)
        unset = [key for key, value in explicit.items() if value is None]
        if unset:
            raise DatasetConfigError(
                f'{name}: set {", ".join(unset)} explicitly (img_suffix and '
                f'seg_map_suffix: the file-name endings, e.g. ".jpg" and '
                f'".png"; reduce_zero_label: True where 0 in the masks means '
                f'"unlabelled" and class i is stored as i + 1, False where '
                f'class i is stored as i; ignore_index: the mask value that '
                f'counts for nothing, usually 255)')
        if not isinstance(reduce_zero_label, bool):
            raise DatasetConfigError(
                f'{name}: reduce_zero_label must be True or False, got '
                f'{reduce_zero_label!r}')
        if not isinstance(ignore_index, int) or isinstance(ignore_index,
                                                           bool):
            raise DatasetConfigError(
                f'{name}: ignore_index must be an int, got '
                f'{ignore_index!r}')
        if classes_file is not None:
            kwargs['metainfo'] = self._metainfo_from_file(
                classes_file, kwargs.get('metainfo'))
        self._check_palette(kwargs.get('metainfo') or {})
        self.classes_file = classes_file
        self.skip_corrupt = skip_corrupt
        self.value_map = self._check_value_map(value_map, reduce_zero_label)
        self.presence_check_masks = presence_check_masks
        self.skip_log: Optional[str] = None
        if skip_corrupt:
            # Created before the dataloader forks its workers, so every
            # worker appends to the same file.
            fd, self.skip_log = tempfile.mkstemp(prefix='skipped_samples_',
                                                 suffix='.txt')
            os.close(fd)
            # Removed with the dataset (or at exit) by the process that made
            # it, never by a worker's copy.
            self._skip_log_cleanup = weakref.finalize(
                self, _remove_skip_log, self.skip_log, os.getpid())
        # The pipeline is swapped once the classes are known (below); mmseg
        # builds it in its __init__, so it gets none there.
        pipeline = kwargs.pop('pipeline', [])
        lazy_init = kwargs.pop('lazy_init', False)
        super().__init__(img_suffix=img_suffix,
                         seg_map_suffix=seg_map_suffix,
                         reduce_zero_label=reduce_zero_label,
                         ignore_index=ignore_index, lazy_init=True, **kwargs)
        self._check_classes()
        if self.value_map:
            if self.label_map:
                raise DatasetConfigError(
                    f'{name}: value_map and classes that select from the '
                    f'dataset\'s own ({self.label_map}): use one of them')
            self.label_map = self.value_map
            self._metainfo['label_map'] = self.value_map
        from mmengine.dataset import Compose
        self.pipeline = Compose(use_checked_loaders(
            pipeline, len(self.metainfo['classes']), ignore_index,
            reduce_zero_label, self.OUT_OF_RANGE_HINT))
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        checked = self._fully_initialized
        super().full_init()
        if not checked and self.presence_check_masks > 0:
            self._check_class_presence()

    def _check_value_map(self, value_map: Optional[dict],
                         reduce_zero_label: bool) -> Optional[dict]:
        if not value_map:
            return None
        name = type(self).__name__
        if reduce_zero_label:
            raise DatasetConfigError(
                f'{name}: value_map with reduce_zero_label=True: give one '
                f'of them (value_map maps the stored values as they are)')
        bad = {k: v for k, v in dict(value_map).items()
               if not (isinstance(k, int) and isinstance(v, int)
                       and 0 <= k <= 255 and 0 <= v <= 255)}
        if bad:
            raise DatasetConfigError(
                f'{name}: value_map maps stored mask values 0..255 to '
                f'classes or the ignore index (ints), got {bad}')
        return {int(k): int(v) for k, v in dict(value_map).items()}

    def _check_class_presence(self) -> None:
        """Read up to ``presence_check_masks`` masks (evenly spaced) and
        refuse classes that none holds while the ignore value covers many
        pixels (:func:`~.class_presence.hidden_class_message`)."""
        from mmengine import fileio

        from .class_presence import hidden_class_message, stored_histogram
        from .masks import decode_mask
        total = len(self)
        if not total or not self.data_prefix.get('seg_map_path'):
            return
        loader = next((t for t in getattr(self.pipeline, 'transforms', [])
                       if isinstance(t, CheckedLoadAnnotations)), None)
        backend = loader.imdecode_backend if loader else 'pillow'
        args = loader.backend_args if loader else self.backend_args
        count = min(total, self.presence_check_masks)
        stored: Dict[int, int] = {}
        paths = []
        for idx in np.linspace(0, total - 1, count).round().astype(int):
            path = self.get_data_info(int(idx))['seg_map_path']
            try:
                seg = decode_mask(fileio.get(path, backend_args=args),
                                  backend)
            except Exception:  # noqa: BLE001 - the loader names it
                continue
            if seg is None or seg.squeeze().ndim != 2 or not seg.size or \
                    seg.max() > 255 or seg.min() < 0:
                continue  # the loader names it
            paths.append(path)
            seg = seg.squeeze().astype(np.uint8)  # as LoadAnnotations casts
            for value, pixels in stored_histogram(seg).items():
                stored[value] = stored.get(value, 0) + pixels
        read = (f'any of the {len(paths)} masks read when the dataset was '
                f'built (of {total})' if len(paths) < total else
                f'any of its {total} masks')
        message = hidden_class_message(
            self.metainfo['classes'], stored, self.ignore_index,
            self.reduce_zero_label, self.label_map, read)
        if message:
            folder = self.data_prefix.get('seg_map_path')
            raise DatasetConfigError(
                f'{type(self).__name__} {folder}: {message}. (Masks read: '
                f'{paths[:3]}{" ..." if len(paths) > 3 else ""}; if the '
                f'classes are really absent from this split and the ignored '
                f'pixels are right, presence_check_masks=0 turns this check '
                f'off.)')

    @staticmethod
    def _metainfo_from_file(path: str, metainfo: Optional[dict]) -> dict:
        if metainfo and 'classes' in metainfo:
            raise DatasetConfigError(
                f'classes given twice: classes_file={path!r} and '
                f'metainfo.classes; keep one')
        names, palette = read_classes_file(path)
        metainfo = dict(metainfo or {}, classes=tuple(names))
        if palette is not None:
            if 'palette' in metainfo:
                raise DatasetConfigError(
                    f'palette given twice: in {path!r} and metainfo.palette; '
                    f'keep one')
            metainfo['palette'] = palette
        return metainfo

    def _check_classes(self) -> None:
        name = type(self).__name__
        classes = self.metainfo.get('classes')
        if not classes:
            raise DatasetConfigError(
                f'{name}: no classes: give metainfo=dict(classes=(...), '
                f'palette=[...]) or classes_file=FILE (one class name per '
                f'line, optionally followed by its colour "R G B")')
        classes = list(classes)
        repeated = sorted({c for c in classes if classes.count(c) > 1})
        if repeated:
            raise DatasetConfigError(
                f'{name}: class names repeated: {repeated}')
        self._check_palette(self.metainfo)
        if self.reduce_zero_label and self.ignore_index != 255:
            # mmseg's LoadAnnotations maps 0 to 255 (not to ignore_index)
            raise DatasetConfigError(
                f'{name}: reduce_zero_label=True turns 0 into 255, so '
                f'ignore_index must be 255 (got {self.ignore_index})')
        if not 0 <= self.ignore_index <= 255:
            # LoadAnnotations casts every mask to uint8
            raise DatasetConfigError(
                f'{name}: ignore_index={self.ignore_index}: mmseg reads masks '
                f'as 8-bit (LoadAnnotations casts them to uint8), so the '
                f'ignore index is one of 0..255 (usually 255) and there are '
                f'at most 255 classes')
        if len(classes) > 255:
            raise DatasetConfigError(
                f'{name}: {len(classes)} classes: mmseg reads masks as 8-bit '
                f'(LoadAnnotations casts them to uint8), which holds at most '
                f'255 classes and the ignore index')
        if 0 <= self.ignore_index < len(classes):
            raise DatasetConfigError(
                f'{name}: ignore_index={self.ignore_index} is the index of '
                f'class {classes[self.ignore_index]!r}, whose pixels would '
                f'then count for nothing; use a value outside '
                f'0..{len(classes) - 1} (usually 255)')

    def _check_palette(self, metainfo: dict) -> None:
        # before mmseg's own check, which names neither the counts nor the
        # colour
        classes, palette = metainfo.get('classes'), metainfo.get('palette')
        if classes is None or palette is None:
            return
        bad = [c for c in palette
               if len(c) != 3 or not all(0 <= int(v) <= 255 for v in c)]
        if len(palette) != len(classes) or bad:
            raise DatasetConfigError(
                f'{type(self).__name__}: the palette must give one colour '
                f'[R, G, B] (0..255) per class: {len(classes)} classes, '
                f'{len(palette)} colours' + (f', e.g. {bad[0]}' if bad
                                             else ''))

    def prepare_data(self, idx: int) -> Any:
        try:
            return super().prepare_data(idx)
        except CorruptSampleError as err:
            if not self.skip_corrupt or self.test_mode:
                raise
            print_log(f'Skipping a corrupt sample: {err}', logger='current',
                      level=30)
            with open(self.skip_log, 'a') as f:
                f.write(f'{err}\n')
            return None  # BaseDataset.__getitem__ then draws another index

    def skipped_samples(self) -> List[str]:
        """The corrupt samples skipped so far, by every worker."""
        if not self.skip_log or not osp.exists(self.skip_log):
            return []
        with open(self.skip_log) as f:
            return [line.rstrip('\n') for line in f if line.strip()]

    def layout_help(self) -> str:
        return self.LAYOUT_HELP.format(img_suffix=self.img_suffix,
                                       seg_map_suffix=self.seg_map_suffix)

    def load_data_list(self) -> List[dict]:
        what = self.DATASET_NAME
        img_dir = self.data_prefix.get('img_path')
        ann_dir = self.data_prefix.get('seg_map_path')
        if (ann_dir and img_dir and self.img_suffix == self.seg_map_suffix
                and osp.abspath(img_dir) == osp.abspath(ann_dir)):
            raise DatasetConfigError(
                f'{what}: images and masks in one folder {img_dir!r} with '
                f'one suffix {self.img_suffix!r}: each image would be its '
                f'own mask; give the masks their own suffix or folder')
        data_list, problems = list_samples(self)
        if not problems:
            return data_list
        kind = problems[0].kind
        files = [p.path for p in problems if p.kind == kind]
        first = problems[0]
        if kind == 'missing_folder':
            raise DatasetLayoutError(
                f'{what} {first.detail} not found: {first.path!r}.\n'
                f'{self.layout_help()}')
        if kind == 'no_images':
            raise DatasetLayoutError(
                f'No *{self.img_suffix} images in {first.path!r} '
                f'({what}).\n{self.layout_help()}')
        if kind == 'missing_image':
            raise DatasetLayoutError(
                f'{len(files)} image(s) named in {self.ann_file!r} not '
                f'found, e.g. {files[:3]}.')
        if kind == 'orphan_image':
            raise DatasetLayoutError(
                f'{len(files)} image(s) in {img_dir!r} have no annotation '
                f'*{self.seg_map_suffix} in {ann_dir!r}, e.g. {files[:3]} '
                f'({first.detail}).')
        raise DatasetLayoutError(
            f'{len(files)} annotation(s) in {ann_dir!r} have no image '
            f'*{self.img_suffix} in {img_dir!r}, e.g. '
            f'{[osp.relpath(f, ann_dir) for f in files[:3]]}.')


class LayoutProblem(NamedTuple):
    """What is wrong with a dataset's files: ``kind`` (``missing_folder``,
    ``no_images``, ``missing_image`` (named in the split file),
    ``orphan_image`` (no mask), ``orphan_mask`` (no image)), the file or
    folder, and what was expected."""
    kind: str
    path: str
    detail: str


def list_samples(dataset: BaseSegDataset
                 ) -> Tuple[List[dict], List[LayoutProblem]]:
    """A segmentation dataset's samples as mmseg lists them, and every
    layout problem, sorted by kind in the order above: the one decision that
    :class:`CheckedFolderDataset` (which raises at the first) and the
    inspector (which reports them all) share.

    Files are listed as mmseg lists them (``mmengine.fileio``, with the
    dataset's ``backend_args``: hidden files skipped, symlinked folders
    followed). With a split file (``ann_file``) masks it does not name
    belong to another split and are no orphans. Where masks sit next to the
    images with a longer suffix (``.png`` / ``_mask.png``), the masks are
    not listed as images.
    """
    from mmengine import fileio
    args = dataset.backend_args
    root = dataset.data_root or ''
    img_dir = dataset.data_prefix.get('img_path') or ''
    ann_dir = dataset.data_prefix.get('seg_map_path')
    problems = []
    if root and not fileio.isdir(root, backend_args=args):
        problems.append(LayoutProblem('missing_folder', root, 'data root'))
    for kind, folder in (('image', img_dir), ('annotation', ann_dir)):
        if folder and not fileio.isdir(folder, backend_args=args):
            problems.append(LayoutProblem('missing_folder', folder,
                                          f'{kind} folder'))
    if problems:
        return [], problems[:1] if root in [p.path for p in problems] \
            else problems
    # mmseg's listing, not a checked subclass's (which raises)
    lister = (super(CheckedFolderDataset, dataset)
              if isinstance(dataset, CheckedFolderDataset) else dataset)
    data_list = lister.load_data_list()
    shared = bool(ann_dir) and osp.abspath(ann_dir) == osp.abspath(img_dir)
    if shared and dataset.seg_map_suffix.endswith(dataset.img_suffix):
        data_list = [d for d in data_list
                     if not d['img_path'].endswith(dataset.seg_map_suffix)]
    if not data_list:
        return [], [LayoutProblem('no_images', img_dir,
                                  f'*{dataset.img_suffix} files')]
    if dataset.ann_file:
        problems += [LayoutProblem('missing_image', d['img_path'],
                                   f'named in {dataset.ann_file}')
                     for d in data_list
                     if not fileio.isfile(d['img_path'], backend_args=args)]
    if ann_dir:
        problems += [LayoutProblem('orphan_image', d['img_path'],
                                   f'expected {d["seg_map_path"]}')
                     for d in data_list
                     if not fileio.isfile(d['seg_map_path'],
                                          backend_args=args)]
    if ann_dir and not dataset.ann_file:
        paired = {osp.relpath(d['seg_map_path'], ann_dir) for d in data_list}
        images = {osp.relpath(d['img_path'], img_dir) for d in data_list}
        masks = fileio.list_dir_or_file(
            ann_dir, list_dir=False, suffix=dataset.seg_map_suffix,
            recursive=True, backend_args=args)
        problems += [LayoutProblem(
            'orphan_mask', osp.join(ann_dir, mask),
            f'expected an image *{dataset.img_suffix} in {img_dir}')
            for mask in sorted(masks)
            if mask not in paired and not (shared and mask in images)]
    order = ('missing_image', 'orphan_image', 'orphan_mask')
    problems.sort(key=lambda p: (order.index(p.kind), p.path))
    return data_list, problems
