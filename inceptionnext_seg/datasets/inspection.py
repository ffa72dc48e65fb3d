"""The dataset inspector behind ``tools/check_dataset.py``: every sample of a
split read as the config's loaders read it, and everything that would make
training wrong reported at once, each finding naming its files.

The checked datasets (``folder.py``) raise at the first problem, which is
right for training; here nothing stops early: the layout is listed without
their up-front checks (:func:`~.folder.list_samples` gives them all), each
sample is read with the split's own ``LoadImageFromFile`` and
``LoadAnnotations`` settings (``imdecode_backend``, ``color_type``,
``backend_args``, ``reduce_zero_label``, the dataset's ``label_map``) and
no random augmentation, and every finding is collected.

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
import copy
import multiprocessing
import os.path as osp
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import (Any, Callable, Dict, Iterator, List, Optional, Sequence,
                    Tuple)

import numpy as np

from .folder import list_samples
from .masks import (MASK_PROBLEMS, decode_mask, mask_problems,
                    out_of_range_message, training_values)
from .transforms.loading import jpeg_truncation

__all__ = ['KINDS', 'Finding', 'SplitReport', 'InspectionReport',
           'inspect_dataset', 'inspect_config', 'folder_dataset_config',
           'config_findings', 'format_report']

ERROR, WARNING = 'error', 'warning'

#: Each kind of finding: its severity (an error would make training wrong,
#: a warning would not) and what the report says about it.
KINDS: Dict[str, Tuple[str, str]] = {
    'no_dataset': (ERROR, 'the dataset cannot be built'),
    'missing_folder': (ERROR, 'folder not found'),
    'no_images': (ERROR, 'no images'),
    'missing_image': (ERROR, 'images named in the split file not found'),
    'orphan_image': (ERROR, 'images without a mask'),
    'orphan_mask': (ERROR, 'masks without an image'),
    'unreadable_image': (ERROR, 'images that cannot be decoded'),
    'truncated_image': (ERROR, 'truncated JPEG images (the decoder may fill '
                               'the missing rows with grey)'),
    'unreadable_mask': (ERROR, 'masks that cannot be decoded'),
    'size_mismatch': (ERROR, 'masks of another size than their image'),
    'exif_rotation': (ERROR, 'images turned by their EXIF orientation on '
                             'decode while their masks are read as stored '
                             '(labels would not line up); save the images '
                             'with the orientation applied, or load them '
                             "with color_type='color_ignore_orientation'"),
    'colour_mask': (ERROR, MASK_PROBLEMS['colour_mask']),
    'grey_as_rgb_mask': (ERROR, MASK_PROBLEMS['grey_as_rgb_mask']),
    'alpha_mask': (ERROR, MASK_PROBLEMS['alpha_mask']),
    'jpeg_mask': (ERROR, MASK_PROBLEMS['jpeg_mask']),
    'deep_mask': (ERROR, MASK_PROBLEMS['deep_mask']),
    'out_of_range': (ERROR, 'label values that are neither a class nor the '
                            'ignore index'),
    'reduce_zero_label_conflict': (ERROR, 'LoadAnnotations and the dataset '
                                          'disagree on reduce_zero_label '
                                          '(mmseg stops at the first mask)'),
    'no_class_zero': (WARNING, 'class 0 has no pixels in any mask'),
    'deep_image': (WARNING, '16-bit images (decoded to 8 bits)'),
    'alpha_image': (WARNING, 'images with an alpha channel (dropped on '
                             'decode: transparent pixels keep their colour)'),
    'exif_applied': (WARNING, 'images with an EXIF orientation whose masks '
                              'match the turned image'),
    'no_annotations': (WARNING, 'the split names no mask folder'),
    'head_num_classes': (ERROR, "a head's num_classes differs from the "
                                "dataset's classes"),
    'ignore_index': (ERROR, 'ignore_index differs between the dataset and '
                            'the model, the metric or the crop'),
    'seg_pad_val': (ERROR, 'the label of padded or filled-in pixels (the '
                           "data preprocessor's seg_pad_val, a pipeline "
                           "transform's) is not the ignore index"),
    'classes_differ': (ERROR, 'the splits have different classes'),
}

# LoadImageFromFile colour types whose decode applies the EXIF orientation
# (mmcv 2.1, both backends; see the module docstring).
_APPLIES_ORIENTATION = ('color', 'grayscale')
_ORIENTATION_TAG = 0x0112
_PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
_WRAPPERS = ('RepeatDataset', 'ClassBalancedDataset')


@dataclass
class Finding:
    """One kind of problem and the files that have it.

    Args:
        kind: A key of :data:`KINDS`.
        files: The files concerned (or the config).
        details: What was found in each file, by file.
    """
    kind: str
    files: List[str] = field(default_factory=list)
    details: Dict[str, str] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return KINDS[self.kind][0]

    @property
    def title(self) -> str:
        return KINDS[self.kind][1]

    def add(self, file: str, detail: str = '') -> None:
        if file not in self.details:
            self.files.append(file)
            self.details[file] = detail
        elif detail and detail not in self.details[file]:
            # a config is one file with many settings: keep each
            self.details[file] += '; ' + detail

    def to_json(self) -> dict:
        return dict(kind=self.kind, severity=self.severity, title=self.title,
                    files=[dict(file=f, detail=self.details[f])
                           for f in self.files])


class _Findings(dict):
    """Findings by kind, in the order first found."""

    def add(self, kind: str, file: str, detail: str = '') -> None:
        self.setdefault(kind, Finding(kind)).add(file, detail)


@dataclass
class SplitReport:
    """What was found in one split."""
    name: str
    dataset_type: str = ''
    img_dir: str = ''
    ann_dir: str = ''
    classes: Tuple[str, ...] = ()
    ignore_index: int = 255
    reduce_zero_label: bool = False
    num_images: int = 0
    findings: List[Finding] = field(default_factory=list)
    sizes: Counter = field(default_factory=Counter)
    # stored value -> [pixels, files, example files]
    values: Dict[int, list] = field(default_factory=dict)
    meanings: Dict[int, str] = field(default_factory=dict)
    class_pixels: List[int] = field(default_factory=list)
    other_setting: str = ''
    seconds: float = 0.0

    @property
    def errors(self) -> List[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    def to_json(self) -> dict:
        return dict(
            name=self.name, dataset_type=self.dataset_type,
            img_dir=self.img_dir, ann_dir=self.ann_dir,
            classes=list(self.classes), ignore_index=self.ignore_index,
            reduce_zero_label=self.reduce_zero_label,
            num_images=self.num_images, seconds=round(self.seconds, 3),
            findings=[f.to_json() for f in self.findings],
            sizes=[dict(height=h, width=w, images=n)
                   for (h, w), n in self.sizes.most_common()],
            label_values=[dict(value=v, meaning=self.meanings.get(v, ''),
                               pixels=p, files=n, examples=ex)
                          for v, (p, n, ex) in sorted(self.values.items())],
            class_pixels=dict(zip(self.classes, self.class_pixels)),
            other_reduce_zero_label=self.other_setting)


@dataclass
class InspectionReport:
    """Everything found: per split, and in the config."""
    source: str
    splits: List[SplitReport] = field(default_factory=list)
    findings: List[Finding] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing found would make training wrong."""
        return not any(f.severity == ERROR for f in self.findings) and \
            not any(s.errors for s in self.splits)

    def to_json(self) -> dict:
        return dict(source=self.source, ok=self.ok, notes=self.notes,
                    config_findings=[f.to_json() for f in self.findings],
                    splits=[s.to_json() for s in self.splits])


