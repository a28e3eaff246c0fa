"""What the Keras facade runs on the device: its key streams, compiled calls and their cache.

A generator's root key is `key(seed)`; each job draws from its own stream of it (fixed, so
recorded runs stay reproducible), and example `i` of epoch `e` from
`fold_in(fold_in(fold_in(root, AUGMENT), e), i)`. Generators with equal options share one
`Augmenter`, so the jitted calls, keyed on it, compile once for all of them.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from jaxaug import normalize

# Streams of a generator's root key.
AUGMENT, SHUFFLE, SAVE, DRAWS = 0, 1, 2, 3

_AUGMENTERS: dict = {}


def epoch_key(root, stream, epoch):
    """The key of `stream` in `epoch`."""
    return jax.random.fold_in(jax.random.fold_in(root, stream), epoch)


def shared_augmenter(options: dict, *others, build):
    """The `Augmenter` of generators with these augmentation `options` and `others`, built once by `build()`."""
    key = (_hashable(options), *others)
    if key not in _AUGMENTERS:
        _AUGMENTERS[key] = build()
    return _AUGMENTERS[key]


def _hashable(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(_hashable(v) for v in np.asarray(value, object).ravel()) + (np.shape(value),)
    return value


@functools.partial(jax.jit, static_argnums=(0, 1))
def augment_batch(augmenter, data_format, key, images, indices, positions):
    """Augmented float32 images in data_format; with `positions`, of `images[positions]`."""
    images = images if positions is None else images[positions]
    out = augmenter(key, to_last(images.astype(jnp.float32), data_format), indices=indices)
    return from_last(out, data_format)


@functools.partial(jax.jit, static_argnums=(0, 1))
def standardize_batch(flags, data_format, images, statistics):
    """`normalize.standardize` of a batch in data_format, with the normalisation `flags` as (name, value) pairs."""
    out = normalize.standardize(to_last(images.astype(jnp.float32), data_format), statistics=statistics, **dict(flags))
    return from_last(out, data_format)


@functools.partial(jax.jit, static_argnums=(0, 2))
def sample_one(augmentation, key, shape):
    """One image's parameters, drawn with `key` as its image key (the caller does Augmenter's fold_in(key, i))."""
    return augmentation.sample(key, shape)


@functools.partial(jax.jit, static_argnums=(0, 1))
def apply_one(augmenter, data_format, params, x):
    """One image (in data_format) transformed by `params`, as float32."""
    x = to_last(x.astype(jnp.float32)[None], data_format)
    return from_last(augmenter.apply(jax.tree.map(lambda a: a[None], params), x), data_format)[0]


def to_last(x, data_format):
    return x if data_format == "channels_last" else jnp.moveaxis(x, -3, -1)


def from_last(x, data_format):
    return x if data_format == "channels_last" else jnp.moveaxis(x, -1, -3)


def channels_first_order(shape):
    """q with flat_channels_last = flat_channels_first[q] for images of `shape` (C, H, W)."""
    c, h, w = shape
    return np.arange(c * h * w).reshape(c, h, w).transpose(1, 2, 0).ravel()
