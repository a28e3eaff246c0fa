"""Image files for the shells (`jaxaug.keras`, the preview CLI): output places and writing.

`check_output_folder` / `check_output_file` check, before any work, that an output place
exists and can be written; `save_image` writes one image atomically, as Keras 3's
`save_img` (`keras/src/utils/image_utils.py`) with `to_pil` as its `array_to_img`. Paths
that must exist and do not raise `PathNotFoundError` (both a `FileNotFoundError` and a
`ValueError`). Plain numpy + Pillow; the core never imports this module.
"""

from __future__ import annotations

import os
import uuid
import warnings

import numpy as np
from PIL import Image

from jaxaug import _checks

DATA_FORMATS = ("channels_last", "channels_first")
# The largest image (height * width) we resize to or build: 8192 x 8192, 805 MB as one float32
# RGB image. Larger sizes are refused up front instead of running the machine out of memory.
MAX_IMAGE_PIXELS = 2**26


class PathNotFoundError(FileNotFoundError, ValueError):
    """A path that must exist does not. Also a `ValueError`, as these errors were before."""


def fspath(path, name: str) -> str:
    """`path` (str, bytes or os.PathLike) as a str; anything else is a TypeError naming `name`."""
    try:
        return os.fsdecode(os.fspath(path))
    except TypeError as err:
        raise TypeError(f"{name} must be a path (str, bytes or os.PathLike). "
                        f"Received: {name}={_checks.short_repr(path)}") from err


def existing_dir(directory, name: str = "directory") -> str:
    """`directory` as a str, if it is an existing folder (`PathNotFoundError` if it does not exist)."""
    path = fspath(directory, name)
    if not os.path.exists(path):
        raise PathNotFoundError(f"{name} does not exist. Received: {name}={path!r}")
    if not os.path.isdir(path):
        raise ValueError(f"{name} must be a folder; it is a file. Received: {name}={path!r}")
    return path


def _check_writable(folder: str, name: str, value: str) -> None:
    """Creates and removes an empty file in `folder`: the only test that sees read-only mounts and ACLs."""
    probe = os.path.join(folder, f".jaxaug-write-test-{uuid.uuid4().hex[:12]}")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as err:
        raise ValueError(f"{name} cannot be written: {err.strerror or err} in folder {folder!r}. "
                         f"Received: {name}={value!r}") from err
    os.remove(probe)


def check_output_folder(folder, name: str) -> str:
    """Checks, before any work, that `folder` is an existing folder this process can write to.

    Raises:
      TypeError: `folder` is not a path.
      PathNotFoundError: it does not exist.
      ValueError: it is not a folder, or it cannot be written (read-only, no permission).
    """
    path = existing_dir(folder, name)
    _check_writable(path, name, path)
    return path


def check_output_file(path, name: str, file_format=None) -> tuple[str, str]:
    """Checks, before any work, that an image can be written at `path`; returns (path, Pillow format).

    The format is `file_format` if given, else the one the extension of `path` names
    (".png" PNG, ".jpg" JPEG, ...); an extension Pillow cannot write is refused, so a
    ".jpg" file never holds PNG bytes.

    Raises:
      TypeError: `path` is not a path.
      PathNotFoundError: the folder of `path` does not exist.
      ValueError: no writable format, `path` is a folder, or its folder cannot be written.
    """
    text = fspath(path, name)
    if not text:
        raise ValueError(f"{name} must be a file name such as 'out.png'. Received: {name}={text!r}")
    if os.path.isdir(text):
        raise ValueError(f"{name} is a folder, not a file name. Received: {name}={text!r}")
    fmt = save_format_of(text, file_format, name)
    folder = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(folder):
        problem = "does not exist" if not os.path.exists(folder) else "is not a folder"
        error = PathNotFoundError if problem == "does not exist" else ValueError
        raise error(f"the folder of {name} {problem}: {folder!r}. Received: {name}={text!r}")
    _check_writable(folder, name, text)
    return text, fmt


# ----------------------------------------------------------------------------- saving


def to_pil(x, *, data_format: str = "channels_last", scale: bool = True) -> Image.Image:
    """Keras' `array_to_img`: a PIL image of one (H, W, C) array (float32 arithmetic).

    With `scale`, values are mapped to [0, 255] by `(x - min) / max * 255` (no division
    when the range is 0); without it they are cast to uint8 as they are. 1 channel
    gives mode "L" (or "I" when values exceed 255), 3 "RGB", 4 "RGBA".

    Raises:
      ValueError: `x` is not rank 3 or does not have 1, 3 or 4 channels.
    """
    _checks.check_choice(data_format, "data_format", DATA_FORMATS)
    _checks.check_bool(scale, "scale")
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3:
        raise ValueError(f"x must be one image of rank 3. Received: x.shape={x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if x.shape[2] not in (1, 3, 4):
        raise ValueError(f"x must have 1, 3 or 4 channels ({data_format}). Received: x.shape={x.shape}")
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    if x.shape[2] == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if x.shape[2] == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if np.max(x) > 255:
        return Image.fromarray(x[:, :, 0].astype("int32"), "I")
    return Image.fromarray(x[:, :, 0].astype("uint8"), "L")


def save_format_of(path: str, file_format, name: str = "path") -> str:
    """The Pillow format name: from `file_format`, else from the file's extension."""
    extensions = Image.registered_extensions()  # also loads Pillow's writers
    if file_format is None:
        found = extensions.get(os.path.splitext(path)[1].lower())
        if found is None or found not in Image.SAVE:
            raise ValueError(f"Cannot tell an image format Pillow can write from the extension of {name}={path!r}; "
                             "use an extension such as .png, .jpg, .bmp, .tif, .webp"
                             f"{' or pass file_format' if name == 'path' else ''}.")
        return found
    if not isinstance(file_format, str):
        raise TypeError(f"file_format must be a str such as 'png'. "
                        f"Received: file_format={_checks.short_repr(file_format)}")
    # Unlike Keras' save_img, "tif" and upper-case names work too (Keras raises KeyError 'TIF').
    found = {"JPG": "JPEG", "TIF": "TIFF"}.get(file_format.upper(), file_format.upper())
    if found not in Image.SAVE:
        raise ValueError(f"file_format must be a format Pillow can write, one of {sorted(Image.SAVE)}. "
                         f"Received: file_format={file_format!r}")
    return found


def save_image(path, x, *, data_format: str = "channels_last", file_format=None, scale: bool = True) -> None:
    """Keras' `save_img`, written atomically.

    The image goes to a temporary file in the destination folder which then replaces
    `path`, so a failure never leaves a partial file. RGBA saved as JPEG loses its
    alpha channel with Keras' warning.

    Args:
      path: destination file path.
      x: (H, W, C) array with 1, 3 or 4 channels, see `to_pil`.
      data_format: "channels_last" or "channels_first".
      file_format: Pillow format name ("png", "jpeg"/"jpg", "bmp", "tiff"/"tif", ...);
        None picks it from the extension of `path`.
      scale: whether to stretch the values to [0, 255], see `to_pil`.
    """
    path = fspath(path, "path")
    fmt = save_format_of(path, file_format)
    img = to_pil(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and fmt == "JPEG":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2)
        img = img.convert("RGB")
    folder, base = os.path.split(os.path.abspath(path))
    temp = os.path.join(folder, f".{base}.{uuid.uuid4().hex[:12]}.tmp")
    # os.open with 0o666 lets the umask set the mode, like a plain open() would.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            img.save(f, format=fmt)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.remove(temp)
        raise
