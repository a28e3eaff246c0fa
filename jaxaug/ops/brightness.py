"""Keras' multiplicative brightness: factor uniform in `brightness_range` (see `jaxaug.color.brightness`)."""

from jaxaug import color
from jaxaug.ops._core import Op, Option

__all__ = ["OP"]

OP = Op(
    name="brightness", title="brightness", kind="pixel", stage=130, fuses_with_warp=True, slot=3,
    units="Keras' factor: lo + (x − lo)·f, clipped",
    doc="Keras' multiplicative brightness: factor uniform in `brightness_range` (see `jaxaug.color.brightness`).",
    sample=color.sample_brightness, twin=color.brightness, random=color.random_brightness,
    options=(Option("brightness_range", None, "Keras' (lo, hi) multiplicative brightness factor.", keras=True),),
    example=dict(brightness_range=(0.5, 1.5)),
)
