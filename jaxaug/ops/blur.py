"""Gaussian blur (scale space), equal to `scipy.ndimage.gaussian_filter`."""

import functools

from jaxaug import _checks, _pieces, filters
from jaxaug.ops._core import Op, Option

__all__ = ["OP", "blur"]


def blur(sigma_range, *, truncate=4.0):
    """Gaussian blur (scale space) with sigma in pixels, fixed (scalar) or uniform in (lo, hi).

    The kernel has 2 * int(truncate * max_sigma + 0.5) + 1 taps per axis; see `jaxaug.filters.gaussian_blur`.

    Example:
      >>> piece = jaxaug.pipeline.blur((0.5, 1.5))
      >>> round(float(piece.sample(jax.random.key(0), (32, 32, 3))["sigma"]), 3)
      1.448
      >>> flat = jnp.full((1, 32, 32, 3), 100, jnp.uint8)       # the taps sum to 1: flat stays flat
      >>> bool(jnp.all(jaxaug.Augmenter(piece)(jax.random.key(0), flat) == 100))
      True
    """
    # Every image of a batch runs the taps of the largest sigma the range allows: one program for all draws.
    max_sigma = _checks.fixed_or_range(sigma_range, "sigma_range", maximum=filters.MAX_RADIUS)[1]
    return _pieces.pixel(functools.partial(filters.sample_gaussian_blur, sigma_range=sigma_range),
                         filters.gaussian_blur, max_sigma=max_sigma, truncate=truncate)


OP = Op(
    name="blur", title="Gaussian blur (scale space)", kind="pixel", stage=200, slot=9,
    units="sigma in pixels; 2·int(4σ + 0.5) + 1 taps, = `scipy.ndimage.gaussian_filter`",
    sample=filters.sample_gaussian_blur, twin=filters.gaussian_blur, random=filters.random_gaussian_blur, piece=blur,
    options=(Option("blur_sigma_range", 0.0, "Gaussian blur sigma in pixels, scalar (fixed) or (lo, hi).",
                    "sigma_range"),),
    example=dict(sigma_range=(0.5, 2.0)),
)
