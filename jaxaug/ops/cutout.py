"""Cutout (DeVries & Taylor, 2017): a size x size square set to `value`; see `jaxaug.occlusion.random_cutout`."""

from jaxaug import _checks, occlusion
from jaxaug.ops._core import Op, Option

__all__ = ["OP"]

OP = Op(
    name="cutout", title="cutout", kind="pixel", stage=230, fuses_with_warp=True, slot=12,
    units="square side in pixels (int) or fraction of the shorter side",
    doc="Cutout (DeVries & Taylor, 2017): a size x size square set to `value`; see `jaxaug.occlusion.random_cutout`.",
    sample=occlusion.sample_cutout, twin=occlusion.erase, random=occlusion.random_cutout,
    twin_options=('value',),
    options=(Option("cutout_size", 0, "side of the cutout square: pixels if an int, a fraction of the shorter "
                    "side if a float in (0, 1] (so 1 is one pixel, 1.0 the whole side).", "size"),
             Option("cutout_probability", 1.0, "how often cutout is applied.", "probability", switch=False,
                    check=lambda v, name: _checks.bounded_float(v, name, 1.0)),),
    example=dict(size=20),
)
