"""torchvision's RandomPerspective: the image's corners moved inward by random whole pixels, as one projective matrix.

Each corner of the image moves towards the inside, along each axis, by a whole number of
pixels drawn uniformly in {0, ..., bound - 1}, with bound = int(distortion_scale * (size // 2)) + 1
for that axis: torchvision v2's `RandomPerspective.make_params` (and v1's `get_params`). The
pull matrix maps the moved corners back to the image's corners (`jaxaug.projective_matrix`), so
the picture shrinks towards the inside and the warp's fill mode fills the border. It composes
with the other geometry into one matrix and one resample; a pipeline that holds it warps with
`projective=True` (declared below), the others keep the affine warp.

Corners are pixel centres: the top-left is (0, 0), the bottom-right (H - 1, W - 1). torchvision
draws the same integers but applies the matrix to PIL's pixel-edge coordinates, half a pixel
off ours; the distribution of the corner moves is the same. torchvision's `p` (apply with
probability p, 0.5 by default) is `jaxaug.pipeline.random_apply(perspective(...), p)`; here the
op always applies (a distortion_scale of 0 is the identity, exactly).

This op keeps its functions here, beside its declaration: `jaxaug.ops.perspective.sample_perspective`,
`jaxaug.ops.perspective.perspective` (the twin), `jaxaug.ops.perspective.random_perspective` and
`jaxaug.ops.perspective.perspective_matrix` (corners -> the pull matrix).
"""

import jax
import jax.numpy as jnp

from jaxaug import _checks, _images, geometry
from jaxaug.ops._core import Op, Option, unless_none
from jaxaug.warp import affine_warp

__all__ = ["OP", "perspective", "perspective_matrix", "random_perspective", "sample_perspective"]

# torchvision's corner order: top-left, top-right, bottom-right, bottom-left; here as (row, col).
# Per corner and axis, the direction "inward": +1 from the top / left edge, -1 from the bottom / right.
_INWARD = ((1.0, 1.0), (1.0, -1.0), (-1.0, -1.0), (-1.0, 1.0))


def _image_corners(h, w):
    """The four corner pixel centres (row, col) of an (h, w) image, in torchvision's order; h, w may be traced."""
    bottom, right = jnp.asarray(h, jnp.float32) - 1.0, jnp.asarray(w, jnp.float32) - 1.0
    zero = jnp.zeros((), jnp.float32)
    return jnp.stack([jnp.stack([zero, zero]), jnp.stack([zero, right]), jnp.stack([bottom, right]),
                      jnp.stack([bottom, zero])])


def perspective_matrix(shape, corners):
    """The pull matrix of `perspective`: the image's corners land at `corners` in the output.

    Args:
      shape: the image shape (H, W) or (H, W, C).
      corners: (4, 2) positions (row, col), pixel centres, where the input's top-left,
        top-right, bottom-right and bottom-left corner pixels land (may be traced). Concrete
        ones must be finite with no three on one line (ValueError).

    Returns:
      (3, 3) float32 projective pull matrix (`jaxaug.projective_matrix(corners, image corners)`).
      Where no perspective exists, it is the identity: an image with a side of one pixel (its
      corners lie on one line), and traced corners with three on one line (which
      `sample_perspective` draws now and then at distortion_scale 1, or on images of two pixels
      a side, as torchvision's rule does).

    Example:
      >>> m = jaxaug.ops.perspective.perspective_matrix((32, 32), jnp.array([[0, 0], [0, 31], [31, 31], [31, 0]]))
      >>> bool(jnp.all(m == jnp.eye(3)))   # the corners stay: the identity, exactly
      True
    """
    h, w = _checks.image_hw(shape)
    corners = _checks.real_array(corners, "corners")
    if corners.shape != (4, 2):
        raise ValueError(f"corners must have shape (4, 2): the (row, col) of the top-left, top-right, bottom-right "
                         f"and bottom-left corners. Received: corners.shape={tuple(corners.shape)}")
    _checks.finite_if_concrete(corners, "corners")
    if not (isinstance(h, int) and isinstance(w, int) and min(h, w) == 1):
        geometry._check_quadrilateral(corners, "corners")
    return _matrix(h, w, corners)


def _matrix(h, w, corners):
    """`perspective_matrix` of checked (or drawn) corners: the identity where no perspective exists."""
    image_corners = _image_corners(h, w)
    m = geometry._projective_solve(corners, image_corners)
    return jnp.where(_flat(corners) | _flat(image_corners), jnp.eye(3, dtype=jnp.float32), m)


def _flat(points):
    """True when three of the four (row, col) points lie on one line (within float32 rounding)."""
    points = jnp.asarray(points, jnp.float32)
    spread = jnp.max(jnp.max(points, axis=0) - jnp.min(points, axis=0))
    areas = []
    for i, j, k in ((0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3)):
        u, v = points[j] - points[i], points[k] - points[i]
        areas.append(jnp.abs(u[0] * v[1] - u[1] * v[0]))
    return jnp.min(jnp.stack(areas)) <= 1e-6 * spread**2


def _distortion(value, name: str) -> float:
    """A static distortion scale in [0, 1] (torchvision's rule), named when it is not."""
    return _checks.bounded_float(value, name, 1.0)


