"""Every command line in README.md and docs/ works as written: each is
parsed by the tool it calls (this project's or mmseg's own), with its
placeholders filled in, so that an option the tools do not have, or lost,
fails here; the built-in example runs end to end. A command added to the
docs must be named here (what it calls, or why it cannot run in a CPU test),
so that the docs and the tools cannot drift apart. What each tool then does
is tested by the tests of that tool."""
import re
import shlex
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from tests.helpers.tools import DEMO_CONFIG, ROOT, mmseg_tool, tool_args

DOCS = [ROOT / 'README.md'] + sorted((ROOT / 'docs').glob('*.md'))

# Commands that no CPU test can run as written, and why.
NOT_RUN = {
    r'^make test\b': 'this test suite itself',
    r'^make demo\b': "runs `python tools/misc/demo.py` in .venv, as the demo "
                     'line below does here',
    r'^(python3 -m venv|pip install|\. \.venv)':
        'an installation: CI runs make install, the support matrix installs '
        'each row as written',
    r'^mkdir -p data/ade && unzip': 'needs the ADE20K download',
    r'^python \$T/dataset_converters/cityscapes\.py ':
        "mmseg's Cityscapes converter imports cityscapesscripts (not a "
        'dependency) and needs the Cityscapes download',
    r'^cp configs/custom/': 'copies the template, as '
                            'test_custom_template.py does',
    r'^T=\$\(python -c': 'sets the shell variable the next lines use',
    r'^NNODES=2 ': 'needs two machines with GPUs',
    r'^sbatch ': "needs Slurm; slurm_train.sh's srun request and requeue "
                 'are tested with stand-ins (test_launch_scripts.py)',
    r'^tools/dev/gpu_check\.sh (prepare|run)\b':
        'the GPU check: prepare downloads wheels, run is tested without '
        'CUDA (test_gpu_check.py)',
    r'^cp -r "\$\(python -c':
        "copies mmseg's base configs into a project, as "
        'test_mmseg_train_on_a_users_config_in_its_own_folder does on the '
        'fork',
}

# Placeholders of the docs and what stands for them here (files that the
# parsers only need to exist).
PLACEHOLDERS = {
    'CONFIG': str(ROOT / DEMO_CONFIG),
    'PARTITION': 'gpu',
    'N': '2',
}


def documented_commands() -> List[tuple]:
    """(doc file, command) for every line of every shell block (lines
    ending in a backslash joined, comments dropped)."""
    found = []
    for doc in DOCS:
        for block in re.findall(r'```(?:bash|sh|shell)\n(.*?)```',
                                doc.read_text(), re.S):
            command = ''
            for line in block.splitlines():
                line = re.sub(r'\s{2,}#.*$', '', line).strip()
                if not line or line.startswith('#'):
                    continue
                command += line
                if command.endswith('\\'):
                    command = command[:-1].rstrip() + ' '
                    continue
                found.append((doc.relative_to(ROOT), command))
                command = ''
    return found


COMMANDS = documented_commands()


def test_the_docs_have_commands():
    assert len(COMMANDS) > 40
    assert {str(d) for d, _ in COMMANDS} >= {'README.md', 'docs/training.md',
                                             'docs/own_project.md'}


def fill(token: str, files: Dict[str, Path]) -> str:
    for name, value in PLACEHOLDERS.items():
        if token == name:
            return value
    return str(files.get(token, token))


def tool_argv(command: str, files: Dict[str, Path]) -> Optional[tuple]:
    """(script, argv) that ``command`` runs, or None for a command that is
    not a python tool (or a launch script of one)."""
    # [--option value] in the docs: an optional part; parse it too.
    tokens = [fill(t, files) for t in
              shlex.split(command.replace('[', '').replace(']', ''))]
    env = 0
    while env < len(tokens) and re.match(r'^[A-Z_]+=', tokens[env]):
        env += 1
    tokens = tokens[env:]
    if tokens[0] in ('python', 'python3', 'bash'):
        tokens = tokens[1:]
    if tokens[0] == '-c':
        return None
    script = tokens[0]
    if script.startswith('$T/'):
        script = mmseg_tool(script[len('$T/'):])
    else:
        script = str(ROOT / script)
    name = Path(script).name
    if name in ('dist_train.sh', 'dist_test.sh'):
        # CONFIG GPUS [options] / CONFIG CKPT GPUS [options]: the options
        # are train.py's / test.py's.
        gpus = 2 if name == 'dist_train.sh' else 3
        tool = 'train.py' if name == 'dist_train.sh' else 'test.py'
        return (Path(script).with_name(tool),
                tokens[1:gpus] + tokens[gpus + 1:])
    if name in ('slurm_train.sh', 'slurm_test.sh'):
        # PARTITION JOB CONFIG WORK_DIR|CKPT [options]
        if name == 'slurm_train.sh':
            return (ROOT / 'tools' / 'train.py',
                    [tokens[3], '--work-dir', tokens[4]] + tokens[5:])
        return ROOT / 'tools' / 'test.py', tokens[3:]
    return Path(script), tokens[1:]


