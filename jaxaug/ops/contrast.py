"""Contrast about each channel's mean, factor uniform in `contrast_range`."""

from jaxaug import color
from jaxaug.ops._core import Op, Option

__all__ = ["OP"]

OP = Op(
    name="contrast", title="contrast", kind="pixel", stage=140, slot=4,
    units="factor about each channel's mean",
    doc="Contrast about each channel's mean, factor uniform in `contrast_range`.",
    sample=color.sample_contrast, twin=color.contrast, random=color.random_contrast,
    options=(Option("contrast_range", None, "(lo, hi) factor of each channel's distance to its mean."),),
    example=dict(contrast_range=(0.4, 1.6)),
)
