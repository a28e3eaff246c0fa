"""Pad-and-crop: a whole-pixel translation, the border filled by the fill mode."""

from jaxaug import transforms
from jaxaug.ops._core import Op, Option

__all__ = ["OP"]

OP = Op(
    name="crop", title="pad-and-crop", kind="geometric", stage=100, slot=1,
    units="whole pixels in ±padding, border by `fill_mode`",
    doc="Pad-and-crop: a whole-pixel translation in [-padding, padding] on each axis (the border by `fill_mode`: "
        "\"constant\" for zero padding, \"reflect\" for reflection padding).",
    sample=transforms.sample_crop, twin=transforms.crop, random=transforms.random_crop,
    matrix=transforms.crop_matrix, axis_aligned=True,
    options=(Option("crop_padding", 0, "pixels of pad-and-crop translation, the border filled by `fill_mode` "
                    "(so \"nearest\" by default; `random_crop` alone defaults to \"constant\").", "padding"),),
    example=dict(padding=8),
)
