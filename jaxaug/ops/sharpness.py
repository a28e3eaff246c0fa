"""Sharpness as a standalone op: PIL's `ImageEnhance.Sharpness`, the policies' sharpness, with a drawn factor.

torchvision's `RandomAdjustSharpness(sharpness_factor, p)` is `factor_range=sharpness_factor,
probability=p`; a range (lo, hi) draws the factor uniformly per image, as the policies'
magnitudes do. Factor 1 keeps the image, 0 gives PIL's SMOOTH-filtered image, above 1 sharpens;
see `jaxaug.enhance.sharpness` (the twin) for the arithmetic.

This op keeps its sampler here, beside its declaration: `jaxaug.ops.sharpness.sample_sharpness`;
the twin is `jaxaug.enhance.sharpness` (also `jaxaug.ops.sharpness.sharpness`) and
`jaxaug.ops.sharpness.random_sharpness` is derived.
"""

import jax
import jax.numpy as jnp

from jaxaug import _checks
from jaxaug.enhance import sharpness
from jaxaug.ops._core import Op, Option, unless_none

__all__ = ["OP", "random_sharpness", "sample_sharpness", "sharpness"]


def sample_sharpness(key, shape, factor_range, *, probability=1.0):
    """Draws {"factor": ()}: uniform in `factor_range` with `probability`, else 1 (the image kept).

    Args:
      key: a `jax.random` key.
      shape: the image's (H, W, C).
      factor_range: static; a number f >= 0 is the fixed factor f (torchvision's
        sharpness_factor), a pair (lo, hi) draws it uniformly.
      probability: static, in [0, 1]: the chance that the image is changed at all (torchvision's p).

    Example:
      >>> draw = jaxaug.ops.sharpness.sample_sharpness
      >>> float(draw(jax.random.key(0), (8, 8, 3), 2.0)["factor"])
      2.0
      >>> float(draw(jax.random.key(0), (8, 8, 3), 2.0, probability=0.0)["factor"])
      1.0
    """
    _checks.check_key(key)
    _checks.image_hw(shape)
    lo, hi = _checks.fixed_or_range(factor_range, "factor_range")
    probability = _checks.bounded_float(probability, "probability", 1.0)
    key_coin, key_factor = jax.random.split(key)
    factor = jax.random.uniform(key_factor, (), jnp.float32, lo, hi)
    return {"factor": jnp.where(jax.random.uniform(key_coin) < probability, factor, 1.0)}


# Before the blurs (sharpening a blurred image would undo them). Slot 31: a new slot.
OP = Op(
    name="sharpness", title="sharpness", kind="pixel", stage=195, slot=31,
    units="PIL's ImageEnhance.Sharpness factor, fixed or uniform in (lo, hi), applied with a probability",
    doc="Sharpness (torchvision's RandomAdjustSharpness, PIL's ImageEnhance.Sharpness): a blend with the "
        "SMOOTH-filtered image by a factor drawn per image.",
    sample=sample_sharpness, twin=sharpness,
    options=(Option("sharpness_range", None, "PIL's sharpness factor, a number (fixed) or (lo, hi); 1 keeps "
                    "the image, 0 smooths, above 1 sharpens; None is off.", "factor_range",
                    check=unless_none(_checks.fixed_or_range)),
             Option("sharpness_probability", 1.0, "the chance that an image's sharpness changes "
                    "(torchvision's RandomAdjustSharpness p).", "probability", switch=False,
                    check=lambda v, n: _checks.bounded_float(v, n, 1.0))),
    example=dict(factor_range=(2.0, 4.0)),
)
random_sharpness = OP.random
