"""Keras' shear about the image centre."""

from jaxaug import transforms
from jaxaug.ops._core import Op

OP = Op(
    name="shear", title="shear", kind="geometric", stage=70,
    units="degrees, Keras' shear",
    doc="Keras shear by an angle uniform in [-max_degrees, max_degrees] degrees.",
    sample=transforms.sample_shear, twin=transforms.shear, random=transforms.random_shear,
    matrix=transforms.shear_matrix_centered, drawn_by=("shear_range",),
    example=dict(max_degrees=20.0),
)
