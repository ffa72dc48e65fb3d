"""tools/infer.py and tools/deployment/infer_onnx.py on many inputs: folders,
glob patterns and videos give each image or frame the pixels of the
single-image form (batched too, with images of several sizes), bad inputs stop
with the file and what was expected, and the run ends with a summary. The tools
run in this process (``main(argv)``: no start-up per run) except where the
library notices of a fresh start are the point; the model of a checkpoint is
built and loaded once per config for this module (``init_model`` memoized:
loading is tests/test_tools/test_infer.py's), and a single-image run that
several tests compare with runs once."""
import shutil

import cv2
import numpy as np
import pytest

from tests.helpers.tools import DEMO_CONFIG, load_tool, run_tool

# the tests that share the exported demo model run on one worker
MANY_ONNX = pytest.mark.xdist_group('infer_many_onnx')


@pytest.fixture(scope='module')
def infer():
    return load_tool('infer')


@pytest.fixture(scope='module')
def media():
    """tools/deployment/infer_onnx.py (its ``main``) and the inputs and outputs
    layer both tools use (inceptionnext_seg.inference.media)."""
    import inceptionnext_seg.inference.media as layer
    tool = load_tool('infer_onnx')
    for name in ('find_inputs', 'Progress'):
        assert getattr(tool, name) is getattr(layer, name)  # one layer
    return tool


@pytest.fixture(scope='module', autouse=True)
def one_model_per_checkpoint():
    """``mmseg.apis.init_model`` builds a model once per checkpoint, device
    and config (tools/infer.py calls it for every run): the same weights,
    without a second of loading per run."""
    import mmseg.apis
    real, built = mmseg.apis.init_model, {}

    def init_model(cfg, checkpoint=None, device='cpu', **kwargs):
        key = (str(checkpoint), device, repr(cfg.model.to_dict()),
               repr(cfg.test_pipeline), repr(sorted(kwargs.items())))
        if key not in built:
            built[key] = real(cfg, checkpoint, device=device, **kwargs)
        return built[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mmseg.apis, 'init_model', init_model)
        yield


@pytest.fixture(scope='module')
def single(infer, checkpoint, tmp_path_factory):
    """The single-image form's picture and label map (dataset encoding) of
    an image, run once per image for the module."""
    done = {}

    def run_once(image):
        if image not in done:
            folder = tmp_path_factory.mktemp('single')
            run(infer, [image, DEMO_CONFIG, checkpoint, '--out',
                        folder / 'single.png', '--labels-out',
                        folder / 'labels.png'])
            done[image] = (read(folder / 'single.png'),
                           read(folder / 'labels.png'))
        return done[image]
    return run_once


@pytest.fixture(scope='module')
def checkpoint(trained):
    return str(trained[0] / 'iter_4.pth')


@pytest.fixture(scope='module')
def folder(demo_data, tmp_path_factory):
    """The demo validation images (64x96) in a folder and a subfolder, and
    two of them at other sizes: three sizes after the test pipeline."""
    root = tmp_path_factory.mktemp('many') / 'images'
    (root / 'sub').mkdir(parents=True)
    images = sorted((demo_data / 'images' / 'validation').glob('*.jpg'))
    assert len(images) == 4
    for i, image in enumerate(images):
        shutil.copy(image, root / ('sub' if i % 2 else '.') / image.name)
    picture = cv2.imread(str(images[0]))
    cv2.imwrite(str(root / 'sub' / 'large.png'),
                cv2.resize(picture, (144, 96)))
    cv2.imwrite(str(root / 'tall.png'), cv2.resize(picture, (64, 112)))
    return root


@pytest.fixture(scope='module')
def video(demo_data, tmp_path_factory):
    """Four frames (the demo validation images), MJPG in .avi: a codec that
    the OpenCV wheels write and read with no external encoder."""
    path = tmp_path_factory.mktemp('video') / 'clip.avi'
    images = sorted((demo_data / 'images' / 'validation').glob('*.jpg'))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 5,
                             (96, 64))
    assert writer.isOpened()
    for image in images:
        writer.write(cv2.imread(str(image)))
    writer.release()
    return path


def run(infer, argv):
    """tools/infer.py in this process, at the smaller scale."""
    return infer.main([str(a) for a in argv] + SMALL)


def frames_of(path):
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            return frames
        frames.append(frame)


def read(path):
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None, path
    return image


