"""jaxaug: image augmentation as pure, jit/vmap-compiled functions of explicit PRNG keys.

Geometry is data (3x3 pull matrices, see `jaxaug.geometry`), composed by matrix
product and applied by one resampling pass (`affine_warp`).
"""

from jaxaug.geometry import (
    affine_matrix,
    centered,
    compose,
    flip_matrix,
    identity_matrix,
    random_affine,
    rotation_matrix,
    shear_matrix,
    shift_matrix,
    zoom_matrix,
)
from jaxaug.sample import sample_image
from jaxaug.warp import FILL_MODES, affine_warp

__version__ = "0.1.0"

__all__ = [
    "FILL_MODES",
    "affine_matrix",
    "affine_warp",
    "centered",
    "compose",
    "flip_matrix",
    "identity_matrix",
    "random_affine",
    "rotation_matrix",
    "sample_image",
    "shear_matrix",
    "shift_matrix",
    "zoom_matrix",
]
