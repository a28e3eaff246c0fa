"""Keras 3 layers that run jaxaug inside the model: per-image draws at JAX speed.

Keras' own preprocessing layers (`RandomRotation`, `RandomZoom`, `RandAugment`, ...) draw one
transform per batch or loop over images, and are slow on the JAX backend. `Augment` runs a
jaxaug `Augmenter` in the layer's `call`: one compiled pass, a draw per image, keys from the
layer's `keras.random.SeedGenerator` (so `model.fit` is reproducible from `seed`).

    import os; os.environ["KERAS_BACKEND"] = "jax"     # before importing keras
    import keras
    from jaxaug.keras.layers import Augment

    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        Augment(rotation_range=20, width_shift_range=0.2, height_shift_range=0.2, zoom_range=0.2,
                horizontal_flip=True, seed=0),
        keras.layers.Conv2D(32, 3, activation="relu"),
        ...
    ])

Importing this module imports Keras; the JAX backend is required (`KERAS_BACKEND=jax`).
"""

from __future__ import annotations

import jax.numpy as jnp
import keras
import numpy as np
from jax import lax

from jaxaug import _checks, ops, pipeline, runner

__all__ = ["Augment"]

# Keyword arguments that belong to keras.layers.Layer, not to the augmentation.
_LAYER_KWARGS = ("name", "dtype", "trainable", "autocast")
# The `Augmenter` options a layer built from a piece takes: the run options, less the layer's own
# `value_range` keyword and Keras' `dtype` (the layer's dtype policy).
_RUN_OPTIONS = tuple(o.name for o in ops.RUN_OPTIONS if o.name not in ("value_range", *_LAYER_KWARGS))


