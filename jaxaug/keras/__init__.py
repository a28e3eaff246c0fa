"""Keras' `ImageDataGenerator`, computed by one jitted jaxaug pipeline per batch.

Change one import::

    from jaxaug.keras import ImageDataGenerator   # was: from keras.preprocessing.image import ...

and keep the rest of the code: the constructor options, `flow`, `flow_from_directory`,
`flow_from_dataframe`, `fit`, `get_random_transform`, `apply_transform`,
`random_transform` and `standardize` have Keras' names, defaults and semantics
(Keras 3 keeps the original at `keras/src/legacy/preprocessing/image.py`). Batches
come out as numpy arrays, or as jax arrays left on the device with `as_jax=True`.

What is different, on purpose:

* Every batch is ONE jitted call: each image's whole geometry is one matrix and one
  resampling pass, then the pixel ops, then the normalisation, on the accelerator when
  there is one.
* Randomness comes from explicit keys: example `i` of epoch `e` draws from
  `fold_in(fold_in(fold_in(key(seed), AUGMENT), e), i)`, and the epoch's shuffle from
  its own stream. The same `seed` gives the same batches on every run and machine,
  two generators with the same seed (images and masks) stay aligned, and a batch
  does not depend on the batch size. With `seed=None` a seed in [0, 2**32) is drawn
  from numpy's global generator (`np.random.randint`), as Keras draws its own
  augmentations from it: after `np.random.seed(0)` or `keras.utils.set_random_seed(0)`
  the same script gives the same batches, as with Keras' generator (`iterator.seed`
  tells which seed was drawn, to replay the run). Seeds are integers in [0, 2**32),
  numpy's seed range (larger ones would repeat smaller ones inside jax).
* Keras bugs that are fixed (each documented where it applies and tested against
  Keras): `width_shift_range` moves the picture horizontally and `height_shift_range`
  vertically (Keras 3 swaps them); non-square images turn about their true centre
  (Keras uses a transposed centre); `brightness_range` multiplies the pixel values and
  clips them to `value_range` (Keras rounds each image to uint8 through PIL first, which
  leaves only 0 and 1 of an image in [0, 1], and maps images with values outside 0..255
  to 0..255 and back around it); featurewise options without `fit` raise instead of warning and doing
  nothing.
* `fill_mode="wrap"` is periodic (scipy's "grid-wrap"); Keras passes "wrap" to scipy,
  whose "wrap" repeats the image with its edge pixels counted once.
* `interpolation_order` is 0 or 1 (Keras accepts scipy's spline orders up to 5).
* The pixel ops need the pixel range: `value_range=(0, 255)` by default, as Keras'
  `img_to_array` gives; pass `value_range=(0, 1)` (say) for other data.
* Bad arguments raise `TypeError`/`ValueError` naming the argument and the value, at
  construction, before any work, where Keras often accepts them and fails later (or
  never): flags must be bools; numbers must be real numbers, not strings or bools,
  and finite in float32; sizes are pairs of positive integers; options that are off
  are checked too (`zca_epsilon`, `save_format`, ...); complex, string and object
  arrays are refused; an iterator with no examples fails when it is made; `save_to_dir`
  must be an existing folder that can be written (`PathNotFoundError`, a
  `FileNotFoundError`, when it is missing). Image *values* are data and not checked.

Extras by keyword: every `jaxaug.augmenter` option that Keras lacks (`jaxaug.ops.EXTRAS`:
`isotropic_zoom`, `crop_padding`, `contrast_range`, ... as listed in `docs/operations.md`),
plus `seed` and `value_range`.

Example:
  >>> from jaxaug.keras import ImageDataGenerator
  >>> datagen = ImageDataGenerator(rotation_range=20, width_shift_range=0.2,
  ...                              height_shift_range=0.2, zoom_range=0.2, seed=0)
  >>> batches = datagen.flow(x_train, y_train, batch_size=128)  # endless, as Keras' iterators
  >>> x_batch, y_batch = next(batches)
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from jaxaug import _checks, _image_files, _images, normalize, ops, pipeline, runner

__all__ = ["ImageDataGenerator", "Iterator", "NumpyArrayIterator", "DirectoryIterator", "DataFrameIterator"]

# Streams of a generator's root key; fixed so recorded runs stay reproducible.
_AUGMENT, _SHUFFLE, _SAVE, _DRAWS = 0, 1, 2, 3

_KERAS_FILL_MODES = ("constant", "nearest", "reflect", "wrap")
_DATA_FORMATS = ("channels_last", "channels_first")
_GEOMETRY_KEYS = ("theta", "tx", "ty", "shear", "zx", "zy", "flip_horizontal", "flip_vertical")
_EXTRAS = ops.EXTRAS


# Seeds are numpy's 32-bit seeds: with jax_enable_x64 off, jax.random.key(2**32 + s) is key(s).
_SEED_LIMIT = 2**32
_SHORT = _checks.short_repr


def _fresh_seed() -> int:
    # seed=None: drawn from numpy's global generator, as Keras draws its augmentations, so
    # np.random.seed(0) / keras.utils.set_random_seed(0) makes a script reproducible.
    return int(np.random.randint(_SEED_LIMIT, dtype=np.int64))


def _check_seed(seed, name: str = "seed"):
    """None, or the seed as a Python int in [0, 2**32)."""
    if seed is None:
        return None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name} must be None or an integer in [0, 2**32). Received: {name}={_SHORT(seed)}")
    if not 0 <= seed < _SEED_LIMIT:
        raise ValueError(f"{name} must be in [0, 2**32) (numpy's seed range). Received: {name}={seed!r}")
    return int(seed)


def _not_bool(value, name: str) -> None:
    """Numbers are not bools: rotation_range=True is a mistake, not 1 degree."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a number, not a bool. Received: {name}={value!r}")