@pytest.fixture(scope='module')
def files(tmp_path_factory) -> Dict[str, Path]:
    """Stand-ins for the files the commands name (existing, where a tool
    checks that they exist before parsing ends)."""
    tmp = tmp_path_factory.mktemp('documented')
    names = ['CKPT', 'CKPT.pth', 'image.jpg', 'img.jpg', 'model.onnx',
             'inceptionnext_tiny.pth', 'model.safetensors']
    made = {name: tmp / name for name in names}
    for path in made.values():
        path.write_bytes(b'')
    return made


@pytest.mark.parametrize('doc,command', COMMANDS,
                         ids=[f'{d}:{c[:60]}' for d, c in COMMANDS])
def test_the_documented_command_works_as_written(doc, command, files):
    skipped = [reason for pattern, reason in NOT_RUN.items()
               if re.search(pattern, command)]
    if skipped:
        pytest.skip(skipped[0])
    if command.startswith('python -c'):
        code = shlex.split(command)[2]
        compile(code, '<doc>', 'exec')  # run by test_mmseg_tools' snippet
        assert 'MMSegInferencer' in code
        return
    found = tool_argv(command, files)
    assert found, f'{doc}: no tool in {command!r}; name it in NOT_RUN'
    script, argv = found
    assert script.is_file(), f'{doc}: {script} does not exist'
    # argparse exits (2) on an option the tool does not have or a value it
    # refuses.
    args = tool_args(script, argv)
    for value in vars(args).values():
        if isinstance(value, str) and value.startswith('configs/'):
            assert (ROOT / value).is_file(), f'{doc}: {value} is no config'


def test_the_built_in_example_runs(demo_data, tmp_path):
    """What `make demo` runs (2 iterations, on the suite's smaller copy of
    the demo dataset): train, test, the files it says it wrote."""
    from tests.helpers.tools import run_tool
    result = run_tool('tools/misc/demo.py', '--iters', '2', '--work-dir',
                      tmp_path / 'demo', '--data-root', demo_data)
    out = result.stdout
    # how long it will take, said before it starts
    said = re.search(r'^Training 2 iterations, then the test: about [\d.]+ '
                     r'min on 2 cores with AVX-512, [\d.]+ min on 2 cores '
                     r'with AVX2 \(this machine: \d+ CPUs', out, re.M)
    assert said and said.start() < out.index('$ tools/train.py'), out[:2000]
    assert 'Warning' not in result.stderr.split('$ tools/train.py')[0]
    assert re.search(r'Demo done: mIoU [\d.]+ \(aAcc [\d.]+, mAcc [\d.]+\)',
                     out), out[-2000:]
    # its dataloader workers end quietly with each tool
    assert 'Traceback' not in out + result.stderr, result.stderr[-3000:]
    for label in ('Checkpoint', 'Training curves', 'ADE20K-encoded PNGs'):
        path = re.search(rf'^{label}: +(\S+)$', out, re.M).group(1)
        assert Path(path).exists(), (label, path)
    labels = sorted((tmp_path / 'demo' / 'predictions' / 'labels').glob(
        '*.png'))
    assert len(labels) == len(list((demo_data / 'images' /
                                    'validation').glob('*.jpg')))
    import cv2
    import numpy as np
    values = np.unique(cv2.imread(str(labels[0]), cv2.IMREAD_UNCHANGED))
    assert values.min() >= 1 and values.max() <= 150  # ADE20K's encoding
