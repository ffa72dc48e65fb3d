"""Inputs and outputs of the inference tools (``tools/infer.py``,
``tools/deployment/infer_onnx.py``), one set of rules for both: an image, a
folder of images (its subfolders too), a glob pattern or a video in; pictures,
label maps or an annotated video out, checked before any work; the progress and
the summary. numpy and OpenCV only (no torch, no mmseg)."""
import argparse
import fnmatch
import glob
import os
import sys
import time
from pathlib import Path
from typing import Iterator, List, NamedTuple, Optional, TextIO, Tuple

import cv2
import numpy as np

__all__ = ['IMAGE_SUFFIXES', 'VIDEO_SUFFIXES', 'VIDEO_CODECS', 'UNREADABLE',
           'Inputs', 'Item', 'add_output_arguments', 'find_inputs',
           'check_outputs', 'count_items', 'read_items', 'video_info',
           'write_labels', 'Writer', 'Progress', 'glob_matches']

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
VIDEO_SUFFIXES = ('.avi', '.mp4', '.mov', '.mkv', '.webm', '.m4v', '.mpg',
                  '.mpeg', '.wmv')
#: The codec written for each video suffix: ones that OpenCV's wheels write
#: and read with no external encoder.
VIDEO_CODECS = {'.avi': 'MJPG', '.mp4': 'mp4v'}
UNREADABLE = 'not an image OpenCV can read'


class Inputs(NamedTuple):
    """What the input argument names."""
    kind: str  # 'image' (the single-image form), 'images' or 'video'
    files: List[Path]  # the images, sorted, or the one image or video
    names: List[str]  # each image's output name (under the output folder)


class Item(NamedTuple):
    """One image or frame to segment."""
    name: str  # its output name: 'sub/a.png', 'frame_000000.png'
    image: Optional[np.ndarray]  # BGR uint8 (None: not read, or unreadable)
    path: Optional[Path]  # the image file (None for a frame)


def find_inputs(source: str) -> Inputs:
    """An image, a folder of images (its subfolders too), a glob pattern
    (``**`` for any depth) or a video file; exits saying what was expected
    where it names none. Names starting with '.' (``._x.jpg``,
    ``.ipynb_checkpoints/``) are not listed, as mmengine's
    ``list_dir_or_file`` and a glob's wildcards skip them."""
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in walk(path)
                       if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if not files:
            raise SystemExit(f'{source}: a folder with no image in it or its '
                             f'subfolders (looked for '
                             f'{", ".join(IMAGE_SUFFIXES)}).')
        return Inputs('images', files, output_names(files, path))
    if path.is_file():
        kind = 'video' if path.suffix.lower() in VIDEO_SUFFIXES else 'image'
        return Inputs(kind, [path], [path.stem + '.png'])
    if glob.has_magic(source):
        # glob's wildcards match no leading '.' and its ``**`` skips hidden
        # folders: a hidden name is listed only where the pattern spells it.
        matched = sorted(Path(p) for p in glob.glob(source, recursive=True)
                         if Path(p).is_file())
        files = [p for p in matched if p.suffix.lower() in IMAGE_SUFFIXES]
        if not files:
            what = (f'{len(matched)} file(s) but no image '
                    f'({", ".join(IMAGE_SUFFIXES)}), e.g. {matched[0]}'
                    if matched else 'no file')
            raise SystemExit(f'{source}: the pattern matches {what}.')
        return Inputs('images', files, output_names(files, glob_root(source)))
    raise SystemExit(f'{source}: no such image, video, folder or glob '
                     f'pattern.')


def walk(folder: Path) -> Iterator[Path]:
    """The files under ``folder``, through symlinked subfolders too (as a
    ``**`` glob goes; ``Path.rglob`` does not before Python 3.13), except
    names starting with '.'. A link back to a folder above it is not
    followed (it would list the same files without end)."""
    above = {str(folder): {os.path.realpath(folder)}}  # real paths walked
    for top, dirs, files in os.walk(folder, followlinks=True):
        real = above.pop(top)
        kept = []
        for name in sorted(d for d in dirs if not d.startswith('.')):
            child = os.path.join(top, name)
            if os.path.realpath(child) not in real:
                kept.append(name)
                above[child] = real | {os.path.realpath(child)}
        dirs[:] = kept
        yield from (Path(top) / f for f in files if not f.startswith('.'))


