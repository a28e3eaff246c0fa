"""Keras' `channel_shift_range`: one offset uniform in [-intensity, intensity], in pixel units."""

from jaxaug import color
from jaxaug.ops._core import Op, Option

__all__ = ["OP"]

OP = Op(
    name="channel_shift", title="channel shift", kind="pixel", stage=120, slot=2,
    units="Keras: one offset in pixel units, clipped to the image's own min/max",
    doc="Keras' `channel_shift_range`: one offset uniform in [-intensity, intensity], in pixel units.",
    sample=color.sample_channel_shift, twin=color.channel_shift, random=color.random_channel_shift,
    options=(Option("channel_shift_range", 0.0, "Keras' channel shift, in pixel units (0..255 for uint8).",
                    "intensity", keras=True),),
    example=dict(intensity=60.0),
)
