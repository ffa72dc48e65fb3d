"""Generated datasets in the layouts the checked datasets read: Cityscapes'
own (``leftImg8bit`` / ``gtFine`` with ``labelTrainIds``) and a custom
"folder of images, folder of index masks" with a classes file. The scenes
are ``synthetic_ade20k``'s, their classes mapped to each layout's."""
from pathlib import Path
from typing import Dict, Tuple

import cv2
import numpy as np

from inceptionnext_seg.datasets.synthetic_ade20k import (
    CLASSES, draw_scene, write_scene_folders)

# Cityscapes' train id of each drawn ADE20K class (0 "other" -> 255).
CITYSCAPES_TRAIN_IDS: Dict[str, int] = dict(
    wall=2, sky=10, floor=1, tree=8, road=0, person=11, car=13)
CITIES = dict(train=('aachen', 'bremen'), val=('frankfurt',))

# The custom layout's classes, in index order, with their colours.
CUSTOM_CLASSES = (('background', (0, 0, 0)), ('sky', (70, 130, 180)),
                  ('building', (70, 70, 70)), ('ground', (128, 64, 128)),
                  ('tree', (107, 142, 35)), ('vehicle', (0, 0, 142)))
_CUSTOM_OF = dict(wall='building', sky='sky', floor='ground', road='ground',
                  tree='tree', car='vehicle', person='background')


def _lookup(mapping: Dict[str, int], other: int) -> np.ndarray:
    table = np.full(256, other, np.uint8)
    for name, value in mapping.items():
        table[CLASSES[name]] = value
    return table


def make_cityscapes_like(root, per_city: int = 2,
                         size: Tuple[int, int] = (64, 128),
                         seed: int = 0) -> Path:
    """Write ``root/leftImg8bit/{train,val}/CITY/CITY_000000_0000NN_
    leftImg8bit.png`` and the matching ``gtFine/..._gtFine_labelTrainIds.png``
    (train ids 0..18, 255 ignored) and ``..._gtFine_labelIds.png`` (the
    encoding before mmseg's converter; here just the train ids + 7, which is
    enough to be out of range)."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    train_ids = _lookup(CITYSCAPES_TRAIN_IDS, 255)
    for split, cities in CITIES.items():
        for city in cities:
            img_dir = root / 'leftImg8bit' / split / city
            ann_dir = root / 'gtFine' / split / city
            img_dir.mkdir(parents=True, exist_ok=True)
            ann_dir.mkdir(parents=True, exist_ok=True)
            for i in range(per_city):
                image, ade = draw_scene(rng, size)
                stem = f'{city}_000000_{i:06d}'
                cv2.imwrite(str(img_dir / f'{stem}_leftImg8bit.png'), image)
                label = train_ids[ade]
                cv2.imwrite(str(ann_dir / f'{stem}_gtFine_labelTrainIds.png'),
                            label)
                label_ids = np.where(label == 255, 0, label + 7)
                cv2.imwrite(str(ann_dir / f'{stem}_gtFine_labelIds.png'),
                            label_ids.astype(np.uint8))
    return root


def make_custom_like(root, num_train: int = 4, num_val: int = 2,
                     size: Tuple[int, int] = (48, 64), seed: int = 0) -> Path:
    """Write ``root/images/{train,val}/scene_NNN.jpg``, the index masks
    ``root/masks/{train,val}/scene_NNN.png`` (0-based classes, 255 ignored)
    and ``root/classes.txt`` (``NAME R G B`` per line)."""
    index = {name: i for i, (name, _) in enumerate(CUSTOM_CLASSES)}
    table = _lookup({ade: index[ours] for ade, ours in _CUSTOM_OF.items()},
                    255)
    root = write_scene_folders(root, dict(train=num_train, val=num_val),
                               size, seed, lambda ade: table[ade])
    (root / 'classes.txt').write_text(''.join(
        f'{name} {r} {g} {b}\n' for name, (r, g, b) in CUSTOM_CLASSES))
    return root


def make_binary_like(root, num_train: int = 4, num_val: int = 2,
                     size: Tuple[int, int] = (48, 64), foreground: int = 1,
                     seed: int = 0) -> Path:
    """Write a binary dataset, "sky" against the rest, with the sky stored
    as ``foreground`` (1, or 255 as most tools write it): the package's
    ``synthetic_ade20k.make_binary_like``."""
    from inceptionnext_seg.datasets.synthetic_ade20k import \
        make_binary_like as make
    return make(root, num_train, num_val, size, 'sky', foreground, seed)