def glob_root(pattern: str) -> Path:
    """The folder a glob pattern starts from (its leading parts without
    wildcards): the output names keep the paths under it."""
    parts = []
    for part in Path(pattern).parts:
        if glob.has_magic(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path('.')


def output_names(files: List[Path], root: Path) -> List[str]:
    """Each file's path under ``root``, as ``.png`` (pictures and label maps
    are PNG); two inputs that would write one name are refused."""
    names = [p.relative_to(root).with_suffix('.png').as_posix()
             for p in files]
    by_name = {}
    for name, file in zip(names, files):
        by_name.setdefault(name, []).append(str(file))
    clashes = [(n, f) for n, f in by_name.items() if len(f) > 1]
    if clashes:
        lines = ''.join(f'\n  {" and ".join(f)} -> {n}'
                        for n, f in clashes[:5])
        raise SystemExit(f'{len(clashes)} output name(s) would be written by '
                         f'two inputs (outputs are PNG files named after the '
                         f'inputs):{lines}\nRename one of each, or run them '
                         f'apart.')
    return names


def video_info(path: Path) -> Tuple[float, int]:
    """Frames per second (25 where the file does not say) and the frame
    count the file states (0: unknown); exits where OpenCV reads no frame
    of it."""
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened() or not capture.read()[0]:
            raise SystemExit(f'{path}: not a video OpenCV can read (no frame '
                             f'decoded; OpenCV {cv2.__version__}).')
        fps = capture.get(cv2.CAP_PROP_FPS)
        return (fps if fps > 0 else 25.0,
                max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0))
    finally:
        capture.release()


def check_outputs(inputs: Inputs, source: str, out: str,
                  labels_out: Optional[str]) -> None:
    """--out and --labels-out for these inputs: files for one image, a video
    file and a folder for a video, folders for many images; a video must be
    readable. Neither may write over an input or the other's files, nor sit
    in the input folder, where a second run would take this run's outputs
    for inputs (a glob: where the pattern matches them). Exits before any
    work where they do not fit, naming both paths."""
    if labels_out and Path(out).resolve() == Path(labels_out).resolve():
        raise SystemExit(f'--out {out} and --labels-out {labels_out} are one '
                         f'path: the label maps would overwrite the '
                         f'pictures. Give each its own.')
    if inputs.kind != 'images':
        for option, target in (('--out', out), ('--labels-out', labels_out)):
            if target and Path(target).resolve() == \
                    inputs.files[0].resolve():
                raise SystemExit(
                    f'{option} {target} is the input {source}: writing it '
                    f'would destroy the {inputs.kind} while it is read. '
                    f'Write elsewhere.')
    if inputs.kind == 'image':
        return
    folders = [('--out', out), ('--labels-out', labels_out)]
    if inputs.kind == 'video':
        if Path(out).suffix.lower() not in VIDEO_CODECS:
            raise SystemExit(f'--out {out}: {source} is a video; --out is '
                             f'the annotated video to write ('
                             f'{", ".join(VIDEO_CODECS)}).')
        folders = folders[1:]
        video_info(inputs.files[0])
    many = f'{len(inputs.files)} images' if inputs.kind == 'images' else \
        'the frames'
    for option, folder in folders:
        path = Path(folder) if folder else None
        if path is None or path.is_dir():
            continue
        if path.exists() or path.suffix.lower() in \
                IMAGE_SUFFIXES + VIDEO_SUFFIXES:
            raise SystemExit(f'{option} {folder}: {source} gives {many}; '
                             f'{option} must be a folder (this '
                             f'{"is" if path.exists() else "names"} a '
                             f'file).')
    if inputs.kind == 'images':
        check_folders(inputs, source, [f for f in folders if f[1]])