def _float_dtype(dtype, name: str = "dtype") -> np.dtype:
    """A floating numpy dtype (Keras' floatx is always one): float16, bfloat16, float32 or float64."""
    try:
        out = None if isinstance(dtype, (bool, np.bool_)) else np.dtype(dtype)
    except (TypeError, ValueError):
        out = None
    if out is None or not jnp.issubdtype(out, jnp.floating):
        raise TypeError(f"{name} must be a floating dtype such as 'float32' (Keras' floatx). "
                        f"Received: {name}={_SHORT(dtype)}")
    return out


def _real_array(x, name: str) -> np.ndarray:
    """`np.asarray(x)`, refusing complex, string, object and None values (np.asarray would keep or drop them)."""
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be an array of real numbers. Received: {name}={_SHORT(x)}")
    try:
        out = np.asarray(x)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an array of real numbers. Received: {name}={_SHORT(x)}") from err
    if not (out.dtype.kind in "biu" or jnp.issubdtype(out.dtype, jnp.floating)):
        raise TypeError(f"{name} must hold real numbers (complex, string and object arrays are refused). "
                        f"Received: {name}.dtype={out.dtype}")
    return out


def _per_example(arr, name: str, n: int, *, numbers: bool = False) -> np.ndarray:
    """A per-example array beside `n` images (labels, weights, extra inputs): rank >= 1, length n."""
    if numbers:
        out = _real_array(arr, name)
    elif arr is None or isinstance(arr, (str, bytes)) or _ndim(arr) <= 0:
        out = None
    else:
        out = np.asarray(arr)
    if out is None or out.ndim == 0:
        raise TypeError(f"{name} must be an array with one entry per image. Received: {name}={_SHORT(arr)}")
    if len(out) != n:
        raise ValueError(f"x (images) and {name} should have the same length. Received: x has {n} images, "
                         f"{name}.shape={out.shape}")
    return out


def _image_shape(shape, data_format, name: str = "img_shape") -> tuple:
    """(H, W, C) from an image shape in `data_format`: 3 positive integers, at most 8192 x 8192 pixels."""
    layout = "H, W, C" if data_format == "channels_last" else "C, H, W"
    try:
        dims = None if isinstance(shape, (str, bytes)) else tuple(shape)
    except TypeError:
        dims = None
    if dims is None or any(isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)) for d in dims):
        raise TypeError(f"{name} must be an image shape of 3 integers ({layout}). Received: {name}={_SHORT(shape)}")
    if len(dims) != 3:
        raise ValueError(f"an image must have rank 3 ({layout}). Received: {name}={dims}")
    dims = tuple(int(d) for d in dims)
    if min(dims) < 1:
        raise ValueError(f"{name} must hold sizes >= 1. Received: {name}={dims}")
    hwc = dims if data_format == "channels_last" else dims[1:] + dims[:1]
    if hwc[0] * hwc[1] > _image_files.MAX_IMAGE_PIXELS:
        raise ValueError(f"{name} is too large: {hwc[0]} * {hwc[1]} pixels > {_image_files.MAX_IMAGE_PIXELS} "
                         f"(8192 x 8192). Received: {name}={dims}")
    return hwc


def _ndim(value) -> int:
    """np.ndim, or -1 for what numpy cannot make an array of (ragged nests)."""
    try:
        return np.ndim(value)
    except (TypeError, ValueError):
        return -1


def _statistic(value, name: str):
    """A fitted (or user-set) statistic: None, or real numbers finite in float32."""
    if value is None:
        return None
    out = _real_array(value, name)
    with np.errstate(over="ignore", invalid="ignore"):
        if not np.all(np.isfinite(out.astype(np.float32))):
            raise ValueError(f"{name} must be finite (in float32); set it with .fit(x) or to finite numbers. "
                             f"Received: {name}={_SHORT(value)}")
    return out


def _zoom_pair(zoom_range):
    """Keras' constructor rule: float z -> [1 - z, 1 + z]; a pair stays."""
    if isinstance(zoom_range, (float, int, np.floating, np.integer)) and not isinstance(zoom_range, (bool, np.bool_)):
        z = _checks.static_float(zoom_range, "zoom_range")
        return [1.0 - z, 1.0 + z]
    if isinstance(zoom_range, (list, tuple, np.ndarray)) and _ndim(zoom_range) == 1 and len(zoom_range) == 2:
        return [_checks.static_float(v, "zoom_range") for v in zoom_range]
    raise ValueError(f"zoom_range should be a float or a tuple or list of two floats. "
                     f"Received: zoom_range={_SHORT(zoom_range)}")


