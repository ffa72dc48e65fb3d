"""A small procedural dataset in ADE20K's exact layout and encoding.

Scenes are drawn with a fixed seed: sky above a wall, a floor or road below,
and trees, cars and people on top. Each class has its own colour and texture,
so a small network learns them in minutes on a CPU. Annotations are PNGs with
ADE20K's values (0 = "other", ignored by the benchmark; 1..150 the classes);
images are JPEGs named like ADE20K's. The same scenes as a binary dataset
(one class against the rest, as annotation tools store it):
:func:`make_binary_like`.
"""
from pathlib import Path
from typing import Callable, Dict, Tuple

import cv2
import numpy as np

__all__ = ['CLASSES', 'draw_scene', 'make_ade20k_like', 'make_binary_like',
           'write_scene_folders']

# ADE20K class index (1-based, as in the annotation PNGs) of each drawn class.
CLASSES: Dict[str, int] = dict(wall=1, sky=3, floor=4, tree=5, road=7,
                               person=13, car=21)


def _texture(rng: np.random.Generator, shape: Tuple[int, int],
             base: Tuple[int, int, int], noise: float,
             stripes: int = 0, vertical: bool = False) -> np.ndarray:
    h, w = shape
    img = np.empty((h, w, 3), np.float32)
    img[:] = base
    img += rng.normal(0, noise, (h, w, 1))
    if stripes:
        axis = np.arange(w if vertical else h)
        wave = 25 * (np.sin(axis * 2 * np.pi / stripes) > 0)
        img += (wave[None, :, None] if vertical else wave[:, None, None])
    return img


