"""Occlusion: blank out a rectangle of the image.

`erase` is the deterministic twin; Cutout (DeVries & Taylor, 2017) and Random
Erasing (Zhong et al., 2017) only draw its parameters. Rectangles are integer pixel
boxes, rows [top, top + height) x cols [left, left + width); they may stick out of
the image (or be empty), and only the part inside is erased::

    sample_cutout(key, shape, size)  ->  {"top", "left", "height", "width"}
    erase(image, **params, value=0.0)     the same image, box filled with `value`

Every op works on one (H, W, C) image; batch with `jax.vmap` over keys and images.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxaug import _checks, _fusion, _images

__all__ = [
    "box_mask",
    "check_box",
    "erase",
    "random_cutout",
    "random_erasing",
    "sample_cutout",
    "sample_erasing",
    "uniform_index",
]

# torchvision's RandomErasing draws up to 10 rectangles and keeps the first that fits.
_ERASING_TRIES = 10

_BOX_NAMES = ("top", "left", "height", "width")

# check_box, box_mask and uniform_index are shared with jaxaug.mixing (cutmix pastes a box);
# they are not in __all__.


def check_box(params: dict, shape: tuple) -> tuple:
    """Checks that every box parameter is an integer array of `shape`; returns them as int32."""
    out = []
    for name in _BOX_NAMES:
        value = _checks.real_array(params[name], name)
        if not jnp.issubdtype(value.dtype, jnp.integer):
            raise TypeError(
                f"{name} must be an integer number of pixels. Received: {name}={_checks.short_repr(params[name])} "
                f"of dtype {value.dtype}"
            )
        if value.shape != shape:
            raise ValueError(f"{name} must have shape {shape}. Received: {name}.shape={value.shape}")
        out.append(value.astype(jnp.int32))
    return tuple(out)


def box_mask(hw, top, left, height, width):
    """Boolean (..., H, W) mask of the box; int32 params of shape (...,).

    Comparisons against iotas keep shapes static, so the box may be traced, and
    clipping to the image is implicit.
    """
    h, w = hw
    rows = lax.broadcasted_iota(jnp.int32, (h, w), 0)
    cols = lax.broadcasted_iota(jnp.int32, (h, w), 1)
    top, left, height, width = (v[..., None, None] for v in (top, left, height, width))
    return (rows >= top) & (rows < top + height) & (cols >= left) & (cols < left + width)


def _fill_value(value, channels: int):
    if isinstance(value, (str, bytes)):
        raise TypeError(
            f"value must be a number or one number per channel (a random fill is not supported; "
            f"see random_erasing). Received: value={value!r}"
        )
    value = _checks.real_array(value, "value").astype(jnp.float32)
    _checks.finite_if_concrete(value, "value")
    if value.shape not in ((), (channels,)):
        raise ValueError(
            f"value must be a scalar or have shape ({channels},), one entry per channel. "
            f"Received: value.shape={value.shape}"
        )
    return value


def erase(image, top, left, height, width, *, value=0.0, value_range=None):
    """Fills the rectangle rows [top, top + height) x cols [left, left + width) with `value`.

    Args:
      image: (H, W, C) array, uint8, float16, bfloat16 or float32.
      top, left: integer pixel coordinates of the box's top-left corner; may be
        negative or past the image (only the part of the box inside is erased).
        Scalars, may be traced.
      height, width: integer box size in pixels; 0 or negative erases nothing.
      value: fill, a scalar or one value per channel (shape (C,)), in the units of
        the image (0..255 for uint8). May be traced.
      value_range: accepted for a uniform interface with the other pixel ops and
        checked, but unused: `value` is already in image units.

    Returns:
      The image with the box filled, same shape and dtype. Pixels outside the box are
      unchanged bit for bit; uint8 fills are rounded and clipped to [0, 255].

    Example:
      >>> out = erase(jnp.ones((32, 32, 3)), top=-4, left=10, height=8, width=8, value=0.5)
      >>> int((out[..., 0] == 0.5).sum())  # the 4 rows x 8 columns of the box inside the image
      32

      A uint8 fill is rounded (half to even) and clipped:

      >>> row = jnp.full((1, 6, 1), 200, jnp.uint8)
      >>> tuple(erase(row, 0, 1, 1, 3, value=300.0)[0, :, 0].tolist())
      (200, 255, 255, 255, 200, 200)
    """
    image = _images.check_image(image)
    _images.value_range(image.dtype, value_range)
    h, w, c = image.shape
    box = box_mask((h, w), *check_box(dict(top=top, left=left, height=height, width=width), ()))
    out = _fusion.where(box[..., None], _fill_value(value, c), image.astype(jnp.float32))
    return _images.restore(out, image.dtype)


def uniform_index(u, n):
    """An integer uniform in {0, ..., n - 1} from u ~ U[0, 1); n may be traced.

    The clip guards against float32 rounding `u * n` up to n when u is just below 1.
    """
    return jnp.minimum(jnp.floor(u * n), n - 1).astype(jnp.int32)


def _square_side(size, short_side: int) -> int:
    """Cutout's side in pixels: an int is pixels, a float in (0, 1] a fraction of the short side."""
    if not isinstance(size, (bool, np.bool_)):
        if isinstance(size, (int, np.integer)) and 1 <= size <= _checks.MAX_PIXELS:
            return int(size)
        if isinstance(size, (float, np.floating)) and 0.0 < size <= 1.0:
            return max(1, round(size * short_side))
    raise ValueError(
        f"size must be an int in [1, {_checks.MAX_PIXELS}] (pixels) or a float in (0, 1] (fraction of min(H, W)). "
        f"Received: size={_checks.short_repr(size)}"
    )


