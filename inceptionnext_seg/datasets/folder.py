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
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .sample_randomness import SampleSeededDataset
from .transforms.loading import CorruptSampleError

__all__ = ['CheckedFolderDataset', 'DatasetConfigError', 'DatasetLayoutError',
           'FOLDER_HELP', 'read_classes_file', 'use_checked_loaders']

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
    'tools/check_dataset.py CONFIG reports on it before training.')

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
                        hint: str = '') -> Any:
    """The pipeline config with mmseg's loaders swapped for the checked
    ones, the annotation loader told the dataset's class count, ignore index
    and what to say about values outside them."""

    def swap(node: Any) -> Any:
        if isinstance(node, dict):
            node = {k: swap(v) for k, v in node.items()}
            kind = node.get('type')
            if kind in _ANNOTATION_LOADERS:
                for key, value in (('num_classes', num_classes),
                                   ('ignore_index', ignore_index)):
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
    ``tools/check_dataset.py`` reports on every sample at once.

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
                 skip_corrupt: bool = False, **kwargs) -> None:
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
        self.skip_log: Optional[str] = None
        if skip_corrupt:
            # Created before the dataloader forks its workers, so every
            # worker appends to the same file.
            fd, self.skip_log = tempfile.mkstemp(prefix='skipped_samples_',
                                                 suffix='.txt')
            os.close(fd)
        # The pipeline is swapped once the classes are known (below); mmseg
        # builds it in its __init__, so it gets none there.
        pipeline = kwargs.pop('pipeline', [])
        lazy_init = kwargs.pop('lazy_init', False)
        super().__init__(img_suffix=img_suffix,
                         seg_map_suffix=seg_map_suffix,
                         reduce_zero_label=reduce_zero_label,
                         ignore_index=ignore_index, lazy_init=True, **kwargs)
        self._check_classes()
        from mmengine.dataset import Compose
        self.pipeline = Compose(use_checked_loaders(
            pipeline, len(self.metainfo['classes']), ignore_index,
            self.OUT_OF_RANGE_HINT))
        if not lazy_init:
            self.full_init()

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
        img_dir = self.data_prefix.get('img_path')
        ann_dir = self.data_prefix.get('seg_map_path')
        root = self.data_root or ''
        what = self.DATASET_NAME
        if root and not osp.isdir(root):
            raise DatasetLayoutError(
                f'{what} data root not found: {root!r}.\n'
                f'{self.layout_help()}')
        for kind, folder in (('image', img_dir), ('annotation', ann_dir)):
            if folder and not osp.isdir(folder):
                raise DatasetLayoutError(
                    f'{what} {kind} folder not found: {folder!r} (data root '
                    f'{root!r}).\n{self.layout_help()}')
        if (ann_dir and img_dir and osp.samefile(img_dir, ann_dir)
                and self.img_suffix == self.seg_map_suffix):
            raise DatasetConfigError(
                f'{what}: images and masks in one folder {img_dir!r} with '
                f'one suffix {self.img_suffix!r}: each image would be its '
                f'own mask; give the masks their own suffix or folder')
        data_list = super().load_data_list()
        if not data_list:
            raise DatasetLayoutError(
                f'No *{self.img_suffix} images in {img_dir!r} ({what}).\n'
                f'{self.layout_help()}')
        if self.ann_file:
            # a split file names the samples: its images must exist; masks
            # it does not name belong to another split
            absent = sorted(d['img_path'] for d in data_list
                            if not osp.isfile(d['img_path']))
            if absent:
                raise DatasetLayoutError(
                    f'{len(absent)} image(s) named in {self.ann_file!r} not '
                    f'found, e.g. {absent[:3]}.')
        if ann_dir:
            missing, orphans = unpaired(data_list, ann_dir,
                                        self.seg_map_suffix, self.img_suffix)
            if missing:
                expected = [d['seg_map_path'] for d in data_list
                            if d['img_path'] == missing[0]][0]
                raise DatasetLayoutError(
                    f'{len(missing)} image(s) in {img_dir!r} have no '
                    f'annotation *{self.seg_map_suffix} in {ann_dir!r}, e.g. '
                    f'{missing[:3]} (expected {expected}).')
            if orphans and not self.ann_file:
                raise DatasetLayoutError(
                    f'{len(orphans)} annotation(s) in {ann_dir!r} have no '
                    f'image *{self.img_suffix} in {img_dir!r}, e.g. '
                    f'{orphans[:3]}.')
        return data_list


def unpaired(data_list: Sequence[Dict], ann_dir: str, seg_map_suffix: str,
             img_suffix: str) -> Tuple[List[str], List[str]]:
    """The images without a mask (their paths) and the masks without an
    image (their paths relative to ``ann_dir``), each sorted."""
    missing = sorted(d['img_path'] for d in data_list
                     if not osp.isfile(d['seg_map_path']))
    paired = {osp.relpath(d['seg_map_path'], ann_dir) for d in data_list}
    orphans = sorted(
        str(p.relative_to(ann_dir))
        for p in Path(ann_dir).rglob(f'*{seg_map_suffix}')
        if str(p.relative_to(ann_dir)) not in paired
        # a mask folder shared with the images: an image is no orphan
        and not str(p).endswith(img_suffix))
    return missing, orphans
