"""Keras' iterators over a generator's batches: the threaded base class and `flow`'s array iterator."""

from __future__ import annotations

import functools
import os
import sys
import threading

import jax
import jax.numpy as jnp
import numpy as np

from jaxaug import _checks, _image_files
from jaxaug._image_files import DATA_FORMATS
from jaxaug.keras import _arguments as args
from jaxaug.keras import _compiled as compiled
from jaxaug.keras import _files
from jaxaug.keras._listing import WHITE_LIST_FORMATS

_SHORT = _checks.short_repr


class Iterator:
    """Keras' `Iterator`: `len()`, `it[i]`, `next(it)`, endless iteration, thread-safe.

    Epoch `e`'s order is a permutation drawn from `(seed, e)` (or `arange(n)` without
    shuffling); batch `i` of it is augmented with the keys of `(seed, e, example)`.
    `it[i]` returns batch `i` of the current epoch; `on_epoch_end()` moves to the
    next epoch (Keras' `fit` calls it); `next(it)` walks the epochs in order. So
    `it[i]` is the same array every time it is asked for in one epoch.

    `seed=None` draws the seed from numpy's global generator (as Keras, whose iterators
    seed numpy's), so `np.random.seed(s)` before making the iterator replays a run;
    `iterator.seed` tells the seed. An iterator needs at least one example: an empty
    array, folder or subset is refused when the iterator is made.

    Subclasses implement `_examples(index_array) -> (images, index_array of the images
    actually read, positions of the batch in `images` or None)` and
    `_outputs(batch_x, index_array)`.
    """

    white_list_formats = WHITE_LIST_FORMATS

    def __new__(cls, *args, **kwargs):
        return super().__new__(_keras_compatible(cls))

    def __init__(self, n, batch_size, shuffle, seed):
        seed = check_iteration(batch_size, shuffle, seed)
        _checks.check_int(n, "n", 0)
        if n == 0:
            raise ValueError("This iterator has no examples (an empty array, folder or subset). Received: n=0")
        self.n, self.batch_size, self.shuffle = int(n), int(batch_size), bool(shuffle)
        self.seed = args.fresh_seed() if seed is None else int(seed)
        self._root = jax.random.key(self.seed)
        self.epoch = 0
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self._orders = {}
        self._orders_lock = threading.Lock()
        if _KERAS_DATASET in type(self).__mro__[1:]:
            _KERAS_DATASET.__init__(self)  # its workers / queue settings: one worker, as Keras' own iterators

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        return self

    def __next__(self):
        return self.next()

    @property
    def index_array(self) -> np.ndarray:
        """The current epoch's order of the examples."""
        return self._order(self.epoch)

    def _order(self, epoch) -> np.ndarray:
        # Under a lock, and returned from a local: threads finishing one epoch and starting the
        # next ask for two epochs at once (replacing the cache while another thread read it
        # raised KeyError). The two latest epochs are kept.
        with self._orders_lock:
            order = self._orders.get(epoch)
            if order is None:
                order = (np.asarray(jax.random.permutation(compiled.epoch_key(self._root, compiled.SHUFFLE, epoch),
                                                           self.n)) if self.shuffle else np.arange(self.n))
                self._orders = {e: o for e, o in self._orders.items() if e >= epoch - 1}
                self._orders[epoch] = order
            return order

    def on_epoch_end(self):
        """Starts the next epoch: a new shuffle and new augmentations."""
        with self.lock:
            self.epoch += 1
            self.batch_index = 0

    def reset(self):
        self.batch_index = 0

    def __getitem__(self, idx):
        if isinstance(idx, (bool, np.bool_)) or not isinstance(idx, (int, np.integer)):
            raise TypeError(f"A batch index must be an integer. Received: idx={_SHORT(idx)}")
        if not 0 <= idx < len(self):
            raise IndexError(f"Asked to retrieve batch {idx}, but the iterator has {len(self)} batches.")
        with self.lock:
            epoch = self.epoch
            self.total_batches_seen += 1
        return self._batch(epoch, idx)

    def next(self):
        """The next batch; after the last (possibly partial) batch of an epoch, a new epoch starts."""
        with self.lock:
            epoch, idx = self.epoch, self.batch_index
            self.batch_index += 1
            if self.batch_index >= len(self):
                self.epoch, self.batch_index = self.epoch + 1, 0
            self.total_batches_seen += 1
        return self._batch(epoch, idx)

    def _batch(self, epoch, idx):
        index_array = self._order(epoch)[self.batch_size * idx:self.batch_size * (idx + 1)]
        images, index_array, positions = self._examples(index_array)
        out = self.image_data_generator._transform(self._augment_key(epoch), images, self._keys_of(index_array),
                                                   positions)
        if jax.dtypes.canonicalize_dtype(self.dtype) != self.dtype:  # float64 without jax_enable_x64
            out = np.asarray(out).astype(self.dtype)
        else:
            out = out if out.dtype == self.dtype else out.astype(self.dtype)
        if self.save_to_dir:
            self._save(np.asarray(out), index_array, epoch)
        return self._outputs(out if self.as_jax else np.asarray(out), index_array)

    def _keys_of(self, index_array):
        return index_array

    def _augment_key(self, epoch):
        with self.lock:  # one small eager computation per epoch, not per batch
            if getattr(self, "_key_epoch", None) != epoch:
                self._key_epoch, self._key = epoch, compiled.epoch_key(self._root, compiled.AUGMENT, epoch)
            return self._key

    def _save(self, images, index_array, epoch):
        hashes = np.asarray(jax.random.randint(compiled.epoch_key(self._root, compiled.SAVE, epoch),
                                               (len(index_array),), 0, self._hash_max))
        for image, j, h in zip(images, index_array, hashes, strict=True):
            name = _files.augmented_filename(self.save_prefix, int(j), int(h), self.save_format)
            _image_files.save_image(os.path.join(self.save_to_dir, name), image, data_format=self.data_format,
                                    file_format=self.save_format, scale=True)

    def _set_output(self, image_data_generator, data_format, save_to_dir, save_prefix, save_format, dtype,
                    as_jax):
        # Checked by the subclass's first line, with check_output, before any work.
        self.image_data_generator = image_data_generator
        self.data_format = data_format
        self.dtype = np.dtype(image_data_generator.dtype if dtype is None else dtype)
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, save_format
        self.as_jax = bool(as_jax)