@dataclass
class _Context:
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


def _read_image(path: str, ctx: _Context, problems: list
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


def _read_mask(path: str, ctx: _Context, header_mode: Callable[[], str],
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


def _inspect_sample(info: dict, ctx: _Context) -> dict:
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


_WORKER_CTX: Optional[_Context] = None


def _init_worker(ctx: _Context) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx


def _work(info: dict) -> dict:
    return _inspect_sample(info, _WORKER_CTX)


def _loaders(dataset) -> Tuple[Any, Any, List[str]]:
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


def _list_samples(dataset, findings: _Findings) -> Optional[List[dict]]:
    try:
        data_list, problems = list_samples(dataset)
    except Exception as err:  # noqa: BLE001 - report it, with its message
        img_dir = dataset.data_prefix.get('img_path') or ''
        findings.add('no_dataset', img_dir, f'{type(err).__name__}: {err}')
        return None
    for problem in problems:
        findings.add(*problem)
    if not data_list:
        return None
    if not dataset.data_prefix.get('seg_map_path'):
        findings.add('no_annotations', dataset.data_prefix.get('img_path'),
                     'no seg_map_path')
    missing = {p.path for p in problems if p.kind == 'missing_image'}
    return [d for d in data_list if d['img_path'] not in missing]


def inspect_dataset(dataset, name: str = 'data', workers: int = 1,
                    progress: Optional[Callable[[int, int], None]] = None
                    ) -> SplitReport:
    """Read every sample of a built mmseg dataset (``lazy_init`` is enough)
    as its loaders do, and report.

    Args:
        dataset: A ``BaseSegDataset`` (a checked one or any other).
        name: The split's name in the report.
        workers: Processes reading samples (1: this one).
        progress: Called as ``progress(done, total)`` now and then.

    Returns:
        The split's report; its ``errors`` are what would make training
        wrong.
    """
    start = time.perf_counter()
    classes = tuple(dataset.metainfo.get('classes') or ())
    report = SplitReport(
        name=name, dataset_type=type(dataset).__name__,
        img_dir=dataset.data_prefix.get('img_path') or '',
        ann_dir=dataset.data_prefix.get('seg_map_path') or '',
        classes=classes, ignore_index=int(dataset.ignore_index),
        reduce_zero_label=bool(dataset.reduce_zero_label))
    findings = _Findings()
    img_loader, ann_loader, notes = _loaders(dataset)
    if (ann_loader.reduce_zero_label is not None
            and ann_loader.reduce_zero_label != dataset.reduce_zero_label):
        findings.add('reduce_zero_label_conflict', report.img_dir,
                     f'LoadAnnotations(reduce_zero_label='
                     f'{ann_loader.reduce_zero_label}), dataset '
                     f'reduce_zero_label={dataset.reduce_zero_label}')
    data_list = _list_samples(dataset, findings)
    samples: List[dict] = []
    if data_list:
        report.num_images = len(data_list)
        ctx = _Context(
            img_loader=img_loader, ann_backend=ann_loader.imdecode_backend,
            ann_backend_args=ann_loader.backend_args,
            applies_orientation=img_loader.color_type in
            _APPLIES_ORIENTATION and img_loader.imdecode_backend in
            ('cv2', 'pillow'))
        samples = list(_read_all(data_list, ctx, workers, progress))
    _summarise(report, samples, findings,
               getattr(dataset, 'label_map', None),
               getattr(dataset, 'OUT_OF_RANGE_HINT', ''))
    report.findings = list(findings.values())
    report.other_setting = '; '.join(notes + [report.other_setting]) \
        if notes else report.other_setting
    report.seconds = time.perf_counter() - start
    return report


def _read_all(data_list: List[dict], ctx: _Context, workers: int,
              progress: Optional[Callable[[int, int], None]]
              ) -> Iterator[dict]:
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


def _summarise(report: SplitReport, samples: List[dict],
               findings: _Findings, label_map: Optional[dict],
               hint: str = '') -> None:
    num_classes = len(report.classes)
    values: Dict[int, list] = {}
    for sample in samples:
        for kind, path, detail in sample['problems']:
            findings.add(kind, path, detail)
        if sample['shape'] is not None:
            report.sizes[sample['shape']] += 1
        if sample['values'] is None:
            continue
        for value, count in zip(*sample['values']):
            entry = values.setdefault(value, [0, 0, []])
            entry[0] += count
            entry[1] += 1
            if len(entry[2]) < 3:
                entry[2].append(sample['mask_path'])
    report.values = values
    current = _meanings(values, num_classes, report.ignore_index,
                        report.reduce_zero_label, label_map, report.classes)
    report.meanings = {v: m for v, (m, _) in current.items()}
    report.class_pixels = [0] * num_classes
    for value, (_, train) in current.items():
        if 0 <= train < num_classes:
            report.class_pixels[train] += values[value][0]
    out_of_range = {v for v, (m, _) in current.items()
                    if m.startswith('OUT OF RANGE')}
    if out_of_range:
        other = _meanings(values, num_classes, report.ignore_index,
                          not report.reduce_zero_label, label_map,
                          report.classes)
        fixed = not any(m.startswith('OUT OF RANGE')
                        for m, _ in other.values())
        for sample in samples:
            if sample['values'] is None:
                continue
            bad = sorted(set(sample['values'][0]) & out_of_range)
            if bad:
                # the checked loader's words, in the file's own encoding
                findings.add('out_of_range', sample['mask_path'],
                             out_of_range_message(
                                 bad, num_classes, report.ignore_index,
                                 report.reduce_zero_label, fixed, hint))
    if values and num_classes > 1 and not report.reduce_zero_label and \
            current.get(0, ('', -1))[1] != 0 and not out_of_range:
        name = report.classes[0] if report.classes else '0'
        findings.add('no_class_zero', report.ann_dir,
                     f'no mask holds 0 ({name!r}): if the masks are '
                     f'1-based (0 = unlabelled, class i stored as i + 1), '
                     f'reduce_zero_label=True is the setting and every '
                     f'class is now read one too high')
    report.other_setting = _other_setting(report, label_map)


def _meanings(values: Dict[int, list], num_classes: int, ignore_index: int,
              reduce_zero_label: bool, label_map: Optional[dict],
              classes: Sequence[str]) -> Dict[int, Tuple[str, int]]:
    """(meaning, training value) of each stored value."""
    table = training_values(reduce_zero_label, label_map)
    out = {}
    for value in values:
        train = int(table[value % 256])
        wrap = f' (wraps to {value % 256})' if value > 255 else ''
        if 0 <= train < num_classes:
            meaning = f'class {train} {classes[train]}{wrap}'
        elif train == ignore_index:
            meaning = ('unlabelled: ignored (reduce_zero_label)'
                       if reduce_zero_label and value == 0 else
                       'ignore index') + wrap
            train = -1
        else:
            meaning = f'OUT OF RANGE (read as {train}){wrap}'
            train = -2
        out[value] = (meaning, train)
    return out


def _other_setting(report: SplitReport, label_map: Optional[dict]) -> str:
    """What the other ``reduce_zero_label`` would do, in counts."""
    if not report.values:
        return ''
    other = not report.reduce_zero_label
    meanings = _meanings(report.values, len(report.classes),
                         report.ignore_index, other, label_map,
                         report.classes)
    pixels = {v: p for v, (p, _, _) in report.values.items()}
    bad = [v for v, (m, _) in meanings.items() if m.startswith('OUT')]
    bad_px = sum(pixels[v] for v in bad)
    # files per value are counted, files per set of values are not
    bad_files = max((report.values[v][1] for v in bad), default=0)
    ignored = sum(pixels[v] for v, (_, t) in meanings.items() if t == -1)
    present = {t for _, t in meanings.values() if t >= 0}
    parts = [f'with reduce_zero_label={other} instead, stored i would be '
             + ('class i - 1 and 0 ignored' if other else
                'class i and 0 class 0')]
    if other and 0 in pixels:
        parts.append(f'the {pixels[0]:,} px stored as 0 would be ignored')
    if not other and 0 in pixels:
        parts.append(f'the {pixels[0]:,} px stored as 0 would be class 0 '
                     f'{report.classes[0]!r}' if report.classes else '')
    parts.append(f'{bad_px:,} px would be out of range'
                 + (f' (values {sorted(bad)[:5]}, in '
                    + ('at least ' if len(bad) > 1 else '')
                    + f'{bad_files} files)' if bad else ''))
    parts.append(f'{ignored:,} px ignored, {len(present)} of '
                 f'{len(report.classes)} classes present')
    return '; '.join(p for p in parts if p)


def folder_dataset_config(images: str, masks: str, reduce_zero_label: bool,
                          ignore_index: int = 255,
                          classes_file: Optional[str] = None,
                          num_classes: Optional[int] = None,
                          img_suffix: str = '.jpg',
                          seg_map_suffix: str = '.png') -> dict:
    """The :class:`~.folder.CheckedFolderDataset` config of two folders
    (the inspector's folder form), read with mmcv's and mmseg's default
    loaders."""
    if (classes_file is None) == (num_classes is None):
        raise ValueError('give classes_file or num_classes (one of them)')
    settings = dict(
        type='CheckedFolderDataset', data_root='',
        data_prefix=dict(img_path=images, seg_map_path=masks),
        img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
        reduce_zero_label=reduce_zero_label, ignore_index=ignore_index,
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='LoadAnnotations')])
    if classes_file is not None:
        settings['classes_file'] = classes_file
    else:
        settings['metainfo'] = dict(classes=tuple(
            f'class_{i}' for i in range(num_classes)))
    return settings


