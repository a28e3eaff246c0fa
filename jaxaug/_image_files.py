"""Host-side image files for the Keras facade: listing, loading and saving.

Everything here reproduces Keras 3's legacy `ImageDataGenerator` file handling
(`keras/src/legacy/preprocessing/image.py` and `keras/src/utils/image_utils.py`):
the same file order, labels, split slicing, PIL conversions and resampling, so a
`flow_from_directory` / `flow_from_dataframe` built on it sees exactly the images
Keras would. It is plain numpy + Pillow; pandas is only duck-typed (never imported).

Where Keras fails silently or obscurely we raise `ValueError`/`TypeError` naming the
argument instead: a missing `directory` (`PathNotFoundError`, both a `FileNotFoundError`
and a `ValueError`), a requested class with no folder, a folder with no class
subfolders, unreadable or truncated image files, target sizes that are not pairs of
positive integers (or are larger than `MAX_IMAGE_PIXELS`), and output places that do
not exist or cannot be written (checked before any work by `check_output_folder` /
`check_output_file`).
"""

from __future__ import annotations

import io
import os
import struct
import uuid
import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from PIL import Image

from jaxaug import _checks

WHITE_LIST_FORMATS = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")
COLOR_MODES = ("grayscale", "rgb", "rgba")
DATA_FORMATS = ("channels_last", "channels_first")
_RESAMPLING = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "hamming": Image.Resampling.HAMMING,
    "box": Image.Resampling.BOX,
    "lanczos": Image.Resampling.LANCZOS,
}
INTERPOLATIONS = tuple(_RESAMPLING)
DATAFRAME_CLASS_MODES = ("binary", "categorical", "input", "multi_output", "raw", "sparse", None)
_INDEXED_CLASS_MODES = ("binary", "categorical", "sparse")
# The largest hash Keras 3 puts in a saved file name: `np.random.randint(1e7)`.
HASH_LIMIT = 10**7
_TIFF_WARNING = 'Using ".tiff" files with multiple bands will cause distortion. Please verify your output.'
# Errors PIL raises for files that are not (complete) images.
_PIL_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, Image.DecompressionBombError)
# The largest image (height * width) we resize to or build: 8192 x 8192, 805 MB as one float32
# RGB image. Larger sizes are refused up front instead of running the machine out of memory.
MAX_IMAGE_PIXELS = 2**26


class PathNotFoundError(FileNotFoundError, ValueError):
    """A path that must exist does not. Also a `ValueError`, as these errors were before."""


class Listing(NamedTuple):
    """The images of a class-per-folder tree, as Keras' `DirectoryIterator` sees them.

    Attributes:
      filenames: paths relative to the listed directory, e.g. "cats/nested/1.png"
        (Keras' `iterator.filenames`).
      labels: (N,) int32 class index of each file (Keras' `iterator.classes`).
      class_names: class folder names, in class-index order.
      class_indices: {class name: class index} (Keras' `iterator.class_indices`).
    """

    filenames: list[str]
    labels: np.ndarray
    class_names: list[str]
    class_indices: dict[str, int]


class FrameListing(NamedTuple):
    """The rows of a dataframe that Keras' `DataFrameIterator` keeps, in order.

    Attributes:
      filepaths: the paths to read, `os.path.join(directory or "", x)` (Keras' `filepaths`).
      labels: Keras' `iterator.labels`: a list of class indices (or of index lists for
        multi-label rows) for "categorical", "binary" and "sparse"; the `y_col` values
        as an array for "raw"; one array per `y_col` column for "multi_output"; None
        for "input" and None.
      class_indices: {class name: class index} for the indexed class modes, else None.
      weights: the `weight_col` values as an array, or None.
      filenames: the kept `x_col` values as given (Keras' `iterator.filenames`).
    """

    filepaths: list[str]
    labels: Any
    class_indices: dict | None
    weights: np.ndarray | None
    filenames: list[str]


# ----------------------------------------------------------------------------- listing


def has_image_extension(filename: str) -> bool:
    """Keras' test: the lower-cased name ends with a white-listed extension.

    Keras does not require the dot, so "notapng" passes too; kept for identical listings.
    """
    return filename.lower().endswith(WHITE_LIST_FORMATS)


