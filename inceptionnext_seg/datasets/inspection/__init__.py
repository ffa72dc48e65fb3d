"""The dataset inspector behind ``tools/analysis_tools/check_dataset.py``:
every sample of a split read as the config's loaders read it, and everything
that would make training wrong reported at once, each finding naming its files.

The checked datasets (``folder.py``) raise at the first problem, which is
right for training; here nothing stops early: the layout is listed without
their up-front checks (:func:`~.folder.list_samples` gives them all), each
sample is read with the split's own ``LoadImageFromFile`` and
``LoadAnnotations`` settings (``imdecode_backend``, ``color_type``,
``backend_args``, ``reduce_zero_label``, the dataset's ``label_map``) and
no random augmentation, and every finding is collected.

The package by concern (this file only re-exports):
``dataset_inspection`` (a dataset, a config's splits, the folder form),
``findings`` (the kinds and the reports), ``reading`` (one sample, the
worker pool), ``label_values`` (the value summary), ``config_checks`` (the
config against its datasets), ``text_report`` (the human report).
"""
from .config_checks import config_findings
from .dataset_inspection import (folder_dataset_config, inspect_config,
                                 inspect_dataset)
from .findings import KINDS, Finding, InspectionReport, SplitReport
from .text_report import format_report

__all__ = ['KINDS', 'Finding', 'SplitReport', 'InspectionReport',
           'inspect_dataset', 'inspect_config', 'folder_dataset_config',
           'config_findings', 'format_report']