def _dataset_leaves(cfg: Any, name: str) -> Iterator[Tuple[str, Any]]:
    """The datasets inside dataset wrappers (Repeat, ClassBalanced, Concat)."""
    if cfg.get('type') in _WRAPPERS and 'dataset' in cfg:
        yield from _dataset_leaves(cfg['dataset'], name)
    elif 'datasets' in cfg:
        for i, inner in enumerate(cfg['datasets']):
            yield from _dataset_leaves(inner, f'{name}[{i}]')
    else:
        yield name, cfg


def inspect_config(cfg, splits: Sequence[str] = ('train', 'val', 'test'),
                   workers: int = 1,
                   progress: Optional[Callable[[str, int, int], None]] = None,
                   source: str = '') -> InspectionReport:
    """Build each split's dataset of an mmengine config from mmseg's
    ``DATASETS`` and inspect it; then check the config's heads, metric and
    preprocessor against the datasets (:func:`config_findings`).

    A split whose dataset config is the same as an earlier split's (mmseg's
    ``test_dataloader = val_dataloader``) is read once.
    """
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    report = InspectionReport(source=source)
    seen: List[Tuple[str, Any]] = []
    datasets: Dict[str, Any] = {}
    for split in splits:
        loader_cfg = cfg.get(f'{split}_dataloader')
        if not loader_cfg or 'dataset' not in loader_cfg:
            report.notes.append(f'{split}: the config has no '
                                f'{split}_dataloader')
            continue
        for name, dataset_cfg in _dataset_leaves(loader_cfg['dataset'],
                                                 split):
            same = [n for n, c in seen if c == dataset_cfg]
            if same:
                report.notes.append(f'{name}: the same dataset as '
                                    f'{same[0]}, read once')
                continue
            seen.append((name, dataset_cfg))
            built = copy.deepcopy(dataset_cfg)
            built['lazy_init'] = True
            try:
                dataset = DATASETS.build(built)
            except Exception as err:  # noqa: BLE001 - report, go on
                split_report = SplitReport(
                    name=name, dataset_type=str(dataset_cfg.get('type')))
                split_report.findings.append(Finding(
                    'no_dataset', [source or name],
                    {source or name: f'{type(err).__name__}: {err}'}))
                report.splits.append(split_report)
                continue
            datasets[name] = dataset
            report.splits.append(inspect_dataset(
                dataset, name, workers,
                (lambda done, total, n=name: progress(n, done, total))
                if progress else None))
    report.findings = config_findings(cfg, datasets, source or 'config')
    return report