def check_folders(inputs: Inputs, source: str,
                  folders: List[Tuple[str, str]]) -> None:
    """Output folders for many images: not over an input, not inside the
    input folder (refused rather than left out of the listing: a run with
    another --out would still list them), not where the glob matches."""
    given = Path(source)
    files = {p.resolve(): p for p in inputs.files}
    written = {}
    for option, folder in folders:
        if given.is_dir():
            root = given.resolve()
            inside = Path(folder).resolve()
            if inside == root or root in inside.parents:
                raise SystemExit(
                    f'{option} {folder} is inside the input folder {source}: '
                    f'a second run would take this run\'s outputs for '
                    f'inputs (and PNG inputs would be overwritten). Write '
                    f'outside it.')
        for name in inputs.names:
            target = Path(folder) / name
            real = target.resolve()
            if real in files:
                raise SystemExit(f'{option} {folder} would write {target} '
                                 f'over the input {files[real]}. Write '
                                 f'elsewhere.')
            if real in written:
                raise SystemExit(f'{option} {folder} and {written[real][0]} '
                                 f'{written[real][1]} would both write '
                                 f'{target}. Give each its own folder.')
            written[real] = option, folder
            if not given.is_dir() and glob_matches(source, target):
                raise SystemExit(
                    f'{option} {folder}: the pattern {source} matches its '
                    f'outputs ({target}): a second run would take them for '
                    f'inputs. Write where the pattern does not reach.')


def glob_matches(pattern: str, path: Path) -> bool:
    """Whether ``glob.glob(pattern, recursive=True)`` would list ``path``
    once it exists (both made absolute; a leading '.' is matched only where
    the pattern spells it)."""
    def match(parts, names) -> bool:
        if not parts:
            return not names
        if parts[0] == '**':
            return any(match(parts[1:], names[i:])
                       for i in range(len(names) + 1)
                       if not any(n.startswith('.') for n in names[:i]))
        return bool(names) and (
            not names[0].startswith('.') or parts[0].startswith('.')) and \
            fnmatch.fnmatchcase(names[0], parts[0]) and \
            match(parts[1:], names[1:])
    return match(Path(os.path.abspath(pattern)).parts,
                 Path(os.path.abspath(path)).parts)


def count_items(inputs: Inputs) -> int:
    """Images, or the frames the video file states (0: unknown)."""
    return video_info(inputs.files[0])[1] if inputs.kind == 'video' else \
        len(inputs.files)


def read_items(inputs: Inputs, decode: bool = True) -> Iterator[Item]:
    """The images in order (decoded with OpenCV unless not ``decode``; an
    unreadable one has no image), or the video's frames."""
    if inputs.kind != 'video':
        for path, name in zip(inputs.files, inputs.names):
            yield Item(name, cv2.imread(str(path), cv2.IMREAD_COLOR)
                       if decode else None, path)
        return
    capture = cv2.VideoCapture(str(inputs.files[0]))
    try:
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield Item(f'frame_{index:06d}.png', frame, None)
            index += 1
    finally:
        capture.release()


