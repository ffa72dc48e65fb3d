"""What the fault tests share: configs with the test-only fault hooks
(``tests/helpers/fault_hooks.py``), the options of a deterministic run, and
the comparison of two runs' final training states."""
from pathlib import Path
from typing import Optional

import torch

from tests.helpers.tools import DEMO_CONFIG, ROOT, tiny_run_options

# The test-only fault hooks are imported from the clone.
FAULT_HOOKS_PATH = dict(PYTHONPATH=str(ROOT))


def fault_config(tmp_path, hooks: str, changes: Optional[dict] = None
                 ) -> Path:
    """The demo config plus test-only fault hooks, and ``changes`` (dotted
    keys, as ``Config.merge_from_dict`` takes them) where given."""
    path = tmp_path / 'fault_config.py'
    text = (f"_base_ = ['{ROOT / DEMO_CONFIG}']\n"
            "custom_imports = dict(imports=_base_.custom_imports.imports + "
            "['tests.helpers.fault_hooks'], allow_failed_imports=False)\n"
            f"custom_hooks = _base_.custom_hooks + [{hooks}]\n")
    nested: dict = {}
    for key, value in (changes or {}).items():
        *parents, last = key.split('.')
        level = nested
        for parent in parents:
            level = level.setdefault(parent, {})
        level[last] = value
    for key, value in nested.items():
        text += f'{key} = {value!r}\n'
    path.write_text(text)
    return path


def deterministic(root, max_iters=6):
    """A seeded, deterministic 6-iteration run with one dataloader worker
    (its augmentations seeded per sample, as with none) and drop path on."""
    return tiny_run_options(root, max_iters=max_iters) + [
        'randomness.seed=7', 'randomness.deterministic=True',
        'train_dataloader.num_workers=1',
        'model.backbone.drop_path_rate=0.1']  # exercise the RNG


def assert_same_training_state(a_path: Path, b_path: Path) -> None:
    """Weights, optimizer state and schedulers of two checkpoints equal."""
    a = torch.load(a_path, weights_only=True)
    b = torch.load(b_path, weights_only=True)
    assert a['meta']['iter'] == b['meta']['iter']
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    states_a, states_b = a['optimizer']['state'], b['optimizer']['state']
    assert len(states_a) == len(states_b) == sum(
        len(group['params']) for group in a['optimizer']['param_groups'])
    for index, state in states_a.items():
        assert torch.equal(state['exp_avg'], states_b[index]['exp_avg'])
        assert torch.equal(state['exp_avg_sq'],
                           states_b[index]['exp_avg_sq'])
    assert a['param_schedulers'] == b['param_schedulers']
