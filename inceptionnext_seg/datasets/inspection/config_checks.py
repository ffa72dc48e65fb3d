"""The settings of a config that disagree with its datasets: the heads'
``num_classes`` and ignore index, the metrics', the padding labels of the
preprocessor and the pipelines, the crop's ignore index."""
from typing import Any, Dict, Iterator, List, Tuple

from .findings import Finding, FindingsByKind

__all__ = ['config_findings']


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


def _pipeline_findings(findings: FindingsByKind, split: str, dataset: Any,
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


def _loss_findings(findings: FindingsByKind, key: str, head: dict,
                   num_classes: int, source: str) -> None:
    """A head's class weights: one per class, and not in mmseg's
    ``CrossEntropyLoss``, which stops at the first ignored pixel with them
    (``models/losses/weighted_cross_entropy_loss.py``)."""
    losses = head.get('loss_decode') or []
    for i, loss in enumerate([losses] if isinstance(losses, dict)
                             else losses):
        weight = loss.get('class_weight')
        if not isinstance(weight, (list, tuple)):
            continue
        where = f'model.{key}.loss_decode' + (
            '' if isinstance(losses, dict) else f'[{i}]')
        if len(weight) != num_classes:
            findings.add('class_weight', source,
                         f'{where}.class_weight has {len(weight)} values, '
                         f'the dataset {num_classes} classes')
        if loss.get('type') == 'CrossEntropyLoss' and \
                not loss.get('use_sigmoid'):
            findings.add('class_weight', source,
                         f'{where}: mmseg\'s CrossEntropyLoss with '
                         f'class_weight stops at the first ignored or '
                         f'padded pixel (IndexError: index 255 is out of '
                         f'bounds); type=\'WeightedCrossEntropyLoss\' '
                         f'takes them')


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
    findings = FindingsByKind()
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
        _loss_findings(findings, key, head, len(classes), source)
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
