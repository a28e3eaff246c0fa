"""Tone curves of the augmentation policies, with PIL's semantics: posterize, solarize, autocontrast, equalize.

AutoAugment, RandAugment and TrivialAugment were defined on 8-bit images through PIL's
`ImageOps`; these twins reproduce them. On uint8 images they act on the levels 0..255 as PIL
does; other images are mapped to that scale through their `value_range` (default (0, 1) for
floats), the curve is applied there, and the result is mapped back. Every parameter may be
traced, so a batch can give each image its own magnitude under `jax.vmap`.

Example:
  >>> out = jaxaug.tone.posterize(image_uint8, 4)          # PIL: ImageOps.posterize(img, 4)
  >>> thresholds = jnp.linspace(64.0, 192.0, len(images))     # one per image
  >>> out = jax.vmap(jaxaug.tone.solarize)(images, thresholds)
  >>> out.shape, out.dtype
  ((4, 32, 32, 3), dtype('uint8'))

A float image goes through the 0..255 scale of its value range, (0, 1) by default:

  >>> tuple(jaxaug.tone.solarize(jnp.array([[[0.25, 0.75]]]), 128)[0, 0].tolist())
  (0.25, 0.25)
"""

from __future__ import annotations

import jax.numpy as jnp

from jaxaug import _checks, _images

__all__ = [
    "autocontrast",
    "channel_extremes",
    "equalize",
    "equalize_levels",
    "equalize_table",
    "lookup",
    "posterize",
    "posterize_levels",
    "solarize",
    "solarize_add",
    "solarize_levels",
    "stretch_levels",
]

_LEVELS = 256


def posterize(image, bits, *, value_range=None):
    """Keeps the `bits` most significant bits of each 8-bit level: `ImageOps.posterize`.

    Args:
      image: (H, W, C) array; uint8, float16, bfloat16 or float32.
      bits: integer in [1, 8] (may be traced); 8 keeps the image.
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      Same shape and dtype as `image`; on uint8 exactly PIL's result.

    Example:
      >>> out = posterize(image_uint8, 3)
      >>> row = jnp.array([[[0], [100], [127], [128], [200], [255]]], jnp.uint8)
      >>> tuple(posterize(row, 3)[0, :, 0].tolist())  # multiples of 2 ** (8 - 3), rounded down
      (0, 96, 96, 128, 192, 224)
    """
    image, x, bounds = _images.to_levels(image, value_range)
    bits = _checks.real_scalar(bits, "bits", minimum=1.0, maximum=8.0)
    return _images.from_levels(image, posterize_levels(x, bits), bounds)


def posterize_levels(x, bits):
    """Levels (float32, 0..255) with their `bits` most significant bits kept."""
    step = jnp.exp2(8.0 - bits)
    # Levels are integers in float32 and steps powers of two: floor is exact, as PIL's bit mask.
    return jnp.floor(x / step) * step


def solarize(image, threshold, *, value_range=None):
    """Inverts every level at or above `threshold`: `ImageOps.solarize`.

    Args:
      image: (H, W, C) array; uint8, float16, bfloat16 or float32.
      threshold: level on the 0..255 scale (may be traced); 256 keeps the image, 0 inverts all.
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      Same shape and dtype as `image`; on uint8 exactly PIL's result.

    Example:
      >>> out = solarize(image_uint8, 128)
      >>> row = jnp.array([[[0], [100], [127], [128], [200], [255]]], jnp.uint8)
      >>> tuple(solarize(row, 128)[0, :, 0].tolist())  # 128 and above become 255 - x
      (0, 100, 127, 127, 55, 0)
    """
    image, x, bounds = _images.to_levels(image, value_range)
    threshold = _checks.real_scalar(threshold, "threshold")
    return _images.from_levels(image, solarize_levels(x, threshold), bounds)


def solarize_levels(x, threshold):
    """Levels (float32, 0..255) at or above `threshold` inverted."""
    return jnp.where(x < threshold, x, 255.0 - x)


def solarize_add(image, addition, *, threshold=128.0, value_range=None):
    """Adds `addition` to the levels below `threshold`, clipped to 255 (AutoAugment's SolarizeAdd).

    The op of the AutoAugment and RandAugment reference code (TensorFlow), which PIL lacks:
    `where(x < threshold, clip(x + addition, 0, 255), x)`.

    Args:
      image: (H, W, C) array; uint8, float16, bfloat16 or float32.
      addition: levels added on the 0..255 scale (may be traced and negative).
      threshold: level on the 0..255 scale (may be traced).
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats.

    Example:
      >>> out = solarize_add(image_uint8, 40)
      >>> row = jnp.array([[[0], [100], [127], [128], [200], [255]]], jnp.uint8)
      >>> tuple(solarize_add(row, 40)[0, :, 0].tolist())  # below 128: + 40
      (40, 140, 167, 128, 200, 255)
    """
    image, x, bounds = _images.to_levels(image, value_range)
    addition = _checks.real_scalar(addition, "addition")
    threshold = _checks.real_scalar(threshold, "threshold")
    return _images.from_levels(image, jnp.where(x < threshold, jnp.clip(x + addition, 0.0, 255.0), x), bounds)


def _flat_index(levels):
    """Index of each integer level of an (H, W, C) image in a flat (C * 256,) per-channel table."""
    return levels.astype(jnp.int32) + _LEVELS * jnp.arange(levels.shape[-1], dtype=jnp.int32)


def _histograms(levels):
    """(C, 256) int32 counts of the integer levels of an (H, W, C) image, per channel."""
    # One scalar index per element into a flat table: half the index bytes of a (channel,
    # level) pair, and 1.3-5x faster on CPU (Zen 4, 32x32 to 224x224).
    c = levels.shape[-1]
    counts = jnp.zeros(c * _LEVELS, jnp.int32).at[_flat_index(levels).reshape(-1)].add(1, mode="promise_in_bounds")
    return counts.reshape(c, _LEVELS)


