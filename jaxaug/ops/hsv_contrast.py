"""The tutorial's HSV contrast: S and V raised to exponents log-uniform in `exponent_range`, H kept."""

from jaxaug import color
from jaxaug.ops._core import Op, Option

__all__ = ["OP"]

OP = Op(
    name="hsv_contrast", title="HSV contrast (the tutorial's)", kind="pixel", stage=170, slot=7,
    units="S and V raised to exponents log-uniform in (0.25, 4); H kept",
    doc="The tutorial's HSV contrast: S and V raised to exponents log-uniform in `exponent_range`, H kept.",
    sample=color.sample_hsv_contrast, twin=color.hsv_contrast, random=color.random_hsv_contrast,
    hsv="hsv_contrast",
    options=(Option("hsv_contrast_range", None, "(lo, hi) exponents for S and V, log-uniform (the tutorial uses "
                    "(0.25, 4)).", "exponent_range"),),
    example=dict(exponent_range=(0.25, 4.0)),
)