def sample_cutout(key, shape, size, *, probability=1.0):
    """Draws Cutout's square for one image (DeVries & Taylor, 2017).

    The square's centre pixel is uniform over the image, so near the border part of
    the square lies outside (as in the paper) and less than size x size pixels are
    erased. The square covers rows [centre - size // 2, centre - size // 2 + size).

    Args:
      key: a `jax.random` key, the only source of randomness.
      shape: image shape (H, W) or (H, W, C).
      size: side of the square: pixels if an int >= 1, a fraction of min(H, W) if a
        float in (0, 1] (rounded to whole pixels, at least 1).
      probability: chance of erasing at all, in [0, 1]; otherwise the box is empty.

    Returns:
      {"top", "left", "height", "width"}: int32 scalars for `erase`; height = width = 0
      when no erasing happens. top / left may be negative.

    Example:
      >>> params = sample_cutout(jax.random.key(0), (32, 32, 3), 16)
      >>> {name: int(v) for name, v in params.items()}  # rows 23 to 38: 9 of them inside
      {'top': 23, 'left': 2, 'height': 16, 'width': 16}
      >>> out = erase(image, **params)
      >>> int(sample_cutout(jax.random.key(0), (32, 32, 3), 16, probability=0.0)["height"])  # no erasing
      0
    """
    _checks.check_key(key)
    h, w = _checks.image_hw(shape)
    side = _square_side(size, min(h, w))
    p = _checks.bounded_float(probability, "probability", 1.0)
    erasing, u_row, u_col = jax.random.uniform(key, (3,))
    extent = jnp.where(erasing < p, side, 0).astype(jnp.int32)
    top = uniform_index(u_row, h) - side // 2
    left = uniform_index(u_col, w) - side // 2
    return {"top": top, "left": left, "height": extent, "width": extent}


def random_cutout(key, image, size, *, probability=1.0, value=0.0, value_range=None):
    """Cutout: erases a size x size square centred on a uniformly drawn pixel.

    Args:
      key: a `jax.random` key.
      image: (H, W, C) array, uint8 or floating.
      size: square side, pixels (int >= 1) or fraction of min(H, W) (float in (0, 1]).
      probability: chance of erasing, in [0, 1].
      value: fill, scalar or per channel (C,), in image units.
      value_range: see `erase` (unused).

    Returns:
      The image with the square (clipped to the image) filled; same shape and dtype.

    Example:
      >>> out = random_cutout(jax.random.key(0), image, 0.5, value=127)
      >>> int(jnp.any(out != image, axis=-1).sum())  # `sample_cutout`'s square: 9 rows x 16 inside
      144
    """
    image = _images.check_image(image)
    _fill_value(value, image.shape[-1])  # a bad fill fails before any sampling
    params = sample_cutout(key, image.shape, size, probability=probability)
    return erase(image, **params, value=value, value_range=value_range)


