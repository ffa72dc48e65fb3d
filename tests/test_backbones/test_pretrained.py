"""ImageNet weights: every supported layout loads exactly; anything else fails
loudly, and no file is unpickled into code."""
import subprocess
from pathlib import Path

import pytest
import torch
from mmseg.registry import MODELS
from safetensors.torch import save_file

import backbones.pretrained as pretrained_module
from backbones import read_backbone_weights
from inceptionnext_seg.checkpoint import CheckpointError
from inceptionnext_seg.checkpoint import reading as checkpoint_module
from tests.helpers.tools import (CodeRunningPayload, load_tool, run_snippet,
                                 run_tool)

pytestmark = pytest.mark.compat  # in every row of `make compat`

ROOT = Path(__file__).resolve().parents[2]
ODD = (1, 3, 67, 101)


def pretrained(arch, checkpoint, **kwargs):
    model = MODELS.build(dict(
        type='InceptionNeXt', arch=arch,
        init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint)),
        **kwargs))
    model.init_weights()
    return model.eval()


def assert_matches_timm(model, ref):
    x = torch.randn(ODD)
    with torch.no_grad():
        outs = model(x)
        # timm's own forward, stage by stage (forward_intermediates is not
        # in every timm of the supported range)
        feats, y = [], ref.stem(x)
        for stage in ref.stages:
            y = stage(y)
            feats.append(y)
    assert len(outs) == len(model.out_indices)
    for out, i in zip(outs, model.out_indices):
        expected = getattr(model, f'norm{i}')(feats[i])
        torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('arch', ['atto', 'tiny', 'small', 'base'])
def test_official_release_file_gives_timm_features(arch, timm_models,
                                                   tmp_path):
    ref = timm_models(arch)
    path = tmp_path / f'inceptionnext_{arch}.pth'
    torch.save(ref.state_dict(), path)  # the release files are plain dicts
    model = pretrained(arch, path)
    assert_matches_timm(model, ref)
    assert not any(k.startswith('head') for k in model.state_dict())


@pytest.mark.parametrize('arch', ['atto', 'tiny'])
def test_timm_safetensors_and_bin(arch, timm_models, tmp_path):
    ref = timm_models(arch)
    st = tmp_path / 'model.safetensors'
    save_file({k: v.contiguous() for k, v in ref.state_dict().items()}, st)
    assert_matches_timm(pretrained(arch, st), ref)
    binary = tmp_path / 'pytorch_model.bin'
    torch.save(ref.state_dict(), binary)
    assert_matches_timm(pretrained(arch, binary), ref)


@pytest.mark.parametrize('layout', ['state_dict', 'model', 'module',
                                    'segmentor'])
def test_wrapped_and_prefixed_layouts(layout, timm_models, tmp_path):
    ref = timm_models('atto')
    sd = ref.state_dict()
    if layout == 'state_dict':
        ckpt = {'state_dict': sd, 'meta': {'epoch': 300}}
    elif layout == 'model':
        ckpt = {'model': sd, 'epoch': 300}
    elif layout == 'module':
        ckpt = {'state_dict': {f'module.{k}': v for k, v in sd.items()}}
    else:
        ckpt = {'state_dict': {
            **{f'backbone.{k}': v for k, v in sd.items()},
            'decode_head.conv_seg.weight': torch.zeros(150, 512, 1, 1)}}
    path = tmp_path / f'{layout}.pth'
    torch.save(ckpt, path)
    assert_matches_timm(pretrained('atto', path), ref)


def test_segmentor_checkpoint_round_trip_keeps_output_norms(timm_models,
                                                            tmp_path):
    model = pretrained('atto', _save(timm_models('atto'), tmp_path))
    with torch.no_grad():
        model.norm2.weight.mul_(3)
    path = tmp_path / 'segmentor.pth'
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in model.state_dict().items()}}, path)
    again = pretrained('atto', path)
    torch.testing.assert_close(again.norm2.weight, model.norm2.weight)


def _save(ref, tmp_path, name='ckpt.pth', drop=(), add=None):
    sd = {k: v for k, v in ref.state_dict().items() if k not in drop}
    sd.update(add or {})
    path = tmp_path / name
    torch.save(sd, path)
    return path


def test_head_is_dropped_and_nothing_else(timm_models, tmp_path):
    state = read_backbone_weights(_save(timm_models('atto'), tmp_path))
    assert not any(k.startswith('head.') for k in state)
    assert 'stages.3.blocks.1.mlp.fc2.weight' in state
    assert len(state) == len(timm_models('atto').state_dict()) - sum(
        1 for k in timm_models('atto').state_dict() if k.startswith('head.'))


