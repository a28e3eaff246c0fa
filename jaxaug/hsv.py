"""RGB <-> HSV as `colorsys` defines it, and HSV edits that share one round trip.

H in [0, 1) as a fraction of a turn (red 0, green 1/3, blue 2/3), S in [0, 1], V = max(R, G, B),
on float arrays (..., 3) in [0, 1]. `in_hsv(image, edits)` converts once, applies every edit
(`hsv_edit("saturation" | "hue" | "hsv_contrast", ...)`) and converts back: consecutive HSV
pieces of a pipeline (`jaxaug.color`'s saturation, hue and HSV contrast) share one round trip.
"""

from __future__ import annotations

import jax.numpy as jnp
from jax import lax

from jaxaug import _checks, _images

__all__ = ["hsv_edit", "hsv_to_rgb", "in_hsv", "rgb_to_hsv"]


def _triples(x, name: str):
    x = _checks.real_array(x, name)
    if x.ndim == 0 or x.shape[-1] != 3:
        raise ValueError(f"{name} must have shape (..., 3). Received: {name}.shape={tuple(x.shape)}")
    return x.astype(jnp.promote_types(x.dtype, jnp.float32))


def rgb_to_hsv(rgb):
    """RGB -> HSV per pixel, exactly `colorsys.rgb_to_hsv`.

    Args:
      rgb: array (..., 3) of R, G, B in any non-negative units (0..1, 0..255, ...).

    Returns:
      Float array (..., 3): H in [0, 1) (fraction of a turn; 0 for grays), S in [0, 1]
      (0 for grays and black), V = max(R, G, B) in the input's units, so the
      conversion is scale-free. Gradients are finite everywhere (grays included).

    Example:
      >>> tuple(round(float(v), 3) for v in rgb_to_hsv(jnp.array([0.2, 0.4, 0.4])))   # cyan-ish
      (0.5, 0.5, 0.4)
    """
    rgb = _triples(rgb, "rgb")
    return jnp.stack(_hsv_planes(rgb[..., 0], rgb[..., 1], rgb[..., 2]), axis=-1)


def _hsv_planes(r, g, b):
    """`rgb_to_hsv` on three planes of one shape: (h, s, v) planes."""
    # Pick the branch by comparing the channels with each other, not with a separately
    # reduced max: XLA may compute a fused producer (e.g. a warp) twice with 1-ulp
    # differences, and then `g == max(r, g, b)` can be false for every channel, giving
    # a wrong hue (seen after a warp, depending on the batch size). Near ties the
    # branches agree, so any consistent choice is right.
    r_max = (r >= g) & (r >= b)
    g_max = ~r_max & (g >= b)
    maxc = jnp.where(r_max, r, jnp.where(g_max, g, b))
    minc = jnp.minimum(jnp.minimum(r, g), b)
    delta = maxc - minc
    gray = delta <= 0
    # Divide by safe denominators: a `where` after a 0/0 would still send NaN gradients.
    safe_delta = jnp.where(gray, 1.0, delta)
    s = jnp.where(gray, 0.0, delta / jnp.where(maxc == 0, 1.0, maxc))
    # colorsys' bc - gc is (g - b) / delta. The wrap into [0, 1) is x - floor(x): XLA's CPU
    # `jnp.mod` of floats is a scalar library call per element (the whole round trip ran
    # 2x slower with it).
    h = jnp.where(r_max, g - b, jnp.where(g_max, 2.0 * delta + b - r, 4.0 * delta + r - g)) / (6.0 * safe_delta)
    h = jnp.where(gray, 0.0, _frac(h))
    return h, s, maxc


def _frac(x):
    """x modulo 1, in [0, 1] (1 only where x is just below an integer and rounds up)."""
    return x - jnp.floor(x)


def hsv_to_rgb(hsv):
    """HSV -> RGB per pixel, exactly `colorsys.hsv_to_rgb` for H in [0, 1).

    Args:
      hsv: array (..., 3): H as a fraction of a turn (taken modulo 1, so any real H
        works; colorsys truncates negative H instead), S in [0, 1], V in any units.

    Returns:
      Float array (..., 3) of R, G, B in the units of V.

    Example:
      >>> tuple(round(float(v), 3) for v in hsv_to_rgb(jnp.array([0.5, 0.5, 0.4])))
      (0.2, 0.4, 0.4)
    """
    hsv = _triples(hsv, "hsv")
    return jnp.stack(_rgb_planes(hsv[..., 0], hsv[..., 1], hsv[..., 2]), axis=-1)


def _rgb_planes(h, s, v):
    """`hsv_to_rgb` on three planes of one shape: (r, g, b) planes."""
    return tuple(_rgb_channel(h, s, v, n) for n in (5.0, 3.0, 1.0))


def _rgb_channel(h, s, v, n):
    """One RGB channel of HSV, with no branch: V (1 - S clip(min(k, 4 - k), 0, 1)).

    k = (n + 6H) mod 6 and n = 5, 3, 1 for R, G, B (colorsys' six sectors as one formula);
    `n` may be an array, so that one expression gives every channel of an interleaved image.
    Selecting among sector values instead made XLA write a sector index and several
    intermediate planes to memory (saturation alone ran at 3.9x the warp instead of 2.5x).
    """
    h6 = _frac(h) * 6.0
    # k and 4 - k from h6 directly (a small integer minus h6 or h6 minus one), so that the
    # ramps keep colorsys' rounding (n + h6 would round h6 to the ulp of 4).
    wrap = h6 >= 6.0 - n
    up = jnp.where(wrap, h6 - (6.0 - n), h6 + n)
    down = jnp.where(wrap, (10.0 - n) - h6, (4.0 - n) - h6)
    return v * (1.0 - s * jnp.clip(jnp.minimum(up, down), 0.0, 1.0))


