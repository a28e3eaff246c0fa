"""Keras ImageDataGenerator's whole geometric transform: rotation @ shift @ shear @ zoom, then flips."""

import functools

from jaxaug import _checks, _pieces, geometry
from jaxaug.ops._core import Op, Option

__all__ = ["OP", "affine"]


def affine(*, rotation_range=0.0, width_shift_range=0.0, height_shift_range=0.0, shear_range=0.0, zoom_range=0.0,
           horizontal_flip=False, vertical_flip=False, isotropic_zoom=False):
    """Keras ImageDataGenerator's whole geometric transform, drawn as `jaxaug.sample_affine`.

    Example:
      >>> piece = jaxaug.pipeline.affine(rotation_range=20, zoom_range=0.2, horizontal_flip=True)
      >>> params = piece.sample(jax.random.key(0), (32, 32, 3))   # one image: degrees, zoom factors
      >>> round(float(params["rotation"]), 3), tuple(round(z, 3) for z in params["zoom"].tolist())
      (17.907, (0.924, 1.076))
      >>> jaxaug.Augmenter(piece)(jax.random.key(0), images).shape
      (4, 32, 32, 3)
    """
    options = dict(rotation_range=rotation_range, width_shift_range=width_shift_range,
                   height_shift_range=height_shift_range, shear_range=shear_range, zoom_range=zoom_range,
                   horizontal_flip=horizontal_flip, vertical_flip=vertical_flip, isotropic_zoom=isotropic_zoom)
    return _pieces.geometric(functools.partial(geometry.sample_affine, **options),
                             lambda shape, **p: geometry.affine_matrix(shape[:2], **p),
                             axis_aligned=not rotation_range and not shear_range)


def _bool(value, name):
    _checks.check_bool(value, name)


OP = Op(
    name="affine", title="IDG geometry", kind="geometric", stage=40, slot=0,
    units="Keras' distributions; degrees, fractions of the size (< 1) or pixels",
    sample=geometry.sample_affine, twin=geometry.affine_matrix, random=geometry.random_affine_matrix, piece=affine,
    options=(
        Option("rotation_range", 0.0, "degrees; the angle is uniform in [-r, r].", keras=True),
        Option("width_shift_range", 0.0, "horizontal shift: a fraction of W when < 1, pixels when >= 1 "
               "(Keras' int and list rules too).", keras=True),
        Option("height_shift_range", 0.0, "vertical shift, as `width_shift_range` with H.", keras=True),
        Option("shear_range", 0.0, "degrees (Keras' shear), uniform in [-r, r].", keras=True),
        Option("zoom_range", 0.0, "z: row and column factors uniform in [1 - z, 1 + z]; or (lo, hi).", keras=True),
        Option("isotropic_zoom", False, "one zoom factor for both axes instead of two independent ones.",
               switch=False, check=_bool),
        Option("horizontal_flip", False, "mirror left-right with probability 1/2.", keras=True),
        Option("vertical_flip", False, "mirror top-bottom with probability 1/2.", keras=True),
    ),
    example=dict(rotation_range=20, width_shift_range=0.2, height_shift_range=0.2, zoom_range=0.2,
                 horizontal_flip=True),
)
