"""Replaces a fraction `amount` of pixels by white (salt) or black (pepper) dots."""

from jaxaug import _checks, noise
from jaxaug.ops._core import Op, Option

__all__ = ["OP"]

OP = Op(
    name="salt_and_pepper", title="salt and pepper", kind="pixel", stage=220, fuses_with_warp=True, slot=11,
    units="fraction of pixels (all channels) set to white/black",
    doc="Replaces a fraction `amount` of pixels by white (salt) or black (pepper) dots.",
    sample=noise.sample_salt_and_pepper, twin=noise.salt_and_pepper, random=noise.random_salt_and_pepper,
    compact=(noise.seed_salt_and_pepper, noise.expand_salt_and_pepper),
    options=(Option("salt_and_pepper_amount", 0.0, "fraction of pixels replaced, scalar or (lo, hi).", "amount"),
             Option("salt_vs_pepper", 0.5, "the share of salt among them.", switch=False,
                    check=lambda v, name: _checks.bounded_float(v, name, 1.0)),),
    example=dict(amount=0.05),
)