class ImageDataGenerator:
    """Keras' legacy `ImageDataGenerator`, with every batch computed by jitted jaxaug.

    The arguments are Keras' (see the module docstring for the few deliberate
    differences). Distances: `rotation_range` and `shear_range` in degrees; shifts as
    a fraction of the size when < 1, pixels when >= 1 (Keras' int and list rules
    too); `zoom_range` z gives independent row and column factors in [1 - z, 1 + z];
    `brightness_range` a (lo, hi) factor; `channel_shift_range` in pixel units.

    Args:
      featurewise_center, samplewise_center, featurewise_std_normalization, samplewise_std_normalization, zca_whitening, zca_epsilon: Keras'
        normalisation (resolved with Keras' warnings, e.g. ZCA turns on centring).
        The flags are bools; `zca_epsilon` >= 0 is checked even with ZCA off.
      rotation_range, width_shift_range, height_shift_range, brightness_range, shear_range, zoom_range, channel_shift_range, fill_mode, cval, horizontal_flip, vertical_flip: Keras'
        augmentation options.
      rescale: factor applied in `standardize`, after the augmentation (as Keras);
        None or 0 for none.
      preprocessing_function: a Python function of one image (numpy, in
        `data_format`) run after the augmentation and before the rest of
        `standardize`, as Keras. It runs on the host, per image.
      data_format: "channels_last" (default) or "channels_first".
      validation_split: fraction in [0, 1) held out for `subset="validation"`.
      interpolation_order: 0 (nearest) or 1 (bilinear, Keras' default).
      dtype: floating dtype of the returned images (default float32, Keras' floatx).
      seed: default seed of `flow*` and of the draws of `get_random_transform`, an
        integer in [0, 2**32); None draws one from numpy's global generator for each
        iterator (and each unseeded draw), as Keras uses it (module docstring).
        Two generators with one seed give aligned batches (images and masks).
      value_range: (lo, hi) pixel range for the pixel ops, lo < hi; default (0, 255).
      **extras: the `jaxaug.augmenter` options Keras lacks (module docstring).

    Example:
      >>> datagen = ImageDataGenerator(rotation_range=20, horizontal_flip=True, seed=0)
      >>> x, y = next(datagen.flow(images, labels, batch_size=32))
    """

    def __init__(self, featurewise_center=False, samplewise_center=False, featurewise_std_normalization=False,
                 samplewise_std_normalization=False, zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0.0, height_shift_range=0.0, brightness_range=None, shear_range=0.0,
                 zoom_range=0.0, channel_shift_range=0.0, fill_mode="nearest", cval=0.0, horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None, data_format=None,
                 validation_split=0.0, interpolation_order=1, dtype=None, *, seed=None, value_range=(0.0, 255.0),
                 **extras):
        unknown = sorted(set(extras) - set(_EXTRAS))
        if unknown:
            raise TypeError(f"ImageDataGenerator got an unknown option {unknown[0]!r}; jaxaug's extras are "
                            f"{', '.join(_EXTRAS)}. Received: {unknown[0]}={extras[unknown[0]]!r}")
        data_format = "channels_last" if data_format is None else data_format
        _checks.check_choice(data_format, "data_format", _DATA_FORMATS)
        _checks.check_choice(fill_mode, "fill_mode", _KERAS_FILL_MODES + ("mirror",))
        if (isinstance(interpolation_order, (bool, np.bool_)) or not isinstance(interpolation_order, (int, np.integer))
                or interpolation_order not in (0, 1)):
            raise ValueError(f"interpolation_order must be 0 (nearest) or 1 (bilinear); jaxaug has no higher "
                             f"spline orders. Received: interpolation_order={_SHORT(interpolation_order)}")
        split = _checks.static_float(validation_split, "validation_split")
        if not 0 <= split < 1:
            raise ValueError(f"validation_split must be in [0, 1). Received: validation_split={validation_split!r}")
        if brightness_range is not None and (not isinstance(brightness_range, (tuple, list, np.ndarray))
                                             or _ndim(brightness_range) != 1 or len(brightness_range) != 2):
            raise ValueError(f"brightness_range should be a tuple or list of two floats. "
                             f"Received: brightness_range={_SHORT(brightness_range)}")
        if preprocessing_function is not None and not callable(preprocessing_function):
            raise TypeError(f"preprocessing_function must be callable. "
                            f"Received: preprocessing_function={_SHORT(preprocessing_function)}")
        flags = dict(featurewise_center=featurewise_center, samplewise_center=samplewise_center,
                     featurewise_std_normalization=featurewise_std_normalization,
                     samplewise_std_normalization=samplewise_std_normalization, zca_whitening=zca_whitening,
                     horizontal_flip=horizontal_flip, vertical_flip=vertical_flip)
        for name, value in flags.items():
            _checks.check_bool(value, name)
        for name in ("rotation_range", "width_shift_range", "height_shift_range", "shear_range",
                     "channel_shift_range", "rescale"):
            _not_bool(locals()[name], name)
        _checks.nonnegative_float(zca_epsilon, "zca_epsilon")  # checked with ZCA off too, as every option
        _checks.static_float(cval, "cval")
        if rescale is not None:
            _checks.static_float(rescale, "rescale")
        _checks.static_range(value_range, "value_range")  # a pair of float32-finite numbers (None is none)
        _images.value_range(jnp.float32, value_range)  # and lo < hi
        value_range = tuple(value_range)
        seed = _check_seed(seed)
        self.rotation_range, self.shear_range = rotation_range, shear_range
        self.width_shift_range, self.height_shift_range = width_shift_range, height_shift_range
        self.zoom_range = _zoom_pair(zoom_range)
        self.brightness_range, self.channel_shift_range = brightness_range, channel_shift_range
        self.horizontal_flip, self.vertical_flip = horizontal_flip, vertical_flip
        self.fill_mode, self.cval, self.interpolation_order = fill_mode, cval, int(interpolation_order)
        self.rescale, self.preprocessing_function = rescale, preprocessing_function
        self.data_format, self.dtype = data_format, _float_dtype("float32" if dtype is None else dtype)
        self.channel_axis, self.row_axis, self.col_axis = (3, 1, 2) if data_format == "channels_last" else (1, 2, 3)
        self._validation_split = split
        self.zca_epsilon, self.seed, self.value_range = zca_epsilon, seed, value_range
        self.extras = dict(extras)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # re-warned below with Keras' wording
            flags = ops.keras_normalisation(
                rescale=rescale, samplewise_center=samplewise_center,
                samplewise_std_normalization=samplewise_std_normalization, featurewise_center=featurewise_center,
                featurewise_std_normalization=featurewise_std_normalization, zca_whitening=zca_whitening)
        for name, value in flags.items():
            if name != "rescale" and value != locals()[name]:
                warnings.warn(f"This ImageDataGenerator specifies `{_CAUSE[name]}`, which overrides setting of "
                              f"`{name}` (now {value}), as in Keras.", stacklevel=2)
        self.featurewise_center = flags["featurewise_center"]
        self.featurewise_std_normalization = flags["featurewise_std_normalization"]
        self.samplewise_center = flags["samplewise_center"]
        self.samplewise_std_normalization = flags["samplewise_std_normalization"]
        self.zca_whitening = flags["zca_whitening"]
        self.mean = self.std = self.zca_whitening_matrix = None
        self._draws = 0
        self._lock = threading.Lock()
        self._pieces = ops.pieces(self._augment_options())  # checks every option now
        self._augmenter = self._make_augmenter(tuple(self._pieces))

    # --- the augmentation ---------------------------------------------------------------

    def _augment_options(self) -> dict:
        zlo, zhi = self.zoom_range
        return dict(rotation_range=self.rotation_range, width_shift_range=self.width_shift_range,
                    height_shift_range=self.height_shift_range, shear_range=self.shear_range,
                    zoom_range=0.0 if (zlo, zhi) == (1.0, 1.0) else (zlo, zhi),
                    horizontal_flip=bool(self.horizontal_flip), vertical_flip=bool(self.vertical_flip),
                    channel_shift_range=self.channel_shift_range, brightness_range=self.brightness_range,
                    **self.extras)

    def _make_augmenter(self, names: tuple) -> runner.Augmenter:
        # Shared by generators with equal options: the jitted paths are keyed on the
        # Augmenter, so equal generators reuse each other's compiled code.
        key = (_hashable(self._augment_options()), names, self.interpolation_order, self.fill_mode,
               float(self.cval), self.value_range)
        if key not in _AUGMENTERS:
            _AUGMENTERS[key] = self._build_augmenter(names)
        return _AUGMENTERS[key]

    def _build_augmenter(self, names: tuple) -> runner.Augmenter:
        # A Keras dict may carry a transform this generator does not draw (e.g. explicit theta
        # with rotation_range=0): its piece's sampler is never used, only its matrix / apply.
        defaults = {"affine": pipeline.affine, "channel_shift": lambda: pipeline.channel_shift(0.0),
                    "brightness": lambda: pipeline.brightness((1.0, 1.0))}
        pieces = {name: self._pieces[name] if name in self._pieces else defaults[name]() for name in names}
        combined = pipeline.combine(tuple(pieces.values()), tuple(ops.SLOTS[k] for k in pieces), names=tuple(pieces))
        return runner.Augmenter(combined, order=self.interpolation_order, fill_mode=self.fill_mode,
                                cval=self.cval, value_range=self.value_range, dtype=jnp.float32)

    def _augment_batch(self, key, images, indices, positions=None):
        """Augmented float32 images in data_format; with `positions`, of `images[positions]`."""
        return _augment_jit(self._augmenter, self.data_format, key, images, indices, positions)

    def _norm_flags(self) -> dict:
        return dict(rescale=self.rescale or None, samplewise_center=self.samplewise_center,
                    samplewise_std_normalization=self.samplewise_std_normalization,
                    featurewise_center=self.featurewise_center,
                    featurewise_std_normalization=self.featurewise_std_normalization,
                    zca_whitening=self.zca_whitening)

    def _statistics(self, shape) -> normalize.Statistics:
        """The fitted (or user-set) `mean`, `std`, `zca_whitening_matrix`, in channels_last terms."""
        needs = (("featurewise_center", "mean"), ("featurewise_std_normalization", "std"),
                 ("zca_whitening", "zca_whitening_matrix"))
        for flag, attribute in needs:
            if getattr(self, flag) and getattr(self, attribute) is None:
                raise ValueError(f"This ImageDataGenerator specifies {flag}=True but has no `{attribute}`: call "
                                 f".fit(x) on training data first (Keras would only warn and skip it). "
                                 f"Received: {attribute}=None")
        mean, std, zca = self.mean, self.std, self.zca_whitening_matrix
        checked = getattr(self, "_checked_statistics", ())
        if len(checked) != 3 or any(a is not b for a, b in zip(checked, (mean, std, zca), strict=True)):
            for name, value in (("mean", mean), ("std", std), ("zca_whitening_matrix", zca)):
                _statistic(value, name)  # once per value set (by fit or by hand), not per batch
            self._checked_statistics = (mean, std, zca)
        if self.data_format == "channels_first":
            mean = None if mean is None else np.moveaxis(np.asarray(mean), 0, -1)
            std = None if std is None else np.moveaxis(np.asarray(std), 0, -1)
            if zca is not None:
                q = _channels_first_order(shape)
                zca = np.asarray(zca)[np.ix_(q, q)]
        return normalize.Statistics(*(None if a is None else jnp.asarray(a, jnp.float32) for a in (mean, std, zca)))

    def _transform(self, key, images, indices, positions=None) -> jax.Array:
        """Augments and standardizes a batch (N, ...) in data_format; returns float32 jax array."""
        out = self._augment_batch(key, images, np.asarray(indices, np.uint32), positions)
        return self._finish(out)

    def _finish(self, out):
        if self.preprocessing_function is not None:
            out = np.stack([np.asarray(self.preprocessing_function(np.asarray(x))) for x in np.asarray(out)])
        if not any(self._norm_flags().values()):
            return jnp.asarray(out)
        flags = tuple(self._norm_flags().items())
        return _standardize_jit(flags, self.data_format, jnp.asarray(out), self._statistics(out.shape[1:]))

    def _root(self, seed):
        seed = self.seed if seed is None else seed
        return jax.random.key(_fresh_seed() if seed is None else seed)

    # --- Keras' single-image API --------------------------------------------------------

    def get_random_transform(self, img_shape, seed=None):
        """Draws one image's transform as Keras' parameter dict (plus jaxaug's extras).

        Keys: theta (degrees), tx (column offset, pixels, Keras' sign: content moves
        by -tx), ty (row offset), shear (degrees), zx, zy (column and row zoom),
        flip_horizontal, flip_vertical, channel_shift_intensity (None if off),
        brightness (None if off), and one entry per extra op that is on.

        Args:
          img_shape: the image's shape in `data_format`, 3 positive integers.
          seed: an int in [0, 2**32) for a reproducible draw; None draws the
            generator's next transform (from its `seed` and a count of draws; a
            generator without a seed draws one from numpy's global generator, as Keras).
        """
        shape = _image_shape(img_shape, self.data_format)
        seed = _check_seed(seed)
        if seed is None:
            with self._lock:
                self._draws += 1
                key = jax.random.fold_in(jax.random.fold_in(self._root(None), _DRAWS), self._draws)
        else:
            key = jax.random.fold_in(jax.random.key(seed), _DRAWS)
        params = _sample_one(self._augmenter.augmentation, key, shape)
        return _to_keras(jax.tree.map(np.asarray, params))

    def apply_transform(self, x, transform_parameters):
        """Applies a Keras parameter dict to one image (in `data_format`); returns float32 numpy.

        Missing keys mean "not applied", as in Keras. Matches Keras' `apply_transform`
        to 1e-4 on square float32 images in [0, 1], except for `brightness`, where Keras
        rounds the image to uint8 first (jaxaug scales and clips to `value_range`).
        The values are checked first: theta, tx, ty, shear, zx, zy real numbers (not
        strings, not bools) finite in float32; the flips bools; channel_shift_intensity
        and brightness such numbers or None; an extra op's entry what
        `get_random_transform` gives for this image.
        """
        x = _real_array(x, "x")
        shape = _image_shape(x.shape, self.data_format, "x.shape")
        params, names = _from_keras(transform_parameters, self._pieces)
        _check_extras(params, self._augmenter.augmentation, shape)
        out = _apply_one(self._make_augmenter(names), self.data_format, jax.tree.map(jnp.asarray, params), x)
        return np.asarray(out)

    def random_transform(self, x, seed=None):
        """`apply_transform(x, get_random_transform(x.shape, seed))`, as Keras."""
        return self.apply_transform(x, self.get_random_transform(np.shape(x), seed))

    def standardize(self, x):
        """Keras' `standardize` on one image or a batch (samplewise statistics per image).

        Runs `preprocessing_function`, then `rescale`, samplewise and featurewise
        normalisation and ZCA, as configured. Returns float32 numpy.
        """
        x = np.asarray(_real_array(x, "x"), np.float32)
        if x.ndim not in (3, 4):
            raise ValueError(f"x must be one image (rank 3) or a batch (rank 4) in {self.data_format}. "
                             f"Received: x.shape={x.shape}")
        single = x.ndim == 3
        out = self._finish(x[None] if single else x)
        return np.asarray(out[0] if single else out)

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Computes `mean`, `std` and `zca_whitening_matrix` from sample data, as Keras.

        Args:
          x: (N, H, W, C) (or channels_first) sample data, real numbers, N >= 1.
          augment: fit on `rounds` augmented copies of the data (drawn from `seed`).
          rounds: how many augmented copies, >= 1.
          seed: seed of the augmentation draws (default: the generator's), checked
            even when `augment` is False.
        """
        x = np.asarray(_real_array(x, "x"), self.dtype)
        if x.ndim != 4:
            raise ValueError(f"Input to .fit() should have rank 4. Received: x.shape={x.shape}")
        if len(x) == 0 or min(x.shape[1:]) < 1:
            raise ValueError(f"x must hold at least one image of positive sizes. Received: x.shape={x.shape}")
        _warn_channels(x.shape[self.channel_axis], x.shape)
        _checks.check_bool(augment, "augment")
        _checks.check_int(rounds, "rounds", 1)
        seed = _check_seed(seed)
        if augment and rounds * x.size >= 2**31:
            raise ValueError(f"rounds * x.size must be < 2**31 (the augmented copies are held in memory at once). "
                             f"Received: rounds={rounds}, x.shape={x.shape}")
        if augment:
            root, idx = self._root(seed), np.arange(len(x))
            x = np.concatenate([np.asarray(self._augment_batch(_epoch_key(root, _AUGMENT, r), x, idx))
                                for r in range(rounds)])
        stats = normalize.fit(_to_last(jnp.asarray(x), self.data_format), featurewise_center=self.featurewise_center,
                              featurewise_std_normalization=self.featurewise_std_normalization,
                              zca_whitening=self.zca_whitening, zca_epsilon=self.zca_epsilon,
                              rescale=self.rescale or None)
        to_format = (lambda a: a) if self.data_format == "channels_last" else (lambda a: np.moveaxis(a, -1, 0))
        self.mean = None if stats.mean is None else to_format(np.asarray(stats.mean))
        self.std = None if stats.std is None else to_format(np.asarray(stats.std))
        zca = stats.principal_components
        if zca is not None and self.data_format == "channels_first":
            q = np.argsort(_channels_first_order(x.shape[1:]))
            zca = np.asarray(zca)[np.ix_(q, q)]
        self.zca_whitening_matrix = None if zca is None else np.asarray(zca)

    # --- iterators -------------------------------------------------------------------------

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None, save_to_dir=None,
             save_prefix="", save_format="png", ignore_class_split=False, subset=None, *, as_jax=False):
        """Batches of augmented arrays: a `NumpyArrayIterator`, as Keras' `flow`.

        `seed=None` takes the generator's `seed`; when that is None too, a seed is drawn
        from numpy's global generator (as Keras), so `np.random.seed` makes runs repeat.
        """
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight,
                                  seed=self.seed if seed is None else seed, data_format=self.data_format,
                                  save_to_dir=save_to_dir, save_prefix=save_prefix, save_format=save_format,
                                  ignore_class_split=ignore_class_split, subset=subset, dtype=self.dtype,
                                  as_jax=as_jax)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb", classes=None,
                            class_mode="categorical", batch_size=32, shuffle=True, seed=None, save_to_dir=None,
                            save_prefix="", save_format="png", follow_links=False, subset=None,
                            interpolation="nearest", keep_aspect_ratio=False, *, as_jax=False, on_error="raise"):
        """Batches of augmented images read from `directory/<class>/<image>`, as Keras' (seed: see `flow`)."""
        return DirectoryIterator(directory, self, target_size=target_size, color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, data_format=self.data_format, batch_size=batch_size,
                                 shuffle=shuffle, seed=self.seed if seed is None else seed, save_to_dir=save_to_dir,
                                 save_prefix=save_prefix, save_format=save_format, follow_links=follow_links,
                                 subset=subset,
                                 interpolation=interpolation, keep_aspect_ratio=keep_aspect_ratio, dtype=self.dtype,
                                 as_jax=as_jax, on_error=on_error)

    def flow_from_dataframe(self, dataframe, directory=None, x_col="filename", y_col="class", weight_col=None,
                            target_size=(256, 256), color_mode="rgb", classes=None, class_mode="categorical",
                            batch_size=32, shuffle=True, seed=None, save_to_dir=None, save_prefix="",
                            save_format="png", subset=None, interpolation="nearest", validate_filenames=True,
                            keep_aspect_ratio=False, *, as_jax=False, on_error="raise"):
        """Batches of augmented images listed in a pandas DataFrame, as Keras' (seed: see `flow`)."""
        return DataFrameIterator(dataframe, directory, self, x_col=x_col, y_col=y_col, weight_col=weight_col,
                                 target_size=target_size, color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, data_format=self.data_format, batch_size=batch_size,
                                 shuffle=shuffle, seed=self.seed if seed is None else seed, save_to_dir=save_to_dir,
                                 save_prefix=save_prefix, save_format=save_format, subset=subset,
                                 interpolation=interpolation,
                                 validate_filenames=validate_filenames, keep_aspect_ratio=keep_aspect_ratio,
                                 dtype=self.dtype, as_jax=as_jax, on_error=on_error)


_CAUSE = {"featurewise_center": "zca_whitening` or `featurewise_std_normalization",
          "featurewise_std_normalization": "zca_whitening", "samplewise_center": "samplewise_std_normalization"}


_AUGMENTERS: dict = {}


def _hashable(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(_hashable(v) for v in np.asarray(value, object).ravel()) + (np.shape(value),)
    return value


@functools.partial(jax.jit, static_argnums=(0, 1))
def _augment_jit(augmenter, data_format, key, images, indices, positions):
    images = images if positions is None else images[positions]
    out = augmenter(key, _to_last(images.astype(jnp.float32), data_format), indices=indices)
    return _from_last(out, data_format)


@functools.partial(jax.jit, static_argnums=(0, 1))
def _standardize_jit(flags, data_format, images, statistics):
    out = normalize.standardize(_to_last(images.astype(jnp.float32), data_format), statistics, **dict(flags))
    return _from_last(out, data_format)


def _to_last(x, data_format):
    return x if data_format == "channels_last" else jnp.moveaxis(x, -3, -1)


def _from_last(x, data_format):
    return x if data_format == "channels_last" else jnp.moveaxis(x, -1, -3)


def _channels_first_order(shape):
    """q with flat_channels_last = flat_channels_first[q] for images of `shape` (C, H, W)."""
    c, h, w = shape
    return np.arange(c * h * w).reshape(c, h, w).transpose(1, 2, 0).ravel()


def _warn_channels(channels, shape):
    if channels not in (1, 3, 4):
        warnings.warn(f"Expected 1, 3 or 4 channels (as Keras); the images have {channels} channels "
                      f"(shape {shape}). Ops that need RGB will refuse them.", stacklevel=3)


def _epoch_key(root, stream, epoch):
    return jax.random.fold_in(jax.random.fold_in(root, stream), epoch)


@functools.partial(jax.jit, static_argnums=(0, 2))
def _sample_one(augmentation, key, shape):
    # One image drawn with `key` as its image key (Augmenter's fold_in(key, i) is done by the caller).
    return augmentation.sample(key, shape)


@functools.partial(jax.jit, static_argnums=(0, 1))
def _apply_one(augmenter, data_format, params, x):
    x = _to_last(x.astype(jnp.float32)[None], data_format)
    return _from_last(augmenter.apply(jax.tree.map(lambda a: a[None], params), x), data_format)[0]


def _check_extras(params: dict, augmentation, shape) -> None:
    """Each extra op's entry must have the structure, shapes and kinds its sampler draws for `shape`."""
    extras = [name for name in params if name not in ("affine", "channel_shift", "brightness")]
    if not extras:
        return
    expected = jax.eval_shape(functools.partial(augmentation.sample, shape=shape), jax.random.key(0))
    for name in extras:
        want, got = expected[name], params[name]
        try:
            ok = jax.tree.structure(got) == jax.tree.structure(want)
            leaves = [_real_array(v, f"transform_parameters[{name!r}]") for v in jax.tree.leaves(got)]
        except TypeError:
            ok = False
        ok = ok and all(np.shape(a) == w.shape and (a.dtype.kind == "b") == (w.dtype == jnp.bool_)
                        for a, w in zip(leaves, jax.tree.leaves(want), strict=True))
        if not ok:
            raise ValueError(f"transform_parameters[{name!r}] must be what get_random_transform gives for this "
                             f"image: {_layout(want)}. Received: transform_parameters[{name!r}]={_layout(got)}")
        for a in leaves:
            with np.errstate(over="ignore", invalid="ignore"):
                finite = a.dtype.kind in "biu" or bool(np.all(np.isfinite(a.astype(np.float32))))
            if not finite:
                raise ValueError(f"transform_parameters[{name!r}] must be finite (in float32). "
                                 f"Received: transform_parameters[{name!r}]={_layout(got)} holding NaN or inf")


def _layout(tree) -> str:
    """A parameter tree in one line: arrays as dtype[shape], other leaves as their short repr."""
    def leaf(v):
        return f"{v.dtype}{list(v.shape)}" if hasattr(v, "shape") and hasattr(v, "dtype") else _SHORT(v)
    try:
        return str(jax.tree.map(leaf, tree)).replace("'", "")
    except (TypeError, ValueError):  # an odd object jax cannot walk: its repr, cut short
        return _SHORT(tree)


def _to_keras(params: dict) -> dict:
    """jaxaug piece parameters -> Keras' transform dict (+ extras under their piece names)."""
    out = dict.fromkeys(_GEOMETRY_KEYS, 0.0)
    out.update(zx=1.0, zy=1.0, flip_horizontal=False, flip_vertical=False)
    affine = params.get("affine")
    if affine is not None:
        (dy, dx), (zy, zx) = affine["shift"], affine["zoom"]
        out.update(theta=float(affine["rotation"]), tx=-float(dx), ty=-float(dy), shear=float(affine["shear"]),
                   zx=float(zx), zy=float(zy), flip_horizontal=bool(affine["horizontal_flip"]),
                   flip_vertical=bool(affine["vertical_flip"]))
    shift = params.get("channel_shift")
    out["channel_shift_intensity"] = None if shift is None else float(shift["shift"])
    bright = params.get("brightness")
    out["brightness"] = None if bright is None else float(bright["factor"])
    for name, value in params.items():
        if name not in ("affine", "channel_shift", "brightness"):
            out[name] = value
    return out


def _from_keras(transform: dict, pieces: dict):
    """Keras' transform dict -> (piece parameters, piece names in pipeline order)."""
    if not isinstance(transform, dict):
        raise TypeError(f"transform_parameters must be a dict (see get_random_transform). "
                        f"Received: transform_parameters={_checks.short_repr(transform)}")
    unknown = sorted(set(transform) - set(_GEOMETRY_KEYS) - {"channel_shift_intensity", "brightness"} - set(pieces))
    if unknown:
        raise ValueError(f"transform_parameters has an unknown key {unknown[0]!r}. Keys: {', '.join(_GEOMETRY_KEYS)}"
                         f", channel_shift_intensity, brightness and this generator's extras "
                         f"({', '.join(n for n in pieces if n not in ('affine', 'channel_shift', 'brightness'))}). "
                         f"Received: {unknown[0]}={transform[unknown[0]]!r}")
    def number(key, default):
        # Strings, bools, None, complex and values that overflow float32 are refused, not converted.
        value = transform.get(key, default)
        return np.float32(_checks.static_float(value, f"transform_parameters[{key!r}]"))

    def flag(key):
        value = transform.get(key, False)
        if not isinstance(value, (bool, np.bool_)) and not (isinstance(value, (int, np.integer)) and value in (0, 1)):
            raise TypeError(f"transform_parameters[{key!r}] must be a bool (or 0 or 1, as in Keras' own dicts). "
                            f"Received: transform_parameters[{key!r}]={_SHORT(value)}")
        return np.bool_(value)

    params = {"affine": {
        "rotation": number("theta", 0.0),
        "shift": np.asarray([-number("ty", 0.0), -number("tx", 0.0)], np.float32),
        "shear": number("shear", 0.0),
        "zoom": np.asarray([number("zy", 1.0), number("zx", 1.0)], np.float32),
        "horizontal_flip": flag("flip_horizontal"),
        "vertical_flip": flag("flip_vertical"),
    }}
    if transform.get("channel_shift_intensity") is not None:
        params["channel_shift"] = {"shift": number("channel_shift_intensity", None)}
    if transform.get("brightness") is not None:
        params["brightness"] = {"factor": number("brightness", None)}
    params.update({k: v for k, v in transform.items() if k in pieces and k not in params})
    names = tuple(sorted(params, key=ops.ORDER.__getitem__))  # pipeline order
    return {k: params[k] for k in names}, names


# --- iterators ---------------------------------------------------------------------------


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

    white_list_formats = _image_files.WHITE_LIST_FORMATS

    def __new__(cls, *args, **kwargs):
        return super().__new__(_keras_compatible(cls))

    def __init__(self, n, batch_size, shuffle, seed):
        seed = _check_iteration(batch_size, shuffle, seed)
        _checks.check_int(n, "n", 0)
        if n == 0:
            raise ValueError("This iterator has no examples (an empty array, folder or subset). Received: n=0")
        self.n, self.batch_size, self.shuffle = int(n), int(batch_size), bool(shuffle)
        self.seed = _fresh_seed() if seed is None else int(seed)
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
                order = (np.asarray(jax.random.permutation(_epoch_key(self._root, _SHUFFLE, epoch), self.n))
                         if self.shuffle else np.arange(self.n))
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
                self._key_epoch, self._key = epoch, _epoch_key(self._root, _AUGMENT, epoch)
            return self._key

    def _save(self, images, index_array, epoch):
        hashes = np.asarray(jax.random.randint(_epoch_key(self._root, _SAVE, epoch), (len(index_array),), 0,
                                               self._hash_max))
        for image, j, h in zip(images, index_array, hashes, strict=True):
            name = _image_files.augmented_filename(self.save_prefix, int(j), int(h), self.save_format)
            _image_files.save_image(os.path.join(self.save_to_dir, name), image, data_format=self.data_format,
                                    file_format=self.save_format, scale=True)

    def _set_output(self, image_data_generator, data_format, save_to_dir, save_prefix, save_format, dtype,
                    as_jax):
        # Checked by the subclass's first line, with _check_output, before any work.
        self.image_data_generator = image_data_generator
        self.data_format = data_format
        self.dtype = np.dtype(image_data_generator.dtype if dtype is None else dtype)
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, save_format
        self.as_jax = bool(as_jax)


def _check_iteration(batch_size, shuffle, seed):
    """The options every iterator has; returns the checked seed."""
    _checks.check_int(batch_size, "batch_size", 1)
    _checks.check_bool(shuffle, "shuffle")
    return _check_seed(seed)


def _check_output(image_data_generator, data_format, save_to_dir, save_prefix, save_format, dtype, as_jax):
    """The output options of an iterator, all checked before any work (save_* even without save_to_dir)."""
    if not isinstance(image_data_generator, ImageDataGenerator):
        raise TypeError(f"image_data_generator must be a jaxaug.keras.ImageDataGenerator. "
                        f"Received: image_data_generator={_SHORT(image_data_generator)}")
    _checks.check_choice(data_format, "data_format", _DATA_FORMATS)
    dtype = _float_dtype(image_data_generator.dtype if dtype is None else dtype)
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


def _check_subset(subset, generator):
    if subset is None:
        return None
    _checks.check_choice(subset, "subset", ("training", "validation"))
    if not generator._validation_split:
        raise ValueError(f"subset={subset!r} needs an ImageDataGenerator with a validation_split > 0. "
                         f"Received: validation_split={generator._validation_split}")
    return subset


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
        _check_iteration(batch_size, shuffle, seed)
        _check_output(image_data_generator, data_format, save_to_dir, save_prefix, save_format, dtype, as_jax)
        _checks.check_bool(ignore_class_split, "ignore_class_split")
        misc = []
        if isinstance(x, (tuple, list)):
            if len(x) != 2:
                raise ValueError(f"x as a tuple must be (images, other_arrays). Received: len(x)={len(x)}")
            misc = list(x[1]) if isinstance(x[1], list) else [x[1]]
            x = x[0]
        x = _real_array(x, "x")
        if x.ndim != 4:
            raise ValueError(f"Input data in NumpyArrayIterator should have rank 4. Received: x.shape={x.shape}")
        misc = [_per_example(a, f"x[1][{i}]" if len(misc) > 1 else "x[1]", len(x)) for i, a in enumerate(misc)]
        y = None if y is None else _per_example(y, "y", len(x))
        if sample_weight is not None:
            sample_weight = _per_example(sample_weight, "sample_weight", len(x), numbers=True)
            with np.errstate(over="ignore", invalid="ignore"):
                if not np.all(np.isfinite(sample_weight.astype(np.float32))):
                    raise ValueError(f"sample_weight must be finite (in float32). "
                                     f"Received: sample_weight={_SHORT(sample_weight)}")
        if min(x.shape[1:]) < 1:
            raise ValueError(f"x must hold images of positive sizes. Received: x.shape={x.shape}")
        _warn_channels(x.shape[3 if data_format == "channels_last" else 1], x.shape)
        global_index = np.arange(len(x))
        if _check_subset(subset, image_data_generator) is not None:
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


class _FilesIterator(Iterator):
    """Shared by the directory and dataframe iterators: images read from files on the host."""

    _hash_max = _image_files.HASH_LIMIT  # Keras' file-name hash range for files

    @staticmethod
    def _check_files(target_size, color_mode, interpolation, keep_aspect_ratio, on_error):
        """The reading options, checked before the listing: target_size is a pair of positive ints."""
        _checks.check_choice(color_mode, "color_mode", _image_files.COLOR_MODES)
        _checks.check_choice(interpolation, "interpolation", _image_files.INTERPOLATIONS)
        _checks.check_choice(on_error, "on_error", ("raise", "skip"))
        _checks.check_bool(keep_aspect_ratio, "keep_aspect_ratio")
        _image_files.check_target_size(target_size, allow_none=False)

    def _setup_files(self, filepaths, target_size, color_mode, interpolation, keep_aspect_ratio, on_error):
        self.target_size = _image_files.check_target_size(target_size, allow_none=False)
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
            x = _image_files.load_image(self._filepaths[j], color_mode=self.color_mode, target_size=self.target_size,
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
        _check_iteration(batch_size, shuffle, seed)
        _check_output(image_data_generator, data_format, save_to_dir, save_prefix, save_format, dtype, as_jax)
        self._check_files(target_size, color_mode, interpolation, keep_aspect_ratio, on_error)
        split = _split_fractions(_check_subset(subset, image_data_generator), image_data_generator)
        listing = _image_files.list_directory(directory, classes=classes, follow_links=follow_links, split=split)
        if not listing.filenames:
            raise ValueError(f"Found no images in the class folders {_SHORT(listing.class_names)} of directory"
                             f"{f' for subset={subset!r}' if subset else ''} (image files end in "
                             f"{', '.join(_image_files.WHITE_LIST_FORMATS)}). Received: directory={directory!r}")
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
        image_data_generator = ImageDataGenerator() if image_data_generator is None else image_data_generator
        _check_iteration(batch_size, shuffle, seed)
        _check_output(image_data_generator, data_format, save_to_dir, save_prefix, save_format, dtype, as_jax)
        self._check_files(target_size, color_mode, interpolation, keep_aspect_ratio, on_error)
        split = _split_fractions(_check_subset(subset, image_data_generator), image_data_generator)
        listing = _image_files.list_dataframe(
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
    if subset is None:
        return None
    v = generator._validation_split
    return (0.0, v) if subset == "validation" else (v, 1.0)
