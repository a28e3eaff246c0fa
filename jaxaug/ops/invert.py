"""Inverts the image within its value range (PIL's `ImageOps.invert`) with the given probability."""

from jaxaug import color
from jaxaug.ops._core import Op, Option

__all__ = ["OP"]

OP = Op(
    name="invert", title="invert", kind="pixel", stage=190, fuses_with_warp=True, slot=15,
    units="lo + hi − x (uint8: 255 − x, PIL's `ImageOps.invert`)",
    doc="Inverts the image within its value range (PIL's `ImageOps.invert`) with the given probability.",
    sample=color.sample_invert, twin=color.invert, random=color.random_invert,
    options=(Option("invert_probability", 0.0, "probability of inverting the image.", "probability"),),
    example=dict(probability=0.5),
)
