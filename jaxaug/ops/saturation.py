"""HSV saturation scaled by a factor uniform in `saturation_range`."""

from jaxaug import color
from jaxaug.ops._core import Op, Option

__all__ = ["OP"]

OP = Op(
    name="saturation", title="saturation", kind="pixel", stage=150, slot=5,
    units="HSV S × factor",
    doc="HSV saturation scaled by a factor uniform in `saturation_range`.",
    sample=color.sample_saturation, twin=color.saturation, random=color.random_saturation,
    hsv="saturation",
    options=(Option("saturation_range", None, "(lo, hi) factor of the HSV saturation."),),
    example=dict(saturation_range=(0.0, 2.0)),
)