def test_wrong_variant_is_refused_with_keys_and_shapes(timm_models, tmp_path):
    path = _save(timm_models('tiny'), tmp_path)
    with pytest.raises(CheckpointError) as err:
        pretrained('small', path)
    msg = str(err.value)
    assert "'depths': (3, 3, 27, 3)" in msg  # the model
    assert "'depths': (3, 3, 9, 3)" in msg  # what the checkpoint looks like
    assert 'stages.2.blocks.9.' in msg
    with pytest.raises(CheckpointError, match=r'shape mismatches \(\d+\): '
                       r'stem.0.weight: checkpoint \(96, 3, 4, 4\) vs '
                       r'model \(40, 3, 4, 4\)'):
        pretrained('atto', path)


def test_missing_or_unexpected_key_is_refused(timm_models, tmp_path):
    ref = timm_models('atto')
    path = _save(ref, tmp_path, drop=('stages.1.blocks.0.mlp.fc1.weight', ))
    with pytest.raises(CheckpointError, match=r'missing keys \(1\): '
                       r'stages.1.blocks.0.mlp.fc1.weight$'):
        pretrained('atto', path)
    path = _save(ref, tmp_path, add={'stages.1.extra.weight': torch.ones(1)})
    with pytest.raises(CheckpointError, match=r'unexpected keys \(1\): '
                       r'stages.1.extra.weight$'):
        pretrained('atto', path)


def test_later_stages_may_be_left_over_for_pruned_backbones(timm_models,
                                                            tmp_path):
    ref = timm_models('atto')
    model = pretrained('atto', _save(ref, tmp_path), out_indices=(0, 1))
    assert_matches_timm(model, ref)


def test_in_channels_adapts_the_stem(timm_models, tmp_path):
    model = pretrained('atto', _save(timm_models('atto'), tmp_path),
                       in_channels=4)
    assert model.stem[0].weight.shape[1] == 4
    assert model(torch.randn(1, 4, 64, 64))[0].shape == (1, 40, 16, 16)


def test_pretrained_init_cfg_takes_only_checkpoint(tmp_path):
    model = MODELS.build(dict(
        type='InceptionNeXt', arch='atto',
        init_cfg=dict(type='Pretrained', checkpoint='x.pth', prefix='b.')))
    with pytest.raises(ValueError, match=r"got keys \['checkpoint', "
                       r"'prefix', 'type'\]"):
        model.init_weights()


def test_missing_local_file_names_it(tmp_path):
    with pytest.raises(CheckpointError,
                       match=r"Checkpoint not found: '.*nope\.pth'"):
        pretrained('atto', tmp_path / 'nope.pth')


@pytest.mark.parametrize('kind', ['truncated', 'text', 'directory',
                                  'bad_safetensors', 'list'])
def test_unreadable_files_are_named(kind, timm_models, tmp_path):
    if kind == 'truncated':
        good = _save(timm_models('atto'), tmp_path, 'good.pth')
        path = tmp_path / 'truncated.pth'
        path.write_bytes(good.read_bytes()[:100_000])
        match = r'truncated\.pth is not a readable PyTorch checkpoint'
    elif kind == 'text':
        path = tmp_path / 'notes.pth'
        path.write_text('these are not weights')
        match = r'notes\.pth is not a readable PyTorch checkpoint'
    elif kind == 'directory':
        path = tmp_path / 'weights_dir'
        path.mkdir()
        match = r'weights_dir is a directory; expected a checkpoint file'
    elif kind == 'bad_safetensors':
        path = tmp_path / 'model.safetensors'
        path.write_bytes(b'\x10\x00\x00\x00\x00\x00\x00\x00{"a": broken}')
        match = r'model\.safetensors is not a readable safetensors file'
    else:
        path = tmp_path / 'list.pth'
        torch.save([torch.zeros(1)], path)
        match = r'list\.pth holds no state dict \(found list\)'
    with pytest.raises(CheckpointError, match=match):
        pretrained('atto', path)


def malicious_checkpoint(tmp_path) -> tuple:
    marker = tmp_path / 'PWNED'
    path = tmp_path / 'inceptionnext_atto.pth'
    torch.save({'state_dict': {'stem.0.weight': torch.zeros(1)},
                'payload': CodeRunningPayload(marker)}, path)
    return path, marker


@pytest.mark.parametrize('native', [True, False],
                         ids=['safe_globals', 'allowlist_unpickler'])