def lookup(table, levels):
    """table[c, levels[..., c]] for a (C, 256) table: one gather per element."""
    return table.reshape(-1).at[_flat_index(levels)].get(mode="promise_in_bounds")


def channel_extremes(x):
    """Per-channel (min, max) of an (H, W, C) image, each (C,)."""
    # Reduced over rows of the (H, W * C) view first: an elementwise min of contiguous rows,
    # which vectorises; XLA's CPU reduction over (H, W) with C innermost runs strided (27x
    # slower at 224x224, Zen 4).
    rows = x.reshape(x.shape[0], -1)
    lo = jnp.min(rows, axis=0).reshape(-1, x.shape[-1]).min(axis=0)
    hi = jnp.max(rows, axis=0).reshape(-1, x.shape[-1]).max(axis=0)
    return lo, hi


def _quantized(x):
    """Levels rounded to the 8-bit grid (integers stay), as PIL sees any image."""
    return jnp.clip(jnp.round(x), 0.0, 255.0)


def autocontrast(image, *, value_range=None):
    """Stretches each channel so that its darkest level becomes 0 and its brightest 255: `ImageOps.autocontrast`.

    PIL's defaults (no cutoff): per channel, with lo and hi the smallest and largest level
    present, `out = int((x - lo) * 255 / (hi - lo))` clipped to 0..255, and the channel is kept
    when hi <= lo. Here the quotient is exact; PIL computes `x * scale + offset` in float64,
    which lands a hair below an integer for a few (lo, hi), so PIL is then one level lower.

    Example:
      >>> out = autocontrast(image_uint8)
      >>> tuple(out.min(axis=(0, 1)).tolist()), tuple(out.max(axis=(0, 1)).tolist())
      ((0, 0, 0), (255, 255, 255))
      >>> tuple(autocontrast(jnp.array([[[50], [100], [150]]], jnp.uint8))[0, :, 0].tolist())  # rounded down
      (0, 127, 255)
    """
    image, x, bounds = _images.to_levels(image, value_range)
    q = _quantized(x)
    return _images.from_levels(image, stretch_levels(q, *channel_extremes(q)), bounds)


def stretch_levels(q, lo, hi):
    """Integer levels q (float32, (..., C)) stretched so that per-channel `lo` -> 0 and `hi` -> 255.

    `(q - lo) * 255 // (hi - lo)` exactly; a channel with hi <= lo is kept.
    """
    stretched = jnp.clip(_exact_quotient((q - lo) * 255.0, jnp.maximum(hi - lo, 1.0)), 0.0, 255.0)
    return jnp.where(hi > lo, stretched, q)


def _exact_quotient(a, b):
    """floor(a / b) for integer-valued float32 0 <= a < 2**24 and b >= 1, exactly.

    In float32, XLA may turn v * 255 / span into v * (255 / span), which lands below an exact
    integer (242 * 255 / 242 gave 254.99998); CPUs have no vector integer division. So: a
    quotient through the reciprocal, then corrected by one where the exact products disagree.
    """
    q = jnp.floor(a * (1.0 / b))
    q = jnp.where((q + 1.0) * b <= a, q + 1.0, q)
    return jnp.where(q * b > a, q - 1.0, q)


def equalize_table(levels):
    """(C, 256) int32: the level each level of each channel becomes under `equalize`.

    `levels` is an (H, W, C) array of integer levels 0..255 (uint8, or integer-valued floats).
    """
    h = _histograms(levels)  # (C, 256)
    present = h > 0
    last_level = 255 - jnp.argmax(present[:, ::-1], axis=1)
    last = jnp.take_along_axis(h, last_level[:, None], axis=1)[:, 0]
    step = (h.sum(axis=1) - last) // 255
    keep = (present.sum(axis=1) <= 1) | (step == 0)
    safe_step = jnp.where(keep, 1, step)
    before = jnp.cumsum(h, axis=1) - h  # counts of the levels below each level
    lut = jnp.minimum((safe_step[:, None] // 2 + before) // safe_step[:, None], 255)
    return jnp.where(keep[:, None], jnp.arange(_LEVELS)[None, :], lut)


def equalize_levels(levels):
    """`equalize` of a uint8 (H, W, C) image of levels, without the value-range round trip."""
    return lookup(equalize_table(levels).astype(jnp.uint8), levels)


def equalize(image, *, value_range=None):
    """Equalizes each channel's histogram: `ImageOps.equalize`, with its integer arithmetic.

    Per channel, with `h` the histogram of the levels and `last` the count of the highest
    level present: `step = (sum(h) - last) // 255`; if the channel has one level or step is
    0 it is kept, else level i maps to `(step // 2 + h[0] + ... + h[i - 1]) // step`.

    Example:
      >>> out = equalize(image_uint8)

      Three levels, 300 pixels each, spread over the whole range; with 100 pixels each, step
      is 0 and the image is kept (as PIL):

      >>> x = jnp.repeat(jnp.array([100, 110, 120], jnp.uint8), 300).reshape(30, 30, 1)
      >>> tuple(np.unique(equalize(x)).tolist())
      (0, 150, 255)
      >>> x = jnp.repeat(jnp.array([100, 110, 120], jnp.uint8), 100).reshape(10, 30, 1)
      >>> tuple(np.unique(equalize(x)).tolist())
      (100, 110, 120)
    """
    image, x, bounds = _images.to_levels(image, value_range)
    q = _quantized(x)
    return _images.from_levels(image, lookup(equalize_table(q).astype(jnp.float32), q), bounds)
