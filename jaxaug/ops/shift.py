"""Translation with Keras' shift rules."""

from jaxaug import transforms
from jaxaug.ops._core import Op

__all__ = ["OP"]

OP = Op(
    name="shift", title="shift", kind="geometric", stage=60,
    units="Keras' rules; content moves down/right for positive values",
    doc="Translation with Keras' shift-range rules (fractions of the size when < 1, else pixels).",
    sample=transforms.sample_shift, twin=transforms.shift, random=transforms.random_shift,
    matrix=transforms.shift_matrix_centered, axis_aligned=True, drawn_by=("width_shift_range", "height_shift_range"),
    example=dict(height_shift_range=0.2, width_shift_range=0.2),
)