def _check_split(split):
    """Validates a (start, stop) fraction pair; returns it unchanged (None stays None)."""
    if split is None:
        return None
    _, stop = _checks.static_range(split, "split", minimum=0.0)
    if stop > 1:
        raise ValueError(f"split must be (start, stop) with 0 <= start <= stop <= 1. Received: split={split!r}")
    return split


def _split_slice(split, n: int) -> slice:
    # Keras truncates each end separately, int(fraction * n), with the fractions as given.
    return slice(int(split[0] * n), int(split[1] * n)) if split else slice(None)


def _fspath(path, name: str) -> str:
    try:
        return os.fsdecode(os.fspath(path))
    except TypeError as err:
        raise TypeError(f"{name} must be a path (str, bytes or os.PathLike). "
                        f"Received: {name}={_checks.short_repr(path)}") from err


def _existing_dir(directory, name: str = "directory") -> str:
    path = _fspath(directory, name)
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
    path = _existing_dir(folder, name)
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
    text = _fspath(path, name)
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


def _check_classes(classes) -> list | None:
    """None, or `classes` as a list: a list, tuple or 1-D array (Keras treats [] like None)."""
    if classes is None:
        return None
    if isinstance(classes, np.ndarray) and classes.ndim == 1:
        classes = classes.tolist()
    if isinstance(classes, (str, bytes)) or not isinstance(classes, Sequence):
        raise TypeError(f"classes must be None or a list of class names. "
                        f"Received: classes={_checks.short_repr(classes)}")
    return list(classes) or None


def _class_names(directory: str, classes) -> list[str]:
    """Keras' class list: the sorted sub-folders (links followed) unless `classes` names them."""
    classes = _check_classes(classes)
    if classes is None:
        names = [d for d in sorted(os.listdir(directory)) if os.path.isdir(os.path.join(directory, d))]
        if not names:
            raise ValueError(f"directory has no class sub-folders. Received: directory={directory!r}")
        return names
    names = classes
    for name in names:
        # Keras labels a file by its class folder's basename, so a nested or empty name breaks it.
        if not isinstance(name, str) or not name or os.path.basename(name) != name:
            raise ValueError(f"classes must hold plain folder names. Received: class {name!r} in classes={names!r}")
        if not os.path.isdir(os.path.join(directory, name)):
            raise ValueError(f"classes names {name!r}, which is not a folder in directory={directory!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"classes must not repeat a name. Received: classes={names!r}")
    return names


def iter_image_files(folder: str, follow_links: bool):
    """Yields (root, filename) of the image files under `folder` in Keras' order.

    Folders are visited in the string order of their full paths, files in name order;
    `os.walk` errors (unreadable folders, link loops) are skipped as in Keras.
    """
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda walked: walked[0]):
        for fname in sorted(files):
            if has_image_extension(fname):
                yield root, fname


def list_directory(directory, *, classes=None, follow_links: bool = False, split=None) -> Listing:
    """Lists a class-per-folder image tree exactly as Keras' `DirectoryIterator` does.

    Args:
      directory: a folder holding one sub-folder per class. Sub-folders of a class
        folder are searched recursively; a class folder that is itself a symbolic link
        is always entered (as in Keras).
      classes: class folder names, in label order; None or empty means every
        sub-folder of `directory`, sorted by name (hidden folders included, as Keras).
      follow_links: whether to enter symbolic links to folders *inside* class folders.
      split: optional (start, stop) fractions in [0, 1]; each class keeps its files
        `[int(start * n):int(stop * n)]` (Keras' `validation_split` subsets are
        `(0, v)` for "validation" and `(v, 1)` for "training").

    Returns:
      A `Listing` of relative file names, int32 labels and the class mapping.

    Raises:
      PathNotFoundError: `directory` does not exist (a `FileNotFoundError` and `ValueError`).
      ValueError: `directory` is no folder, has no class sub-folders, or a name in
        `classes` is not one of its folders.
    """
    directory = _existing_dir(directory)
    _checks.check_bool(follow_links, "follow_links")
    split = _check_split(split)
    names = _class_names(directory, classes)
    filenames, labels, saw_tiff = [], [], False
    for index, name in enumerate(names):
        folder = os.path.join(directory, name)
        found = list(iter_image_files(folder, follow_links))
        saw_tiff = saw_tiff or any(f.lower().endswith(".tiff") for _, f in found)
        for root, fname in found[_split_slice(split, len(found))]:
            filenames.append(os.path.join(name, os.path.relpath(os.path.join(root, fname), folder)))
            labels.append(index)
    if saw_tiff:
        warnings.warn(_TIFF_WARNING, stacklevel=2)
    return Listing(filenames, np.asarray(labels, dtype=np.int32), names, {n: i for i, n in enumerate(names)})