def outputs(root):
    found = sorted(p.relative_to(root).as_posix() for p in root.rglob('*')
                   if p.is_file())
    assert found, root
    return found


#: The demo config at a smaller test scale: the same code, a quarter of
#: the work (every run of the same images takes it).
SMALL = ['--cfg-options', 'test_pipeline.1.scale=(128,64)']


def jpgs(folder):
    """The demo images directly in ``folder``, as paths under the images
    root."""
    root = folder if folder.name == 'images' else folder.parent
    return [p.relative_to(root).as_posix()
            for p in sorted(folder.glob('*.jpg'))]


def names(folder, pattern='*.*'):
    """Output name -> input file for the images under ``folder``."""
    return {p.relative_to(folder).with_suffix('.png').as_posix(): p
            for p in sorted(folder.rglob(pattern))}


def test_a_folder_in_batches_gives_the_single_image_pixels(
        infer, folder, checkpoint, single, tmp_path, capsys, monkeypatch):
    """Batches of 3 over images of three sizes: each batch holds one size,
    every picture and label map is the single-image form's, names keep the
    subfolder, the summary counts them."""
    from inceptionnext_seg.apis import segment_inputs
    batches = []
    predict = segment_inputs.predict

    def recording(model, path, onnx, batch):
        batches.append([tuple(p['inputs'].shape) for p in batch])
        return predict(model, path, onnx, batch)

    monkeypatch.setattr(segment_inputs, 'predict', recording)
    out, labels = tmp_path / 'out', tmp_path / 'labels'
    assert run(infer, [str(folder), DEMO_CONFIG, checkpoint, '--out',
                       str(out), '--labels-out', str(labels),
                       '--batch-size', '3']) == 0
    log = capsys.readouterr().out
    inputs = names(folder)
    assert outputs(out) == outputs(labels) == sorted(inputs)
    assert sum(map(len, batches)) == len(inputs)
    assert all(len(set(b)) == 1 for b in batches), batches
    assert max(map(len, batches)) == 3  # the four 64x96 images batched
    assert f'segmented {len(inputs)} images in ' in log
    assert '(eager fp32, batch 3); wrote' in log
    assert f'{len(inputs)}/{len(inputs)} images, ' in log  # plain lines
    in_sub = jpgs(folder / 'sub')[-1].replace('.jpg', '.png')
    for name in (in_sub, 'sub/large.png', 'tall.png'):
        picture, single_labels = single(inputs[name])
        assert (read(out / name) == picture).all(), name
        assert (read(labels / name) == single_labels).all(), name
        assert single_labels.min() >= 1  # ADE20K's 1..150


def test_a_glob_keeps_the_names_under_its_folder(infer, folder, checkpoint,
                                                 single, tmp_path, capsys):
    out = tmp_path / 'out'
    assert run(infer, [str(folder / '**' / '*.jpg'), DEMO_CONFIG,
                       checkpoint, '--out', str(out), '--labels-out',
                       str(tmp_path / 'labels'), '--train-ids']) == 0
    assert outputs(out) == sorted(names(folder, '*.jpg'))
    name = jpgs(folder / 'sub')[-1].replace('.jpg', '.png')
    picture, labels = single(names(folder)[name])
    assert (read(out / name) == picture).all()
    # --train-ids: the 0-based indices, ADE20K's 1..150 less one
    assert (read(tmp_path / 'labels' / name) == labels - 1).all()
    assert 'segmented 4 images' in capsys.readouterr().out


