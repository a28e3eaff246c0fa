"""Colour ops: brightness, channel shift, contrast, saturation, hue, HSV contrast, grayscale.

Each random op is a triple, so a pipeline can log, replay or reuse the parameters:

- `sample_<op>(key, ...)` draws the parameters of one image as a dict whose keys are
  the keyword names of the deterministic twin;
- the twin (`brightness`, `channel_shift`, ...) applies given parameters
  (Python numbers or traced scalars) to one (H, W, C) image;
- `random_<op>(key, image, ...)` is the twin applied to the sample.

Arithmetic is float32; outputs keep the input dtype (uint8 rounded and clipped).
`value_range=(lo, hi)` gives the pixel range, default (0, 255) for uint8 and (0, 1)
for floats. Ops that read colour (saturation, hue, HSV contrast, grayscale) need
3 channels in RGB order.

HSV follows `colorsys` (see `jaxaug.hsv`): H in [0, 1) as a fraction of a turn (red 0,
green 1/3, blue 2/3), S in [0, 1], V = max(R, G, B).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxaug import _checks, _fusion, _images
from jaxaug.hsv import hsv_edit, in_hsv

__all__ = [
    "brightness",
    "channel_shift",
    "contrast",
    "grayscale",
    "hsv_contrast",
    "hue",
    "invert",
    "random_brightness",
    "random_channel_shift",
    "random_contrast",
    "random_grayscale",
    "random_hsv_contrast",
    "random_hue",
    "random_invert",
    "random_saturation",
    "sample_brightness",
    "sample_channel_shift",
    "sample_contrast",
    "sample_grayscale",
    "sample_hsv_contrast",
    "sample_hue",
    "sample_invert",
    "sample_saturation",
    "saturation",
    "to_grayscale",
]

# ITU-R BT.601 luma, as PIL's "L" mode and tf.image.rgb_to_grayscale.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)


# --- shared pieces ---------------------------------------------------------------------


def _rgb_image(image):
    image = _images.check_image(image)
    if image.shape[-1] != 3:
        raise ValueError(f"image must have 3 (RGB) channels. Received: image.shape={tuple(image.shape)}")
    return image


def _uniform(key, lo: float, hi: float):
    """One float32 draw from U(lo, hi); the bounds go into `uniform` so eager and jit agree."""
    _checks.check_key(key)
    return jax.random.uniform(key, (), jnp.float32, lo, hi)


def _factor_sample(key, factor_range, name: str):
    lo, hi = _checks.static_range(factor_range, name, minimum=0.0)
    return {"factor": _uniform(key, lo, hi)}


def _coin_weight(key, shape, probability):
    """{"weight": 1.0 with `probability`, else 0.0}: the draw of the ops applied with a probability."""
    _checks.image_hw(shape)  # the rule of every sampler: (key, shape, ...)
    p = _checks.bounded_float(probability, "probability", 1.0)
    return {"weight": jnp.where(_uniform(key, 0.0, 1.0) < p, 1.0, 0.0).astype(jnp.float32)}


def _clipped(image, out, lo, hi):
    return _images.restore(jnp.clip(out, lo, hi), image.dtype)


# --- brightness ------------------------------------------------------------------------


def brightness(image, factor, *, value_range=None):
    """Scales the distance to black by `factor`: Keras IDG's `brightness_range`.

    `out = clip(lo + (x - lo) * factor, lo, hi)`. With lo = 0 this is PIL's
    `ImageEnhance.Brightness(factor)`, which Keras' ImageDataGenerator uses.

    Args:
      image: (H, W, C) array; uint8, float16, bfloat16 or float32. Any channel count.
      factor: scalar >= 0 (may be traced); 1 keeps the image, 0 gives black.
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> darker = brightness(image_uint8, 0.7)
      >>> row = jnp.array([[[0, 100, 200]]], jnp.uint8)
      >>> tuple(brightness(row, 0.5)[0, 0].tolist()), tuple(brightness(row, 1.5)[0, 0].tolist())  # clipped
      ((0, 50, 100), (0, 150, 255))
    """
    image = _images.check_image(image)
    lo, hi = _images.value_range(image.dtype, value_range)
    out = lo + (image.astype(jnp.float32) - lo) * _checks.real_scalar(factor, "factor", minimum=0.0)
    return _clipped(image, out, lo, hi)


def sample_brightness(key, shape, brightness_range):
    """Draws {"factor": U(lo, hi)} for `brightness`; `brightness_range` = (lo, hi), 0 <= lo <= hi.

    Example:
      >>> round(float(sample_brightness(jax.random.key(0), (32, 32, 3), (0.5, 1.5))["factor"]), 3)
      1.448
    """
    _checks.image_hw(shape)  # the rule of every sampler: (key, shape, ...)
    return _factor_sample(key, brightness_range, "brightness_range")


def random_brightness(key, image, brightness_range, *, value_range=None):
    """`brightness` with a factor drawn uniformly from `brightness_range` (Keras IDG).

    Example:
      >>> out = random_brightness(key, image_uint8, (0.5, 1.5))
      >>> bool(jnp.all(out == brightness(image_uint8, **sample_brightness(key, image_uint8.shape, (0.5, 1.5)))))
      True
    """
    image = _images.check_image(image)
    return brightness(image, **sample_brightness(key, image.shape, brightness_range), value_range=value_range)


# --- channel shift ---------------------------------------------------------------------


def channel_shift(image, shift, *, value_range=None):
    """Adds `shift` to every value, clipped to the image's own [min, max] (Keras IDG).

    Exactly Keras' `apply_channel_shift`: the clipping bounds are the minimum and
    maximum of the whole input image over all pixels and channels, not the value
    range, so the shift never takes a value beyond what the image already contains.

    Args:
      image: (H, W, C) array; uint8, float16, bfloat16 or float32. Any channel count.
      shift: scalar in pixel units (0..255 scale for uint8), may be traced.
      value_range: accepted (and validated) for uniformity with the other pixel ops;
        unused, since the bounds come from the image.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> out = channel_shift(image_uint8, 20.0)
      >>> row = jnp.array([[[10], [100], [200]]], jnp.uint8)   # clipped to its own 10..200, not 0..255
      >>> tuple(channel_shift(row, 20.0)[0, :, 0].tolist()), tuple(channel_shift(row, -20.0)[0, :, 0].tolist())
      ((30, 120, 200), (10, 80, 180))
    """
    image = _images.check_image(image)
    _images.value_range(image.dtype, value_range)
    x = image.astype(jnp.float32)
    shift = _checks.real_scalar(shift, "shift")
    # x + shift can only cross the bound on the side of the shift's sign (float addition
    # is monotonic), so one reduction -- the max of x, or of -x -- gives the only bound
    # that can bind.
    # Both bounds in one pass over the image, kept in memory for the loop that reads them (see
    # `jaxaug._fusion`); the shift's sign picks the one that can bind (float addition is
    # monotonic, so x + shift crosses only the bound on the shift's side).
    lo, hi = _fusion.materialize((jnp.min(x), jnp.max(x)))
    return _images.restore(jnp.clip(x + shift, lo, hi), image.dtype)


def sample_channel_shift(key, shape, intensity):
    """Draws {"shift": U(-intensity, intensity)}, one scalar for all channels as Keras.

    Args:
      key: a `jax.random` key.
      intensity: Keras' `channel_shift_range`, >= 0, in pixel units; the width 2 * intensity
        of the range must be finite in float32 (intensity <= 1.7e38).

    Example:
      >>> round(float(sample_channel_shift(jax.random.key(0), (32, 32, 3), 30.0)["shift"]), 3)
      26.86
    """
    _checks.image_hw(shape)  # the rule of every sampler: (key, shape, ...)
    bound = _checks.half_range(intensity, "intensity")  # 3e38 drew +inf
    return {"shift": _uniform(key, -bound, bound)}


def random_channel_shift(key, image, intensity, *, value_range=None):
    """`channel_shift` with a shift drawn from U(-intensity, intensity) (Keras IDG).

    Example:
      >>> out = random_channel_shift(key, image_uint8, 30.0)
      >>> bool(jnp.all(out == channel_shift(image_uint8, **sample_channel_shift(key, image_uint8.shape, 30.0))))
      True
    """
    image = _images.check_image(image)
    return channel_shift(image, **sample_channel_shift(key, image.shape, intensity), value_range=value_range)


# --- contrast --------------------------------------------------------------------------


def contrast(image, factor, *, value_range=None):
    """Scales each channel's distance to its mean, as `tf.image.contrast`, then clips.

    `out = clip((x - mean_c) * factor + mean_c, lo, hi)` with `mean_c` the mean of
    channel c over all pixels of the image.

    Args:
      image: (H, W, C) array; uint8, float16, bfloat16 or float32. Any channel count.
      factor: scalar >= 0 (may be traced); 1 keeps the image, 0 gives flat channel means.
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> flatter = contrast(image_uint8, 0.5)
      >>> row = jnp.array([[[0], [100], [200]]], jnp.uint8)  # mean 100
      >>> tuple(contrast(row, 0.5)[0, :, 0].tolist()), tuple(contrast(row, 2.0)[0, :, 0].tolist())  # clipped
      ((50, 100, 150), (0, 100, 255))
    """
    image = _images.check_image(image)
    lo, hi = _images.value_range(image.dtype, value_range)
    x = image.astype(jnp.float32)
    mean = _fusion.materialize(jnp.mean(x, axis=(0, 1), keepdims=True))
    return _clipped(image, (x - mean) * _checks.real_scalar(factor, "factor", minimum=0.0) + mean, lo, hi)


def sample_contrast(key, shape, contrast_range):
    """Draws {"factor": U(lo, hi)} for `contrast`; `contrast_range` = (lo, hi), 0 <= lo <= hi.

    Example:
      >>> round(float(sample_contrast(jax.random.key(0), (32, 32, 3), (0.5, 1.5))["factor"]), 3)
      1.448
    """
    _checks.image_hw(shape)  # the rule of every sampler: (key, shape, ...)
    return _factor_sample(key, contrast_range, "contrast_range")


def random_contrast(key, image, contrast_range, *, value_range=None):
    """`contrast` with a factor drawn uniformly from `contrast_range`.

    Example:
      >>> out = random_contrast(key, image_uint8, (0.5, 1.5))
      >>> bool(jnp.all(out == contrast(image_uint8, **sample_contrast(key, image_uint8.shape, (0.5, 1.5)))))
      True
    """
    image = _images.check_image(image)
    return contrast(image, **sample_contrast(key, image.shape, contrast_range), value_range=value_range)


# --- saturation ------------------------------------------------------------------------


def saturation(image, factor, *, value_range=None):
    """Multiplies the HSV saturation by `factor` (clipped to [0, 1]); H and V are kept.

    Args:
      image: (H, W, 3) RGB array; uint8, float16, bfloat16 or float32. Values are
        clipped to `value_range` first.
      factor: scalar >= 0 (may be traced); 0 gives grays (R = G = B = V), 1 keeps.
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> vivid = saturation(image_uint8, 1.5)
      >>> orange = jnp.array([[[200, 100, 50]]], jnp.uint8)   # S = 0.75, V = 200; S * 2 is clipped to 1
      >>> tuple(tuple(saturation(orange, f)[0, 0].tolist()) for f in (0.0, 0.5, 2.0))  # V stays
      ((200, 200, 200), (200, 150, 125), (200, 67, 0))
    """
    return in_hsv(image, [hsv_edit("saturation", factor=factor)], value_range=value_range)


def sample_saturation(key, shape, saturation_range):
    """Draws {"factor": U(lo, hi)} for `saturation`; `saturation_range` = (lo, hi), 0 <= lo <= hi.

    Example:
      >>> round(float(sample_saturation(jax.random.key(0), (32, 32, 3), (0.5, 1.5))["factor"]), 3)
      1.448
    """
    _checks.image_hw(shape)  # the rule of every sampler: (key, shape, ...)
    return _factor_sample(key, saturation_range, "saturation_range")


def random_saturation(key, image, saturation_range, *, value_range=None):
    """`saturation` with a factor drawn uniformly from `saturation_range`.

    Example:
      >>> out = random_saturation(key, image_uint8, (0.5, 1.5))
      >>> bool(jnp.all(out == saturation(image_uint8, **sample_saturation(key, image_uint8.shape, (0.5, 1.5)))))
      True
    """
    image = _images.check_image(image)
    return saturation(image, **sample_saturation(key, image.shape, saturation_range), value_range=value_range)


# --- hue -------------------------------------------------------------------------------


def hue(image, delta, *, value_range=None):
    """Rotates the HSV hue by `delta` turns (H <- (H + delta) mod 1); S and V are kept.

    Args:
      image: (H, W, 3) RGB array; uint8, float16, bfloat16 or float32. Values are
        clipped to `value_range` first.
      delta: scalar in fractions of a turn (may be traced): 1/3 maps red to green,
        0.5 gives the complementary colours. Grays are unchanged.
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> out = hue(image_uint8, 0.1)
      >>> red = jnp.array([[[255, 0, 0]]], jnp.uint8)
      >>> tuple(hue(red, 1 / 3)[0, 0].tolist()), tuple(hue(red, 0.5)[0, 0].tolist())   # green, then cyan
      ((0, 255, 0), (0, 255, 255))
    """
    return in_hsv(image, [hsv_edit("hue", delta=delta)], value_range=value_range)


def sample_hue(key, shape, hue_range):
    """Draws {"delta": U(lo, hi)} for `hue`, in turns.

    Args:
      key: a `jax.random` key.
      shape: the image's (H, W, C).
      hue_range: (lo, hi) with -0.5 <= lo <= hi <= 0.5 turns, or m in [0, 0.5] for (-m, m)
        (torchvision's `ColorJitter(hue=m)`).

    Example:
      >>> delta = sample_hue(jax.random.key(0), (32, 32, 3), 0.1)["delta"]
      >>> bool(-0.1 <= delta <= 0.1)
      True
    """
    _checks.image_hw(shape)  # the rule of every sampler: (key, shape, ...)
    if np.ndim(hue_range) == 0 or _checks.is_traced(hue_range):
        bound = _checks.bounded_float(hue_range, "hue_range", 0.5)
        lo, hi = -bound, bound
    else:
        lo, hi = _checks.static_range(hue_range, "hue_range", minimum=-0.5)
        if hi > 0.5:
            raise ValueError(f"hue_range must lie within [-0.5, 0.5] turns. Received: hue_range={hue_range!r}")
    return {"delta": _uniform(key, lo, hi)}


def random_hue(key, image, hue_range, *, value_range=None):
    """`hue` with a hue rotation drawn from U(lo, hi) turns (see `sample_hue` for `hue_range`).

    Example:
      >>> out = random_hue(key, image_uint8, 0.1)
      >>> bool(jnp.all(out == hue(image_uint8, **sample_hue(key, image_uint8.shape, 0.1))))
      True
    """
    image = _images.check_image(image)
    return hue(image, **sample_hue(key, image.shape, hue_range), value_range=value_range)


# --- HSV contrast ----------------------------------------------------------------------


def hsv_contrast(image, saturation_exponent, value_exponent, *, value_range=None):
    """Raises the HSV saturation and value to powers; the hue is kept.

    V is normalised to [0, 1] by the value range, then `S <- S ** saturation_exponent`,
    `V <- V ** value_exponent`, and the result goes back to RGB in the original units.
    Exponents below 1 brighten / saturate, above 1 darken / desaturate; black, white
    and grays stay on the gray axis.

    Args:
      image: (H, W, 3) RGB array; uint8, float16, bfloat16 or float32. Values are
        clipped to `value_range` first.
      saturation_exponent: scalar > 0 (may be traced); 1 keeps S.
      value_exponent: scalar > 0 (may be traced); 1 keeps V.
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> out = hsv_contrast(image_uint8, 0.5, 2.0)
      >>> pixels = jnp.array([[[128, 128, 128], [255, 0, 0], [200, 100, 50]]], jnp.uint8)  # gray, red, orange
      >>> tuple(map(tuple, hsv_contrast(pixels, 1.0, 2.0)[0].tolist()))   # V ** 2: 255 * (128 / 255) ** 2 = 64.25
      ((64, 64, 64), (255, 0, 0), (157, 78, 39))
    """
    edit = hsv_edit("hsv_contrast", saturation_exponent=saturation_exponent, value_exponent=value_exponent)
    return in_hsv(image, [edit], value_range=value_range)


def sample_hsv_contrast(key, shape, exponent_range):
    """Draws both exponents of `hsv_contrast`, independently and log-uniformly.

    log(exponent) ~ U(log lo, log hi), so with the default (1/4, 4) an exponent and its
    inverse are equally likely and the median is 1.

    Args:
      key: a `jax.random` key.
      exponent_range: (lo, hi) with 0 < lo <= hi.

    Returns:
      {"saturation_exponent": scalar, "value_exponent": scalar}, float32.

    Example:
      >>> params = sample_hsv_contrast(jax.random.key(0), (32, 32, 3), (0.25, 4.0))
      >>> {name: round(float(v), 3) for name, v in params.items()}
      {'saturation_exponent': 3.46, 'value_exponent': 3.769}
      >>> out = hsv_contrast(image_uint8, **params)
    """
    _checks.image_hw(shape)  # the rule of every sampler: (key, shape, ...)
    _checks.check_key(key)
    lo, hi = _checks.static_range(exponent_range, "exponent_range", positive=True)
    # One draw of two independent slots: each exponent has its own uniform.
    log_e = jax.random.uniform(key, (2,), jnp.float32, np.log(lo), np.log(hi))
    e = jnp.exp(log_e)
    return {"saturation_exponent": e[0], "value_exponent": e[1]}


def random_hsv_contrast(key, image, exponent_range, *, value_range=None):
    """`hsv_contrast` with both exponents log-uniform in `exponent_range`.

    Example:
      >>> out = random_hsv_contrast(key, image_uint8, (0.25, 4.0))
      >>> bool(jnp.all(out == hsv_contrast(image_uint8, **sample_hsv_contrast(key, image_uint8.shape, (0.25, 4.0)))))
      True
    """
    image = _images.check_image(image)
    params = sample_hsv_contrast(key, image.shape, exponent_range=exponent_range)
    return hsv_contrast(image, **params, value_range=value_range)


# --- grayscale -------------------------------------------------------------------------


def _luma(x):
    """(H, W, 3) float32 -> (H, W, 1) luma; elementwise, so no reduced-precision matmul."""
    wr, wg, wb = LUMA_WEIGHTS
    return (wr * x[..., 0] + wg * x[..., 1] + wb * x[..., 2])[..., None]


def to_grayscale(image):
    """Replaces every pixel by its luma Y = 0.299 R + 0.587 G + 0.114 B (ITU-R 601).

    The weights are PIL's "L" mode and `tf.image.rgb_to_grayscale`'s. The result keeps
    3 channels (Y, Y, Y), so it can stand in for the colour image.

    Args:
      image: (H, W, 3) RGB array; uint8, float16, bfloat16 or float32.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> gray = to_grayscale(image_uint8)
      >>> rgb = jnp.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]]], jnp.uint8)
      >>> tuple(map(tuple, to_grayscale(rgb)[0].tolist()))   # 0.299 * 255 = 76.2, ...
      ((76, 76, 76), (150, 150, 150), (29, 29, 29))
    """
    image = _rgb_image(image)
    x = image.astype(jnp.float32)
    return _images.restore(jnp.broadcast_to(_luma(x), x.shape), image.dtype)


def grayscale(image, weight, *, value_range=None):
    """Mixes the image with its grayscale: `(1 - weight) * x + weight * gray`.

    Args:
      image: (H, W, 3) RGB array; uint8, float16, bfloat16 or float32.
      weight: scalar in [0, 1] (may be traced); 0 keeps the image, 1 is `to_grayscale`.
      value_range: accepted (and validated) for uniformity; unused, since a blend of
        two in-range images stays in range.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> out = grayscale(image_uint8, 1.0)
      >>> red = jnp.array([[[255, 0, 0]]], jnp.uint8)
      >>> tuple(grayscale(red, 0.5)[0, 0].tolist())          # halfway to its luma 76.2
      (166, 38, 38)
    """
    image = _rgb_image(image)
    _images.value_range(image.dtype, value_range)
    weight = _checks.real_scalar(weight, "weight", minimum=0.0, maximum=1.0)
    x = image.astype(jnp.float32)
    return _images.restore((1.0 - weight) * x + weight * _luma(x), image.dtype)


def sample_grayscale(key, shape, probability):
    """Draws {"weight": 1.0 with `probability`, else 0.0} for `grayscale`.

    Args:
      key: a `jax.random` key.
      probability: chance of converting the image to grayscale, in [0, 1].

    Example:
      >>> tuple(float(sample_grayscale(jax.random.key(i), (32, 32, 3), 0.5)["weight"]) for i in range(8))
      (0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0)
    """
    return _coin_weight(key, shape, probability)


def random_grayscale(key, image, probability, *, value_range=None):
    """Converts the image to grayscale (3 equal channels) with the given probability.

    Example:
      >>> out = random_grayscale(jax.random.key(0), image_uint8, 0.2)
      >>> bool(jnp.all(random_grayscale(jax.random.key(0), image_uint8, 1.0) == to_grayscale(image_uint8)))
      True
    """
    image = _images.check_image(image)
    return grayscale(image, **sample_grayscale(key, image.shape, probability), value_range=value_range)


# --- invert ----------------------------------------------------------------------------


def invert(image, weight, *, value_range=None):
    """Inverts the image within its value range, blended by `weight`: PIL's `ImageOps.invert`.

    `out = (1 - weight) * x + weight * (lo + hi - x)`; with weight 1 on uint8 this is
    `255 - x` exactly, as `ImageOps.invert`.

    Args:
      image: (H, W, C) array; uint8, float16, bfloat16 or float32. Any channel count.
      weight: scalar in [0, 1] (may be traced); 0 keeps the image, 1 inverts it.
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> negative = invert(image_uint8, 1.0)
      >>> x = jnp.array([[[0.0, 0.25, 1.0]]])
      >>> tuple(invert(x, 1.0)[0, 0].tolist()), tuple(invert(x, 0.5)[0, 0].tolist())  # weight 0.5: mid-gray
      ((1.0, 0.75, 0.0), (0.5, 0.5, 0.5))
    """
    image = _images.check_image(image)
    lo, hi = _images.value_range(image.dtype, value_range)
    weight = _checks.real_scalar(weight, "weight", minimum=0.0, maximum=1.0)
    x = image.astype(jnp.float32)
    return _images.restore(x + weight * ((lo + hi) - 2.0 * x), image.dtype)


def sample_invert(key, shape, probability):
    """Draws {"weight": 1.0 with `probability`, else 0.0} for `invert`.

    Args:
      key: a `jax.random` key.
      probability: chance of inverting the image, in [0, 1].

    Example:
      >>> tuple(float(sample_invert(jax.random.key(i), (32, 32, 3), 0.5)["weight"]) for i in range(8))
      (0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0)
    """
    return _coin_weight(key, shape, probability)


def random_invert(key, image, probability, *, value_range=None):
    """Inverts the image with the given probability (see `invert`).

    Example:
      >>> out = random_invert(jax.random.key(0), image_uint8, 0.5)
      >>> bool(jnp.all(random_invert(jax.random.key(1), image_uint8, 0.5) == 255 - image_uint8))  # drew 1
      True
    """
    image = _images.check_image(image)
    return invert(image, **sample_invert(key, image.shape, probability), value_range=value_range)
