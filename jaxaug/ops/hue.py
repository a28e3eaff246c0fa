"""Hue rotated by a fraction of a turn uniform in [-max_delta, max_delta] (max_delta <= 0.5)."""

from jaxaug import color
from jaxaug.ops._core import Op, Option

OP = Op(
    name="hue", title="hue", kind="pixel", stage=160, slot=6,
    units="fraction of a turn, ≤ 0.5",
    doc="Hue rotated by a fraction of a turn uniform in [-max_delta, max_delta] (max_delta <= 0.5).",
    sample=color.sample_hue, twin=color.hue, random=color.random_hue,
    hsv="hue",
    options=(Option("hue_range", 0.0, "largest hue change, in fractions of a turn (<= 0.5).", "max_delta"),),
    example=dict(max_delta=0.3),
)
