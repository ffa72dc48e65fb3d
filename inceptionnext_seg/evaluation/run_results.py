"""The results of one evaluation run, image by image, as the report needs
them: per-image areas, the confusion matrix, the label maps compared.

Saved by ``ReportIoUMetric`` under ``REPORT_DIR/data/`` and read back by
``tools/analysis_tools/report.py``. Every summary number is computed with
mmseg's own ``IoUMetric.total_area_to_metrics`` on the summed areas and rounded
as ``IoUMetric.compute_metrics`` rounds, so the report shows the evaluator's
numbers, not a re-implementation's.

Layout of ``data/``:

====================  ====================================================
``meta.json``         classes, palette, ignore index, metric options, the
                      run (config, checkpoint, date), the images in order
``areas.npy``         int64 (images, 4, classes): intersection, union,
                      predicted and labelled pixels per image and class
``confusion.npy``     int64 (classes, classes): rows the label, columns the
                      prediction, over the counted pixels whose label and
                      prediction are both classes (see ``confusion_of``)
``confusion.csv``     the same with the class names
``image_scores.csv``  one row per image, in evaluation order: its name,
                      path, mIoU, pixel accuracy and the IoU of each class
                      in its label or prediction (``image_scores``)
``pred/``, ``label/`` each image's prediction and label as the metric saw
                      them (0-based classes): 8-bit PNGs, 16-bit where a
                      value is 255 or more; the largest value of the dtype
                      (255 or 65535) where the label is ignored or a value
                      is negative (``encode_map``, ``decode_map``)
====================  ====================================================
"""
import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

__all__ = ['RunResults', 'load_run', 'confusion_of', 'encode_map',
           'decode_map']

DATA = 'data'


def encode_map(array: np.ndarray, ignored: np.ndarray,
               what: str = 'map') -> np.ndarray:
    """A label map as saved: uint8, or uint16 where a kept value is 255 or
    more (chosen from the values, so none wraps), with the dtype's largest
    value where ``ignored`` (a stored ignore index of -1 would be 255).

    Args:
        array: the map, any integer values.
        ignored: where the map is not a value to keep (the label's ignore
            index, negative values).
        what: names the map in the error.

    Raises:
        ValueError: a value of 65535 or more (no PNG holds it).
    """
    ignored = ignored | (array < 0)
    kept = array[~ignored]
    top = int(kept.max()) if kept.size else 0
    if top >= np.iinfo(np.uint16).max:
        raise ValueError(f'{what} holds the value {top}: a saved map holds '
                         f'values below 65535 only')
    dtype = np.uint8 if top < np.iinfo(np.uint8).max else np.uint16
    out = array.astype(dtype)
    out[ignored] = np.iinfo(dtype).max
    return out


def decode_map(stored: np.ndarray, ignore_index: int) -> np.ndarray:
    """int64 map of a saved one: its dtype's largest value (the ignored
    pixels) as ``ignore_index``."""
    out = stored.astype(np.int64)
    out[stored == np.iinfo(stored.dtype).max] = ignore_index
    return out


def confusion_of(pred: np.ndarray, label: np.ndarray, num_classes: int,
                 ignore_index: int) -> np.ndarray:
    """The confusion matrix of one image over the pixels ``IoUMetric``
    counts (the label is not ``ignore_index``) whose label and prediction
    are both classes (in ``[0, num_classes)``).

    Its diagonal is ``IoUMetric``'s intersection. Its sums are the
    metric's areas less the pixels whose other map is outside the classes:
    ``IoUMetric`` counts the prediction of a pixel whose (not ignored)
    label is, say, 300 in the predicted area (and so in the union), and
    the label of a pixel predicted outside the classes in the labelled
    area; a matrix of classes has no cell for either. Such values are a
    dataset's error (a wrong ``reduce_zero_label``, 16-bit labels); the
    tests show the difference exactly.

    Args:
        pred: predicted classes, any shape.
        label: label classes, same shape.
        num_classes: number of classes.
        ignore_index: label value not counted.

    Returns:
        int64 (num_classes, num_classes), rows the label, columns the
        prediction.
    """
    mask = label != ignore_index
    p = pred[mask].astype(np.int64)
    t = label[mask].astype(np.int64)
    # Only cells of two classes: a value outside [0, num_classes) has none.
    keep = (p >= 0) & (p < num_classes) & (t >= 0) & (t < num_classes)
    return np.bincount(t[keep] * num_classes + p[keep],
                       minlength=num_classes**2).reshape(
                           num_classes, num_classes)


