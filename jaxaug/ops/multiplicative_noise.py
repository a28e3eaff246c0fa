"""Multiplicative noise: the image times factors drawn per image, channel, pixel or element."""

from jaxaug import _checks, noise
from jaxaug.ops._core import Op, Option, unless_none

__all__ = ["OP"]

# After the Gaussian noise, before salt and pepper (dots stay black and white). Slot 32: a new slot.
OP = Op(
    name="multiplicative_noise", title="multiplicative noise", kind="pixel", stage=212, slot=32,
    fuses_with_warp=True,
    units="factor uniform in (lo, hi), per image, channel, pixel or element (albumentations' MultiplicativeNoise)",
    doc="Multiplicative noise (albumentations' MultiplicativeNoise): the image times factors uniform in "
        "(lo, hi), one per image, channel, pixel or element.",
    sample=noise.sample_multiplicative_noise, twin=noise.multiplicative_noise,
    random=noise.random_multiplicative_noise,
    compact=(noise.seed_multiplicative_noise, noise.expand_multiplicative_noise),
    options=(Option("multiplicative_noise_range", None, "factor range, a number (fixed) or (lo, hi), as "
                    "albumentations' MultiplicativeNoise multiplier; None is off.", "multiplier_range",
                    check=unless_none(_checks.fixed_or_range)),
             Option("multiplicative_noise_per_channel", False, "one factor per channel.", "per_channel",
                    switch=False, check=_checks.check_bool),
             Option("multiplicative_noise_elementwise", False, "one factor per pixel (per element with "
                    "per_channel).", "elementwise", switch=False, check=_checks.check_bool)),
    example=dict(multiplier_range=(0.5, 1.5), elementwise=True),
)
