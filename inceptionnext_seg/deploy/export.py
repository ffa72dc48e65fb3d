"""Writing the exportable segmentor as ONNX or TorchScript, with the
metadata a runtime without mmseg needs (``tools/deployment/export.py``,
``tools/deployment/infer_onnx.py``)."""
import inspect
import json
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch

from ..inference.metadata import read_metadata
from .exportable import ExportableSegmentor

__all__ = ['export_onnx', 'export_torchscript', 'metadata_for',
           'dataset_classes', 'add_metadata', 'read_metadata',
           'reduce_zero_label']


def export_onnx(wrapper: ExportableSegmentor, path: str,
                shape: Sequence[int], dynamic: bool, metadata: dict,
                opset: int = 17) -> None:
    """Write ``wrapper`` as ONNX (torch's TorchScript-based exporter, which
    every supported torch has), with ``metadata`` as JSON strings."""
    example = torch.zeros(1, 3, *shape)
    axes = None
    if dynamic:
        axes = {'image': {0: 'batch', 2: 'height', 3: 'width'},
                wrapper.output: {0: 'batch', 2: 'height', 3: 'width'}
                if wrapper.output == 'logits' else
                {0: 'batch', 1: 'height', 2: 'width'}}
    # torch >= 2.5 has a `dynamo` switch (its default became True in 2.9);
    # before, the TorchScript-based exporter is the only one.
    legacy = ({'dynamo': False} if 'dynamo' in inspect.signature(
        torch.onnx.export).parameters else {})
    with torch.no_grad():
        torch.onnx.export(wrapper, (example, ), path, opset_version=opset,
                          input_names=['image'],
                          output_names=[wrapper.output], dynamic_axes=axes,
                          **legacy)
    if metadata:
        add_metadata(path, metadata)


def add_metadata(path: str, metadata: dict) -> None:
    """Set ``metadata`` (JSON strings) in the ONNX file, replacing the
    entries of the same keys and keeping the others."""
    import onnx
    model = onnx.load(path)
    kept = [p for p in model.metadata_props if p.key not in metadata]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    onnx.save(model, path)


def export_torchscript(wrapper: ExportableSegmentor, path: str,
                       shape: Sequence[int]) -> None:
    example = torch.zeros(1, 3, *shape)
    with torch.no_grad():
        traced = torch.jit.trace(wrapper, (example, ), check_trace=False)
    traced.save(path)


def reduce_zero_label(dataset_cfg, dataset_cls) -> bool:
    """Whether the dataset's label files count classes from 1 (ADE20K: 0 is
    "other"), as the config or the dataset class's default says."""
    if 'reduce_zero_label' in dataset_cfg:
        return dataset_cfg['reduce_zero_label']
    for klass in dataset_cls.__mro__:
        parameter = inspect.signature(klass.__init__).parameters.get(
            'reduce_zero_label')
        if parameter is not None:
            return parameter.default
    return False


def dataset_classes(cfg, checkpoint: Optional[str]
                    ) -> Tuple[List[str], List[List[int]]]:
    """The classes and palette the model was trained with: the checkpoint's
    ``meta['dataset_meta']`` (what mmengine records of the training set),
    else the test set's config (``metainfo``, or ``classes_file`` of
    ``CheckedFolderDataset``), else its dataset class's ``METAINFO``. A
    palette that is missing is mmseg's (random colours seeded with 42).

    Raises:
        ValueError: when none of them names a class.
    """
    from mmseg.registry import DATASETS

    from ..checkpoint import read_checkpoint
    from ..datasets.folder import read_classes_file
    meta = {}
    if checkpoint and str(checkpoint).lower() != 'none':
        saved = read_checkpoint(checkpoint)
        meta = dict((saved.get('meta') or {}).get('dataset_meta') or {})
    dataset = cfg.test_dataloader.dataset
    if not meta.get('classes'):
        meta = dict(dataset.get('metainfo') or {})
        if dataset.get('classes_file') and not meta.get('classes'):
            names, colours = read_classes_file(dataset.classes_file)
            meta = dict(classes=names, palette=colours or ())
    if not meta.get('classes'):
        meta = dict(getattr(DATASETS.get(dataset.type), 'METAINFO', {}))
    classes = [str(c) for c in meta.get('classes') or ()]
    if not classes:
        raise ValueError(
            f'no class names for the export\'s metadata: the checkpoint '
            f'{checkpoint} records no dataset_meta, and the config\'s test '
            f'set ({dataset.type}) names none (metainfo=dict(classes=...) or '
            f'classes_file=FILE). tools/deployment/infer_onnx.py needs them.')
    palette = [list(map(int, c)) for c in meta.get('palette') or ()]
    if len(palette) != len(classes):
        # mmseg's BaseSegDataset._update_palette for a dataset without one
        palette = np.random.RandomState(42).randint(
            0, 255, size=(len(classes), 3)).tolist()
    return classes, palette


def metadata_for(cfg, checkpoint: str, output: str) -> dict:
    """What a runtime without mmseg needs: classes, palette, the test-time
    resize of the config and what the graph returns.

    Raises:
        ValueError: when no classes are found (:func:`dataset_classes`).
    """
    from mmseg.registry import DATASETS
    dataset_cls = DATASETS.get(cfg.test_dataloader.dataset.type)
    classes, palette = dataset_classes(cfg, checkpoint)
    resize = [t for t in cfg.test_dataloader.dataset.pipeline
              if t['type'] == 'Resize']
    multiple = [t for t in cfg.test_dataloader.dataset.pipeline
                if t['type'] == 'ResizeToMultiple']
    return dict(classes=classes,
                reduce_zero_label=bool(reduce_zero_label(
                    cfg.test_dataloader.dataset, dataset_cls)),
                palette=palette,
                test_scale=list(resize[0]['scale']) if resize else None,
                size_divisor=multiple[0]['size_divisor'] if multiple else None,
                output=output, input='float32 NCHW BGR 0..255',
                checkpoint=str(checkpoint))
