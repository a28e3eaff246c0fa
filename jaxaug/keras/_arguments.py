"""The checks of the Keras facade's arguments that the generator and the iterators share.

Each raises `TypeError`/`ValueError` naming the argument and the value received, before any
work, where Keras often accepts a bad value and fails later (or never).
"""

from __future__ import annotations

import warnings

import jax.numpy as jnp
import numpy as np

from jaxaug import _checks
from jaxaug._image_files import MAX_IMAGE_PIXELS

# Seeds are numpy's 32-bit seeds: with jax_enable_x64 off, jax.random.key(2**32 + s) is key(s).
SEED_LIMIT = 2**32
_SHORT = _checks.short_repr


def fresh_seed() -> int:
    """The seed of seed=None: drawn from numpy's global generator, as Keras draws its augmentations.

    So np.random.seed(0) / keras.utils.set_random_seed(0) makes a script reproducible.
    """
    return int(np.random.randint(SEED_LIMIT, dtype=np.int64))


def check_seed(seed, name: str = "seed"):
    """None, or the seed as a Python int in [0, 2**32)."""
    if seed is None:
        return None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name} must be None or an integer in [0, 2**32). Received: {name}={_SHORT(seed)}")
    if not 0 <= seed < SEED_LIMIT:
        raise ValueError(f"{name} must be in [0, 2**32) (numpy's seed range). Received: {name}={seed!r}")
    return int(seed)


def not_bool(value, name: str) -> None:
    """Numbers are not bools: rotation_range=True is a mistake, not 1 degree."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a number, not a bool. Received: {name}={value!r}")


def float_dtype(dtype, name: str = "dtype") -> np.dtype:
    """A floating numpy dtype (Keras' floatx is always one): float16, bfloat16, float32 or float64."""
    try:
        out = None if isinstance(dtype, (bool, np.bool_)) else np.dtype(dtype)
    except (TypeError, ValueError):
        out = None
    if out is None or not jnp.issubdtype(out, jnp.floating):
        raise TypeError(f"{name} must be a floating dtype such as 'float32' (Keras' floatx). "
                        f"Received: {name}={_SHORT(dtype)}")
    return out


def real_array(x, name: str) -> np.ndarray:
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


def per_example(arr, name: str, n: int, *, numbers: bool = False) -> np.ndarray:
    """A per-example array beside `n` images (labels, weights, extra inputs): rank >= 1, length n."""
    if numbers:
        out = real_array(arr, name)
    elif arr is None or isinstance(arr, (str, bytes)) or ndim(arr) <= 0:
        out = None
    else:
        out = np.asarray(arr)
    if out is None or out.ndim == 0:
        raise TypeError(f"{name} must be an array with one entry per image. Received: {name}={_SHORT(arr)}")
    if len(out) != n:
        raise ValueError(f"x (images) and {name} should have the same length. Received: x has {n} images, "
                         f"{name}.shape={out.shape}")
    return out


def image_shape(shape, data_format, name: str = "img_shape") -> tuple:
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
    if hwc[0] * hwc[1] > MAX_IMAGE_PIXELS:
        raise ValueError(f"{name} is too large: {hwc[0]} * {hwc[1]} pixels > {MAX_IMAGE_PIXELS} "
                         f"(8192 x 8192). Received: {name}={dims}")
    return hwc


def ndim(value) -> int:
    """np.ndim, or -1 for what numpy cannot make an array of (ragged nests)."""
    try:
        return np.ndim(value)
    except (TypeError, ValueError):
        return -1


def statistic(value, name: str):
    """A fitted (or user-set) statistic: None, or real numbers finite in float32."""
    if value is None:
        return None
    out = real_array(value, name)
    with np.errstate(over="ignore", invalid="ignore"):
        if not np.all(np.isfinite(out.astype(np.float32))):
            raise ValueError(f"{name} must be finite (in float32); set it with .fit(x) or to finite numbers. "
                             f"Received: {name}={_SHORT(value)}")
    return out


def zoom_pair(zoom_range):
    """Keras' constructor rule: float z -> [1 - z, 1 + z]; a pair stays.

    The factors drawn must be ones `apply_transform` takes back (zx, zy <= 2**24): 3e38 made
    NaN images. That they are > 0 is `jaxaug.augmenter`'s rule, checked there.
    """
    if isinstance(zoom_range, (float, int, np.floating, np.integer)) and not isinstance(zoom_range, (bool, np.bool_)):
        z = _checks.static_float(zoom_range, "zoom_range")
        pair = [1.0 - z, 1.0 + z]
    elif isinstance(zoom_range, (list, tuple, np.ndarray)) and ndim(zoom_range) == 1 and len(zoom_range) == 2:
        pair = [_checks.static_float(v, "zoom_range") for v in zoom_range]
    else:
        raise ValueError(f"zoom_range should be a float or a tuple or list of two floats. "
                         f"Received: zoom_range={_SHORT(zoom_range)}")
    if max(pair) > _checks.MAX_PIXELS:
        raise ValueError(f"zoom_range must give zoom factors <= {_checks.MAX_PIXELS} (2**24, as apply_transform's zx "
                         f"and zy). Received: zoom_range={_SHORT(zoom_range)}")
    return pair


def warn_channels(channels, shape):
    """Keras' warning for images that are neither grayscale, RGB nor RGBA."""
    if channels not in (1, 3, 4):
        warnings.warn(f"Expected 1, 3 or 4 channels (as Keras); the images have {channels} channels "
                      f"(shape {shape}). Ops that need RGB will refuse them.", stacklevel=3)
