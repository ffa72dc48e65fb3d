"""mmsegmentation extensions for InceptionNeXt segmentation, laid out by kind
as mmseg is. Each sub-package registers its modules in mmseg's registries
when imported; configs import them through ``custom_imports``
(``configs/_base_/default_runtime.py``).

====================  =======================================================
``checkpoint``        reading any checkpoint without unpickling code, the
                      strict state-dict comparison, plain and atomic writing,
                      the newest complete checkpoint; ``mmengine_loader``
                      (imported by name only) makes mmengine read that way
``models``            ``StrictEncoderDecoder``, the channels-last
                      preprocessor
``datasets``          ``CheckedFolderDataset`` (the user's own images and
                      masks) with its ADE20K and Cityscapes cases, loaders
                      that name a corrupt file, the procedural dataset of
                      ``make demo``
``engine``            the runner, hooks, optimizers, ``--amp``,
                      ``--keep-recipe-batch``, CPU fallbacks of the
                      distributed recipes
``evaluation``        ``ClassIoUMetric``: mmseg's IoU metric keeping its
                      per-class results; ``ReportIoUMetric``, which also
                      keeps each image's results for the report
``visualization``     mmseg's visualizer for any image layout, training
                      curves, the HTML evaluation report
``deploy``            ONNX / TorchScript export, its verification and the
                      deployment policy (thresholds, the verification
                      record, the inference paths)
``inference``         torch-free: inputs and outputs of the inference tools,
                      ONNX Runtime on an exported file, its metadata
``analysis``          parameters, MACs, timing, memory, the paper's results
``utils``             what the tools and tests share
``environment``       known-bad library combinations, refused with the fix
                      (where the registering packages are imported:
                      ``backbones``, ``models``)
====================  =======================================================

The InceptionNeXt backbone itself is the ``backbones`` package.
"""
from .environment import check_environment  # noqa: F401 (public name)

__version__ = '0.1.0'
