"""Keras' shear about the image centre."""

from jaxaug import transforms
from jaxaug.ops._core import Op

__all__ = ["OP"]

OP = Op(
    name="shear", title="shear", kind="geometric", stage=70,
    units="degrees, Keras' shear",
    doc="Keras shear by an angle uniform in [-max_angle, max_angle] degrees.",
    sample=transforms.sample_shear, twin=transforms.shear, random=transforms.random_shear,
    matrix=transforms.shear_matrix_centered, drawn_by=("shear_range",),
    example=dict(max_angle=20.0),
)
