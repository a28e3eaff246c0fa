"""Reading image files as Keras' `load_img` + `img_to_array` do, and the names of saved samples.

Reproduces Keras 3's `keras/src/utils/image_utils.py`: the same PIL conversions and
resampling (with `keep_aspect_ratio`'s integer centre crop), so an iterator reading files
with it sees exactly the pixels Keras would. An unreadable or truncated file raises a
`ValueError` naming the file; target sizes must be pairs of positive integers of at most
`MAX_IMAGE_PIXELS` pixels.
"""

from __future__ import annotations

import io
import os
import struct

import numpy as np
from PIL import Image

from jaxaug import _checks
from jaxaug._image_files import DATA_FORMATS, MAX_IMAGE_PIXELS, fspath

COLOR_MODES = ("grayscale", "rgb", "rgba")
_RESAMPLING = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "hamming": Image.Resampling.HAMMING,
    "box": Image.Resampling.BOX,
    "lanczos": Image.Resampling.LANCZOS,
}
INTERPOLATIONS = tuple(_RESAMPLING)
# Errors PIL raises for files that are not (complete) images.
_PIL_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, Image.DecompressionBombError)
# The largest hash Keras 3 puts in a saved file name: `np.random.randint(1e7)`.
HASH_LIMIT = 10**7


def check_target_size(target_size, *, allow_none: bool = True) -> tuple[int, int] | None:
    """(height, width) as Python ints: a pair of positive Python/numpy integers (not bools, not strings).

    Raises:
      ValueError: not a pair of integers (e.g. "32", (8.5, 8), (True, True)), a size < 1,
        or height * width > `MAX_IMAGE_PIXELS`.
    """
    if target_size is None and allow_none:
        return None
    try:
        sizes = None if isinstance(target_size, (str, bytes)) else tuple(target_size)
    except TypeError:
        sizes = None
    if (sizes is None or len(sizes) != 2
            or any(isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) for v in sizes)):
        raise ValueError(f"target_size must be {'None or ' if allow_none else ''}(height, width), two integers. "
                         f"Received: target_size={_checks.short_repr(target_size)}")
    height, width = int(sizes[0]), int(sizes[1])
    if height < 1 or width < 1:
        raise ValueError(f"target_size must hold sizes >= 1. Received: target_size={target_size!r}")
    if height * width > MAX_IMAGE_PIXELS:
        raise ValueError(f"target_size is too large: {height} * {width} pixels > {MAX_IMAGE_PIXELS} (8192 x 8192). "
                         f"Received: target_size={target_size!r}")
    return height, width


def _convert(img: Image.Image, color_mode: str) -> Image.Image:
    """Keras' `load_img` mode rule: 8/16/32-bit grayscale is kept as is for "grayscale"."""
    if color_mode == "grayscale":
        return img if img.mode in ("L", "I;16", "I") else img.convert("L")
    target = color_mode.upper()
    return img if img.mode == target else img.convert(target)


