"""Additive Gaussian noise, sigma as a fraction of the value range, fixed (scalar) or uniform in (lo, hi)."""

from jaxaug import noise
from jaxaug.ops._core import Op, Option

__all__ = ["OP"]

OP = Op(
    name="gaussian_noise", title="Gaussian noise", kind="pixel", stage=210, slot=10,
    units="sigma as a fraction of the value range",
    doc="Additive Gaussian noise, sigma as a fraction of the value range, fixed (scalar) or uniform in (lo, hi).",
    sample=noise.sample_gaussian_noise, twin=noise.gaussian_noise, random=noise.random_gaussian_noise,
    compact=(noise.seed_gaussian_noise, noise.expand_gaussian_noise),
    options=(Option("gaussian_noise_sigma", 0.0, "noise sigma as a fraction of the value range, scalar or (lo, hi).",
                    "sigma_range"),),
    example=dict(sigma_range=0.08),
)
