"""Keras' iterators over image files: `flow_from_directory` and `flow_from_dataframe`.

The files are listed as Keras lists them (`_listing`) and read on the host as Keras reads
them (`_files`); each batch is then augmented on the device like `flow`'s.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from jaxaug import _checks
from jaxaug.keras import _files, _listing
from jaxaug.keras._iterators import Iterator, check_iteration, check_output, check_subset, generator_class

_SHORT = _checks.short_repr


class _FilesIterator(Iterator):
    """Shared by the directory and dataframe iterators: images read from files on the host."""

    _hash_max = _files.HASH_LIMIT  # Keras' file-name hash range for files

    @staticmethod
    def _check_files(target_size, color_mode, interpolation, keep_aspect_ratio, on_error):
        """The reading options, checked before the listing: target_size is a pair of positive ints."""
        _checks.check_choice(color_mode, "color_mode", _files.COLOR_MODES)
        _checks.check_choice(interpolation, "interpolation", _files.INTERPOLATIONS)
        _checks.check_choice(on_error, "on_error", ("raise", "skip"))
        _checks.check_bool(keep_aspect_ratio, "keep_aspect_ratio")
        _files.check_target_size(target_size, allow_none=False)

    def _setup_files(self, filepaths, target_size, color_mode, interpolation, keep_aspect_ratio, on_error):
        self.target_size = _files.check_target_size(target_size, allow_none=False)
        self.color_mode, self.interpolation = color_mode, interpolation
        self.keep_aspect_ratio, self.on_error = keep_aspect_ratio, on_error
        channels = {"rgb": 3, "rgba": 4, "grayscale": 1}[color_mode]
        self.image_shape = (self.target_size + (channels,) if self.data_format == "channels_last"
                            else (channels,) + self.target_size)
        self._filepaths = list(filepaths)

    @property
    def filepaths(self):
        return self._filepaths

    def _load(self, j):
        try:
            x = _files.load_image(self._filepaths[j], color_mode=self.color_mode, target_size=self.target_size,
                                  interpolation=self.interpolation, keep_aspect_ratio=self.keep_aspect_ratio)
        except ValueError:
            if self.on_error == "raise":
                raise
            warnings.warn(f"Skipping unreadable image {self._filepaths[j]!r} (on_error='skip').", stacklevel=4)
            return None
        return x if self.data_format == "channels_last" else np.moveaxis(x, -1, 0)

    def _examples(self, index_array):
        loaded = [(j, self._load(int(j))) for j in index_array]
        kept = [(j, x) for j, x in loaded if x is not None]
        if not kept:
            raise ValueError(f"Every image of this batch was unreadable: {[self._filepaths[j] for j, _ in loaded]}")
        return np.stack([x for _, x in kept]), np.asarray([j for j, _ in kept]), None

    def _outputs(self, batch_x, index_array):
        mode = self.class_mode
        if mode is None:
            return batch_x
        if mode == "input":
            batch_y = batch_x.copy() if isinstance(batch_x, np.ndarray) else batch_x
        elif mode in ("binary", "sparse"):
            batch_y = np.asarray([self.classes[j] for j in index_array], self.dtype)
        elif mode == "categorical":  # a dataframe row may hold several classes (multi-label)
            batch_y = np.zeros((len(index_array), len(self.class_indices)), self.dtype)
            for i, j in enumerate(index_array):
                batch_y[i, self.classes[j]] = 1.0
        elif mode == "multi_output":
            batch_y = [np.asarray(out)[index_array] for out in self._labels]
        else:  # raw
            batch_y = np.asarray(self._labels)[index_array]
        if getattr(self, "_sample_weight", None) is None:
            return batch_x, batch_y
        return batch_x, batch_y, self._sample_weight[index_array]


class DirectoryIterator(_FilesIterator):
    """Keras' `DirectoryIterator`: what `ImageDataGenerator.flow_from_directory` returns.

    The listing (classes, `class_indices`, `filenames`, `classes`, validation split)
    follows Keras exactly; images are read with Pillow as Keras' `load_img` does.
    `on_error="skip"` skips unreadable files with a warning (the batch is then
    smaller) instead of raising an error that names the file.
    """

    allowed_class_modes = {"categorical", "binary", "sparse", "input", None}

    def __init__(self, directory, image_data_generator, target_size=(256, 256), color_mode="rgb", classes=None,
                 class_mode="categorical", batch_size=32, shuffle=True, seed=None, data_format="channels_last",
                 save_to_dir=None, save_prefix="", save_format="png", follow_links=False, subset=None,
                 interpolation="nearest", keep_aspect_ratio=False, dtype=None, as_jax=False, on_error="raise"):
        _checks.check_choice(class_mode, "class_mode", sorted(self.allowed_class_modes, key=str))
        check_iteration(batch_size, shuffle, seed)
        check_output(image_data_generator, data_format, save_to_dir, save_prefix, save_format, dtype, as_jax)
        self._check_files(target_size, color_mode, interpolation, keep_aspect_ratio, on_error)
        split = _split_fractions(check_subset(subset, image_data_generator), image_data_generator)
        listing = _listing.list_directory(directory, classes=classes, follow_links=follow_links, split=split)
        if not listing.filenames:
            raise ValueError(f"Found no images in the class folders {_SHORT(listing.class_names)} of directory"
                             f"{f' for subset={subset!r}' if subset else ''} (image files end in "
                             f"{', '.join(_listing.WHITE_LIST_FORMATS)}). Received: directory={directory!r}")
        self.directory, self.class_mode = directory, class_mode
        self.filenames, self.classes = listing.filenames, np.asarray(listing.labels)
        self.class_indices, self.num_classes = listing.class_indices, len(listing.class_indices)
        self._set_output(image_data_generator, data_format, save_to_dir, save_prefix, save_format, dtype, as_jax)
        self._setup_files([os.path.join(os.fsdecode(directory), f) for f in self.filenames], target_size, color_mode,
                          interpolation, keep_aspect_ratio, on_error)
        self.samples = len(self.filenames)
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        super().__init__(self.samples, batch_size, shuffle, seed)

    @property
    def labels(self):
        return self.classes


class DataFrameIterator(_FilesIterator):
    """Keras' `DataFrameIterator`: what `ImageDataGenerator.flow_from_dataframe` returns (needs pandas)."""

    allowed_class_modes = {"binary", "categorical", "input", "multi_output", "raw", "sparse", None}

    def __init__(self, dataframe, directory=None, image_data_generator=None, x_col="filename", y_col="class",
                 weight_col=None, target_size=(256, 256), color_mode="rgb", classes=None, class_mode="categorical",
                 batch_size=32, shuffle=True, seed=None, data_format="channels_last", save_to_dir=None,
                 save_prefix="", save_format="png", subset=None, interpolation="nearest", validate_filenames=True,
                 keep_aspect_ratio=False, dtype=None, as_jax=False, on_error="raise"):
        if class_mode == "other":
            warnings.warn('`class_mode="other"` is deprecated, please use `class_mode="raw"`.', DeprecationWarning,
                          stacklevel=2)
            class_mode = "raw"
        _checks.check_choice(class_mode, "class_mode", sorted(self.allowed_class_modes, key=str))
        image_data_generator = generator_class()() if image_data_generator is None else image_data_generator
        check_iteration(batch_size, shuffle, seed)
        check_output(image_data_generator, data_format, save_to_dir, save_prefix, save_format, dtype, as_jax)
        self._check_files(target_size, color_mode, interpolation, keep_aspect_ratio, on_error)
        split = _split_fractions(check_subset(subset, image_data_generator), image_data_generator)
        listing = _listing.list_dataframe(
            dataframe, directory=directory, x_col=x_col, y_col=y_col, weight_col=weight_col, classes=classes,
            class_mode=class_mode, validate_filenames=validate_filenames, split=split)
        if not listing.filepaths:
            raise ValueError(f"Found no images in dataframe{f' for subset={subset!r}' if subset else ''}: none of its "
                             f"{len(dataframe)} rows was kept (rows whose file is missing or has no image extension "
                             f"are dropped when validate_filenames=True, and rows whose class is not in classes). "
                             f"Received: x_col={x_col!r}, directory={directory!r}")
        filepaths, class_indices = listing.filepaths, listing.class_indices
        self.directory, self.class_mode, self.class_indices = directory, class_mode, class_indices
        self.x_col, self.y_col, self.weight_col = x_col, y_col, weight_col
        self._labels, self.filenames = listing.labels, listing.filenames
        self.classes = listing.labels if class_mode in ("binary", "categorical", "sparse") else None
        self._sample_weight = None if listing.weights is None else np.asarray(listing.weights)
        self._set_output(image_data_generator, data_format, save_to_dir, save_prefix, save_format, dtype, as_jax)
        self._setup_files(filepaths, target_size, color_mode, interpolation, keep_aspect_ratio, on_error)
        self.samples = len(filepaths)
        if class_mode in ("binary", "categorical", "sparse"):
            print(f"Found {self.samples} validated image filenames belonging to {len(class_indices)} classes.")
        else:
            print(f"Found {self.samples} validated image filenames.")
        super().__init__(self.samples, batch_size, shuffle, seed)

    @property
    def labels(self):
        return self._labels


def _split_fractions(subset, generator):
    """The (start, stop) fractions of `subset` in each class (directories) or in the frame."""
    if subset is None:
        return None
    v = generator._validation_split
    return (0.0, v) if subset == "validation" else (v, 1.0)
