"""CheckedLoadImageFromFile decides "complete and usable" by what the decoders
do: every valid JPEG/PNG variant loads with mmcv's own pixels, every broken
file is refused naming the file."""
import io
import zlib
from pathlib import Path

import cv2
import mmcv
import numpy as np
import pytest
from PIL import Image

from inceptionnext_seg.datasets.transforms import (CheckedLoadImageFromFile,
                                                   CorruptSampleError,
                                                   jpeg_truncation)


def scene(h: int = 96, w: int = 128) -> np.ndarray:
    """A smooth RGB image (compresses like a photo, unlike noise)."""
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    return cv2.GaussianBlur(img, (9, 9), 3)


def pil_bytes(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kwargs)
    return buf.getvalue()


def jpeg(**kwargs) -> bytes:
    return pil_bytes(Image.fromarray(scene()), 'JPEG', **kwargs)


def exif_bytes() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = 'A camera maker'  # Make
    exif[0x0112] = 1  # Orientation: normal
    return exif.tobytes()


def icc_profile() -> bytes:
    from PIL import ImageCms
    return ImageCms.ImageCmsProfile(ImageCms.createProfile('sRGB')).tobytes()


def png_16bit() -> bytes:
    ok, data = cv2.imencode('.png', (scene()[..., 0].astype(np.uint16) * 257))
    assert ok
    return data.tobytes()


VALID = {
    'jpeg_baseline': lambda: jpeg(quality=90),
    'jpeg_progressive': lambda: jpeg(progressive=True),
    'jpeg_optimized_huffman': lambda: jpeg(optimize=True),
    'jpeg_quality_5': lambda: jpeg(quality=5),
    'jpeg_quality_100_444': lambda: jpeg(quality=100, subsampling=0),
    'jpeg_422': lambda: jpeg(subsampling=1),
    'jpeg_restart_markers': lambda: jpeg(restart_marker_blocks=2),
    'jpeg_exif_and_icc': lambda: jpeg(exif=exif_bytes(),
                                      icc_profile=icc_profile()),
    'jpeg_grayscale': lambda: pil_bytes(
        Image.fromarray(scene()[..., 0]), 'JPEG'),
    'jpeg_cmyk': lambda: pil_bytes(
        Image.fromarray(scene()).convert('CMYK'), 'JPEG'),
    'jpeg_1x1': lambda: pil_bytes(Image.new('RGB', (1, 1), (9, 99, 199)),
                                  'JPEG'),
    'jpeg_odd_size': lambda: pil_bytes(Image.fromarray(scene(17, 333)),
                                       'JPEG'),
    # Data after the end-of-image marker, as cameras and phones append
    # (thumbnails, motion-photo videos, padding): the image is complete.
    'jpeg_trailing_padding_10k': lambda: jpeg() + b'\x00' * 10_000,
    'jpeg_trailing_video_20k': lambda: jpeg() + b'\x00\x00\x00\x18ftypmp42'
    + bytes(np.random.default_rng(1).integers(0, 256, 20_000, np.uint8)),
    'png_rgb': lambda: pil_bytes(Image.fromarray(scene()), 'PNG'),
    'png_rgba': lambda: pil_bytes(Image.fromarray(scene()).convert('RGBA'),
                                  'PNG'),
    'png_gray': lambda: pil_bytes(Image.fromarray(scene()[..., 0]), 'PNG'),
    'png_palette': lambda: pil_bytes(Image.fromarray(scene()).convert(
        'P', palette=Image.Palette.ADAPTIVE), 'PNG'),
    'png_16bit_gray': png_16bit,
    'png_uncompressed': lambda: pil_bytes(Image.fromarray(scene()), 'PNG',
                                          compress_level=0),
    'png_named_jpg': lambda: pil_bytes(Image.fromarray(scene()), 'PNG'),
    'bmp': lambda: pil_bytes(Image.fromarray(scene()), 'BMP'),
}


def cut(data: bytes, share: float) -> bytes:
    return data[:int(len(data) * share)]


def png_bad_crc() -> bytes:
    data = bytearray(pil_bytes(Image.fromarray(scene()), 'PNG'))
    idat = data.index(b'IDAT')
    data[idat + 10] ^= 0xFF  # payload changed, CRC no longer matches
    return bytes(data)


BROKEN = {
    # cut inside the headers: the decoders cannot even start
    'jpeg_cut_at_10%': (lambda: cut(jpeg(), 0.1), 'cannot read image'),
    'jpeg_cut_at_50%': (lambda: cut(jpeg(), 0.5), 'truncated JPEG'),
    'jpeg_cut_at_99%': (lambda: cut(jpeg(), 0.99), 'truncated JPEG'),
    'jpeg_progressive_cut_at_90%': (
        lambda: cut(jpeg(progressive=True), 0.9), 'truncated JPEG'),
    'jpeg_header_only': (lambda: jpeg()[:200], '(truncated JPEG|cannot)'),
    'not_an_image': (lambda: b'this is text, not an image', 'cannot read'),
    'empty_file': (lambda: b'', 'cannot read'),
    'png_cut_at_50%': (lambda: cut(pil_bytes(Image.fromarray(scene()),
                                             'PNG'), 0.5), 'cannot read'),
    'png_bad_crc': (png_bad_crc, 'cannot read'),
}


def load(path: Path) -> dict:
    return CheckedLoadImageFromFile().transform(dict(img_path=str(path)))


@pytest.mark.parametrize('name', sorted(VALID))
def test_valid_images_load_with_mmcvs_pixels(name, tmp_path):
    suffix = '.jpg' if name.startswith('jpeg') or 'named_jpg' in name \
        else '.' + name.split('_')[0]
    path = tmp_path / f'img{suffix}'
    path.write_bytes(VALID[name]())
    results = load(path)
    expected = mmcv.imread(str(path))
    assert results['img'].shape == expected.shape
    np.testing.assert_array_equal(results['img'], expected)
    assert jpeg_truncation(str(path)) is None


@pytest.mark.parametrize('name', sorted(BROKEN))
def test_broken_images_are_refused_naming_the_file(name, tmp_path):
    make, message = BROKEN[name]
    path = tmp_path / ('img.png' if name.startswith('png') else 'img.jpg')
    path.write_bytes(make())
    with pytest.raises(CorruptSampleError, match=message) as err:
        load(path)
    assert str(path) in str(err.value)


def test_truncation_is_caught_when_the_pixel_decoder_accepts(
        tmp_path, monkeypatch):
    """OpenCV 4 builds decode a cut JPEG without an error (grey bottom rows);
    the check does not depend on the pixel decoder refusing it."""
    path = tmp_path / 'cut.jpg'
    path.write_bytes(cut(jpeg(), 0.6))
    grey = np.full((96, 128, 3), 128, np.uint8)
    monkeypatch.setattr(mmcv, 'imfrombytes', lambda *a, **k: grey)
    with pytest.raises(CorruptSampleError, match='truncated JPEG') as err:
        load(path)
    assert str(path) in str(err.value)
    # ... and a complete file passes the same way.
    path.write_bytes(jpeg())
    assert load(path)['img'] is grey


def test_png_payload_corruption_is_visible_to_the_decoder():
    """Sanity check of the broken-PNG fixture: libpng sees the CRC."""
    data = png_bad_crc()
    assert zlib.crc32(data) != zlib.crc32(
        pil_bytes(Image.fromarray(scene()), 'PNG'))
    assert cv2.imdecode(np.frombuffer(data, np.uint8),
                        cv2.IMREAD_COLOR) is None
