"""Mirror left-right and/or top-bottom, exactly."""

from jaxaug import transforms
from jaxaug.ops._core import Op

__all__ = ["OP"]

OP = Op(
    name="flip", title="flip", kind="geometric", stage=90,
    units="probability ½ each; exact",
    doc="Mirror left-right (and/or top-bottom), each with probability 1/2.",
    sample=transforms.sample_flip, twin=transforms.flip, random=transforms.random_flip,
    matrix=transforms.flip_matrix_centered, axis_aligned=True, drawn_by=("horizontal_flip", "vertical_flip"),
    example=dict(horizontal=True, vertical=True),
)
