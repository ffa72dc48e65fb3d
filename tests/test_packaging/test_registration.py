"""Every module of the project is registered in mmseg's registries (scope
``mmseg``), as mmseg registers its own, and the configs' ``custom_imports``
register all of them."""
import importlib

import mmengine.registry
import pytest
from mmengine.config import Config

from tests.helpers.tools import ROOT

pytestmark = pytest.mark.compat

EXPECTED = {
    'model': ['ChannelsLastSegDataPreProcessor', 'InceptionNeXt',
              'StrictEncoderDecoder', 'WeightedCrossEntropyLoss'],
    'hook': ['CheckpointDiskHook', 'ClassScalarsHook',
             'CorruptSampleReportHook', 'CudaCheckHook',
             'EvaluationReportHook', 'HeadDatasetCheckHook',
             'NonFiniteLossHook', 'PlainCheckpointHook', 'PreemptionHook',
             'ProgressBarHook', 'ResumableRandomnessHook',
             'TestVisualizationHook', 'TrainingCurvesHook',
             'TrainingTimeHook', 'UpdateParamSchedulerHook'],
    'dataset': ['CheckedADE20KDataset', 'CheckedCityscapesDataset',
                'CheckedFolderDataset'],
    'data sampler': ['SampleSeededInfiniteSampler'],
    'transform': ['CheckedLoadAnnotations', 'CheckedLoadImageFromFile'],
    'optim_wrapper': ['BF16OptimWrapper'],
    'optimizer wrapper constructor': [
        'InceptionNeXtLearningRateDecayOptimizerConstructor'],
    'model_wrapper': ['CPUDistributedDataParallel'],
    'visualizer': ['ContiguousSegLocalVisualizer'],
    'runner': ['ReadableLogRunner', 'SegRunner'],
    'metric': ['ClassIoUMetric', 'ReportIoUMetric'],
}


def ours_in_every_registry() -> dict:
    """(registry name, scope) -> names of this project's classes in it."""
    found = {}
    pending = [r for r in vars(mmengine.registry).values()
               if isinstance(r, mmengine.registry.Registry)]
    while pending:
        registry = pending.pop()
        pending += list(registry.children.values())
        for name, obj in registry.module_dict.items():
            if obj.__module__.split('.')[0] in ('backbones',
                                                'inceptionnext_seg'):
                found.setdefault((registry.name, registry.scope),
                                 []).append(name)
    return {k: sorted(v) for k, v in found.items()}


def test_the_configs_imports_register_everything_in_mmseg():
    cfg = Config.fromfile(str(ROOT / 'configs/fpn_inceptionnext_t_ade20k.py'))
    for module in cfg.custom_imports.imports:
        importlib.import_module(module)
    found = ours_in_every_registry()
    assert all(scope == 'mmseg' for _, scope in found), found
    assert {name: names for (name, _), names in found.items()} == EXPECTED
