"""Hue rotated by a fraction of a turn, uniform in `hue_range`."""

from jaxaug import color
from jaxaug.ops._core import Op, Option

__all__ = ["OP"]

OP = Op(
    name="hue", title="hue", kind="pixel", stage=160, slot=6,
    units="fraction of a turn, ≤ 0.5",
    doc="Hue rotated by a fraction of a turn uniform in `hue_range`: (lo, hi) in [-0.5, 0.5], or m for (-m, m).",
    sample=color.sample_hue, twin=color.hue, random=color.random_hue,
    hsv="hue",
    options=(Option("hue_range", 0.0, "hue change in fractions of a turn, uniform in (lo, hi) within [-0.5, 0.5], or "
                    "in (-m, m) for a number m <= 0.5."),),
    example=dict(hue_range=0.3),
)
