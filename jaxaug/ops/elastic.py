"""Elastic deformation: pixels displaced by a smoothed random field, in the geometry's one resample.

The field is albumentations' `ElasticTransform(alpha, sigma, noise_distribution="uniform")`:
each of its two components (rows, columns) is uniform noise in [-1, 1] per pixel, smoothed by a
Gaussian of standard deviation `sigma` pixels and multiplied by `alpha`, so displacements are
`alpha` times a field whose standard deviation is about 1 / (sqrt(12 pi) sigma) (0.033 for
sigma 5). torchvision's `ElasticTransform(alpha, sigma)` is the same field with alpha halved
(its grid spans [-1, 1], two units for the image's size): its `alpha=100` is our `alpha=50`.

Computed at the cost it needs: the noise is drawn on a grid of one point every `step` =
max(1, int(sigma / 1.5)) pixels, scaled by 1 / step (so that, smoothed, it has the variance
the full-resolution field has), smoothed there with sigma / step and interpolated bilinearly
to every pixel. For sigma 5 that is a ninth of the points and 15 taps per axis instead of 41;
against the full-resolution definition (40 draws of 96 x 96, sigma 3, 5, 8) the field's
standard deviation came out 0.5 %, 2.3 % and 4.0 % lower, and its correlation at lags 1,
sigma / 2 and sigma within 0.014 (tests/test_elastic.py checks both).

The field adds to the coordinates each output pixel reads (`jaxaug.dense`): with other
geometry in the chain, the image is still resampled once; masks follow with order 0,
keypoints and boxes by inverting the displacement.

This op keeps its functions here, beside its declaration: `jaxaug.ops.elastic.sample_elastic`,
`jaxaug.ops.elastic.elastic` (the twin), `jaxaug.ops.elastic.random_elastic` and
`jaxaug.ops.elastic.elastic_field` (the draw -> the displacement field).
"""

import jax
import jax.numpy as jnp

from jaxaug import _checks, _fusion, _images, dense, filters
from jaxaug.ops._core import Op, Option, unless_none

__all__ = ["OP", "elastic", "elastic_field", "random_elastic", "sample_elastic"]


def _sigma(sigma, name="sigma") -> float:
    value = _checks.nonnegative_float(sigma, name)
    if value > 1024.0:
        raise ValueError(f"{name} must be at most 1024 pixels. Received: {name}={sigma!r}")
    return value


def _alpha(alpha, name="alpha"):
    if _checks.is_traced(alpha):
        return alpha
    return _checks.nonnegative_float(alpha, name)


def _step(sigma: float) -> int:
    """The noise grid's spacing in pixels: 1.5 grid points per sigma at least."""
    return max(1, int(sigma / 1.5))


