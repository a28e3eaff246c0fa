"""Keras' zoom about the image centre."""

from jaxaug import transforms
from jaxaug.ops._core import Op

__all__ = ["OP"]

OP = Op(
    name="zoom", title="zoom", kind="geometric", stage=80,
    units="factors in [1 − z, 1 + z] or [lo, hi]; > 1 shrinks the content",
    doc="Keras zoom: factors uniform in [1 - z, 1 + z] (or [lo, hi]); one factor for both axes if `isotropic`.",
    sample=transforms.sample_zoom, twin=transforms.zoom, random=transforms.random_zoom,
    matrix=transforms.zoom_matrix_centered, axis_aligned=True, drawn_by=("zoom_range", "isotropic_zoom"),
    example=dict(zoom_range=0.3),
)