@keras.saving.register_keras_serializable(package="jaxaug")
class Augment(keras.layers.Layer):
    """Augments its batch with jaxaug when training; the identity at inference.

    Args:
      augmentation: a `jaxaug.pipeline` piece (e.g. `chain(random_resized_crop(24), flip())`),
        or None to build one from `options` with `jaxaug.augmenter`. A piece cannot be saved
        in the model's config (it holds functions): use options for `model.save`.
      seed: an int, or None for a random seed (Keras' `SeedGenerator` rule). Step s of the
        layer draws from the key (seed, s), image i of it from `fold_in` of that key and i.
      value_range: (lo, hi) of the pixel values, default (0, 255): Keras pipelines feed floats
        in 0..255 (`image_dataset_from_directory`, `img_to_array`).
      **options: without a piece, `jaxaug.augmenter`'s options (Keras ImageDataGenerator's
        names, jaxaug's extras and the run options); with a piece, only the run options
        (`jaxaug.ops.RUN_OPTIONS` but `value_range`, above, and `dtype`). Also the
        `keras.layers.Layer` arguments name, trainable and dtype: the layer's dtype policy,
        uint8 or a floating type ("float32", "mixed_float16", ...), as `jaxaug.Augmenter`
        outputs; quantising policies ("int8", ...) and other types raise `TypeError`.

    With `training=True` (as under `model.fit`) the layer augments; otherwise (`predict`,
    `evaluate`, a plain call) it returns its input unchanged. Inputs are (N, H, W, C) batches;
    the output keeps their dtype, and has the augmentation's output size if it sets one.

    Example:
      >>> layer = Augment(rotation_range=20, horizontal_flip=True, seed=0)
      >>> out = layer(images, training=True)
      >>> out.shape, out.dtype
      ((4, 32, 32, 3), dtype('uint8'))
      >>> bool(jnp.all(layer(images, training=False) == images))  # inference: unchanged
      True
    """

    def __init__(self, augmentation=None, *, seed=None, value_range=(0, 255), **options):
        layer_kwargs = {k: options.pop(k) for k in _LAYER_KWARGS if k in options}
        _check_dtype(layer_kwargs.get("dtype"))
        super().__init__(**layer_kwargs)
        if keras.backend.backend() != "jax":
            raise ValueError(f"Augment runs jaxaug, which needs Keras' JAX backend (set KERAS_BACKEND=jax before "
                             f"importing keras). Received: the {keras.backend.backend()!r} backend")
        if seed is not None:
            _checks.check_int(seed, "seed", 0, 2**32 - 1)
        if augmentation is None:
            self._options = dict(options)
            self._augmenter = ops.augmenter(**options, value_range=value_range)
        else:
            if not isinstance(augmentation, pipeline.Augmentation):
                raise TypeError(f"augmentation must be a jaxaug.pipeline piece or None. "
                                f"Received: augmentation={_checks.short_repr(augmentation)}")
            extra = sorted(set(options) - set(_RUN_OPTIONS))
            if extra:
                raise ValueError(f"Augment takes an augmentation piece or augmenter options, not both (with a "
                                 f"piece, only {', '.join(_RUN_OPTIONS)}). Received: augmentation and {extra[0]}="
                                 f"{_checks.short_repr(options[extra[0]])}")
            self._options = None
            self._augmenter = runner.Augmenter(augmentation, value_range=value_range, **options)
        self.seed, self.value_range = seed, self._augmenter.value_range
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        # The generator's state is a (2,) uint32 threefry key that advances by one per call.
        key = jnp.asarray(self.seed_generator.next(), jnp.uint32)
        # Computed once, in memory, before the model reads it: fused into the first layers of a
        # training step, the warp made the step 31-110 ms slower (of ~550 ms, the tutorial's CNN
        # at batch 128 on 2 CPU cores); materialised, the augmentation costs what it costs alone.
        return lax.optimization_barrier(self._augmenter(key, inputs))

    def compute_output_shape(self, input_shape):
        size = self._augmenter.augmentation.output_size
        return tuple(input_shape) if size is None else (input_shape[0], *size, input_shape[-1])

    def get_config(self):
        if self._options is None:
            raise NotImplementedError("Augment built from a pipeline piece cannot be saved in a config (a piece "
                                      "holds functions): build it from augmenter options to use model.save")
        if self._options.get("statistics") is not None:
            raise NotImplementedError("Augment with featurewise statistics cannot be saved in a config (they are "
                                      "arrays): normalise in a layer of its own, e.g. keras.layers.Normalization")
        config = super().get_config()
        # As JSON gives them back (tuples become lists), so a saved and reloaded config compares equal.
        config.update(_as_json(self._options), seed=self.seed, value_range=list(self.value_range))
        return config


def _check_dtype(dtype) -> None:
    """The layer's dtype (policy) computes in uint8 or a floating type, as `jaxaug.Augmenter` outputs.

    Keras reads other names as its quantisation policies ("int8", "int8_from_float32", ...) or
    fails when the layer is called; jaxaug does not quantise, so they are refused here, by name.
    """
    if dtype is None:
        return
    if isinstance(dtype, keras.DTypePolicy):
        compute = None if dtype.quantization_mode else dtype.compute_dtype
    elif isinstance(dtype, str) and dtype.startswith("mixed_"):  # Keras' mixed policies compute in the rest
        compute = dtype[len("mixed_"):]
    elif isinstance(dtype, (str, type, np.dtype)):
        compute = dtype
    else:
        compute = None
    try:
        compute = None if compute is None else jnp.dtype(compute)
    except TypeError:
        compute = None
    if compute is None or not (compute == jnp.uint8 or jnp.issubdtype(compute, jnp.floating)):
        raise TypeError(f"dtype must be uint8 or a floating type ('float32', 'bfloat16', 'mixed_float16', or a "
                        f"keras.DTypePolicy of one), as jaxaug.Augmenter's output; Augment does not quantise. "
                        f"Received: dtype={_checks.short_repr(dtype)}")


def _as_json(value):
    if isinstance(value, (tuple, list)):
        return [_as_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    return value