def _grid_shape(h: int, w: int, step: int) -> tuple[int, int]:
    """Grid points covering rows 0..h-1 (and one more, for the interpolation past the last)."""
    return -(-h // step) + 1, -(-w // step) + 1


def sample_elastic(key, shape, *, alpha=50.0, sigma=5.0):
    """Draws {"noise": (gh, gw, 2)}: the uniform noise of `elastic`'s field on its coarse grid.

    Args:
      key: a `jax.random` key, the only source of randomness.
      shape: the image shape (H, W) or (H, W, C).
      alpha: the field's scale in pixels, >= 0 (not used by the draw; see `elastic`).
      sigma: static smoothing in pixels, in [0, 1024]; it sets the grid (one point every
        max(1, int(sigma / 1.5)) pixels).

    Returns:
      {"noise": float32 (gh, gw, 2)}, uniform in [-1, 1], gh = ceil(H / step) + 1 (gw alike).

    Example:
      >>> params = jaxaug.ops.elastic.sample_elastic(jax.random.key(0), (32, 32, 3), sigma=5.0)
      >>> params["noise"].shape   # one point every 3 pixels, and one more
      (12, 12, 2)
    """
    _checks.check_key(key)
    h, w = _checks.image_hw(shape)
    _alpha(alpha)
    step = _step(_sigma(sigma))
    return {"noise": jax.random.uniform(key, (*_grid_shape(h, w, step), 2), jnp.float32, -1.0, 1.0)}


def _upsample(grid, step: int, size: int, axis: int):
    """Linear interpolation along `axis` from points every `step` pixels to `size` pixels."""
    if step == 1:
        return jax.lax.slice_in_dim(grid, 0, size, axis=axis)
    frac = jnp.arange(step, dtype=jnp.float32) / step
    lo = jax.lax.slice_in_dim(grid, 0, grid.shape[axis] - 1, axis=axis)
    hi = jax.lax.slice_in_dim(grid, 1, grid.shape[axis], axis=axis)
    shape = [1] * (grid.ndim + 1)
    shape[axis + 1] = step
    frac = frac.reshape(shape)
    out = jnp.expand_dims(lo, axis + 1) * (1 - frac) + jnp.expand_dims(hi, axis + 1) * frac
    out = out.reshape(*grid.shape[:axis], -1, *grid.shape[axis + 1:])
    return jax.lax.slice_in_dim(out, 0, size, axis=axis)


def elastic_field(shape, noise, *, alpha=50.0, sigma=5.0, output_shape=None):
    """The displacement field (H, W, 2), in pixels (rows, columns), of a draw of `sample_elastic`.

    Args:
      shape: the image shape (H, W) or (H, W, C) the noise was drawn for.
      noise: (gh, gw, 2) from `sample_elastic` (may be traced).
      alpha: the field's scale in pixels, >= 0 (may be traced).
      sigma: static smoothing in pixels, as given to `sample_elastic`.
      output_shape: static (H', W') to stretch the field onto (default (H, W)).

    Returns:
      float32 (H', W', 2): alpha times the smoothed noise, interpolated to every pixel.

    Example:
      >>> params = jaxaug.ops.elastic.sample_elastic(jax.random.key(0), (32, 32), sigma=4.0)
      >>> field = jaxaug.ops.elastic.elastic_field((32, 32), **params, alpha=30.0, sigma=4.0)
      >>> field.shape, bool(jnp.abs(field).max() < 30.0)
      ((32, 32, 2), True)
    """
    h, w = _checks.image_hw(shape)
    sigma = _sigma(sigma)
    alpha = _alpha(alpha)
    step = _step(sigma)
    noise = _checks.real_array(noise, "noise")
    if tuple(noise.shape) != (*_grid_shape(h, w, step), 2):
        raise ValueError(f"noise must have shape {(*_grid_shape(h, w, step), 2)} for an image of {(h, w)} and "
                         f"sigma {sigma} (see sample_elastic). Received: noise.shape={tuple(noise.shape)}")
    # Scaled by 1 / step: smoothed with sigma / step on the coarse grid, it has the variance the
    # full-resolution field has (a smoothed white noise's variance goes as 1 / sigma**2 in grid units).
    grid = noise.astype(jnp.float32) / step
    sigma_grid = sigma / step
    radius = filters._radius(sigma_grid, 4.0)
    if radius > 0:
        taps = filters._taps(sigma_grid, radius, radius)
        grid = filters._correlate(filters._correlate(grid, taps, axis=0), taps, axis=1)
        # In memory before the interpolation: fused into it, the taps ran once per pixel instead
        # of once per grid point (the field cost 10x more).
        grid = _fusion.materialize(grid)
    field = _upsample(_upsample(grid, step, h, 0), step, w, 1) * alpha
    if output_shape is not None and tuple(output_shape) != (h, w):
        field = jax.image.resize(field, (*output_shape, 2), "linear")
    return field


def elastic(image, noise, *, alpha=50.0, sigma=5.0, order=1, fill_mode="nearest", cval=0.0):
    """Warps `image` by the elastic field of `noise` (a draw of `sample_elastic`), in one resample.

    Args:
      image: (H, W, C); uint8 or floating.
      noise: (gh, gw, 2) from `sample_elastic` for this image's shape and `sigma`.
      alpha, sigma: as `elastic_field`'s.
      order, fill_mode, cval: resampling options of `jaxaug.affine_warp`.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> params = jaxaug.ops.elastic.sample_elastic(jax.random.key(0), image.shape, sigma=4.0)
      >>> out = jaxaug.ops.elastic.elastic(image, **params, alpha=0.0, sigma=4.0)
      >>> bool(jnp.all(out == image))   # alpha 0: no displacement
      True
    """
    image = _images.check_image(image)
    field = elastic_field(image.shape, noise, alpha=alpha, sigma=sigma)
    return dense.dense_warp(image, field, order=order, fill_mode=fill_mode, cval=cval)


def random_elastic(key, image, *, alpha=50.0, sigma=5.0, order=1, fill_mode="nearest", cval=0.0):
    """albumentations' `ElasticTransform(alpha, sigma, noise_distribution="uniform")`: `elastic` of a draw.

    Args:
      key: a `jax.random` key, the only source of randomness.
      image: (H, W, C); uint8 or floating.
      alpha, sigma: see `elastic_field`.
      order, fill_mode, cval: resampling options of `jaxaug.affine_warp`.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> out = jaxaug.ops.elastic.random_elastic(jax.random.key(0), image, alpha=20.0, sigma=4.0)
      >>> out.shape, out.dtype
      ((32, 32, 3), dtype('uint8'))

      It is the twin applied to the sampler's draw from the same key:

      >>> params = jaxaug.ops.elastic.sample_elastic(jax.random.key(0), image.shape, sigma=4.0)
      >>> bool(jnp.all(out == jaxaug.ops.elastic.elastic(image, **params, alpha=20.0, sigma=4.0)))
      True
    """
    image = _images.check_image(image)
    params = sample_elastic(key, image.shape, alpha=alpha, sigma=sigma)
    return elastic(image, **params, alpha=alpha, sigma=sigma, order=order, fill_mode=fill_mode, cval=cval)


def _field(shape, out_hw, noise, *, alpha, sigma):
    return elastic_field(shape, noise, alpha=alpha, sigma=sigma, output_shape=out_hw)


# After the Keras geometry and the perspective: the content is first moved, then deformed.
# Slot 20: a new slot, so no existing draw moves.
OP = Op(
    name="elastic", title="elastic deformation", kind="geometric", stage=47, slot=20,
    units="alpha: displacement scale in pixels; sigma: smoothing in pixels (albumentations' ElasticTransform)",
    doc="albumentations' ElasticTransform (uniform noise): pixels displaced by alpha times a random field "
        "smoothed with sigma, in the one resample.",
    sample=sample_elastic, twin=elastic, random=random_elastic, field=_field,
    options=(Option("elastic_alpha", 0.0, "elastic deformation's scale in pixels (albumentations' alpha; "
                    "torchvision's alpha is twice it); 0 is off.", "alpha", check=unless_none(_alpha)),
             Option("elastic_sigma", 5.0, "elastic deformation's smoothing in pixels (static).", "sigma",
                    switch=False, check=lambda v, n: _sigma(v, n))),
    example=dict(alpha=20.0, sigma=4.0),
)
