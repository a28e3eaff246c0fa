"""`ImageDataGenerator`: Keras' options checked and turned into one jaxaug `Augmenter`."""

from __future__ import annotations

import threading
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from jaxaug import _checks, _images, normalize, ops, pipeline, runner
from jaxaug._image_files import DATA_FORMATS
from jaxaug.keras import _arguments as args
from jaxaug.keras import _compiled as compiled
from jaxaug.keras import _parameters as parameters
from jaxaug.keras._file_iterators import DataFrameIterator, DirectoryIterator
from jaxaug.keras._iterators import NumpyArrayIterator

_KERAS_FILL_MODES = ("constant", "nearest", "reflect", "wrap")
# Keras' own options, as the table of operations declares them: the normalisation's (applied by
# `standardize`, after the augmentation) and the augmentation's.
_KERAS_OPTIONS = tuple(name for name, option in ops.OPTIONS.items() if option.keras)
_NORMALISATION = tuple(o.name for op in ops.OPS if op.kind == "normalization" for o in op.options if o.switch)
_AUGMENTATION = tuple(name for name in _KERAS_OPTIONS if name not in _NORMALISATION)
# Which flag makes Keras override another, in its warnings' words.
_CAUSE = {"featurewise_center": "zca_whitening` or `featurewise_std_normalization",
          "featurewise_std_normalization": "zca_whitening", "samplewise_center": "samplewise_std_normalization"}
_SHORT = _checks.short_repr