# ----------------------------------------------------------------------------- dataframes


def _check_column(dataframe, column, name: str) -> None:
    columns = list(dataframe.columns)
    if isinstance(column, list):
        missing = [c for c in column if c not in columns]
    else:
        missing = [] if _is_column(column, columns) else [column]
    if missing:
        raise ValueError(f"{name} must name columns of dataframe {columns!r}. Received: {name}={column!r}")


def _is_column(column, columns) -> bool:
    try:
        return column in columns
    except TypeError:  # an unhashable or odd value is no column name
        return False


def _first_bad(values, ok) -> tuple[int, Any] | None:
    return next(((i, v) for i, v in enumerate(values) if not ok(v)), None)


def _check_frame(dataframe, x_col, y_col, weight_col, classes, class_mode) -> None:
    """Keras' `DataFrameIterator._check_params`, with columns checked before use."""
    if not (hasattr(dataframe, "columns") and hasattr(dataframe, "iloc")):
        raise TypeError(f"dataframe must be a pandas DataFrame. Received: dataframe={_checks.short_repr(dataframe)}")
    _checks.check_choice(class_mode, "class_mode", DATAFRAME_CLASS_MODES)
    _check_column(dataframe, x_col, "x_col")
    if class_mode == "multi_output" and not isinstance(y_col, list):
        raise TypeError(f'y_col must be a list of columns when class_mode="multi_output". Received: y_col={y_col!r}')
    if class_mode in _INDEXED_CLASS_MODES and not isinstance(y_col, str):
        raise TypeError(f'y_col must be one column name when class_mode="{class_mode}". Received: y_col={y_col!r}')
    if class_mode not in ("input", None):
        _check_column(dataframe, y_col, "y_col")
    if weight_col:
        _check_column(dataframe, weight_col, "weight_col")
    bad = _first_bad(dataframe[x_col].tolist(), lambda v: isinstance(v, str))
    if bad:
        raise TypeError(f"All values in column x_col={x_col!r} must be strings. Received: {bad[1]!r} in row {bad[0]}")
    if class_mode in _INDEXED_CLASS_MODES:
        _check_labels(dataframe[y_col].tolist(), y_col, classes, class_mode)
    elif classes:
        warnings.warn(f'`classes` will be ignored given the class_mode="{class_mode}"', stacklevel=3)
    if weight_col:
        dtype = dataframe[weight_col].dtype
        if getattr(dtype, "kind", "O") not in "iuf":  # complex weights would lose their imaginary part
            raise TypeError(f"Column weight_col={weight_col!r} must hold real numbers. Received: dtype {dtype}")
        bad = _first_bad(dataframe[weight_col].tolist(), lambda v: bool(np.isfinite(np.float32(v))))
        if bad:
            raise ValueError(f"Column weight_col={weight_col!r} must hold finite weights (in float32). "
                             f"Received: {bad[1]!r} in row {bad[0]}")


def _check_labels(labels: list, y_col: str, classes, class_mode: str) -> None:
    types = (str, list, tuple) if class_mode == "categorical" else (str,)
    bad = _first_bad(labels, lambda v: isinstance(v, types))
    if bad:
        kinds = "strings, lists or tuples" if class_mode == "categorical" else "strings"
        raise TypeError(f'If class_mode="{class_mode}", the values of column y_col={y_col!r} must be {kinds}. '
                        f"Received: {bad[1]!r} in row {bad[0]}")
    if class_mode == "binary":
        # Keras counts the classes of the whole frame, before dropping invalid files.
        count = len(set(classes)) if classes else len(set(labels))
        name, value = ("classes", classes) if classes else ("y_col", y_col)
        if count != 2:
            raise ValueError(f'class_mode="binary" needs exactly 2 classes; found {count}. Received: {name}={value!r}')


def _valid_paths(paths: list[str], x_col) -> np.ndarray:
    """Keras' `validate_filename` per path, warning like Keras about the rejected ones."""
    valid = np.array([has_image_extension(p) and os.path.isfile(p) for p in paths], dtype=bool)
    n_invalid = int((~valid).sum())
    if n_invalid:
        warnings.warn(f'Found {n_invalid} invalid image filename(s) in x_col="{x_col}". '
                      "These filename(s) will be ignored.", stacklevel=3)
    return valid