def test_pickle_payload_is_refused_and_never_runs(native, tmp_path,
                                                  monkeypatch):
    if not native:  # the path torch 2.1-2.5 take
        monkeypatch.setattr(checkpoint_module, 'native_safe_globals',
                            lambda: None)
    elif checkpoint_module.native_safe_globals() is None:
        pytest.skip(f'torch {torch.__version__}: no usable safe_globals')
    path, marker = malicious_checkpoint(tmp_path)
    with pytest.raises(CheckpointError, match=r'Refused to load .*'
                       r'inceptionnext_atto\.pth.*could run code'):
        pretrained('atto', path)
    assert not marker.exists()
    # The same file does run code when loaded unsafely: the test is real.
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_offline_url_says_which_file_to_fetch_and_where(
        monkeypatch, tmp_path):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    url = 'http://127.0.0.1:9/model/inceptionnext_atto.pth'
    cache = tmp_path / 'torch' / 'hub' / 'checkpoints' / \
        'inceptionnext_atto.pth'
    with pytest.raises(CheckpointError) as err:
        pretrained('atto', url)
    assert f'Could not download {url}' in str(err.value)
    assert f'put it at {cache}' in str(err.value)


def test_url_uses_the_cached_file(monkeypatch, tmp_path, timm_models):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    cache = tmp_path / 'torch' / 'hub' / 'checkpoints'
    cache.mkdir(parents=True)
    ref = timm_models('atto')
    torch.save(ref.state_dict(), cache / 'inceptionnext_atto.pth')
    model = pretrained('atto',
                       'http://127.0.0.1:9/model/inceptionnext_atto.pth')
    assert_matches_timm(model, ref)


def test_offline_hub_id_fails_with_instructions(monkeypatch, tmp_path):
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    import huggingface_hub.constants as hc
    import huggingface_hub.file_download as fd
    monkeypatch.setattr(hc, 'HF_HUB_OFFLINE', True)
    # An empty cache: not the developer's (huggingface_hub read HF_HOME when
    # it was imported; newer releases read the constant, older ones bound it).
    for module in (hc, fd):
        monkeypatch.setattr(module, 'HF_HUB_CACHE', str(tmp_path / 'hf'),
                            raising=False)
    with pytest.raises(CheckpointError,
                       match=r"Could not fetch the hub checkpoint "
                       r"'timm/inception_next_atto.sail_in1k'.*Download "
                       r'model\.safetensors'):
        pretrained('atto', 'timm/inception_next_atto.sail_in1k')


def test_unreachable_hub_fails_at_once(monkeypatch, tmp_path):
    """No retries for a minute when the hub cannot be reached: the answer
    comes in seconds, naming the local-file way."""
    import time

    import huggingface_hub.constants as hc
    import huggingface_hub.file_download as fd
    for module in (hc, fd):  # an empty cache (see the test above)
        monkeypatch.setattr(module, 'HF_HUB_CACHE', str(tmp_path / 'hf'),
                            raising=False)
    monkeypatch.setattr(hc, 'HF_HUB_OFFLINE', False)
    for variable in ('HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy',
                     'HTTP_PROXY', 'http_proxy'):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(hc, 'ENDPOINT', 'http://127.0.0.1:9')  # refused
    start = time.monotonic()
    with pytest.raises(CheckpointError,
                       match=r'http://127\.0\.0\.1:9 cannot be reached '
                       r'\(ConnectionRefusedError.*use the local file '
                       r'instead of the hub id'):
        pretrained('atto', 'timm/inception_next_atto.sail_in1k')
    assert time.monotonic() - start < 10


def test_behind_a_proxy_the_hub_decides(monkeypatch, tmp_path):
    """A direct connection says nothing behind a proxy: there no probe is
    made and huggingface_hub's own request (through the proxy) is used."""
    import huggingface_hub
    import huggingface_hub.constants as hc

    import backbones.pretrained as pretrained_module
    monkeypatch.setattr(hc, 'HF_HUB_OFFLINE', False)
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxy.invalid:3128')
    monkeypatch.setattr(pretrained_module, '_hub_unreachable', lambda e: (
        pytest.fail('probed the hub behind a proxy')))
    asked = []

    def download(repo_id, filename, local_files_only=False, **kwargs):
        asked.append((filename, local_files_only))
        if local_files_only:
            raise FileNotFoundError('not cached')
        return str(tmp_path / filename)

    monkeypatch.setattr(huggingface_hub, 'hf_hub_download', download)
    path = pretrained_module._download_hub('timm/inception_next_atto')
    assert path == tmp_path / 'model.safetensors'
    assert asked[-1] == ('model.safetensors', False)