class ImageDataGenerator:
    """Keras' legacy `ImageDataGenerator`, with every batch computed by jitted jaxaug.

    The arguments are Keras' (see the module docstring for the few deliberate
    differences). Keras' normalisation flags (bools) and augmentation options, the
    arguments not listed below, mean what `jaxaug.augmenter`'s options of the same names
    mean: units, defaults, the shift and zoom rules (`jaxaug.ops.OPTIONS`, tabulated in
    `docs/operations.md`). The flags are resolved with Keras' warnings (ZCA turns on
    centring, ...).

    Args:
      zca_epsilon: ZCA's regulariser, >= 0 (checked even with ZCA off).
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
      **extras: the `jaxaug.augmenter` options Keras lacks (`jaxaug.ops.EXTRAS`).

    Example:
      >>> datagen = ImageDataGenerator(rotation_range=20, horizontal_flip=True, seed=0)
      >>> x, y = next(datagen.flow(images, labels, batch_size=32))
      >>> x.shape, x.dtype, type(x).__name__  # Keras' float32 NumPy arrays, whatever the input dtype
      ((4, 32, 32, 3), dtype('float32'), 'ndarray')
    """

    def __init__(self, featurewise_center=False, samplewise_center=False, featurewise_std_normalization=False,
                 samplewise_std_normalization=False, zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0.0, height_shift_range=0.0, brightness_range=None, shear_range=0.0,
                 zoom_range=0.0, channel_shift_range=0.0, fill_mode="nearest", cval=0.0, horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None, data_format=None,
                 validation_split=0.0, interpolation_order=1, dtype=None, *, seed=None, value_range=(0.0, 255.0),
                 **extras):
        given = dict(locals())
        unknown = sorted(set(extras) - set(ops.EXTRAS))
        if unknown:
            raise TypeError(f"ImageDataGenerator got an unknown option {unknown[0]!r}; jaxaug's extras are "
                            f"{', '.join(ops.EXTRAS)}. Received: {unknown[0]}={extras[unknown[0]]!r}")
        data_format = "channels_last" if data_format is None else data_format
        _checks.check_choice(data_format, "data_format", DATA_FORMATS)
        _checks.check_choice(fill_mode, "fill_mode", _KERAS_FILL_MODES + ("mirror",))
        if (isinstance(interpolation_order, (bool, np.bool_)) or not isinstance(interpolation_order, (int, np.integer))
                or interpolation_order not in (0, 1)):
            raise ValueError(f"interpolation_order must be 0 (nearest) or 1 (bilinear); jaxaug has no higher "
                             f"spline orders. Received: interpolation_order={_SHORT(interpolation_order)}")
        split = _checks.static_float(validation_split, "validation_split")
        if not 0 <= split < 1:
            raise ValueError(f"validation_split must be in [0, 1). Received: validation_split={validation_split!r}")
        if brightness_range is not None and (not isinstance(brightness_range, (tuple, list, np.ndarray))
                                             or args.ndim(brightness_range) != 1 or len(brightness_range) != 2):
            raise ValueError(f"brightness_range should be a tuple or list of two floats. "
                             f"Received: brightness_range={_SHORT(brightness_range)}")
        if preprocessing_function is not None and not callable(preprocessing_function):
            raise TypeError(f"preprocessing_function must be callable. "
                            f"Received: preprocessing_function={_SHORT(preprocessing_function)}")
        zoom = args.zoom_pair(zoom_range)  # Keras' own rule for a number; bools are refused there
        for name in _KERAS_OPTIONS:  # flags must be bools, numbers must not be
            if isinstance(ops.DEFAULTS[name], bool):
                _checks.check_bool(given[name], name)
            else:
                args.not_bool(given[name], name)
        _checks.nonnegative_float(zca_epsilon, "zca_epsilon")  # checked with ZCA off too, as every option
        _checks.static_float(cval, "cval")
        if rescale is not None:
            _checks.static_float(rescale, "rescale")
        _checks.static_range(value_range, "value_range")  # a pair of float32-finite numbers (None is none)
        _images.value_range(jnp.float32, value_range)  # and lo < hi
        seed = args.check_seed(seed)
        for name in _AUGMENTATION:  # Keras' attributes
            setattr(self, name, given[name])
        self.zoom_range = zoom
        self.fill_mode, self.cval, self.interpolation_order = fill_mode, cval, int(interpolation_order)
        self.rescale, self.preprocessing_function = rescale, preprocessing_function
        self.data_format, self.dtype = data_format, args.float_dtype("float32" if dtype is None else dtype)
        self.channel_axis, self.row_axis, self.col_axis = (3, 1, 2) if data_format == "channels_last" else (1, 2, 3)
        self._validation_split = split
        self.zca_epsilon, self.seed, self.value_range = zca_epsilon, seed, tuple(value_range)
        self.extras = dict(extras)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # re-warned below with Keras' wording
            flags = ops.keras_normalisation(**{name: given[name] for name in _NORMALISATION})
        for name, value in flags.items():
            if name != "rescale":
                if value != given[name]:
                    warnings.warn(f"This ImageDataGenerator specifies `{_CAUSE[name]}`, which overrides setting of "
                                  f"`{name}` (now {value}), as in Keras.", stacklevel=2)
                setattr(self, name, value)
        self.mean = self.std = self.zca_whitening_matrix = None
        self._draws = 0
        self._lock = threading.Lock()
        self._pieces = ops.pieces(self._augment_options())  # checks every option now
        self._augmenter = self._make_augmenter(tuple(self._pieces))

    # --- the augmentation ---------------------------------------------------------------

    def _augment_options(self) -> dict:
        options = {name: getattr(self, name) for name in _AUGMENTATION}
        for name, value in options.items():
            if isinstance(ops.DEFAULTS[name], bool):
                options[name] = bool(value)  # a numpy bool is the same option (and the same cache entry)
        zoom = tuple(self.zoom_range)
        options["zoom_range"] = 0.0 if zoom == (1.0, 1.0) else zoom
        return {**options, **self.extras}

    def _make_augmenter(self, names: tuple) -> runner.Augmenter:
        return compiled.shared_augmenter(self._augment_options(), names, self.interpolation_order, self.fill_mode,
                                         float(self.cval), self.value_range, build=lambda: self._build(names))

    def _build(self, names: tuple) -> runner.Augmenter:
        pieces = {name: self._pieces[name] if name in self._pieces else parameters.KERAS_PIECES[name]()
                  for name in names}
        combined = pipeline.combine(tuple(pieces.values()), tuple(ops.SLOTS[k] for k in pieces), names=tuple(pieces))
        return runner.Augmenter(combined, order=self.interpolation_order, fill_mode=self.fill_mode,
                                cval=self.cval, value_range=self.value_range, dtype=jnp.float32)

    def _augment_batch(self, key, images, indices, positions=None):
        """Augmented float32 images in data_format; with `positions`, of `images[positions]`."""
        return compiled.augment_batch(self._augmenter, self.data_format, key, images, indices, positions)

    def _norm_flags(self) -> dict:
        flags = {name: getattr(self, name) for name in _NORMALISATION}
        return {**flags, "rescale": self.rescale or None}

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
                args.statistic(value, name)  # once per value set (by fit or by hand), not per batch
            self._checked_statistics = (mean, std, zca)
        if self.data_format == "channels_first":
            mean = None if mean is None else np.moveaxis(np.asarray(mean), 0, -1)
            std = None if std is None else np.moveaxis(np.asarray(std), 0, -1)
            if zca is not None:
                q = compiled.channels_first_order(shape)
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
        return compiled.standardize_batch(flags, self.data_format, jnp.asarray(out), self._statistics(out.shape[1:]))

    def _root(self, seed):
        seed = self.seed if seed is None else seed
        return jax.random.key(args.fresh_seed() if seed is None else seed)

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
        shape = args.image_shape(img_shape, self.data_format)
        seed = args.check_seed(seed)
        if seed is None:
            with self._lock:
                self._draws += 1
                key = jax.random.fold_in(jax.random.fold_in(self._root(None), compiled.DRAWS), self._draws)
        else:
            key = jax.random.fold_in(jax.random.key(seed), compiled.DRAWS)
        params = compiled.sample_one(self._augmenter.augmentation, key, shape)
        return parameters.to_keras(jax.tree.map(np.asarray, params))

    def apply_transform(self, x, transform_parameters):
        """Applies a Keras parameter dict to one image (in `data_format`); returns float32 numpy.

        Missing keys mean "not applied", as in Keras. Matches Keras' `apply_transform`
        to 1e-4 on square float32 images in [0, 1], except for `brightness`, where Keras
        rounds the image to uint8 first (jaxaug scales and clips to `value_range`).
        The values are checked first, each error naming its key: theta, tx, ty, shear real
        numbers (not strings, not bools) finite in float32; zx, zy such numbers in
        (0, 2**24] (0 would collapse the image onto its centre and a negative factor mirror
        it: the flips have their own keys); the flips bools (or 0 and 1, as in Keras' own
        dicts); channel_shift_intensity a number or None; brightness a number >= 0 or None
        (0 gives an image at the bottom of `value_range`, as PIL's factor 0 gives black and
        as `brightness_range` may start at 0); an extra op's entry what
        `get_random_transform` gives for this image.
        """
        x = args.real_array(x, "x")
        shape = args.image_shape(x.shape, self.data_format, "x.shape")
        params, names = parameters.from_keras(transform_parameters, self._pieces)
        parameters.check_extras(params, self._augmenter.augmentation, shape)
        out = compiled.apply_one(self._make_augmenter(names), self.data_format, jax.tree.map(jnp.asarray, params), x)
        return np.asarray(out)

    def random_transform(self, x, seed=None):
        """`apply_transform(x, get_random_transform(x.shape, seed))`, as Keras."""
        return self.apply_transform(x, self.get_random_transform(np.shape(x), seed))

    def standardize(self, x):
        """Keras' `standardize` on one image or a batch (samplewise statistics per image).

        Runs `preprocessing_function`, then `rescale`, samplewise and featurewise
        normalisation and ZCA, as configured. Returns float32 numpy.
        """
        x = np.asarray(args.real_array(x, "x"), np.float32)
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
        x = np.asarray(args.real_array(x, "x"), self.dtype)
        if x.ndim != 4:
            raise ValueError(f"Input to .fit() should have rank 4. Received: x.shape={x.shape}")
        if len(x) == 0 or min(x.shape[1:]) < 1:
            raise ValueError(f"x must hold at least one image of positive sizes. Received: x.shape={x.shape}")
        args.warn_channels(x.shape[self.channel_axis], x.shape)
        _checks.check_bool(augment, "augment")
        _checks.check_int(rounds, "rounds", 1)
        seed = args.check_seed(seed)
        if augment and rounds * x.size >= 2**31:
            raise ValueError(f"rounds * x.size must be < 2**31 (the augmented copies are held in memory at once). "
                             f"Received: rounds={rounds}, x.shape={x.shape}")
        if augment:
            root, idx = self._root(seed), np.arange(len(x))
            x = np.concatenate([np.asarray(self._augment_batch(compiled.epoch_key(root, compiled.AUGMENT, r), x, idx))
                                for r in range(rounds)])
        stats = normalize.fit(compiled.to_last(jnp.asarray(x), self.data_format),
                              featurewise_center=self.featurewise_center,
                              featurewise_std_normalization=self.featurewise_std_normalization,
                              zca_whitening=self.zca_whitening, zca_epsilon=self.zca_epsilon,
                              rescale=self.rescale or None)
        to_format = (lambda a: a) if self.data_format == "channels_last" else (lambda a: np.moveaxis(a, -1, 0))
        self.mean = None if stats.mean is None else to_format(np.asarray(stats.mean))
        self.std = None if stats.std is None else to_format(np.asarray(stats.std))
        zca = stats.principal_components
        if zca is not None and self.data_format == "channels_first":
            q = np.argsort(compiled.channels_first_order(x.shape[1:]))
            zca = np.asarray(zca)[np.ix_(q, q)]
        self.zca_whitening_matrix = None if zca is None else np.asarray(zca)

    # --- iterators: `seed=None` takes the generator's seed (module docstring) -------------------

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
                                 subset=subset, interpolation=interpolation, keep_aspect_ratio=keep_aspect_ratio,
                                 dtype=self.dtype, as_jax=as_jax, on_error=on_error)

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
                                 interpolation=interpolation, validate_filenames=validate_filenames,
                                 keep_aspect_ratio=keep_aspect_ratio, dtype=self.dtype, as_jax=as_jax,
                                 on_error=on_error)
