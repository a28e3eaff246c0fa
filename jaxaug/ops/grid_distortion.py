"""albumentations' GridDistortion: each axis cut into cells whose widths are stretched at random, in the one resample.

Along each axis of n pixels, with step = n // num_steps, band i of pixels (i * step up to the
next band; the last band, i = num_steps, takes the n - num_steps * step pixels left) reads a
linear ramp of input positions from prev_i to cur_i = prev_i + step * s_i, where s_i = 1 + U(lo, hi)
is the band's stretch and prev_0 = 0; band i's pixel j reads prev_i + (cur_i - prev_i) * j / m_i,
m_i its number of pixels, so the ramp ends where the next band starts. With `normalized`
(albumentations' default) the last stretch is scaled by m_num_steps / step and then all of them
so that the ramps end at n: the image stays inside itself, and stretches of 1 are the identity.
Rows and columns draw their own num_steps + 1 stretches.

That is albumentations 2.0's GridDistortion (`generate_grid`, `normalize_grid_distortion_steps`):
the same draw and the same positions at every band's first pixel (tests/test_distortions.py
compares the maps), with two of its slips left out. Its ramps include their end, so the last
pixel of a band reads where the next band's first pixel reads, and the image's last row and
column read one pixel past the image: with its default constant border they are the fill
colour even at distort_limit 0. And when n % num_steps >= step (small images), its pixels past
band num_steps read position 0; here the last band takes them.

The map is a displacement field (`jaxaug.dense`): the row offset depends on the row only and
the column offset on the column only, so per image it costs two short tables, and with other
geometry in the chain the image is still resampled once. Masks follow with order 0, keypoints
and boxes by inverting the field.

This op keeps its functions here, beside its declaration:
`jaxaug.ops.grid_distortion.sample_grid_distortion`, `jaxaug.ops.grid_distortion.grid_distortion`
(the twin), `jaxaug.ops.grid_distortion.random_grid_distortion` and
`jaxaug.ops.grid_distortion.grid_distortion_field` (the draw -> the displacement field).
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxaug import _checks, _fusion, _images, dense
from jaxaug.ops._core import Op, Option, unless_none

__all__ = ["OP", "grid_distortion", "grid_distortion_field", "random_grid_distortion", "sample_grid_distortion"]


def _num_steps(num_steps, h: int, w: int) -> int:
    _checks.check_int(num_steps, "num_steps", 1)
    if num_steps > min(h, w):
        # albumentations divides by size // num_steps, which is then 0.
        raise ValueError(f"num_steps must be at most the image's shorter side {min(h, w)} (a cell of at least one "
                         f"pixel). Received: num_steps={num_steps!r}")
    return int(num_steps)


def _limit(distort_limit, name="distort_limit"):
    return _checks.symmetric_range(distort_limit, name, 1.0)


def sample_grid_distortion(key, shape, *, num_steps=5, distort_limit=0.3, normalized=True):
    """Draws {"stretches": (2, num_steps + 1)}: each cell's stretch 1 + U(lo, hi), rows then columns.

    Args:
      key: a `jax.random` key, the only source of randomness.
      shape: the image shape (H, W) or (H, W, C).
      num_steps: static int in [1, min(H, W)]: cells per side.
      distort_limit: static l in [0, 1] for U(-l, l), or a pair (lo, hi) within [-1, 1].
      normalized: static bool, albumentations' `normalized` (not used by the draw; see
        `grid_distortion_field`).

    Returns:
      {"stretches": float32 (2, num_steps + 1)}: row 0 the rows' cells, row 1 the columns'.

    Example:
      >>> params = jaxaug.ops.grid_distortion.sample_grid_distortion(jax.random.key(0), (32, 32, 3))
      >>> params["stretches"].shape, bool(jnp.all(jnp.abs(params["stretches"] - 1) <= 0.3))
      ((2, 6), True)
    """
    _checks.check_key(key)
    h, w = _checks.image_hw(shape)
    steps = _num_steps(num_steps, h, w)
    lo, hi = _limit(distort_limit)
    _checks.check_bool(normalized, "normalized")
    return {"stretches": 1.0 + jax.random.uniform(key, (2, steps + 1), jnp.float32, lo, hi)}


def _bands(n: int, num_steps: int):
    """Static per pixel: (band, fraction of the band's ramp), and the last band's size."""
    step = n // num_steps
    u = np.arange(n)
    band = np.minimum(u // step, num_steps)
    last = n - num_steps * step
    length = np.where(band == num_steps, last, step)
    return band, ((u - band * step) / np.maximum(length, 1)).astype(np.float32), last


def _axis_offsets(n: int, stretches, normalized: bool):
    """Displacement (n,) of one axis: where each pixel reads, minus the pixel."""
    num_steps = stretches.shape[-1] - 1
    step = n // num_steps
    band, fraction, last = _bands(n, num_steps)
    s = stretches.astype(jnp.float32)
    if normalized:
        s = s.at[-1].multiply(last / step)
        s = s * ((n / step) / jnp.sum(s))
    ends = step * jnp.cumsum(s)
    starts = jnp.concatenate([jnp.zeros(1, jnp.float32), ends[:-1]])
    return starts[band] + (ends[band] - starts[band]) * fraction - np.arange(n, dtype=np.float32)


def grid_distortion_field(shape, stretches, *, normalized=True, output_shape=None):
    """The displacement field (H', W', 2), in pixels (rows, columns), of a draw of `sample_grid_distortion`.

    Args:
      shape: the image shape (H, W) or (H, W, C) the stretches were drawn for.
      stretches: (2, num_steps + 1) from `sample_grid_distortion` (may be traced).
      normalized: static bool: rescale the stretches so each axis' ramps end at its size
        (albumentations' default), so the image stays inside itself.
      output_shape: static (H', W') to stretch the field onto (default (H, W)).

    Returns:
      float32 (H', W', 2): the row offset depends on the row only, the column offset on the column.

    Example:
      Stretches of 1 everywhere are the identity.

      >>> field = jaxaug.ops.grid_distortion.grid_distortion_field((30, 30), jnp.ones((2, 6)))
      >>> field.shape, float(jnp.abs(field).max())
      ((30, 30, 2), 0.0)
    """
    h, w = _checks.image_hw(shape)
    stretches = _checks.real_array(stretches, "stretches")
    if stretches.ndim != 2 or stretches.shape[0] != 2 or stretches.shape[1] < 2:
        raise ValueError(f"stretches must have shape (2, num_steps + 1) (see sample_grid_distortion). "
                         f"Received: stretches.shape={tuple(stretches.shape)}")
    _num_steps(stretches.shape[1] - 1, h, w)
    _checks.check_bool(normalized, "normalized")
    rows = _axis_offsets(h, stretches[0], normalized)
    cols = _axis_offsets(w, stretches[1], normalized)
    out_h, out_w = (h, w) if output_shape is None else output_shape
    if (out_h, out_w) != (h, w):
        rows = jax.image.resize(rows, (out_h,), "linear")
        cols = jax.image.resize(cols, (out_w,), "linear")
    # Two short tables in memory: the per-pixel field is their broadcast, read where the warp reads.
    rows, cols = _fusion.materialize((rows, cols))
    return jnp.stack([jnp.broadcast_to(rows[:, None], (out_h, out_w)),
                      jnp.broadcast_to(cols[None, :], (out_h, out_w))], axis=-1)


def grid_distortion(image, stretches, *, normalized=True, order=1, fill_mode="nearest", cval=0.0):
    """Warps `image` by the grid distortion of `stretches` (a draw of `sample_grid_distortion`), in one resample.

    Args:
      image: (H, W, C); uint8 or floating.
      stretches: (2, num_steps + 1) from `sample_grid_distortion`.
      normalized: see `grid_distortion_field`.
      order, fill_mode, cval: resampling options of `jaxaug.affine_warp`.

    Returns:
      Same shape and dtype as `image`.

    Example:
      A wider first column cell pulls the left of the picture to the right.

      >>> x = jnp.tile(jnp.arange(8, dtype=jnp.uint8)[None, :, None], (8, 1, 1))
      >>> s = jnp.array([[1.0, 1.0, 1.0], [2.0, 0.5, 0.5]])   # rows unchanged; columns: 2 cells
      >>> tuple(jaxaug.ops.grid_distortion.grid_distortion(x, s)[0, :, 0].tolist())
      (0, 2, 3, 5, 6, 7, 7, 7)
    """
    image = _images.check_image(image)
    field = grid_distortion_field(image.shape, stretches, normalized=normalized)
    return dense.dense_warp(image, field, order=order, fill_mode=fill_mode, cval=cval)


def random_grid_distortion(key, image, *, num_steps=5, distort_limit=0.3, normalized=True, order=1,
                           fill_mode="nearest", cval=0.0):
    """albumentations' `GridDistortion(num_steps, distort_limit, normalized, p=1)`: `grid_distortion` of a draw.

    Args:
      key: a `jax.random` key, the only source of randomness.
      image: (H, W, C); uint8 or floating.
      num_steps, distort_limit, normalized: see `sample_grid_distortion`.
      order, fill_mode, cval: resampling options of `jaxaug.affine_warp`.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> out = jaxaug.ops.grid_distortion.random_grid_distortion(jax.random.key(0), image, distort_limit=0.3)
      >>> out.shape, out.dtype
      ((32, 32, 3), dtype('uint8'))

      It is the twin applied to the sampler's draw from the same key:

      >>> params = jaxaug.ops.grid_distortion.sample_grid_distortion(jax.random.key(0), image.shape)
      >>> bool(jnp.all(out == jaxaug.ops.grid_distortion.grid_distortion(image, **params)))
      True
    """
    image = _images.check_image(image)
    params = sample_grid_distortion(key, image.shape, num_steps=num_steps, distort_limit=distort_limit,
                                    normalized=normalized)
    return grid_distortion(image, **params, normalized=normalized, order=order, fill_mode=fill_mode, cval=cval)


def _field(shape, out_hw, stretches, *, num_steps, distort_limit, normalized):
    return grid_distortion_field(shape, stretches, normalized=normalized, output_shape=out_hw)


# After the elastic deformation; slot 21: a new slot, so no existing draw moves.
OP = Op(
    name="grid_distortion", title="grid distortion", kind="geometric", stage=48, slot=21,
    units="each of num_steps + 1 cells per axis stretched by 1 + U(-limit, limit) (albumentations' GridDistortion)",
    doc="albumentations' GridDistortion: the cells of a num_steps grid stretched at random per axis, in the one "
        "resample.",
    sample=sample_grid_distortion, twin=grid_distortion, random=random_grid_distortion,
    field=_field,
    options=(Option("grid_distortion_limit", 0.0, "albumentations' GridDistortion distort_limit: each cell "
                    "stretched by 1 + U(-l, l) (or a pair (lo, hi)), within [-1, 1]; 0 is off.", "distort_limit",
                    check=unless_none(_limit)),
             Option("grid_distortion_steps", 5, "grid distortion's cells per side (static).", "num_steps",
                    switch=False, check=lambda v, n: _checks.check_int(v, n, 1))),
    example=dict(num_steps=5, distort_limit=0.3),
)