def check_iteration(batch_size, shuffle, seed):
    """The options every iterator has; returns the checked seed."""
    _checks.check_int(batch_size, "batch_size", 1)
    _checks.check_bool(shuffle, "shuffle")
    return args.check_seed(seed)


def generator_class():
    """`ImageDataGenerator`, imported when asked: its module imports this one (its `flow` makes iterators)."""
    from jaxaug.keras._generator import ImageDataGenerator

    return ImageDataGenerator


def check_output(image_data_generator, data_format, save_to_dir, save_prefix, save_format, dtype, as_jax):
    """The output options of an iterator, all checked before any work (save_* even without save_to_dir)."""
    if not isinstance(image_data_generator, generator_class()):
        raise TypeError(f"image_data_generator must be a jaxaug.keras.ImageDataGenerator. "
                        f"Received: image_data_generator={_SHORT(image_data_generator)}")
    _checks.check_choice(data_format, "data_format", DATA_FORMATS)
    dtype = args.float_dtype(image_data_generator.dtype if dtype is None else dtype)
    _checks.check_bool(as_jax, "as_jax")
    if as_jax and jax.dtypes.canonicalize_dtype(dtype) != dtype:
        raise ValueError(f"as_jax=True cannot return {dtype} arrays with jax_enable_x64 off; use a 32-bit dtype or "
                         f"as_jax=False. Received: dtype={dtype}")
    if not isinstance(save_prefix, str) or os.sep in save_prefix or (os.altsep and os.altsep in save_prefix):
        raise ValueError(f"save_prefix must be a str without path separators (files go to save_to_dir). "
                         f"Received: save_prefix={_SHORT(save_prefix)}")
    if not isinstance(save_format, str) or not save_format:
        raise ValueError(f"save_format must be a non-empty str such as 'png'. "
                         f"Received: save_format={_SHORT(save_format)}")
    try:
        _image_files.save_format_of("", save_format, "save_format")
    except ValueError as err:
        raise ValueError(f"save_format must be an image format Pillow can write ('png', 'jpeg', 'bmp', 'tiff', ...). "
                         f"Received: save_format={save_format!r}") from err
    if save_to_dir is not None:
        _image_files.check_output_folder(save_to_dir, "save_to_dir")


def check_subset(subset, generator):
    """None, or "training" / "validation" of a generator with a validation split."""
    if subset is None:
        return None
    _checks.check_choice(subset, "subset", ("training", "validation"))
    if not generator._validation_split:
        raise ValueError(f"subset={subset!r} needs an ImageDataGenerator with a validation_split > 0. "
                         f"Received: validation_split={generator._validation_split}")
    return subset


_KERAS_DATASET = None