@dataclass
class RunResults:
    """One run's results, image by image.

    Args:
        classes: class names, in index order.
        palette: one RGB colour per class.
        names: image names (file stems), in evaluation order.
        img_paths: the input image of each.
        areas: int64 (images, 4, classes) as ``IoUMetric.intersect_and_union``
            returns them per image.
        confusion: int64 (classes, classes), rows the label.
        ignore_index: the label value not counted.
        metrics: ``IoUMetric``'s ``iou_metrics``.
        nan_to_num: ``IoUMetric``'s ``nan_to_num``.
        beta: ``IoUMetric``'s ``beta``.
        run: what was evaluated (config, checkpoint, date, ...).
        root: the folder it is saved in (``data/`` below it), if any.
    """
    classes: List[str]
    palette: List[List[int]]
    names: List[str]
    img_paths: List[str]
    areas: np.ndarray
    confusion: np.ndarray
    ignore_index: int = 255
    metrics: List[str] = field(default_factory=lambda: ['mIoU'])
    nan_to_num: Optional[float] = None
    beta: int = 1
    run: Dict[str, object] = field(default_factory=dict)
    root: Optional[Path] = None

    def summary(self) -> Dict[str, float]:
        """aAcc, mIoU, mAcc, ... exactly as ``IoUMetric.compute_metrics``
        returns them (percent, rounded to two decimals in float32, as
        ``test_metrics.json`` stores them)."""
        ret = self._total_metrics()
        summary = {'aAcc': ret.pop('aAcc')}
        summary.update(
            {'m' + k: np.round(np.nanmean(v) * 100, 2)
             for k, v in ret.items()})
        summary['aAcc'] = np.round(np.nanmean(summary['aAcc']) * 100, 2)
        return {k: float(v) for k, v in summary.items()}

    def per_class(self) -> Dict[str, Dict[str, Optional[float]]]:
        """Each class's metrics in percent, two decimals (None where
        undefined), its labelled pixels and the images that contain it."""
        from .class_iou_metric import class_table
        labelled = self.areas[:, 3, :]
        # as test_metrics.json holds it (ClassIoUMetric), plus the images
        table = class_table(self.classes, self._total_metrics(),
                            labelled.sum(0))
        for i, row in enumerate(table.values()):
            row['images'] = int((labelled[:, i] > 0).sum())
        return table

    def image_miou(self) -> np.ndarray:
        """Per-image mIoU in percent: the mean IoU over the classes in the
        image's label or prediction (NaN for an image with no counted
        pixel)."""
        inter, union = self.areas[:, 0, :], self.areas[:, 1, :]
        with np.errstate(invalid='ignore', divide='ignore'):
            iou = np.where(union > 0, inter / np.maximum(union, 1), np.nan)
        out = np.full(len(self.names), np.nan)
        has = (union > 0).any(axis=1)
        out[has] = np.nanmean(iou[has], axis=1) * 100
        return out

    def image_acc(self) -> np.ndarray:
        """Per-image pixel accuracy in percent."""
        inter = self.areas[:, 0, :].sum(1)
        labelled = self.areas[:, 3, :].sum(1)
        with np.errstate(invalid='ignore', divide='ignore'):
            return np.where(labelled > 0, inter / np.maximum(labelled, 1),
                            np.nan) * 100

    def image_scores(self) -> List[dict]:
        """Each image's scores in percent, two decimals: ``image``,
        ``img_path``, ``mIoU``, ``aAcc`` and ``IoU.<class>`` for the classes
        in its label or prediction (None for the others; NaN scores as
        None)."""
        inter, union = self.areas[:, 0, :], self.areas[:, 1, :]

        def percent(value: float) -> Optional[float]:
            return None if np.isnan(value) else round(float(value), 2)

        rows = []
        for i, (miou, acc) in enumerate(zip(self.image_miou(),
                                            self.image_acc())):
            row = dict(image=self.names[i], img_path=self.img_paths[i],
                       mIoU=percent(miou), aAcc=percent(acc))
            for c, name in enumerate(self.classes):
                row[f'IoU.{name}'] = percent(
                    100 * inter[i, c] / union[i, c]) if union[i, c] else None
            rows.append(row)
        return rows

    def confused_pairs(self, n: int = 30) -> List[dict]:
        """The ``n`` largest off-diagonal cells of the confusion matrix
        (fewer where fewer are non-zero; never a diagonal cell).

        Returns:
            Dicts with ``label``, ``pred``, ``pixels``, ``of_label``
            (percent of the label class's pixels) and ``of_all``.
        """
        off = self.confusion.astype(np.int64).copy()
        np.fill_diagonal(off, 0)
        order = np.argsort(off, axis=None, kind='stable')[::-1][:n]
        rows = self.confusion.sum(1)
        total = max(int(self.confusion.sum()), 1)
        pairs = []
        for flat in order:
            t, p = divmod(int(flat), len(self.classes))
            # From the zeroed copy: the diagonal (correct pixels) sorts
            # among the zeros and ends the list, however few confusions.
            pixels = int(off[t, p])
            if pixels == 0:
                break
            pairs.append(dict(label=self.classes[t], pred=self.classes[p],
                              pixels=pixels,
                              of_label=100 * pixels / max(int(rows[t]), 1),
                              of_all=100 * pixels / total))
        return pairs

    def label_map(self, kind: str, index: int) -> np.ndarray:
        """The saved prediction (``kind='pred'``) or label of an image,
        int64, ``ignore_index`` where the label is ignored (or negative)."""
        import cv2
        if self.root is None:
            raise ValueError('these results are not saved: no label maps')
        path = self.root / DATA / kind / f'{self.names[index]}.png'
        array = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if array is None:
            raise FileNotFoundError(
                f'{path}: the {kind} map of image {self.names[index]!r} that '
                f'{self.root / DATA / "meta.json"} lists is missing or '
                f'unreadable')
        return decode_map(array, self.ignore_index)

    def save(self, root: Path) -> None:
        """Write ``meta.json``, ``areas.npy`` and the confusion matrix
        (``.npy`` and ``.csv``) under ``root/data`` (the label maps are
        written there image by image by the metric)."""
        data = Path(root) / DATA
        data.mkdir(parents=True, exist_ok=True)
        np.save(data / 'areas.npy', self.areas.astype(np.int64))
        np.save(data / 'confusion.npy', self.confusion.astype(np.int64))
        with open(data / 'confusion.csv', 'w', newline='') as f:
            writer = csv.writer(f)
            writer.writerow(['label \\ prediction'] + list(self.classes))
            for name, row in zip(self.classes, self.confusion):
                writer.writerow([name] + [int(v) for v in row])
        scores = self.image_scores()
        with open(data / 'image_scores.csv', 'w', newline='') as f:
            writer = csv.DictWriter(f, fieldnames=list(scores[0]) if scores
                                    else ['image', 'img_path', 'mIoU',
                                          'aAcc'])
            writer.writeheader()
            writer.writerows(scores)
        meta = dict(classes=list(self.classes),
                    palette=[list(map(int, c)) for c in self.palette],
                    names=list(self.names), img_paths=list(self.img_paths),
                    ignore_index=int(self.ignore_index),
                    metrics=list(self.metrics), nan_to_num=self.nan_to_num,
                    beta=self.beta, run=self.run)
        (data / 'meta.json').write_text(json.dumps(meta, indent=1))
        self.root = Path(root)

    def _total_metrics(self) -> Dict[str, np.ndarray]:
        from mmseg.evaluation import IoUMetric
        import torch
        # As IoUMetric.compute_metrics: float32 areas (what its histograms
        # return) summed image by image in evaluation order, so that even
        # sums past float32's exact integers round the same way.
        per_image = torch.from_numpy(self.areas).float()
        totals = [sum(per_image[:, i]) for i in range(4)]
        ret = IoUMetric.total_area_to_metrics(*totals, self.metrics,
                                              self.nan_to_num, self.beta)
        return {k: np.asarray(v) for k, v in ret.items()}


