"""Gamma correction, as torchvision's `adjust_gamma` and kornia's `RandomGamma` define it.

`out = lo + (hi - lo) * clip(gain * ((x - lo) / (hi - lo)) ** gamma, 0, 1)`: on images in
[0, 1] exactly torchvision's `F.adjust_gamma(img, gamma, gain)` and kornia's
`enhance.adjust_gamma` (uint8 results are rounded, where torchvision truncates). gamma < 1
brightens the mid-tones, gamma > 1 darkens them; black and white stay (for gain 1).

This op keeps its functions here, beside its declaration: `jaxaug.ops.gamma.sample_gamma`,
`jaxaug.ops.gamma.gamma` (the twin) and `jaxaug.ops.gamma.random_gamma` (derived from the two).
"""

import jax
import jax.numpy as jnp

from jaxaug import _checks, _images
from jaxaug.ops._core import Op, Option, unless_none

__all__ = ["OP", "gamma", "random_gamma", "sample_gamma"]


def gamma(image, gamma, *, gain=1.0, value_range=None):
    """Raises the image, scaled to [0, 1] within its value range, to the power `gamma`, times `gain`.

    Args:
      image: (H, W, C) array; uint8, float16, bfloat16 or float32. Any channel count.
      gamma: exponent > 0 (may be traced); 1 keeps the image.
      gain: factor >= 0 applied after the power (may be traced); the result is clipped.
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> out = jaxaug.ops.gamma.gamma(jnp.array([[[0.25, 0.5, 1.0]]]), 2.0)
      >>> tuple(round(v, 4) for v in out[0, 0].tolist())
      (0.0625, 0.25, 1.0)

      On uint8 the levels are scaled to [0, 1] and the result rounded: gamma 0.5 brightens
      (255 * sqrt(64 / 255) = 127.7), 2 darkens; `gain` scales after the power, clipped:

      >>> row = jnp.array([[[0, 64, 128, 255]]], jnp.uint8)
      >>> tuple(jaxaug.ops.gamma.gamma(row, 0.5)[0, 0].tolist()), tuple(jaxaug.ops.gamma.gamma(row, 2.0)[0, 0].tolist())
      ((0, 128, 181, 255), (0, 16, 64, 255))
      >>> tuple(jaxaug.ops.gamma.gamma(row, 1.0, gain=1.5)[0, 0].tolist())
      (0, 96, 192, 255)
    """
    image = _images.check_image(image)
    lo, hi = _images.value_range(image.dtype, value_range)
    g = _checks.real_scalar(gamma, "gamma", minimum=0.0)
    if not _checks.is_traced(g) and float(g) == 0.0:
        raise ValueError(f"gamma must be > 0 (0 would make every pixel white). Received: gamma={gamma!r}")
    k = _checks.real_scalar(gain, "gain", minimum=0.0)
    # Clipped to [0, 1] first: a float image a little outside its range must not give NaN (a negative base).
    unit = jnp.clip((image.astype(jnp.float32) - lo) / (hi - lo), 0.0, 1.0)
    out = lo + (hi - lo) * jnp.clip(k * _images.power(unit, g), 0.0, 1.0)
    return _images.restore(out, image.dtype)


def sample_gamma(key, shape, *, gamma_range=(0.5, 2.0), gain_range=(1.0, 1.0)):
    """Draws {"gamma": U(gamma_range), "gain": U(gain_range)}, kornia's `RandomGamma` rule.

    Args:
      key: a `jax.random` key.
      shape: the image's (H, W, C).
      gamma_range: (lo, hi) with 0 < lo <= hi.
      gain_range: (lo, hi) with 0 <= lo <= hi.

    Example:
      >>> params = jaxaug.ops.gamma.sample_gamma(jax.random.key(0), (32, 32, 3), gamma_range=(0.5, 2.0))
      >>> {name: round(float(v), 3) for name, v in params.items()}
      {'gamma': 1.763, 'gain': 1.0}
    """
    _checks.check_key(key)
    _checks.image_hw(shape)
    g_lo, g_hi = _checks.static_range(gamma_range, "gamma_range", minimum=0.0)
    if g_lo == 0.0:
        raise ValueError(f"gamma_range must lie above 0 (a gamma of 0 makes every pixel white). "
                         f"Received: gamma_range={gamma_range!r}")
    k_lo, k_hi = _checks.static_range(gain_range, "gain_range", minimum=0.0)
    key_gamma, key_gain = jax.random.split(key)
    return {"gamma": jax.random.uniform(key_gamma, (), jnp.float32, g_lo, g_hi),
            "gain": jax.random.uniform(key_gain, (), jnp.float32, k_lo, k_hi)}


def _gamma_range(value, name):
    lo, _ = _checks.static_range(value, name, minimum=0.0)
    if lo == 0.0:
        raise ValueError(f"{name} must lie above 0. Received: {name}={value!r}")


OP = Op(
    name="gamma", title="gamma", kind="pixel", stage=145, slot=18,
    units="exponent of the image scaled to [0, 1], uniform in (lo, hi); gain after it, clipped",
    doc="Gamma correction (torchvision's `adjust_gamma`) with gamma and gain drawn uniformly per image.",
    sample=sample_gamma, twin=gamma,
    options=(Option("gamma_range", None, "(lo, hi) gamma exponent, uniform (kornia's RandomGamma); < 1 "
                    "brightens the mid-tones.", check=unless_none(_gamma_range)),),
    example=dict(gamma_range=(0.5, 2.0)),
)
random_gamma = OP.random