@functools.cache
def _keras_compatible(cls):
    """`cls`, or once Keras is imported, a subclass that is also a `keras.utils.PyDataset`.

    `model.fit` only accepts Keras' own dataset type; jaxaug never imports Keras itself,
    but when the user's program has, the iterators are also PyDatasets (as Keras'
    legacy iterators are), so `model.fit(datagen.flow(x, y))` works unchanged.
    """
    global _KERAS_DATASET
    keras = sys.modules.get("keras")
    base = getattr(getattr(keras, "utils", None), "PyDataset", None)
    if base is None or issubclass(cls, base):
        return cls
    _KERAS_DATASET = base
    return type(cls.__name__, (cls, base), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})


class NumpyArrayIterator(Iterator):
    """Keras' `NumpyArrayIterator`: what `ImageDataGenerator.flow` returns.

    `x` is an image array (N, H, W, C) (or channels_first), or a tuple `(images,
    other)` whose extra arrays are returned beside the images, as Keras. The images
    are put on the device once (in their own dtype) and every batch is gathered,
    augmented and standardized there. Example `j` of the array passed in draws its
    augmentation from `(seed, epoch, j)`, also under `subset`.
    """

    _hash_max = 10**4  # Keras' file-name hash range for arrays

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False, sample_weight=None, seed=None,
                 data_format="channels_last", save_to_dir=None, save_prefix="", save_format="png",
                 subset=None, ignore_class_split=False, dtype=None, as_jax=False):
        check_iteration(batch_size, shuffle, seed)
        check_output(image_data_generator, data_format, save_to_dir, save_prefix, save_format, dtype, as_jax)
        _checks.check_bool(ignore_class_split, "ignore_class_split")
        misc = []
        if isinstance(x, (tuple, list)):
            if len(x) != 2:
                raise ValueError(f"x as a tuple must be (images, other_arrays). Received: len(x)={len(x)}")
            misc = list(x[1]) if isinstance(x[1], list) else [x[1]]
            x = x[0]
        x = args.real_array(x, "x")
        if x.ndim != 4:
            raise ValueError(f"Input data in NumpyArrayIterator should have rank 4. Received: x.shape={x.shape}")
        misc = [args.per_example(a, f"x[1][{i}]" if len(misc) > 1 else "x[1]", len(x)) for i, a in enumerate(misc)]
        y = None if y is None else args.per_example(y, "y", len(x))
        if sample_weight is not None:
            sample_weight = args.per_example(sample_weight, "sample_weight", len(x), numbers=True)
            with np.errstate(over="ignore", invalid="ignore"):
                if not np.all(np.isfinite(sample_weight.astype(np.float32))):
                    raise ValueError(f"sample_weight must be finite (in float32). "
                                     f"Received: sample_weight={_SHORT(sample_weight)}")
        if min(x.shape[1:]) < 1:
            raise ValueError(f"x must hold images of positive sizes. Received: x.shape={x.shape}")
        args.warn_channels(x.shape[3 if data_format == "channels_last" else 1], x.shape)
        global_index = np.arange(len(x))
        if check_subset(subset, image_data_generator) is not None:
            split = int(len(x) * image_data_generator._validation_split)
            if (y is not None and not ignore_class_split
                    and not np.array_equal(np.unique(np.asarray(y)[:split]), np.unique(np.asarray(y)[split:]))):
                raise ValueError("Training and validation subsets have different classes after the split. If your "
                                 "arrays are sorted by label, shuffle them first (or pass ignore_class_split=True).")
            part = slice(None, split) if subset == "validation" else slice(split, None)
            x, global_index = x[part], global_index[part]
            misc = [a[part] for a in misc]
            y = None if y is None else np.asarray(y)[part]
            sample_weight = None if sample_weight is None else np.asarray(sample_weight)[part]
        if len(x) == 0:
            raise ValueError(f"flow got no examples{f' in subset={subset!r}' if subset else ''}: an iterator needs at "
                             f"least one image. Received: x.shape={x.shape}"
                             + (f", validation_split={image_data_generator._validation_split}" if subset else ""))
        self._set_output(image_data_generator, data_format, save_to_dir, save_prefix, save_format, dtype, as_jax)
        self.x = jnp.asarray(x.astype(np.uint8) if x.dtype == bool else x)
        self.x_misc, self._global_index = misc, global_index
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        super().__init__(len(x), batch_size, shuffle, seed)

    def _examples(self, index_array):
        return self.x, index_array, index_array

    def _keys_of(self, index_array):
        return self._global_index[index_array]

    def _outputs(self, batch_x, index_array):
        miscs = [a[index_array] for a in self.x_misc]
        first = [batch_x] + miscs if miscs else batch_x
        if self.y is None:
            return first
        out = (first, self.y[index_array])
        return out if self.sample_weight is None else out + (self.sample_weight[index_array],)