def sample_perspective(key, shape, *, distortion_scale=0.5):
    """Draws {"corners": (4, 2)}: where the image's corners land, torchvision's `RandomPerspective` rule.

    Along each axis of size n, every corner moves inward by an integer uniform in
    {0, ..., int(distortion_scale * (n // 2))}, independently (torchvision's `randint(0, bound)`
    and `randint(n - bound, n)`, with bound = int(distortion_scale * (n // 2)) + 1). The bound is
    computed in float64 as torchvision does when `shape` is static (a traced size, in a ragged
    batch, computes it in float32).

    Args:
      key: a `jax.random` key, the only source of randomness.
      shape: the image shape (H, W) or (H, W, C).
      distortion_scale: static number in [0, 1]: how far a corner may move, as a fraction of
        half the size. 0 leaves the image as it is.

    Returns:
      {"corners": (4, 2) float32}, (row, col) pixel centres of the moved top-left, top-right,
      bottom-right and bottom-left corners, whole numbers.

    Example:
      >>> params = jaxaug.ops.perspective.sample_perspective(jax.random.key(0), (32, 32, 3))
      >>> tuple(map(tuple, params["corners"].astype(int).tolist()))
      ((8, 8), (2, 27), (26, 30), (29, 6))
    """
    _checks.check_key(key)
    h, w = _checks.image_hw(shape)
    scale = _distortion(distortion_scale, "distortion_scale")

    def bound(n):  # the number of choices along an axis of size n
        if isinstance(n, int):
            return float(int(scale * (n // 2)) + 1)
        return jnp.floor(jnp.float32(scale) * (n // 2).astype(jnp.float32)) + 1.0

    bounds = jnp.stack([jnp.asarray(bound(h), jnp.float32), jnp.asarray(bound(w), jnp.float32)])
    u = jax.random.uniform(key, (4, 2), jnp.float32)
    moves = jnp.minimum(jnp.floor(u * bounds), bounds - 1.0)
    return {"corners": _image_corners(h, w) + jnp.asarray(_INWARD, jnp.float32) * moves}


def perspective(image, corners, *, order=1, fill_mode="nearest", cval=0.0):
    """Warps `image` so that its corners land at `corners` (a perspective), in one resample.

    Args:
      image: (H, W, C) (or a batch (N, H, W, C), all warped alike); uint8 or floating.
      corners: (4, 2) positions (row, col), pixel centres, of the input's top-left, top-right,
        bottom-right and bottom-left corner pixels in the output; may be traced. Concrete
        ones must be finite with no three on one line (ValueError).
      order, fill_mode, cval: resampling options of `affine_warp` (here with `projective=True`).

    Returns:
      The warped image, same shape and dtype. An image with a side of one pixel comes back
      as it is (see `perspective_matrix`).

    Example:
      The right edge pulled in to rows 1..3 of a 5x5 picture: the picture narrows to the
      right, and above and below it the fill (here `cval`) shows.

      >>> x = jnp.full((5, 5, 1), 100, jnp.uint8)
      >>> corners = jnp.array([[0.0, 0.0], [1.0, 4.0], [3.0, 4.0], [4.0, 0.0]])
      >>> out = perspective(x, corners, fill_mode="constant")[..., 0]
      >>> tuple(out[0].tolist()), tuple(out[2].tolist()), tuple(out[4].tolist())
      ((100, 0, 0, 0, 0), (100, 100, 100, 100, 100), (100, 0, 0, 0, 0))
    """
    image = _images.check_image(image, ndims=(3, 4))
    matrix = perspective_matrix(image.shape[-3:-1], corners)
    return affine_warp(image, matrix, order=order, fill_mode=fill_mode, cval=cval, projective=True)


def random_perspective(key, image, *, distortion_scale=0.5, order=1, fill_mode="nearest", cval=0.0):
    """torchvision's `RandomPerspective(distortion_scale, p=1)`: `perspective` of a draw of `sample_perspective`.

    Args:
      key: a `jax.random` key, the only source of randomness.
      image: (H, W, C) (or a batch (N, H, W, C), all warped alike); uint8 or floating.
      distortion_scale: static number in [0, 1]; see `sample_perspective`.
      order, fill_mode, cval: resampling options of `affine_warp`.

    Returns:
      The warped image, same shape and dtype.

    Example:
      >>> out = jaxaug.ops.perspective.random_perspective(jax.random.key(0), image, distortion_scale=0.5)
      >>> out.shape, out.dtype
      ((32, 32, 3), dtype('uint8'))

      It is the twin applied to the sampler's draw from the same key:

      >>> params = jaxaug.ops.perspective.sample_perspective(jax.random.key(0), image.shape, distortion_scale=0.5)
      >>> bool(jnp.all(out == jaxaug.ops.perspective.perspective(image, **params)))
      True
    """
    image = _images.check_image(image, ndims=(3, 4))
    h, w = image.shape[-3:-1]
    corners = sample_perspective(key, image.shape[-3:], distortion_scale=distortion_scale)["corners"]
    # Not through the twin's check: a draw with three corners on one line is the identity here, as in pipelines.
    return affine_warp(image, _matrix(h, w, corners), order=order, fill_mode=fill_mode, cval=cval, projective=True)


# After Keras' geometry (stage 40) and before the single-idea pieces: the content is first moved
# by the IDG transform, then seen in perspective. Slot 19: a new slot, so no existing draw moves.
OP = Op(
    name="perspective", title="perspective", kind="geometric", stage=45, slot=19,
    units="corners moved inward by whole pixels up to distortion_scale × half the size (torchvision's rule)",
    doc="torchvision's RandomPerspective: each image corner moved inward by up to distortion_scale × half the "
        "size, one projective matrix.",
    sample=sample_perspective, twin=perspective, random=random_perspective, matrix=perspective_matrix,
    projective=True,
    options=(Option("perspective_distortion_scale", 0.0, "torchvision's RandomPerspective (always applied): "
                    "each corner moves inward by up to this fraction of half the size, in [0, 1].",
                    "distortion_scale", check=unless_none(_distortion)),),
    example=dict(distortion_scale=0.5),
)
