"""Segment the inputs of ``tools/infer.py`` (an image, a folder, a glob or
a video, :mod:`inceptionnext_seg.inference.media`) with a model built by
``mmseg.apis.init_model``: batches of images of one size (before and after
the test pipeline; mmseg's preprocessor refuses several sizes in a batch,
and padding would change the prediction near the padded edges), eager
PyTorch or ONNX Runtime on an exported file, mmseg's picture and the label
maps written."""
import time
from typing import Callable, Optional, Sequence

import numpy as np
import torch

from ..deploy.policy import InferencePath
from ..inference import media

__all__ = ['inference_pipeline', 'predict', 'counts_from_one', 'segment']


def inference_pipeline(cfg, arrays: bool):
    """The config's test pipeline as ``mmseg.apis.inference_model`` builds
    it: without LoadAnnotations; LoadImageFromNDArray for decoded frames."""
    from mmengine.dataset import Compose
    pipeline = [dict(t) for t in cfg.test_pipeline
                if t['type'] != 'LoadAnnotations']
    if arrays:
        pipeline[0]['type'] = 'LoadImageFromNDArray'
    return Compose(pipeline)


def predict(model, path: InferencePath, onnx: Optional[Callable],
            batch: list) -> list:
    """One ``SegDataSample`` per packed pipeline output, all of one size.
    Eager: the model's ``test_step``, as ``inference_model`` runs it. ONNX
    Runtime (``onnx``: its runner): the exported file on the same inputs,
    its logits resized to each image as mmseg resizes them."""
    if not path.onnx:
        data = dict(inputs=[p['inputs'] for p in batch],
                    data_samples=[p['data_samples'] for p in batch])
        with torch.autocast('cpu', dtype=torch.bfloat16,
                            enabled=path.eager_bf16):
            return model.test_step(data)
    import torch.nn.functional as F
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    logits = onnx(torch.stack([p['inputs'] for p in batch]).float())
    results = []
    for i, packed in enumerate(batch):
        resized = F.interpolate(
            logits[i:i + 1], size=packed['data_samples'].ori_shape,
            mode='bilinear', align_corners=model.decode_head.align_corners)
        result = SegDataSample()
        result.seg_logits = PixelData(data=resized[0])
        result.pred_sem_seg = PixelData(
            data=resized[0].argmax(0, keepdim=True))
        results.append(result)
    return results


def counts_from_one(cfg) -> bool:
    """Whether label maps add 1 to the class indices: the dataset's own
    encoding (ADE20K: 1..150), as ``tools/deployment/export.py`` stores it
    for ``tools/deployment/infer_onnx.py``."""
    from mmseg.registry import DATASETS

    from ..deploy.export import reduce_zero_label
    dataset = cfg.test_dataloader.dataset
    dataset_cls = DATASETS.get(dataset.type)
    if dataset_cls is None:
        return bool(dataset.get('reduce_zero_label', False))
    return bool(reduce_zero_label(dataset, dataset_cls))


def segment(model, path: InferencePath, inputs, out: str,
            labels_out: Optional[str] = None, batch_size: int = 1,
            onnx_path: Optional[str] = None, threads: int = 0,
            opacity: float = 0.5, with_labels: bool = False,
            train_ids: bool = False,
            label_values: Optional[Sequence[int]] = None) -> int:
    """Segment ``inputs`` (:func:`~inceptionnext_seg.inference.media.
    find_inputs`), write their pictures to ``out`` and label maps to
    ``labels_out`` (in the dataset's encoding unless ``train_ids``; with
    ``label_values``, class i written as ``label_values[i]``, e.g. 0/255 for
    a binary model), print the summary; the exit status (1 where an image
    was skipped).

    Args:
        model: from ``mmseg.apis.init_model``.
        path: the inference path (eager on the model's device, or ONNX
            Runtime on ``onnx_path`` with ``threads``).
        batch_size: images or frames per forward pass (of one size).
        opacity, with_labels: mmseg's picture.
    """
    from mmseg.apis import show_result_pyplot

    from .. import deploy
    video = inputs.kind == 'video'
    pipeline = inference_pipeline(model.cfg, arrays=video)
    onnx = deploy.onnx_runner(onnx_path, threads) if path.onnx else None
    writer = media.Writer(inputs, out, labels_out)
    plus_one = bool(labels_out) and not train_ids and \
        counts_from_one(model.cfg)
    classes = (model.dataset_meta or {}).get('classes') or ()
    if label_values and len(label_values) != len(classes):
        raise SystemExit(f'--label-values: {len(label_values)} values for '
                         f'{len(classes)} classes {list(classes)[:5]}: give '
                         f'one per class, in class order')
    values = np.array(label_values) if label_values else None

    def packed(item):
        return pipeline(dict(img=item.image) if video else
                        dict(img_path=str(item.path)))

    def draw(group, results) -> None:
        for (item, _), result in zip(group, results):
            # mmseg's own picture: it reads an image file itself (RGB) and
            # writes it; a frame is given as RGB and drawn for the video.
            drawn = show_result_pyplot(
                model, item.image[..., ::-1] if video else str(item.path),
                result, opacity=opacity, with_labels=with_labels,
                show=False,
                out_file=None if video else str(writer.picture_path(item)))
            labels = result.pred_sem_seg.data[0].cpu().numpy()
            if values is not None:
                labels = values[labels]
            elif plus_one:
                labels = labels + 1
            writer.write(item, drawn[..., ::-1] if video else None, labels)

    if inputs.kind == 'image':
        item = next(media.read_items(inputs, decode=False))
        try:
            one = packed(item)
        except Exception as error:  # mmcv's loader asserts, or raises
            raise SystemExit(f'{item.path}: {media.UNREADABLE} ({error}).')
        started = time.perf_counter()
        with torch.no_grad():
            result = predict(model, path, onnx, [one])[0]
        seconds = time.perf_counter() - started
        draw([(item, one)], [result])
        print(f'segmented in {seconds:.2f} s ({path}); wrote {out}')
        return 0
    progress = media.Progress(media.count_items(inputs), inputs.kind)
    pending = {}  # (pipeline size, image size) -> [(item, packed)]

    def flush(size) -> None:
        group = pending.pop(size)
        with torch.no_grad():
            draw(group, predict(model, path, onnx, [p for _, p in group]))
        progress.update(len(group))

    for item in media.read_items(inputs, decode=video):
        try:
            one = packed(item)
        except Exception as error:  # mmcv's loader asserts, or raises
            progress.skip(item, f'{media.UNREADABLE} ({error})')
            progress.update()
            continue
        # One size in and out per batch: mmseg's preprocessor refuses
        # inputs of several sizes, and warns where the images' own differ.
        size = (tuple(one['inputs'].shape), one['data_samples'].ori_shape)
        pending.setdefault(size, []).append((item, one))
        if len(pending[size]) == batch_size:
            flush(size)
        elif sum(map(len, pending.values())) >= 4 * batch_size:
            # Many sizes: the fullest batch goes, so that memory stays at
            # a few batches.
            flush(max(pending, key=lambda s: len(pending[s])))
    for size in list(pending):
        flush(size)
    writer.close()
    return progress.summary(f'{path}, batch {batch_size}', writer.wrote())