def sample_erasing(key, shape, *, probability=0.5, area_range=(0.02, 0.33), aspect_range=(0.3, 3.3)):
    """Draws Random Erasing's rectangle for one image, as torchvision's `RandomErasing`.

    With chance `probability`, tries 10 rectangles at once: area = H * W * U(area_range),
    aspect = height / width = exp(U(log aspect_range)), height = round(sqrt(area * aspect)),
    width = round(sqrt(area / aspect)) (round half to even, like Python). The first try
    with height < H and width < W wins and is placed uniformly fully inside the image;
    if none fits nothing is erased, as in torchvision.

    Args:
      key: a `jax.random` key, the only source of randomness.
      shape: image shape (H, W) or (H, W, C).
      probability: chance of erasing, in [0, 1] (torchvision's `p`).
      area_range: (lo, hi) fraction of the image area, 0 <= lo <= hi <= 1 (`scale`).
      aspect_range: (lo, hi) of height / width, 0 < lo <= hi (`ratio`).

    Returns:
      {"top", "left", "height", "width"}: int32 scalars for `erase`, all 0 when nothing
      is erased.

    Example:
      >>> params = sample_erasing(jax.random.key(0), (32, 32, 3), probability=1.0)
      >>> {name: int(v) for name, v in params.items()}  # always fully inside
      {'top': 19, 'left': 11, 'height': 13, 'width': 10}
    """
    _checks.check_key(key)
    h, w = _checks.image_hw(shape)
    p = _checks.bounded_float(probability, "probability", 1.0)
    area_lo, area_hi = _checks.static_range(area_range, "area_range", minimum=0.0)
    if area_hi > 1.0:
        raise ValueError(f"area_range must lie in [0, 1]. Received: area_range={area_range!r}")
    aspect_lo, aspect_hi = _checks.static_range(aspect_range, "aspect_range", positive=True)
    # One draw in fixed slots (one threefry call, as `sample_affine`): the tries' areas
    # and log-aspects, then the coin and the position. Bounds go into `uniform` itself.
    t = _ERASING_TRIES
    bounds = [(area_lo, area_hi)] * t + [(math.log(aspect_lo), math.log(aspect_hi))] * t + [(0.0, 1.0)] * 3
    lo, hi = np.asarray(bounds, np.float32).T
    u = jax.random.uniform(key, (len(bounds),), minval=lo, maxval=hi)
    area, log_aspect = h * w * u[:t], u[t : 2 * t]
    heights = jnp.round(jnp.sqrt(area * jnp.exp(log_aspect))).astype(jnp.int32)
    widths = jnp.round(jnp.sqrt(area * jnp.exp(-log_aspect))).astype(jnp.int32)
    fits = (heights < h) & (widths < w)
    first = jnp.argmax(fits)
    erasing = (u[2 * t] < p) & fits[first]
    height = jnp.where(erasing, heights[first], 0)
    width = jnp.where(erasing, widths[first], 0)
    top = jnp.where(erasing, uniform_index(u[2 * t + 1], h - height + 1), 0)
    left = jnp.where(erasing, uniform_index(u[2 * t + 2], w - width + 1), 0)
    return {"top": top, "left": left, "height": height, "width": width}


def random_erasing(
    key,
    image,
    *,
    probability=0.5,
    area_range=(0.02, 0.33),
    aspect_range=(0.3, 3.3),
    value=0.0,
    value_range=None,
):
    """Random Erasing (Zhong et al., 2017) with torchvision's `RandomErasing` sampling.

    See `sample_erasing` for how the rectangle is drawn. Differences from
    torchvision: images are channels-last and in their own units (torchvision usually
    erases normalised tensors), `value` is a scalar or per-channel fill only (no
    `value="random"` noise), and there is no `inplace`.

    Args:
      key: a `jax.random` key.
      image: (H, W, C) array, uint8 or floating.
      probability: chance of erasing, in [0, 1].
      area_range: (lo, hi) fraction of the image area, within [0, 1].
      aspect_range: (lo, hi) of height / width, > 0; drawn log-uniformly.
      value: fill, scalar or per channel (C,), in image units.
      value_range: see `erase` (unused).

    Returns:
      The image with at most one rectangle filled; same shape and dtype.

    Example:
      >>> out = random_erasing(jax.random.key(0), image, probability=1.0, value=(128, 102, 77))
      >>> tuple(out[19, 11].tolist()), int(jnp.any(out != image, axis=-1).sum())  # 13 x 10 pixels
      ((128, 102, 77), 130)
    """
    image = _images.check_image(image)
    _fill_value(value, image.shape[-1])  # a bad fill fails before any sampling
    params = sample_erasing(
        key, image.shape, probability=probability, area_range=area_range, aspect_range=aspect_range
    )
    return erase(image, **params, value=value, value_range=value_range)
