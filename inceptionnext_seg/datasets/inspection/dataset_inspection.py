"""Inspecting a dataset, or each split of a config: every sample read as
the split's loaders read it (:mod:`.reading`), the label values summarised
(:mod:`.label_values`), the config checked against its datasets
(:mod:`.config_checks`), and every finding collected (:mod:`.findings`)
instead of stopping at the first, as the checked datasets do.
"""
import copy
import time
from typing import (Any, Callable, Dict, Iterator, List, Optional, Sequence,
                    Tuple)

from ..folder import list_samples
from .config_checks import config_findings
from .findings import Finding, FindingsByKind, InspectionReport, SplitReport
from .label_values import summarise_values
from .reading import (APPLIES_ORIENTATION, ReadContext, read_samples,
                      split_loaders)

__all__ = ['inspect_dataset', 'inspect_config', 'folder_dataset_config']

_WRAPPERS = ('RepeatDataset', 'ClassBalancedDataset')


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
    findings = FindingsByKind()
    img_loader, ann_loader, notes = split_loaders(dataset)
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
        ctx = ReadContext(
            img_loader=img_loader, ann_backend=ann_loader.imdecode_backend,
            ann_backend_args=ann_loader.backend_args,
            applies_orientation=img_loader.color_type in
            APPLIES_ORIENTATION and img_loader.imdecode_backend in
            ('cv2', 'pillow'))
        samples = list(read_samples(data_list, ctx, workers, progress))
    summarise_values(report, samples, findings,
                     getattr(dataset, 'label_map', None),
                     getattr(dataset, 'OUT_OF_RANGE_HINT', ''))
    report.findings = list(findings.values())
    report.other_setting = '; '.join(notes + [report.other_setting]) \
        if notes else report.other_setting
    report.seconds = time.perf_counter() - start
    return report


def folder_dataset_config(images: str, masks: str, reduce_zero_label: bool,
                          ignore_index: int = 255,
                          classes_file: Optional[str] = None,
                          num_classes: Optional[int] = None,
                          img_suffix: str = '.jpg',
                          seg_map_suffix: str = '.png',
                          value_map: Optional[Dict[int, int]] = None) -> dict:
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
    if value_map:
        settings['value_map'] = dict(value_map)
    if classes_file is not None:
        settings['classes_file'] = classes_file
    else:
        settings['metainfo'] = dict(classes=tuple(
            f'class_{i}' for i in range(num_classes)))
    return settings


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


def _list_samples(dataset, findings: FindingsByKind) -> Optional[List[dict]]:
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


def _dataset_leaves(cfg: Any, name: str) -> Iterator[Tuple[str, Any]]:
    """The datasets inside dataset wrappers (Repeat, ClassBalanced, Concat)."""
    if cfg.get('type') in _WRAPPERS and 'dataset' in cfg:
        yield from _dataset_leaves(cfg['dataset'], name)
    elif 'datasets' in cfg:
        for i, inner in enumerate(cfg['datasets']):
            yield from _dataset_leaves(inner, f'{name}[{i}]')
    else:
        yield name, cfg