def test_hub_id_from_the_local_cache(tmp_path, timm_models):
    """A hub id whose file is in the hub cache (HF_HUB_CACHE, or HF_HOME's)
    loads with no request: the hub is unreachable here. A new interpreter,
    because huggingface_hub reads those variables when it is imported."""
    cache = tmp_path / 'hf' / 'hub'
    repo = cache / 'models--timm--inception_next_atto.sail_in1k'
    commit = '0' * 40
    (repo / 'refs').mkdir(parents=True)
    (repo / 'refs' / 'main').write_text(commit)
    snapshot = repo / 'snapshots' / commit
    snapshot.mkdir(parents=True)
    ref = timm_models('atto')
    state = {k: v.contiguous() for k, v in ref.state_dict().items()}
    save_file(state, str(snapshot / 'model.safetensors'))
    code = (
        'from backbones import InceptionNeXt, read_backbone_weights\n'
        "state = read_backbone_weights('timm/inception_next_atto.sail_in1k')\n"
        "InceptionNeXt(arch='atto').load_weights(state)\n"
        "print(len(state), float(state['stem.0.weight'].sum()))\n")
    result = run_snippet(code, tmp_path, fresh=True, env=dict(
        HF_HUB_CACHE=str(cache), HF_ENDPOINT='http://127.0.0.1:9'))
    expected = sum(1 for k in state if not k.startswith('head.'))
    count, total = result.stdout.split()
    assert int(count) == expected
    assert float(total) == pytest.approx(float(state['stem.0.weight'].sum()))


def run_convert(*args):
    """tools/model_converters/convert_weights.py from its command line."""
    return run_tool('tools/model_converters/convert_weights.py', *args,
                    check=False)


def convert_in_process(capsys, *args):
    """The same tool's ``main``, in this process (no start-up cost)."""
    code = load_tool('convert_weights').main([str(a) for a in args])
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out.out, out.err)


@pytest.mark.parametrize('suffix', ['.pth', '.safetensors'])
def test_convert_weights_tool(suffix, timm_models, tmp_path, capsys):
    ref = timm_models('atto')
    src = tmp_path / 'src.pth'
    torch.save({'model': {f'module.{k}': v
                          for k, v in ref.state_dict().items()}}, src)
    dst = tmp_path / f'clean{suffix}'
    # The command line once; the other cases through the same main().
    result = (run_convert(src, dst) if suffix == '.pth' else
              convert_in_process(capsys, src, dst))
    assert result.returncode == 0, result.stderr
    assert 'InceptionNeXt-atto' in result.stdout
    converted = read_backbone_weights(dst)
    assert not any(k.startswith(('head.', 'module.')) for k in converted)
    assert_matches_timm(pretrained('atto', dst), ref)


def test_convert_weights_refuses_bad_sources(timm_models, tmp_path, capsys):
    path, marker = malicious_checkpoint(tmp_path)
    result = convert_in_process(capsys, path, tmp_path / 'out.pth')
    assert result.returncode == 1
    assert 'Refused to load' in result.stderr
    assert not marker.exists() and not (tmp_path / 'out.pth').exists()
    src = _save(timm_models('tiny'), tmp_path)
    result = convert_in_process(capsys, src, tmp_path / 'out.pth', '--arch',
                                'small')
    assert result.returncode == 1 and 'does not fit' in result.stderr


@pytest.mark.parametrize('local_rank,order', [
    ('0', ['fetch', 'barrier']), ('1', ['barrier', 'fetch'])])
@pytest.mark.parametrize('source', [
    'https://example.invalid/inceptionnext_tiny.pth',
    'timm/inception_next_tiny.sail_in1k'])
def test_distributed_ranks_fetch_after_their_nodes_first(
        monkeypatch, source, local_rank, order):
    """In an 8-GPU run, each node's first process downloads the ImageNet
    weights while the others wait at a barrier, then read its file from
    the cache, instead of 8 downloads at once."""
    from inceptionnext_seg.checkpoint import download
    calls = []
    monkeypatch.setattr(download, 'get_dist_info', lambda: (int(local_rank),
                                                            2))
    monkeypatch.setattr(download, 'barrier', lambda: calls.append('barrier'))
    monkeypatch.setenv('LOCAL_RANK', local_rank)

    def fetch(*args, **kwargs):
        calls.append('fetch')
        return Path('/cache/file.pth')

    monkeypatch.setattr(pretrained_module, 'download_checkpoint', fetch)
    monkeypatch.setattr(pretrained_module, '_download_hub', fetch)
    resolved = pretrained_module.resolve_checkpoint(source)
    assert resolved == Path('/cache/file.pth')
    assert calls == order