def write_labels(path: Path, labels: np.ndarray) -> None:
    """A label map as PNG: 8-bit, or 16-bit where a value exceeds 255."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), labels.astype(
            np.uint16 if labels.max() > 255 else np.uint8)):
        raise SystemExit(f'{path}: OpenCV could not write it.')


class Writer:
    """Where each item's picture and label map go: --out and --labels-out
    as given for one image; under those folders by the item's name for many
    images; a video file (frame by frame) and a folder for a video."""

    def __init__(self, inputs: Inputs, out: str, labels_out: Optional[str]):
        self.inputs, self.out, self.labels_out = inputs, out, labels_out
        self._video = None
        self.frames = 0

    def picture_path(self, item: Item) -> Path:
        return (Path(self.out) if self.inputs.kind == 'image' else
                Path(self.out) / item.name)

    def write(self, item: Item, painted: Optional[np.ndarray],
              labels: Optional[np.ndarray]) -> None:
        """``painted``: BGR (None: written already); ``labels``: in the
        encoding to write (None: no label map)."""
        if painted is not None:
            if self.inputs.kind == 'video':
                self._write_frame(painted)
            else:
                path = self.picture_path(item)
                path.parent.mkdir(parents=True, exist_ok=True)
                if not cv2.imwrite(str(path), painted):
                    raise SystemExit(f'{path}: OpenCV could not write it.')
        if labels is not None and self.labels_out:
            write_labels(Path(self.labels_out) if self.inputs.kind == 'image'
                         else Path(self.labels_out) / item.name, labels)

    def _write_frame(self, painted: np.ndarray) -> None:
        if self._video is None:
            fps = video_info(self.inputs.files[0])[0]
            Path(self.out).parent.mkdir(parents=True, exist_ok=True)
            codec = VIDEO_CODECS[Path(self.out).suffix.lower()]
            self._video = cv2.VideoWriter(
                str(self.out), cv2.VideoWriter_fourcc(*codec), fps,
                painted.shape[1::-1])
            if not self._video.isOpened():
                raise SystemExit(f'{self.out}: OpenCV cannot write {codec} '
                                 f'video here.')
        self._video.write(painted)
        self.frames += 1

    def close(self) -> None:
        if self._video is not None:
            self._video.release()

    def wrote(self) -> str:
        """What was written, for the summary."""
        what = f'{self.out}' + ('/' if self.inputs.kind == 'images' else '')
        if self.labels_out:
            what += f', label maps in {self.labels_out}/'
        return what


class Progress:
    """A bar redrawn in place on a terminal (as mmengine's ProgressBar
    draws it), plain lines (about ten) otherwise; then the summary."""

    def __init__(self, total: int, kind: str,
                 stream: Optional[TextIO] = None):
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.total, self.unit = total, 'frames' if kind == 'video' else \
            'images'
        self.done, self.skipped = 0, []
        self.every = max(1, total // 10) if total else 100
        self.started = time.perf_counter()

    def skip(self, item: Item, why: str = UNREADABLE) -> None:
        """An input that is not segmented: named at once and at the end."""
        self.skipped.append(f'{item.path}: {why}')
        self._print(f'skipped {item.path}: {why}', sys.stderr)

    def update(self, count: int = 1) -> None:
        self.done += count
        seconds = time.perf_counter() - self.started
        rate = self.done / max(seconds, 1e-9)
        total = max(self.total, self.done)
        if self.tty:
            width = 30
            filled = int(width * self.done / total) if self.total else 0
            eta = (total - self.done) / rate
            self.stream.write(f'\r[{">" * filled}{" " * (width - filled)}] '
                              f'{self.done}/{total if self.total else "?"}, '
                              f'{rate:.1f} {self.unit}/s, elapsed: '
                              f'{seconds:.0f}s, ETA: {eta:.0f}s')
            self.stream.flush()
        elif self.done % self.every == 0 or self.done == self.total:
            self._print(f'{self.done}/{total if self.total else "?"} '
                        f'{self.unit}, {rate:.2f} {self.unit}/s',
                        self.stream)

    def _print(self, line: str, stream) -> None:
        if self.tty and stream is self.stream:
            line = '\r' + line
        print(line, file=stream, flush=True)

    def summary(self, path: str, wrote: str) -> int:
        """Print what was done; 1 where an input was skipped, else 0."""
        seconds = time.perf_counter() - self.started
        if self.tty:
            self.stream.write('\n')
        count = self.done - len(self.skipped)
        print(f'segmented {count} {self.unit} in {seconds:.1f} s: '
              f'{count / max(seconds, 1e-9):.2f} {self.unit}/s ({path}); '
              f'wrote {wrote}', file=self.stream)
        if not self.skipped:
            return 0
        print(f'{len(self.skipped)} of {self.done} {self.unit} skipped:\n  ' +
              '\n  '.join(self.skipped), file=sys.stderr)
        return 1


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """--out, --labels-out, --train-ids and --opacity, as
    ``tools/deployment/infer_onnx.py`` and ``tools/infer.py`` take them."""
    parser.add_argument('--out', required=True,
                        help='coloured result: a file for one image, a '
                        'folder for many, a video file (.mp4, .avi) for a '
                        'video')
    parser.add_argument('--labels-out',
                        help="also write the label map (PNG) in the "
                        "dataset's own encoding, as tools/test.py --out "
                        'writes it (ADE20K: 1..150; 16-bit where a value '
                        'exceeds 255): a file for one image, a folder for '
                        'many images or for a video\'s frames')
    parser.add_argument('--train-ids', action='store_true',
                        help='write --labels-out as 0-based class indices '
                        '(the model\'s outputs) instead')
    parser.add_argument('--opacity', type=float, default=0.5,
                        help='opacity of the painted mask, in (0, 1]')
