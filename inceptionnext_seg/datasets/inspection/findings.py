"""What the inspector finds: the kinds of finding (:data:`KINDS`), a
finding with its files, and the reports of a split and of a config."""
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Tuple

from ..masks import MASK_PROBLEMS

__all__ = ['KINDS', 'Finding', 'FindingsByKind', 'SplitReport',
           'InspectionReport']

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
    'hidden_class': (ERROR, 'classes without pixels while the ignore value '
                            'covers many (masks saved as 0/255?): those '
                            'classes would never be trained'),
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
    'class_weight': (ERROR, "a loss's class weights cannot be used"),
}


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


class FindingsByKind(dict):
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
    # the loss's class weights from the frequencies (class_weights.py)
    class_weights: List[float] = field(default_factory=list)
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
            class_weights=dict(zip(self.classes, self.class_weights)),
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