def in_hsv(image, edits, *, value_range=None):
    """Applies HSV edits `(h, s, v) -> (h, s, v)` in order, in ONE round trip through HSV.

    What a pipeline does with consecutive HSV ops (saturation, hue, HSV contrast): the
    image goes to HSV once and back once, instead of once per op (each round trip costs
    about as much as the warp). The edits are those of `hsv_edit(op, **params)`.

    Example:
      >>> grey = in_hsv(jnp.array([[[0.2, 0.4, 0.4]]]), [hsv_edit("saturation", factor=0.0)])
      >>> tuple(round(float(v), 3) for v in grey[0, 0])   # no saturation: V in every channel
      (0.4, 0.4, 0.4)
    """
    def edit(h, s, v):
        for one in edits:
            h, s, v = one(h, s, v)
        return h, s, v

    return _in_hsv(image, value_range, edit, uses_hue=any(getattr(one, "uses_hue", True) for one in edits))


def hsv_edit(op: str, **params):
    """The HSV edit of `saturation`, `hue` or `hsv_contrast` with `params`.

    Its `uses_hue` attribute says whether it reads or changes H (edits without it are
    assumed to); a round trip whose edits all keep H skips computing it.
    """
    if op == "saturation":
        factor = _checks.real_scalar(params["factor"], "factor", minimum=0.0)
        return _edit(lambda h, s, v: (h, jnp.clip(s * factor, 0.0, 1.0), v), uses_hue=False)
    if op == "hue":
        delta = _checks.real_scalar(params["delta"], "delta")
        return _edit(lambda h, s, v: (_frac(h + delta), s, v), uses_hue=True)
    if op == "hsv_contrast":
        se = _checks.real_scalar(params["saturation_exponent"], "saturation_exponent", positive=True)
        ve = _checks.real_scalar(params["value_exponent"], "value_exponent", positive=True)
        return _edit(lambda h, s, v: (h, _images.power(s, se), _images.power(v, ve)), uses_hue=False)
    raise ValueError(f"op must be 'saturation', 'hue' or 'hsv_contrast'. Received: op={op!r}")


def _edit(fn, *, uses_hue: bool):
    fn.uses_hue = uses_hue
    return fn


def _in_hsv(image, value_range, edit, *, uses_hue=True):
    """Applies `edit(h, s, v) -> (h, s, v)` in HSV with V normalised to [0, 1].

    Pixels are first mapped to [0, 1] by `(x - lo) / (hi - lo)` and clipped there, so
    HSV is well defined whatever the range (e.g. (-1, 1)); the result goes back to the
    original units. With `uses_hue=False`, `edit` gets None for H and must return it.
    """
    image = _images.check_image(image)
    if image.shape[-1] != 3:
        raise ValueError(f"image must have 3 (RGB) channels. Received: image.shape={tuple(image.shape)}")
    lo, hi = _images.value_range(image.dtype, value_range)
    x = jnp.clip((image.astype(jnp.float32) - lo) / (hi - lo), 0.0, 1.0)
    # One expression per output element: its pixel's H, S, V from the three channels (kept
    # (..., 1) so they broadcast), then its own channel's formula. Stacking three computed
    # planes instead made XLA select among them per element in a loop it did not vectorise:
    # saturation or hue alone cost 4.3x the warp at 32x224x224x3 uint8 (Zen 4), 1.5x this way.
    r, g, b = x[..., 0:1], x[..., 1:2], x[..., 2:3]
    if uses_hue:
        h, s, v = edit(*_hsv_planes(r, g, b))
        # n = 5, 3, 1 for R, G, B, from the channel index.
        out = _rgb_channel(h, s, v, 5.0 - 2.0 * lax.broadcasted_iota(jnp.float32, x.shape, x.ndim - 1))
    else:
        # H is kept, so each channel keeps its place on the hue's ramp, (V - c) / (V - min)
        # (colorsys' formula solved for the ramp; it lies in [0, 1] after rounding too), and
        # c' = V' (1 - S' ramp) needs no H: HSV contrast ran at 2.0x the warp this way, 4.4x
        # through H. V and S equal `_hsv_planes`' bit for bit (S is 0 where V - min is).
        v = jnp.maximum(jnp.maximum(r, g), b)
        delta = v - jnp.minimum(jnp.minimum(r, g), b)
        _, s2, v2 = edit(None, delta / jnp.where(v > 0, v, 1.0), v)
        # One division per pixel, not per channel; max(., 0) because rounding may take
        # V' - k (V - min) a hair below zero where S' is 1.
        k = v2 * s2 / jnp.where(delta > 0, delta, 1.0)
        out = jnp.maximum(v2 - k * (v - x), 0.0)
    return _images.restore(out * (hi - lo) + lo, image.dtype)