_META_KEYS: Sequence[str] = ('classes', 'palette', 'names', 'img_paths',
                             'ignore_index', 'metrics', 'nan_to_num',
                             'beta', 'run')


def load_run(root) -> RunResults:
    """Read the results a ``--report`` run saved.

    Args:
        root: the report folder (``data/`` below it), its ``data/``, or a
            folder holding report folders (a work dir): the newest of them.

    Raises:
        FileNotFoundError: naming the missing file.
        ValueError: naming the key or the array that does not fit.
    """
    root = Path(root)
    if root.name == DATA and (root / 'meta.json').is_file():
        root = root.parent
    if root.is_dir() and not (root / DATA / 'meta.json').is_file():
        # A work dir: the newest report below it.
        found = sorted(root.rglob(f'{DATA}/meta.json'),
                       key=lambda p: p.stat().st_mtime)
        if found:
            root = found[-1].parent.parent
    data = root / DATA
    for name in ('meta.json', 'areas.npy', 'confusion.npy'):
        if not (data / name).is_file():
            raise FileNotFoundError(
                f'{data / name} not found: {root} is not a report folder '
                f'written by tools/test.py --report (or ReportIoUMetric)')
    meta = json.loads((data / 'meta.json').read_text())
    missing = [k for k in _META_KEYS if k not in meta]
    if missing:
        raise ValueError(f'{data / "meta.json"} lacks the keys {missing}')
    areas = np.load(data / 'areas.npy', allow_pickle=False)
    confusion = np.load(data / 'confusion.npy', allow_pickle=False)
    classes = meta['classes']
    expected = (len(meta['names']), 4, len(classes))
    if areas.shape != expected:
        raise ValueError(f'{data / "areas.npy"} has shape {areas.shape}, '
                         f'expected {expected} (images, 4, classes) from '
                         f'meta.json')
    if confusion.shape != (len(classes), len(classes)):
        raise ValueError(f'{data / "confusion.npy"} has shape '
                         f'{confusion.shape}, expected '
                         f'{(len(classes), len(classes))}')
    return RunResults(areas=areas, confusion=confusion, root=root,
                      **{k: meta[k] for k in _META_KEYS})