def _heads(model: dict) -> Iterator[Tuple[str, dict]]:
    for key in ('decode_head', 'auxiliary_head'):
        heads = model.get(key)
        if isinstance(heads, dict):
            heads = [heads]
        for i, head in enumerate(heads or []):
            yield (key if len(heads) == 1 else f'{key}[{i}]'), head


def _evaluators(cfg) -> Iterator[Tuple[str, dict]]:
    for split in ('val', 'test'):
        evaluators = cfg.get(f'{split}_evaluator')
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        for evaluator in evaluators or []:
            yield split, evaluator


# Pipeline transforms (mmseg 1.2.2, mmcv 2.1) that write a label into the
# mask: type -> (attribute of the built transform, what it is). mmcv's Pad
# keeps it in pad_val['seg']; RandomCutOut's seg_fill_in None writes
# nothing.
_PAD_LABELS = {
    'RandomRotate': 'seg_pad_val', 'RandomMosaic': 'seg_pad_val',
    'BioMedical3DPad': 'seg_pad_val', 'RandomCutOut': 'seg_fill_in',
}


def _transforms(transform: Any, where: str) -> Iterator[Tuple[str, Any]]:
    """A built pipeline's transforms, those inside wrappers (Compose,
    RandomChoice, RandomApply, KeyMapper, TestTimeAug) included."""
    inner = getattr(transform, 'transforms', None)
    if inner is None:
        inner = getattr(transform, 'subroutines', None)
    if inner is None:
        yield where, transform
        return
    if not isinstance(inner, (list, tuple)):
        inner = [inner]
    for i, item in enumerate(inner):
        yield from _transforms(item, f'{where}[{i}]')