def draw_scene(rng: np.random.Generator, size: Tuple[int, int] = (120, 160)
               ) -> Tuple[np.ndarray, np.ndarray]:
    """Return one (BGR uint8 image, uint8 ADE20K label map) pair."""
    h, w = size
    label = np.zeros((h, w), np.uint8)
    img = np.zeros((h, w, 3), np.float32)
    horizon = int(h * rng.uniform(0.25, 0.45))
    ground = int(h * rng.uniform(0.65, 0.8))
    # sky: blue, brighter towards the horizon (BGR)
    grad = np.linspace(0, 40, horizon)[:, None, None]
    img[:horizon] = _texture(rng, (horizon, w), (200, 140, 90), 4) + grad
    label[:horizon] = CLASSES['sky']
    # wall: beige with horizontal brick lines
    img[horizon:ground] = _texture(rng, (ground - horizon, w), (150, 180, 200),
                                   6, stripes=6)
    label[horizon:ground] = CLASSES['wall']
    # floor (brown planks) or road (dark grey)
    if rng.random() < 0.5:
        img[ground:] = _texture(rng, (h - ground, w), (40, 80, 130), 8,
                                stripes=10, vertical=True)
        label[ground:] = CLASSES['floor']
    else:
        img[ground:] = _texture(rng, (h - ground, w), (90, 90, 90), 12)
        label[ground:] = CLASSES['road']
    for _ in range(rng.integers(1, 4)):  # trees: green blobs
        cx, cy = int(rng.integers(0, w)), int(rng.integers(horizon - 10,
                                                           ground))
        r = int(rng.integers(8, 20))
        mask = np.zeros((h, w), np.uint8)
        cv2.circle(mask, (cx, cy), r, 1, -1)
        tex = _texture(rng, (h, w), (40, 150, 50), 20)
        img[mask > 0] = tex[mask > 0]
        label[mask > 0] = CLASSES['tree']
    for _ in range(rng.integers(0, 3)):  # cars: red boxes with dark windows
        x0 = int(rng.integers(0, w - 30))
        y0 = int(rng.integers(ground - 20, h - 12))
        bw, bh = int(rng.integers(20, 36)), int(rng.integers(10, 16))
        img[y0:y0 + bh, x0:x0 + bw] = (30, 30, 200)
        img[y0:y0 + bh // 3, x0 + 3:x0 + bw - 3] = (60, 40, 40)
        label[y0:y0 + bh, x0:x0 + bw] = CLASSES['car']
    for _ in range(rng.integers(0, 3)):  # people: upright skin-tone ellipses
        cx = int(rng.integers(5, w - 5))
        cy = int(rng.integers(horizon, h - 10))
        mask = np.zeros((h, w), np.uint8)
        cv2.ellipse(mask, (cx, cy), (4, 12), 0, 0, 360, 1, -1)
        img[mask > 0] = (120, 160, 230)
        label[mask > 0] = CLASSES['person']
    # a few "other" pixels (0), which the benchmark ignores
    oy, ox = int(rng.integers(0, h - 6)), int(rng.integers(0, w - 6))
    img[oy:oy + 6, ox:ox + 6] = rng.integers(0, 255, 3)
    label[oy:oy + 6, ox:ox + 6] = 0
    img += rng.normal(0, 3, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), label


def make_ade20k_like(root: str, num_train: int = 160, num_val: int = 24,
                     size: Tuple[int, int] = (120, 160), seed: int = 0
                     ) -> Path:
    """Write a procedural dataset laid out like ``ADEChallengeData2016``.

    Args:
        root: The dataset root (``.../ADEChallengeData2016``).
        num_train: Number of training images.
        num_val: Number of validation images.
        size: Image height and width.
        seed: Random seed; the same seed gives the same files.

    Returns:
        Path: ``root``.
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    for split, prefix, count in (('training', 'ADE_train', num_train),
                                 ('validation', 'ADE_val', num_val)):
        img_dir = root / 'images' / split
        ann_dir = root / 'annotations' / split
        img_dir.mkdir(parents=True, exist_ok=True)
        ann_dir.mkdir(parents=True, exist_ok=True)
        for i in range(1, count + 1):
            img, label = draw_scene(rng, size)
            name = f'{prefix}_{i:08d}'
            cv2.imwrite(str(img_dir / f'{name}.jpg'), img,
                        [cv2.IMWRITE_JPEG_QUALITY, 95])
            cv2.imwrite(str(ann_dir / f'{name}.png'), label)
    return root


def write_scene_folders(root, counts: Dict[str, int],
                        size: Tuple[int, int], seed: int,
                        mask_of: Callable[[np.ndarray], np.ndarray]) -> Path:
    """Drawn scenes in the "folder of images, folder of masks" layout:
    ``root/images/<split>/scene_NNN.jpg`` and ``root/masks/<split>/
    scene_NNN.png``, ``counts[split]`` of each split, each mask
    ``mask_of(ADE20K labels of the scene)``; the same seed gives the same
    files."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    for split, count in counts.items():
        (root / 'images' / split).mkdir(parents=True, exist_ok=True)
        (root / 'masks' / split).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            image, ade = draw_scene(rng, size)
            cv2.imwrite(str(root / 'images' / split / f'scene_{i:03d}.jpg'),
                        image, [cv2.IMWRITE_JPEG_QUALITY, 95])
            cv2.imwrite(str(root / 'masks' / split / f'scene_{i:03d}.png'),
                        mask_of(ade))
    return root


def make_binary_like(root: str, num_train: int = 4, num_val: int = 2,
                     size: Tuple[int, int] = (48, 64),
                     foreground: str = 'sky', foreground_value: int = 1,
                     seed: int = 0) -> Path:
    """Write one drawn class against the rest as a binary dataset:
    ``root/images/{train,val}/scene_NNN.jpg``, the masks
    ``root/masks/{train,val}/scene_NNN.png`` with the background as 0 and
    the foreground as ``foreground_value`` (1, or 255 as most annotation
    tools write it), and ``root/classes.txt`` (``background`` and the
    foreground's name).

    Args:
        root: The dataset root.
        num_train: Number of training images.
        num_val: Number of validation images.
        size: Image height and width.
        foreground: The drawn class that is the foreground (:data:`CLASSES`:
            ``sky`` about a third of the pixels, ``car`` a few percent).
        foreground_value: Its value in the masks.
        seed: Random seed; the same seed gives the same files.

    Returns:
        Path: ``root``.
    """
    root = write_scene_folders(
        root, dict(train=num_train, val=num_val), size, seed,
        lambda ade: np.where(ade == CLASSES[foreground], foreground_value,
                             0).astype(np.uint8))
    (root / 'classes.txt').write_text(f'background\n{foreground}\n')
    return root