def test_a_video_frame_gets_the_labels_of_that_frame_as_an_image(
        infer, video, checkpoint, tmp_path, capsys):
    out, labels = tmp_path / 'seg.avi', tmp_path / 'frames'
    assert run(infer, [str(video), DEMO_CONFIG, checkpoint, '--out',
                       str(out), '--labels-out', str(labels),
                       '--batch-size', '2']) == 0
    assert 'segmented 4 frames in ' in capsys.readouterr().out
    assert outputs(labels) == [f'frame_{i:06d}.png' for i in range(4)]
    painted = frames_of(out)
    frames = frames_of(video)
    assert len(painted) == len(frames) == 4
    assert painted[0].shape == frames[0].shape
    # Frames 0 and 3 saved as PNG (lossless: the decoded frames), run as a
    # folder at batch 1 (a folder gives the single-image form's pixels:
    # test_a_folder_in_batches_...), one model run for both.
    pngs = tmp_path / 'pngs'
    pngs.mkdir()
    for i in (0, 3):
        cv2.imwrite(str(pngs / f'frame{i}.png'), frames[i])
    assert run(infer, [pngs, DEMO_CONFIG, checkpoint, '--out',
                       tmp_path / 'single', '--labels-out',
                       tmp_path / 'single_labels']) == 0
    for i in (0, 3):
        assert (read(labels / f'frame_{i:06d}.png') ==
                read(tmp_path / 'single_labels' / f'frame{i}.png')).all(), i
        # the annotated frame is that picture, as MJPG keeps it: the
        # picture through the same codec (its loss depends on the picture:
        # mean 3.8 here, 4.7 with the fork's brighter painting)
        picture = read(tmp_path / 'single' / f'frame{i}.png')
        kept = mjpg_round_trip(picture, tmp_path / f'kept{i}.avi')
        diff = np.abs(painted[i].astype(int) - kept.astype(int))
        assert diff.mean() < 0.5, (i, diff.mean())
        assert np.abs(picture.astype(int) - kept.astype(int)).mean() > 0