def _pipeline_findings(findings: '_Findings', split: str, dataset: Any,
                       num_classes: int, source: str) -> None:
    """The labels a split's pipeline writes into padded or filled-in
    pixels, and ``RandomCrop``'s ``ignore_index`` (used by its
    ``cat_max_ratio``), against the dataset's ignore index."""
    ignore = int(dataset.ignore_index)
    pipeline = getattr(dataset, 'pipeline', None)
    if pipeline is None:
        return
    for where, transform in _transforms(pipeline, f'{split} pipeline'):
        kind = type(transform).__name__
        if kind == 'Pad' and isinstance(getattr(transform, 'pad_val', None),
                                        dict):
            key, value = "pad_val['seg']", transform.pad_val.get('seg', 255)
        elif kind in _PAD_LABELS:
            key = _PAD_LABELS[kind]
            value = getattr(transform, key, None)
        elif kind == 'RandomCrop' and getattr(transform, 'cat_max_ratio',
                                              1.) < 1.:
            value = getattr(transform, 'ignore_index', 255)
            if value != ignore:
                findings.add('ignore_index', source,
                             f'{where}: {kind}(ignore_index={value}), the '
                             f'dataset\'s {ignore}: cat_max_ratio would '
                             f'count the ignored pixels as a class')
            continue
        else:
            continue
        if value is not None and value != ignore:
            findings.add('seg_pad_val', source,
                         f'{where}: {kind}({key}={value}), the ignore '
                         f'index {ignore}: its pixels would be '
                         + (f'class {value}' if 0 <= value < num_classes
                            else 'out of range'))