def _keep_classes(labels: list, classes) -> tuple[list, list]:
    """Keras' `_filter_classes`: restricts labels to `classes` (None = drop the row)."""
    if not classes:
        names = set()
        for label in labels:
            if isinstance(label, (list, tuple)):
                names.update(label)
            else:
                names.add(label)
        return labels, sorted(names)
    names = list(dict.fromkeys(classes))
    wanted = set(names)
    kept = []
    for label in labels:
        if isinstance(label, (list, tuple)):
            label = [c for c in label if c in wanted] or None
        elif label not in wanted:
            label = None
        kept.append(label)
    return kept, names


def list_dataframe(dataframe, *, directory=None, x_col="filename", y_col="class", weight_col=None, classes=None,
                   class_mode="categorical", validate_filenames: bool = True, split=None) -> FrameListing:
    """Selects and labels the rows of `dataframe` exactly as Keras' `DataFrameIterator`.

    The steps, in Keras' order: check the columns; drop rows whose file is not an
    existing file with an image extension (when `validate_filenames`, with Keras'
    warning); for "categorical", "binary" and "sparse", drop rows with no class in
    `classes` and index the classes (sorted names when `classes` is None, else the
    order of `classes`); finally keep rows `[int(start * n):int(stop * n)]` of the
    whole remaining frame when `split` is given (not per class, unlike directories).

    Args:
      dataframe: a pandas DataFrame.
      directory: an existing folder the `x_col` paths are relative to; None for paths
        as given.
      x_col: column of file paths (strings).
      y_col: label column; a list of columns for "multi_output" (and optionally "raw").
      weight_col: optional numeric column of sample weights.
      classes: optional class names to keep, in label order (indexed modes only).
      class_mode: one of "categorical", "binary", "sparse", "raw", "multi_output",
        "input" or None, as in Keras.
      validate_filenames: whether to drop rows whose file is missing or not an image name.
      split: optional (start, stop) fractions, see `list_directory`.

    Returns:
      A `FrameListing`; see its fields for what each class mode gives.

    Raises:
      PathNotFoundError: `directory` is given and does not exist.
      ValueError: unknown `class_mode`, a missing column, not 2 classes for "binary",
        or a weight that is not finite.
      TypeError: a column holds values of the wrong type (as Keras; complex weights too).
    """
    classes = _check_classes(classes)
    _check_frame(dataframe, x_col, y_col, weight_col, classes, class_mode)
    _checks.check_bool(validate_filenames, "validate_filenames")
    split = _check_split(split)
    directory = "" if directory is None else _existing_dir(directory)
    names = dataframe[x_col].tolist()
    rows = np.arange(len(names))
    if validate_filenames:
        rows = rows[_valid_paths([os.path.join(directory, n) for n in names], x_col)]
    class_indices = labels = None
    if class_mode in _INDEXED_CLASS_MODES:
        all_labels = dataframe[y_col].tolist()
        kept_labels, class_names = _keep_classes([all_labels[i] for i in rows], classes)
        class_indices = {c: i for i, c in enumerate(class_names)}
        rows = rows[np.array([y is not None for y in kept_labels], dtype=bool)]
        labels = [_class_index(y, class_indices) for y in kept_labels if y is not None]
    part = _split_slice(split, len(rows))
    rows = rows[part]
    frame = dataframe.iloc[rows]
    if class_mode in _INDEXED_CLASS_MODES:
        labels = labels[part]
    elif class_mode == "raw":
        labels = frame[y_col].values
    elif class_mode == "multi_output":
        labels = [np.array(frame[col].tolist()) for col in y_col]
    weights = frame[weight_col].values if weight_col else None
    kept = [names[i] for i in rows]
    return FrameListing([os.path.join(directory, n) for n in kept], labels, class_indices, weights, kept)


def _class_index(label, class_indices: dict):
    if isinstance(label, (list, tuple)):
        return [class_indices[c] for c in label]
    return class_indices[label]


# ----------------------------------------------------------------------------- loading


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


def _path_text(path) -> str:
    return _fspath(path, "path")


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
    name = _path_text(path)
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
    path = _path_text(path)
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
