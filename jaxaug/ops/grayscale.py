"""Converts to grayscale (ITU-R 601 luma, 3 channels kept) with the given probability."""

from jaxaug import color
from jaxaug.ops._core import Op, Option

__all__ = ["OP"]

OP = Op(
    name="grayscale", title="grayscale", kind="pixel", stage=180, slot=8,
    units="ITU-R 601 luma, 3 channels kept",
    doc="Converts to grayscale (ITU-R 601 luma, 3 channels kept) with the given probability.",
    sample=color.sample_grayscale, twin=color.grayscale, random=color.random_grayscale,
    options=(Option("grayscale_probability", 0.0, "probability of converting to grayscale.", "probability"),),
    example=dict(probability=0.5),
)