def config_findings(cfg, datasets: Dict[str, Any],
                    source: str = 'config') -> List[Finding]:
    """The settings of a config that disagree with its datasets, making
    training silently wrong: a head's ``num_classes``; the ignore index of
    the heads (mmseg's decode heads pass theirs to the loss, so a loss's own
    ``ignore_index`` is overridden and not checked), the metrics
    (``IoUMetric``'s default 255), the preprocessor's ``seg_pad_val`` and,
    in each split's pipeline, the label that ``Pad``, ``RandomRotate``,
    ``RandomMosaic``, ``RandomCutOut`` and ``BioMedical3DPad`` write into
    padded or filled-in pixels and ``RandomCrop``'s ``ignore_index`` (with
    ``cat_max_ratio``); splits with different classes."""
    findings = _Findings()
    if not datasets:
        return []
    first = next(iter(datasets.values()))
    classes = tuple(first.metainfo.get('classes') or ())
    for name, dataset in datasets.items():
        other = tuple(dataset.metainfo.get('classes') or ())
        if other != classes:
            findings.add('classes_differ', source,
                         f'{next(iter(datasets))}: {len(classes)} classes, '
                         f'{name}: {len(other)}')
    ignore = {name: int(d.ignore_index) for name, d in datasets.items()}
    train_ignore = ignore.get('train', next(iter(ignore.values())))
    model = cfg.get('model') or {}
    if model.get('type') == 'SegTTAModel':
        model = model.get('module') or {}
    for key, head in _heads(model):
        num = head.get('num_classes')
        if num is not None and num != len(classes):
            findings.add('head_num_classes', source,
                         f'model.{key}.num_classes={num}, the dataset has '
                         f'{len(classes)} classes')
        head_ignore = head.get('ignore_index', 255)  # BaseDecodeHead's
        if head_ignore != train_ignore:
            findings.add('ignore_index', source,
                         f'model.{key}.ignore_index={head_ignore}, the '
                         f'dataset\'s {train_ignore}')
    for split, evaluator in _evaluators(cfg):
        value = evaluator.get('ignore_index', 255)  # IoUMetric's default
        expected = ignore.get(split, train_ignore)
        if value != expected:
            findings.add('ignore_index', source,
                         f'{split}_evaluator.ignore_index={value}, the '
                         f'dataset\'s {expected}')
    for name, dataset in datasets.items():
        _pipeline_findings(findings, name, dataset, len(classes), source)
    preprocessor = model.get('data_preprocessor') or {}
    pad = preprocessor.get('seg_pad_val', 255)  # SegDataPreProcessor's
    if model and pad != train_ignore:
        findings.add('seg_pad_val', source,
                     f'model.data_preprocessor.seg_pad_val={pad}, the '
                     f'ignore index {train_ignore}: padded pixels would be '
                     + (f'class {pad}' if 0 <= pad < len(classes) else
                        'out of range'))
    return list(findings.values())


