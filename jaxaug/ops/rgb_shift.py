"""albumentations' RGBShift: each channel shifted by its own amount, drawn per image, then clipped.

Shift c is uniform in [-limit_c, limit_c] levels, a level being 1/255 of the value range (one
uint8 step; 1/255 for float images in [0, 1]), added to channel c and clipped to the range: for
uint8 images exactly albumentations' `RGBShift(r_shift_limit, g_shift_limit, b_shift_limit)`
(its limits are in 0..255 pixel values). One shift per channel, any channel count: a single
limit serves them all. Pointwise, so it runs inside the warp's loop.

This op keeps its functions here, beside its declaration: `jaxaug.ops.rgb_shift.sample_rgb_shift`,
`jaxaug.ops.rgb_shift.rgb_shift` (the twin) and `jaxaug.ops.rgb_shift.random_rgb_shift` (derived).
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxaug import _checks, _images
from jaxaug.ops._core import Op, Option, unless_none

__all__ = ["OP", "random_rgb_shift", "rgb_shift", "sample_rgb_shift"]


def _limits(limits, name="limits"):
    """A static limit >= 0 for every channel, or one per channel (R, G, B): a tuple of floats."""
    if _checks.is_traced(limits):
        raise TypeError(f"{name} must be static numbers. Received: {name}={_checks.short_repr(limits)}")
    values = (limits,) if np.ndim(limits) == 0 else tuple(limits)
    if not values or np.ndim(limits) > 1:
        raise ValueError(f"{name} must be a number or one number per channel. Received: {name}={limits!r}")
    out = tuple(_checks.nonnegative_float(v, name) for v in values)
    for v in out:
        _checks.finite_draws(-v, v, name, limits)
    return out


def rgb_shift(image, shifts, *, value_range=None):
    """Adds `shifts[c]` levels (1/255 of the value range each) to channel c, clipped to the range.

    Args:
      image: (H, W, C); uint8, float16, bfloat16 or float32.
      shifts: (C,) shifts in levels (may be traced).
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> row = jnp.array([[[10, 100, 250]]], jnp.uint8)
      >>> tuple(jaxaug.ops.rgb_shift.rgb_shift(row, jnp.array([-20.0, 5.0, 20.0]))[0, 0].tolist())
      (0, 105, 255)
    """
    image = _images.check_image(image)
    shifts = _checks.real_array(shifts, "shifts")
    if shifts.shape != (image.shape[-1],):
        raise ValueError(f"shifts must have one value per channel, shape ({image.shape[-1]},). "
                         f"Received: shifts.shape={tuple(shifts.shape)}")
    lo, hi = _images.value_range(image.dtype, value_range)
    out = image.astype(jnp.float32) + shifts.astype(jnp.float32) * ((hi - lo) / 255.0)
    return _images.restore(jnp.clip(out, lo, hi), image.dtype)


def sample_rgb_shift(key, shape, *, limits=20.0):
    """Draws {"shifts": (C,)}: shift c uniform in [-limit_c, limit_c] levels.

    Args:
      key: a `jax.random` key.
      shape: the image's (H, W, C).
      limits: static, one limit >= 0 for every channel or one per channel (albumentations'
        r_shift_limit, g_shift_limit, b_shift_limit), in levels (0..255 steps).

    Example:
      >>> s = jaxaug.ops.rgb_shift.sample_rgb_shift(jax.random.key(0), (8, 8, 3), limits=(20, 0, 5))["shifts"]
      >>> s.shape, bool(abs(s[0]) <= 20), float(s[1]), bool(abs(s[2]) <= 5)
      ((3,), True, 0.0, True)
    """
    _checks.check_key(key)
    _checks.image_hw(shape)
    channels = shape[-1] if len(shape) == 3 else 1
    values = _limits(limits)
    if len(values) not in (1, channels):
        raise ValueError(f"limits must have one value or one per channel ({channels}). Received: limits={limits!r}")
    bound = jnp.broadcast_to(jnp.asarray(values, jnp.float32), (channels,))
    return {"shifts": jax.random.uniform(key, (channels,), jnp.float32, -1.0, 1.0) * bound}


# After Keras' channel shift: the per-channel colour cast, before contrast and the HSV edits.
# Slot 24: a new slot, so no existing draw moves.
OP = Op(
    name="rgb_shift", title="RGB shift", kind="pixel", stage=125, slot=24, fuses_with_warp=True,
    units="per-channel shift uniform in ±limit levels (1/255 of the range), clipped (albumentations' RGBShift)",
    doc="albumentations' RGBShift: each channel shifted by its own amount uniform in ±limit levels, clipped.",
    sample=sample_rgb_shift, twin=rgb_shift,
    options=(Option("rgb_shift_limit", 0.0, "albumentations' RGBShift: per-channel shift uniform in ±limit levels "
                    "(one number, or one per channel); 0 is off.", "limits", check=unless_none(_limits)),),
    example=dict(limits=(40.0, 0.0, 40.0)),
)
random_rgb_shift = OP.random
