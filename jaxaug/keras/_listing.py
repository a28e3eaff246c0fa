"""Which image files Keras' `flow_from_directory` and `flow_from_dataframe` read, and their labels.

Reproduces Keras 3's legacy `DirectoryIterator` / `DataFrameIterator` listings
(`keras/src/legacy/preprocessing/image.py`): the same file order, labels, class indices
and split slicing, so the iterators built on them see exactly the files Keras would.
pandas is only duck-typed (never imported).

Where Keras fails silently or obscurely this raises `ValueError`/`TypeError` naming the
argument instead: a missing `directory` (`PathNotFoundError`), a requested class with no
folder, a folder with no class subfolders, columns that are missing or hold values of the
wrong type, weights that are not finite.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from jaxaug import _checks
from jaxaug._image_files import existing_dir

WHITE_LIST_FORMATS = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")
DATAFRAME_CLASS_MODES = ("binary", "categorical", "input", "multi_output", "raw", "sparse", None)
_INDEXED_CLASS_MODES = ("binary", "categorical", "sparse")
_TIFF_WARNING = 'Using ".tiff" files with multiple bands will cause distortion. Please verify your output.'


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
    directory = existing_dir(directory)
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
    directory = "" if directory is None else existing_dir(directory)
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