def _files(finding: Finding, shown: int) -> List[str]:
    lines = []
    for path in finding.files[:shown]:
        detail = finding.details.get(path)
        lines.append(f'      {path}' + (f': {detail}' if detail else ''))
    if len(finding.files) > shown:
        lines.append(f'      ... and {len(finding.files) - shown} more '
                     f'(all in the JSON report)')
    return lines


def _finding_lines(finding: Finding, shown: int) -> List[str]:
    label = 'ERROR' if finding.severity == ERROR else 'warning'
    return [f'  {label}: {finding.title} ({len(finding.files)})'] + \
        _files(finding, shown)


def format_report(report: InspectionReport, shown: int = 5,
                  all_values: int = 40) -> str:
    """The short human report: per split the images, sizes, label values
    and findings (``shown`` files each), then the config's findings and the
    verdict."""
    lines = [f'Dataset check: {report.source}']
    for split in report.splits:
        lines.append('')
        lines.append(f'[{split.name}] {split.dataset_type}: '
                     f'{split.num_images} images in {split.img_dir or "?"}'
                     + (f', masks in {split.ann_dir}' if split.ann_dir
                        else ''))
        if split.classes:
            lines.append(f'  {len(split.classes)} classes, ignore_index '
                         f'{split.ignore_index}, reduce_zero_label '
                         f'{split.reduce_zero_label}')
        if split.sizes:
            sizes = split.sizes.most_common()
            shown_sizes = ', '.join(f'{w}x{h} ({n})'
                                    for (h, w), n in sizes[:3])
            lines.append(f'  image sizes (w x h): {len(sizes)} distinct: '
                         f'{shown_sizes}' + (' ...' if len(sizes) > 3
                                             else ''))
        if split.values:
            lines.append('  label values as stored -> as training reads '
                         'them (pixels, files):')
            items = sorted(split.values.items())
            plain = [v for v, _ in items
                     if split.meanings[v].startswith('class')]
            for value, (pixels, files, _) in items:
                if len(items) > all_values and value in plain:
                    continue
                lines.append(f'    {value:>5}  {split.meanings[value]:<36} '
                             f'{pixels:>12,} px {files:>6} file(s)')
            if len(items) > all_values:
                lines.append(f'    ({len(plain)} values that are classes '
                             f'not listed: see the JSON report)')
            absent = [c for c, n in zip(split.classes, split.class_pixels)
                      if not n]
            if absent:
                lines.append(f'  {len(absent)} classes without pixels: '
                             + ', '.join(absent[:8])
                             + (' ...' if len(absent) > 8 else ''))
            lines.append(f'  {split.other_setting}')
        for finding in split.findings:
            lines.extend(_finding_lines(finding, shown))
        if not split.findings:
            lines.append('  nothing found')
    if report.findings:
        lines.append('')
        lines.append('[config]')
        for finding in report.findings:
            lines.extend(_finding_lines(finding, shown))
    for note in report.notes:
        lines.append(f'note: {note}')
    errors = sum(len(s.errors) for s in report.splits) + sum(
        f.severity == ERROR for f in report.findings)
    lines.append('')
    lines.append('OK: nothing found that would make training wrong.'
                 if report.ok else
                 f'FAILED: {errors} kind(s) of problem would make training '
                 f'wrong (above).')
    return '\n'.join(lines)