def mjpg_round_trip(picture, path):
    """``picture`` as a one-frame MJPG video gives it back."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 5,
                             picture.shape[1::-1])
    writer.write(picture)
    writer.release()
    frames = frames_of(path)
    assert len(frames) == 1, path
    return frames[0]


def test_an_unreadable_image_in_a_folder_is_named_and_skipped(
        infer, folder, checkpoint, tmp_path, capsys):
    broken = tmp_path / 'images'
    (broken / 'sub').mkdir(parents=True)
    shutil.copy(folder / 'tall.png', broken / 'tall.png')
    (broken / 'sub' / 'broken.jpg').write_bytes(b'not a jpeg')
    shutil.copy(folder / 'tall.png', broken / 'sub' / 'z.png')
    out = tmp_path / 'out'
    assert run(infer, [broken, DEMO_CONFIG, checkpoint, '--out', out,
                       '--batch-size', '2']) == 1
    captured = capsys.readouterr()
    assert outputs(out) == ['sub/z.png', 'tall.png']
    assert f'skipped {broken / "sub" / "broken.jpg"}: not an image OpenCV ' \
        'can read' in captured.err
    assert '1 of 3 images skipped' in captured.err
    assert 'segmented 2 images' in captured.out


@pytest.mark.parametrize('case', [
    'empty folder', 'glob of nothing', 'glob of no image', 'missing',
    'out is a file', 'out names an image', 'clash', 'video out',
    'unreadable video', 'labels out is a file', 'out is labels out',
    'one image: out is labels out', 'one image over itself',
    'out is the input folder', 'out in the input folder',
    'labels out in the input folder', 'video over itself',
    'glob over an input', 'glob reaches its outputs',
    'labels out nested in out'])
@pytest.mark.parametrize('tool', ['infer', 'infer_onnx'])
def test_bad_inputs_stop_with_the_file_and_what_was_expected(
        tool, case, folder, video, tmp_path):
    """Before any model is read (the checkpoint and model named here do not
    exist): the same rules in both tools."""
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'notes').mkdir()
    (tmp_path / 'notes' / 'a.txt').write_text('')
    (tmp_path / 'file.png').write_bytes(b'')
    (tmp_path / 'junk.avi').write_bytes(b'not a video')
    clash = tmp_path / 'clash'
    clash.mkdir()
    shutil.copy(folder / 'tall.png', clash / 'a.png')
    shutil.copy(folder / jpgs(folder)[0], clash / 'a.jpg')
    pngs = tmp_path / 'pngs'
    (pngs / 'sub').mkdir(parents=True)
    shutil.copy(folder / 'tall.png', pngs / 'tall.png')
    shutil.copy(folder / 'tall.png', pngs / 'sub' / 'tall.png')
    source, out, extra, message = {
        'empty folder': (tmp_path / 'empty', tmp_path / 'o', [],
                         'a folder with no image in it or its subfolders'),
        'glob of nothing': (tmp_path / 'empty' / '*.jpg', tmp_path / 'o', [],
                            'the pattern matches no file'),
        'glob of no image': (tmp_path / 'notes' / '*', tmp_path / 'o', [],
                             'the pattern matches 1 file(s) but no image'),
        'missing': (tmp_path / 'nothing.jpg', tmp_path / 'o', [],
                    'no such image, video, folder or glob pattern'),
        'out is a file': (folder, tmp_path / 'file.png', [],
                          'gives 6 images; --out must be a folder (this is '
                          'a file)'),
        'out names an image': (folder, tmp_path / 'o.png', [],
                               '--out must be a folder (this names a file)'),
        'clash': (clash, tmp_path / 'o', [],
                  f'{clash / "a.jpg"} and {clash / "a.png"} -> a.png'),
        'video out': (video, tmp_path / 'o', [],
                      'is a video; --out is the annotated video to write '
                      '(.avi, .mp4)'),
        'unreadable video': (tmp_path / 'junk.avi', tmp_path / 'o.avi', [],
                             'junk.avi: not a video OpenCV can read'),
        'labels out is a file': (video, tmp_path / 'o.avi',
                                 ['--labels-out', str(tmp_path / 'file.png')],
                                 'gives the frames; --labels-out must be a '
                                 'folder'),
        'out is labels out': (folder, tmp_path / 'o',
                              ['--labels-out', str(tmp_path / 'o')],
                              f'--out {tmp_path / "o"} and --labels-out '
                              f'{tmp_path / "o"} are one path'),
        'one image: out is labels out': (
            folder / 'tall.png', tmp_path / 'o.png',
            ['--labels-out', str(tmp_path / '.' / 'o.png')],
            'are one path: the label maps would overwrite the pictures'),
        'one image over itself': (pngs / 'tall.png', pngs / 'tall.png', [],
                                  f'--out {pngs / "tall.png"} is the input '
                                  f'{pngs / "tall.png"}'),
        'out is the input folder': (pngs, pngs, [],
                                    f'--out {pngs} is inside the input '
                                    f'folder {pngs}'),
        'out in the input folder': (folder, folder / 'o', [],
                                    f'--out {folder / "o"} is inside the '
                                    f'input folder {folder}: a second run'),
        'labels out in the input folder': (
            folder, tmp_path / 'o', ['--labels-out', str(folder / 'sub')],
            f'--labels-out {folder / "sub"} is inside the input folder'),
        'video over itself': (video, video, [],
                              f'--out {video} is the input {video}: writing '
                              f'it would destroy the video'),
        'glob over an input': (pngs / '*.png', pngs, [],
                               f'would write {pngs / "tall.png"} over the '
                               f'input {pngs / "tall.png"}'),
        'glob reaches its outputs': (pngs / '**' / '*.png', pngs / 'o', [],
                                     f'the pattern {pngs / "**" / "*.png"} '
                                     f'matches its outputs'),
        'labels out nested in out': (
            pngs, tmp_path / 'o',
            ['--labels-out', str(tmp_path / 'o' / 'sub')],
            f'--labels-out {tmp_path / "o" / "sub"} and --out '
            f'{tmp_path / "o"} would both write '
            f'{tmp_path / "o" / "sub" / "tall.png"}'),
    }[case]
    model = ([DEMO_CONFIG, str(tmp_path / 'no.pth')] if tool == 'infer'
             else [str(tmp_path / 'no.onnx')])
    with pytest.raises(SystemExit) as stop:
        load_tool(tool).main([str(source), *model, '--out', str(out),
                              *extra])
    assert message in str(stop.value), stop.value
    assert not (tmp_path / 'o').exists()
    assert not (folder / 'o').exists()
    assert (pngs / 'tall.png').stat().st_size > 0
    assert video.stat().st_size > 0


def test_folders_follow_symlinked_subfolders_and_skip_hidden_names(
        media, folder, tmp_path):
    """A folder lists what its ``**`` glob lists: through a symlinked
    subfolder (not round a link back up), without macOS's ``._x.jpg`` or
    ``.ipynb_checkpoints/``."""
    root = tmp_path / 'images'
    (root / '.ipynb_checkpoints').mkdir(parents=True)
    shutil.copy(folder / 'tall.png', root / 'a.png')
    shutil.copy(folder / 'tall.png', root / '.ipynb_checkpoints' / 'a.png')
    (root / '._a.jpg').write_bytes(b'AppleDouble, not a jpeg')
    (tmp_path / 'elsewhere').mkdir()
    shutil.copy(folder / 'tall.png', tmp_path / 'elsewhere' / 'b.png')
    (root / 'linked').symlink_to(tmp_path / 'elsewhere')
    expected = ['a.png', 'linked/b.png']
    assert media.find_inputs(str(root / '**' / '*.*')).names == expected
    (root / 'linked' / 'up').symlink_to(root)  # a cycle
    listed = media.find_inputs(str(root))
    assert listed.names == expected
    assert [p.is_file() for p in listed.files] == [True, True]


def test_a_batch_larger_than_a_static_onnx_file_takes_is_refused(
        infer, folder, tmp_path):
    """Before the checkpoint is read (it does not exist), naming the fix;
    a file exported with --dynamic takes any batch."""
    import onnx
    from onnx import TensorProto, helper

    from inceptionnext_seg.apis import onnx_batch
    from inceptionnext_seg.deploy import add_metadata

    def model(batch, path):
        image = helper.make_tensor_value_info('image', TensorProto.FLOAT,
                                              [batch, 3, 'h', 'w'])
        logits = helper.make_tensor_value_info('logits', TensorProto.FLOAT,
                                               [batch, 3, 'h', 'w'])
        graph = helper.make_graph([helper.make_node(
            'Identity', ['image'], ['logits'])], 'g', [image], [logits])
        onnx.save(helper.make_model(graph), str(path))
        add_metadata(str(path), dict(palette=[[0, 0, 0]], output='logits'))
        return path

    static = model(1, tmp_path / 'static.onnx')
    assert onnx_batch(str(static)) == 1
    assert onnx_batch(str(model('batch', tmp_path / 'dyn.onnx'))) is None
    with pytest.raises(SystemExit) as stop:
        infer.main([str(folder), DEMO_CONFIG, str(tmp_path / 'no.pth'),
                    '--out', str(tmp_path / 'o'), '--onnx', str(static),
                    '--batch-size', '2', '--ladder',
                    str(tmp_path / 'no_ladder.json')])
    assert f'--batch-size 2: {static} takes batches of 1 only (exported ' \
        'without --dynamic). Export it with python ' \
        'tools/deployment/export.py CONFIG ' \
        'CKPT --format onnx --dynamic' in str(stop.value), stop.value
    assert not (tmp_path / 'o').exists()


def test_progress_is_a_bar_on_a_terminal_and_lines_elsewhere(media):
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    for stream, tty in ((Terminal(), True), (io.StringIO(), False)):
        progress = media.Progress(20, 'images', stream=stream)
        for _ in range(20):
            progress.update()
        assert progress.summary('eager fp32, batch 1', 'out/') == 0
        text = stream.getvalue()
        assert ('\r[>>>' in text) == tty, text
        assert text.count('\n') == (2 if tty else 11), text
        assert 'segmented 20 images in ' in text and '(eager fp32' in text


def test_a_folder_run_prints_no_library_notice(folder, checkpoint, tmp_path):
    """With Python's default warnings (in a child of the tool server: the
    notices raised per model and per picture are the ones at stake; those
    of imports are tests/test_tools/test_quiet_start.py's): what the user
    reads is the path, the checkpoint, the progress lines and the
    summary."""
    result = run_tool('tools/infer.py', folder / 'sub', DEMO_CONFIG,
                      checkpoint, '--out', tmp_path / 'out', *SMALL,
                      env={'PYTHONWARNINGS': 'default'})
    assert result.stderr == '', result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith('CPU path: '), lines
    assert lines[-1].startswith('segmented 3 images in '), lines
    # the CPU path's lines (more of them where this session's ladder names a
    # faster path: tools/analysis_tools/benchmark.py's tests keep one), the
    # checkpoint, the progress and the summary
    assert all(line.startswith(('CPU path', '  faster: ', 'this run: ',
                                'Loads checkpoint')) or
               ' images' in line for line in lines), lines


def test_real_ade20k_samples_batched_match_one_by_one(
        infer, ade_samples, checkpoint, single, tmp_path, capsys):
    """Three real photographs, each of its own size: batches of 2 still
    give each one the single-image pixels."""
    images = ade_samples / 'images' / 'validation'
    assert len(list(images.glob('*.jpg'))) == 3
    out = tmp_path / 'out'
    assert run(infer, [str(images), DEMO_CONFIG, checkpoint, '--out',
                       str(out), '--batch-size', '2']) == 0
    # the first two: the ones a batch of 2 that mixed sizes would take
    for image in sorted(images.glob('*.jpg'))[:2]:
        assert (read(out / f'{image.stem}.png') == single(image)[0]).all(), \
            image


@pytest.fixture(scope='module')
def onnx_model(trained, tmp_path_factory):
    out = tmp_path_factory.mktemp('onnx') / 'demo.onnx'
    run_tool('tools/deployment/export.py', DEMO_CONFIG,
             trained[0] / 'iter_4.pth', '--format', 'onnx', '--out', out,
             '--shape', '64', '96', '--dynamic')
    return str(out)


@MANY_ONNX
def test_the_onnx_path_on_a_folder_in_batches(infer, folder, checkpoint,
                                              onnx_model, tmp_path, capsys):
    out, labels = tmp_path / 'out', tmp_path / 'labels'
    assert run(infer, [str(folder), DEMO_CONFIG, checkpoint, '--out',
                       str(out), '--labels-out', str(labels), '--onnx',
                       onnx_model, '--batch-size', '3']) == 0
    assert '(ONNX Runtime fp32, batch 3); wrote' in capsys.readouterr().out
    assert outputs(labels) == sorted(names(folder))
    for name in (jpgs(folder)[0].replace('.jpg', '.png'), 'sub/large.png'):
        image = names(folder)[name]
        run(infer, [str(image), DEMO_CONFIG, checkpoint, '--out',
                    str(tmp_path / 'single.png'), '--labels-out',
                    str(tmp_path / 'single_labels.png'), '--onnx',
                    onnx_model])
        assert (read(out / name) == read(tmp_path / 'single.png')).all()
        assert (read(labels / name) ==
                read(tmp_path / 'single_labels.png')).all()


@MANY_ONNX
def test_onnx_runtime_only_on_a_folder_and_a_video(media, folder, video,
                                                   onnx_model, tmp_path,
                                                   capsys):
    out, labels = tmp_path / 'out', tmp_path / 'labels'
    assert media.main([str(folder), onnx_model, '--out', str(out),
                       '--labels-out', str(labels)]) == 0
    assert 'segmented 6 images in ' in capsys.readouterr().out
    assert outputs(out) == outputs(labels) == sorted(names(folder))
    media.main([str(folder / 'sub' / 'large.png'), onnx_model, '--out',
                str(tmp_path / 'single.png'), '--labels-out',
                str(tmp_path / 'single_labels.png')])
    assert (read(out / 'sub' / 'large.png') ==
            read(tmp_path / 'single.png')).all()
    assert (read(labels / 'sub' / 'large.png') ==
            read(tmp_path / 'single_labels.png')).all()
    frames = tmp_path / 'frames'
    assert media.main([str(video), onnx_model, '--out',
                       str(tmp_path / 'seg.mp4'), '--labels-out',
                       str(frames)]) == 0
    assert 'segmented 4 frames in ' in capsys.readouterr().out
    assert len(frames_of(tmp_path / 'seg.mp4')) == 4
    png = tmp_path / 'frame2.png'
    cv2.imwrite(str(png), frames_of(video)[2])
    media.main([str(png), onnx_model, '--out', str(tmp_path / 'x.png'),
                '--labels-out', str(tmp_path / 'frame2_labels.png')])
    assert (read(frames / 'frame_000002.png') ==
            read(tmp_path / 'frame2_labels.png')).all()


def test_compile_gives_the_eager_label_maps(infer, folder, checkpoint,
                                            single, tmp_path, capsys,
                                            monkeypatch):
    """--compile (dynamo's 'eager' backend here; inductor takes minutes on
    a CPU): the backbone and decode head compiled, each label map the
    uncompiled single-image form's. A copy of the shared model is
    compiled, the other tests' stays eager."""
    import copy

    import mmseg.apis
    shared = mmseg.apis.init_model
    monkeypatch.setattr(mmseg.apis, 'init_model',
                        lambda *a, **k: copy.deepcopy(shared(*a, **k)))
    labels = tmp_path / 'labels'
    assert run(infer, [str(folder / 'sub'), DEMO_CONFIG, checkpoint,
                       '--out', str(tmp_path / 'out'), '--labels-out',
                       str(labels), '--compile', 'eager']) == 0
    log = capsys.readouterr().out
    assert ("compile: backbone, decode_head compiled with backend "
            "'eager'") in log
    inputs = names(folder / 'sub')
    assert outputs(labels) == sorted(inputs)
    for name, image in inputs.items():
        assert (read(labels / name) == single(image)[1]).all(), name
