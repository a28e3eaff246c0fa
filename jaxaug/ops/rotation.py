"""Rotation about the image centre, an angle uniform in ±max_angle."""

from jaxaug import transforms
from jaxaug.ops._core import Op

__all__ = ["OP"]

OP = Op(
    name="rotation", title="rotation", kind="geometric", stage=50,
    units="degrees, counter-clockwise, uniform in ±max",
    doc="Rotation by an angle uniform in [-max_angle, max_angle] degrees.",
    sample=transforms.sample_rotation, twin=transforms.rotation, random=transforms.random_rotation,
    matrix=transforms.rotation_matrix_centered, drawn_by=("rotation_range",),
    example=dict(max_angle=30.0),
)