def _resize(img: Image.Image, size: tuple[int, int], interpolation: str, keep_aspect_ratio: bool) -> Image.Image:
    """Keras' `load_img` resize, including its integer centre crop for `keep_aspect_ratio`."""
    width_height = (size[1], size[0])
    if img.size == width_height:
        return img
    resample = _RESAMPLING[interpolation]
    if not keep_aspect_ratio:
        return img.resize(width_height, resample)
    width, height = img.size
    crop_height = min(height, (width * size[0]) // size[1])
    crop_width = min(width, (height * size[1]) // size[0])
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    return img.resize(width_height, resample, box=[left, top, left + crop_width, top + crop_height])


def load_image(path, *, color_mode: str = "rgb", target_size=None, interpolation: str = "nearest",
               keep_aspect_ratio: bool = False, dtype="float32") -> np.ndarray:
    """Reads an image file as Keras' `img_to_array(load_img(...))` does, channels last.

    PIL's lazy decoding is forced here, so a truncated file raises now, naming the
    file, instead of later. Truncation follows PIL's rule: with its default
    `PIL.ImageFile.LOAD_TRUNCATED_IMAGES = False` a PNG/JPEG cut inside its pixel data
    raises; if you set that flag to True yourself, PIL (and Keras) fill the missing
    part instead, and so do we (the global setting is read, never changed).

    Args:
      path: a file path (str, bytes or os.PathLike).
      color_mode: "rgb" (3 channels), "rgba" (4) or "grayscale" (1; 16- and 32-bit
        grayscale files keep their values, as in Keras).
      target_size: None to keep the file's size, else (height, width).
      interpolation: PIL resampling filter when resizing, one of `INTERPOLATIONS`.
      keep_aspect_ratio: resize the largest centred crop with the target's aspect
        ratio instead of stretching the whole image.
      dtype: numpy dtype of the result.

    Returns:
      (H, W, C) array of `dtype` with the file's values (0..255 for 8-bit images).

    Raises:
      ValueError: the file cannot be read or decoded (the message names the file),
        or an option is not one of the listed choices.
    """
    _checks.check_choice(color_mode, "color_mode", COLOR_MODES)
    _checks.check_choice(interpolation, "interpolation", INTERPOLATIONS)
    _checks.check_bool(keep_aspect_ratio, "keep_aspect_ratio")
    size = check_target_size(target_size)
    name = fspath(path, "path")
    try:
        # Keras reads the bytes first, so PIL decodes from memory, never from a mmap.
        with open(path, "rb") as f:
            img = Image.open(io.BytesIO(f.read()))
        img.load()  # decode now, inside this try, so a broken file is reported by name
        img = _convert(img, color_mode)
        if size is not None:
            img = _resize(img, size, interpolation, keep_aspect_ratio)
        x = np.asarray(img, dtype=dtype)
    except _PIL_ERRORS as err:
        raise ValueError(f"Could not read an image from file {name!r}: {_unreadable(name, err)}") from err
    return x.reshape(x.shape + (1,)) if x.ndim == 2 else x


def _unreadable(name: str, err: Exception) -> str:
    """What is wrong with a file Pillow could not read, in one line."""
    if isinstance(err, FileNotFoundError):
        return "the file does not exist"
    if isinstance(err, Image.UnidentifiedImageError):
        try:
            size = os.path.getsize(name)
        except OSError:
            size = None
        return ("the file is empty" if size == 0 else
                f"not an image file Pillow recognises (an unknown format, or not an image; {size} bytes)")
    text = str(err).splitlines()[0] if str(err) else ""
    if "truncated" in text.lower():
        return f"the image data is truncated (the file is cut short: {text})"
    return f"{type(err).__name__}: {text}"


def to_channels(x: np.ndarray, data_format: str) -> np.ndarray:
    """Moves the channel axis of an (H, W, C) image where `data_format` wants it."""
    _checks.check_choice(data_format, "data_format", DATA_FORMATS)
    return x if data_format == "channels_last" else np.transpose(x, (2, 0, 1))


def augmented_filename(prefix: str, index: int, hash_value: int, file_format: str) -> str:
    """Keras' name for a saved augmented sample: `f"{prefix}_{index}_{hash}.{format}"`.

    Args:
      prefix: Keras' `save_prefix` (may be empty).
      index: the sample's index in the dataset.
      hash_value: an integer in [0, 10**7) (Keras 3 draws `np.random.randint(1e7)`).
      file_format: Keras' `save_format`, used verbatim as the extension.
    """
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a str. Received: prefix={prefix!r}")
    _checks.check_int(index, "index", 0)
    _checks.check_int(hash_value, "hash_value", 0)
    if hash_value >= HASH_LIMIT:
        raise ValueError(f"hash_value must be < {HASH_LIMIT}. Received: hash_value={hash_value!r}")
    if not isinstance(file_format, str) or not file_format:
        raise ValueError(f"file_format must be a non-empty str such as 'png'. Received: file_format={file_format!r}")
    return f"{prefix}_{index}_{hash_value}.{file_format}"
