"""Affine and projective geometry as 3x3 homogeneous matrices.

The one convention
------------------
Every matrix in jaxaug is a *pull* map from output pixel coordinates to input pixel
coordinates, in (row, col) order with pixel centres at integer coordinates::

    [in_row, in_col, 1] = M @ [out_row, out_col, 1]

This is exactly what `scipy.ndimage.affine_transform(image, M)` does with a 3x3
matrix, so any matrix can be checked against scipy. The builders here give affine matrices,
whose bottom row is [0, 0, 1], except `projective_matrix` (a perspective from four point
pairs): its bottom row is anything, and the input point is `(u / z, v / z)` for
`[u, v, z] = M @ [out_row, out_col, 1]`. Warp those with `affine_warp(..., projective=True)`
(see `jaxaug.warp`); `compose` multiplies both kinds alike.

Builders describe what happens to the *content* of the image: `rotation_matrix(30)`
turns the picture 30 degrees counter-clockwise, `shift_matrix(2, 0)` moves it 2 pixels
down. They act about the origin (the top-left pixel centre); `centered` moves the
pivot to the image centre ((H / 2 - 0.5, W / 2 - 0.5), as Keras' ImageDataGenerator).
`compose(a, b)` is `a @ b`: the content undergoes `a`'s motion first, then `b`'s.

Angles are in degrees, shifts in pixels, zooms are scale factors with Keras' meaning
(input coordinate = zoom * output coordinate, so zoom > 1 shows more of the picture).
"""

from __future__ import annotations

import inspect
import math

import jax
import jax.numpy as jnp
import numpy as np

from jaxaug import _checks

__all__ = [
    "entries_matrix",
    "affine_matrix",
    "centered",
    "compose",
    "flip_matrix",
    "identity_matrix",
    "projective_matrix",
    "random_affine_matrix",
    "rotation_matrix",
    "sample_affine",
    "shear_matrix",
    "shift_matrix",
    "zoom_matrix",
]


def entries_matrix(m00, m01, m02, m10, m11, m12):
    """The 3x3 pull matrix whose first two rows are the given entries (the third is [0, 0, 1]).

    `input_row = m00 * row + m01 * col + m02`, `input_col = m10 * row + m11 * col + m12`.
    Entries may be traced scalars; the result is float32.

    Example:
      >>> tuple(entries_matrix(2.0, 0.0, 1.0, 0.0, 2.0, 1.0)[0].tolist())
      (2.0, 0.0, 1.0)
    """
    m00, m01, m02, m10, m11, m12 = (jnp.asarray(v, jnp.float32) for v in (m00, m01, m02, m10, m11, m12))
    zero, one = jnp.zeros_like(m00), jnp.ones_like(m00)
    return jnp.stack(
        [jnp.stack([m00, m01, m02]), jnp.stack([m10, m11, m12]), jnp.stack([zero, zero, one])]
    )


def _cos_sin_degrees(angle):
    """cos and sin of `angle` degrees, exact (0, +-1) at multiples of 90 degrees.

    float32 `cos(pi / 2)` is -4.4e-8, not 0: a 90-degree rotation would then sample
    just outside the image border and `fill_mode="constant"` would blank a whole edge.
    Reducing to a quarter turn plus a remainder in [-45, 45] keeps those cases exact.
    """
    angle = jnp.asarray(angle, jnp.float32)
    quarter = jnp.round(angle / 90.0)
    rest = jnp.deg2rad(angle - 90.0 * quarter)
    c, s = jnp.cos(rest), jnp.sin(rest)
    q = jnp.mod(quarter, 4.0).astype(jnp.int32)
    cos = jnp.select([q == 0, q == 1, q == 2], [c, -s, -c], s)
    sin = jnp.select([q == 0, q == 1, q == 2], [s, c, -s], -c)
    return cos, sin


def _angle(angle, name: str):
    """A checked angle in degrees; a concrete one beyond a full turn is reduced in float64 first.

    float32 cannot hold 2**40 + 16 degrees to the unit: reduced first, it is 16 degrees as it
    should be. Angles within a turn are passed on bit for bit. Traced angles are data.
    """
    if not _checks.is_traced(angle) and np.ndim(angle) == 0 and not isinstance(angle, (str, bytes)):
        value = _checks.static_float(angle, name)
        if abs(value) > 360.0:
            angle = math.fmod(value, 360.0)
    return _checks.real_scalar(angle, name)


def identity_matrix():
    """The (3, 3) float32 identity: every output pixel reads the same input pixel."""
    return jnp.eye(3, dtype=jnp.float32)


def rotation_matrix(angle):
    """Rotation of the content by `angle` degrees counter-clockwise about the origin.

    Args:
      angle: degrees, scalar (may be traced). Positive turns the picture
        counter-clockwise as displayed (rows grow downwards), like
        `scipy.ndimage.rotate` and Keras' `rotation_range`.

    Returns:
      (3, 3) float32 pull matrix `[[cos, sin, 0], [-sin, cos, 0], [0, 0, 1]]`.

    Example:
      Output pixel (0, 0) of a quarter turn about the centre reads input pixel (0, 31): the
      top-right corner comes to the top-left.

      >>> m = centered(rotation_matrix(90.0), (32, 32))
      >>> tuple((m @ jnp.array([0.0, 0.0, 1.0]))[:2].round().astype(int).tolist())
      (0, 31)
    """
    cos, sin = _cos_sin_degrees(_angle(angle, "angle"))
    return entries_matrix(cos, sin, 0.0, -sin, cos, 0.0)


def shift_matrix(dy, dx):
    """Translation of the content by `dy` pixels down and `dx` pixels right."""
    return entries_matrix(1.0, 0.0, -_checks.real_scalar(dy, "dy"), 0.0, 1.0, -_checks.real_scalar(dx, "dx"))


def shear_matrix(angle):
    """Keras' shear by `angle` degrees (counter-clockwise shear angle).

    The pull map is `in_row = cos(angle) * row`, `in_col = col - sin(angle) * row`:
    rows below the origin slide right for a positive angle, exactly the matrix Keras'
    ImageDataGenerator builds for `shear_range` (after its (x, y) -> (row, col) swap).
    """
    cos, sin = _cos_sin_degrees(_angle(angle, "angle"))
    return entries_matrix(cos, 0.0, 0.0, -sin, 1.0, 0.0)


def zoom_matrix(zy, zx):
    """Keras' zoom: `in_row = zy * row`, `in_col = zx * col` about the origin.

    A factor above 1 shows more of the input (the content shrinks); below 1 it
    magnifies. This is the meaning of Keras' `zoom_range` values.
    """
    zy, zx = _checks.real_scalar(zy, "zy", positive=True), _checks.real_scalar(zx, "zx", positive=True)
    return entries_matrix(zy, 0.0, 0.0, 0.0, zx, 0.0)


def flip_matrix(*, horizontal=False, vertical=False):
    """Mirror about the origin's column (`horizontal`) and/or row (`vertical`).

    The flags may be traced booleans. Use `centered` to flip about the image centre,
    which maps column `c` to `W - 1 - c` exactly.
    """
    sy = jnp.where(jnp.asarray(_checks.flag(vertical, "vertical")), -1.0, 1.0)
    sx = jnp.where(jnp.asarray(_checks.flag(horizontal, "horizontal")), -1.0, 1.0)
    return entries_matrix(sy, 0.0, 0.0, 0.0, sx, 0.0)


def compose(*matrices):
    """Product `matrices[0] @ matrices[1] @ ...`: the content moves by the first one first.

    Composing pull maps this way means the output of the last is read through the
    earlier ones, so any number of geometric steps costs one resampling.

    Each matrix is (3, 3) or a batch (..., 3, 3); the batch shapes must broadcast together
    (numpy's rule). Concrete matrices must be finite (NaN or inf raise ValueError naming
    `matrices[i]`); traced ones are data and are not inspected.
    """
    if not matrices:
        raise ValueError("compose needs at least one matrix. Received: matrices=()")
    arrays = [_checks.real_array(m, f"matrices[{i}]").astype(jnp.float32) for i, m in enumerate(matrices)]
    for i, m in enumerate(arrays):
        if m.shape[-2:] != (3, 3):
            raise ValueError(f"matrices[{i}] must have shape (..., 3, 3). Received: matrices[{i}].shape={m.shape}")
        _checks.finite_if_concrete(m, f"matrices[{i}]")
    try:
        np.broadcast_shapes(*(m.shape[:-2] for m in arrays))
    except ValueError:
        raise ValueError("matrices must have batch shapes (before the last two axes) that broadcast together. "
                         "Received: " + ", ".join(f"matrices[{i}].shape={m.shape}" for i, m in enumerate(arrays))
                         ) from None
    out = arrays[0]
    for m in arrays[1:]:
        out = _matmul3(out, m)
    return out


def _matmul3(a, b):
    """`a @ b` for (..., 3, 3) as explicit multiply-adds.

    XLA's CPU dot kernels round a batched product differently depending on the batch
    size, which made an image's matrix (and a few pixels) depend on how many images
    were warped with it. Elementwise arithmetic rounds the same way for every batch.
    """
    a, b = jnp.broadcast_arrays(a, b)
    return sum(a[..., :, k, None] * b[..., None, k, :] for k in range(3))


def projective_matrix(output_points, input_points):
    """The 3x3 pull matrix that maps each of four output points to its input point (a perspective).

    The matrix M with `M @ [out_row, out_col, 1]` proportional to `[in_row, in_col, 1]` for the
    four pairs: OpenCV's `getPerspectiveTransform(output_points, input_points)` in (row, col)
    order, and torchvision's `_get_perspective_coeffs(startpoints=input_points,
    endpoints=output_points)`. Those scale it to M[2, 2] = 1; here M[2, 2] = +-1, the sign that
    puts the output points in front of the camera (z > 0 at their centre), since the warp gives
    `cval` where z <= 0 (a strong perspective may put the output's origin beyond the horizon).
    Warp with `affine_warp(..., projective=True)`.

    It solves the 8x8 linear system of the four pairs in float32, under `jit` and `vmap`. The
    points are first moved to their common centre and divided by a power of two (exact), so
    the system is well conditioned at any image size, and the solve finds the difference
    from the identity: four pairs that are already equal give the identity exactly.

    Args:
      output_points: (4, 2) or (..., 4, 2) positions (row, col) in the output, pixel centres
        at integers.
      input_points: the same shape: the input position that each output point reads.

    Returns:
      (3, 3) or (..., 3, 3) float32 pull matrix. Concrete points must be finite, and no
      three points of either set may lie on one line (ValueError: the matrix would be
      singular or undefined); traced ones are data, and such points give a NaN matrix,
      whose warp is all `cval` (`affine_warp` never puts NaN in an image this way).

    Example:
      The output's corners read a smaller square of the input, pulled in by 2 pixels at the
      top: a 2x zoom at the top rows, 1x at the bottom.

      >>> out = jnp.array([[0.0, 0.0], [0.0, 8.0], [8.0, 8.0], [8.0, 0.0]])
      >>> inp = jnp.array([[0.0, 2.0], [0.0, 6.0], [8.0, 8.0], [8.0, 0.0]])
      >>> m = projective_matrix(out, inp)
      >>> tuple(round(v, 4) for v in m[2].tolist())
      (-0.0625, 0.0, 1.0)
      >>> p = m @ jnp.array([0.0, 8.0, 1.0])  # output top-right -> input (0, 6)
      >>> tuple(round(v, 4) for v in (p[:2] / p[2]).tolist())
      (0.0, 6.0)
    """
    pairs = []
    for name, points in (("output_points", output_points), ("input_points", input_points)):
        points = _checks.real_array(points, name).astype(jnp.float32)
        if points.ndim < 2 or points.shape[-2:] != (4, 2):
            raise ValueError(f"{name} must have shape (4, 2) or (..., 4, 2): four (row, col) points. "
                             f"Received: {name}.shape={tuple(points.shape)}")
        _checks.finite_if_concrete(points, name)
        _check_quadrilateral(points, name)
        pairs.append(points)
    try:
        np.broadcast_shapes(pairs[0].shape, pairs[1].shape)
    except ValueError:
        raise ValueError(f"output_points and input_points must have batch shapes that broadcast together. "
                         f"Received: output_points.shape={pairs[0].shape}, input_points.shape={pairs[1].shape}"
                         ) from None
    return _projective_solve(*pairs)


def _projective_solve(output_points, input_points):
    """`projective_matrix` without its checks: (..., 4, 2) float32 points that broadcast together."""
    p, q = jnp.broadcast_arrays(jnp.asarray(output_points, jnp.float32), jnp.asarray(input_points, jnp.float32))
    at = jnp.mean(p, axis=-2)  # the centre of the output points, which must be in front of the camera
    # A common centre and a power-of-two scale: T^-1 @ T is then exactly the identity.
    both = jnp.concatenate([p, q], axis=-2)
    centre = jnp.mean(both, axis=-2, keepdims=True)
    spread = jnp.max(jnp.abs(both - centre), axis=(-2, -1), keepdims=True)
    _, exponent = jnp.frexp(jnp.maximum(spread, 1.0))  # spread <= 2**exponent
    scale = jnp.ldexp(jnp.ones_like(spread), exponent)
    p, q = (p - centre) / scale, (q - centre) / scale
    # q * (g p0 + h p1 + 1) = (a p0 + b p1 + c, d p0 + e p1 + f), the identity's h plus a correction.
    p0, p1, q0, q1 = p[..., 0], p[..., 1], q[..., 0], q[..., 1]
    one, zero = jnp.ones_like(p0), jnp.zeros_like(p0)
    rows_r = jnp.stack([p0, p1, one, zero, zero, zero, -p0 * q0, -p1 * q0], axis=-1)
    rows_c = jnp.stack([zero, zero, zero, p0, p1, one, -p0 * q1, -p1 * q1], axis=-1)
    a = jnp.stack([rows_r, rows_c], axis=-2).reshape(*p0.shape[:-1], 8, 8)
    # The identity solves the system for q = p; its residual is q - p (exactly 0 for equal pairs).
    residual = jnp.stack([q0 - p0, q1 - p1], axis=-1).reshape(*p0.shape[:-1], 8)
    h = jnp.linalg.solve(a, residual[..., None])[..., 0] + jnp.array([1, 0, 0, 0, 1, 0, 0, 0], jnp.float32)
    normalised = jnp.concatenate([h, jnp.ones_like(h[..., :1])], axis=-1).reshape(*h.shape[:-1], 3, 3)
    s, c = scale[..., 0, 0], centre[..., 0, :]
    zero = jnp.zeros_like(s)
    to_unit = entries_matrix(1 / s, zero, -c[..., 0] / s, zero, 1 / s, -c[..., 1] / s)
    from_unit = entries_matrix(s, zero, c[..., 0], zero, s, c[..., 1])
    if s.ndim:  # entries_matrix stacks the batch first: (3, 3, ...) -> (..., 3, 3)
        to_unit, from_unit = jnp.moveaxis(to_unit, (0, 1), (-2, -1)), jnp.moveaxis(from_unit, (0, 1), (-2, -1))
    m = _matmul3(_matmul3(from_unit, normalised), to_unit)
    m = m / m[..., 2:, 2:]  # M[2, 2] = 1, OpenCV's and torchvision's scale (1 already for equal pairs)
    # The sign that puts the output points in front of the camera (z > 0 at their centre): the warp
    # gives cval where z <= 0. With M[2, 2] = 1 the output's origin is in front, and it may lie
    # beyond the horizon of a strong perspective whose quadrilateral does not.
    z = m[..., 2, 0] * at[..., 0] + m[..., 2, 1] * at[..., 1] + m[..., 2, 2]
    return m * jnp.where(z < 0, -1.0, 1.0)[..., None, None]


def _check_quadrilateral(points, name: str) -> None:
    """Checks that concrete (..., 4, 2) points have no three on one line (a perspective needs that).

    Three points on one line (two equal points among them) leave the perspective between two
    quadrilaterals singular or undefined: ValueError naming `name`. Traced points are data.
    """
    if _checks.is_traced(points):
        return
    host = np.asarray(points, np.float64).reshape(-1, 4, 2)
    spread = np.maximum(np.ptp(host, axis=1).max(axis=-1), 1e-30)
    for i, j, k in ((0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3)):
        u, v = host[:, j] - host[:, i], host[:, k] - host[:, i]
        area = np.abs(u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0])
        flat = area <= 1e-9 * spread**2
        if flat.any():
            n = int(np.argmax(flat))
            raise ValueError(f"{name} must not have three points on one line (points {i}, {j} and {k} are): the "
                             f"perspective between the two quadrilaterals would be singular. Received: {name}="
                             f"{host[n].tolist()}" + (f" (set {n})" if host.shape[0] > 1 else ""))


def centered(matrix, shape):
    """Moves the pivot of `matrix` from the origin to the centre of an image of `shape`.

    Args:
      matrix: (3, 3) pull matrix acting about (0, 0). A concrete one must be finite (NaN or
        inf raise ValueError); a traced one is data and is not inspected.
      shape: image shape (H, W) or (H, W, C).

    Returns:
      `T @ matrix @ T^-1` with `T` the translation to (H / 2 - 0.5, W / 2 - 0.5), the
      centre Keras' ImageDataGenerator uses (the middle pixel centre for odd sizes).
    """
    h, w = _checks.image_hw(shape)
    cy, cx = h / 2 - 0.5, w / 2 - 0.5
    to_centre = entries_matrix(1.0, 0.0, cy, 0.0, 1.0, cx)
    from_centre = entries_matrix(1.0, 0.0, -cy, 0.0, 1.0, -cx)
    matrix = _checks.real_array(matrix, "matrix").astype(jnp.float32)
    if matrix.shape[-2:] != (3, 3):
        raise ValueError(f"matrix must have shape (3, 3). Received: matrix.shape={tuple(matrix.shape)}")
    _checks.finite_if_concrete(matrix, "matrix")
    return _matmul3(_matmul3(to_centre, matrix), from_centre)


def affine_matrix(
    shape,
    *,
    rotation=0.0,
    shift=(0.0, 0.0),
    shear=0.0,
    zoom=(1.0, 1.0),
    horizontal_flip=False,
    vertical_flip=False,
):
    """The centred matrix Keras' ImageDataGenerator builds from explicit parameters.

    The deterministic twin of `random_affine_matrix`: composition order is Keras'
    rotation, shift, shear, zoom, then the flips (which Keras applies to the output),
    all about the image centre.

    Args:
      shape: image shape (H, W) or (H, W, C).
      rotation: degrees, counter-clockwise.
      shift: (dy, dx) in pixels; the content moves down / right.
      shear: shear angle in degrees (see `shear_matrix`).
      zoom: (zy, zx) Keras zoom factors (see `zoom_matrix`).
      horizontal_flip: mirror left-right (may be a traced bool).
      vertical_flip: mirror top-bottom (may be a traced bool).

    Returns:
      (3, 3) float32 pull matrix.

    Example:
      >>> m = affine_matrix((32, 32, 3), rotation=20.0, shift=(0.0, 3.0))
      >>> m.shape, m.dtype
      ((3, 3), dtype('float32'))

      A shift of 3 pixels to the right: output column c reads input column c - 3.

      >>> tuple(affine_matrix((32, 32), shift=(0.0, 3.0))[:2, 2].tolist())
      (0.0, -3.0)
    """
    dy, dx = _pair(shift, "shift")
    zy, zx = _pair(zoom, "zoom")
    rotation, shear = _angle(rotation, "rotation"), _angle(shear, "shear")
    dy, dx = _checks.real_scalar(dy, "shift[0]"), _checks.real_scalar(dx, "shift[1]")
    zy = _checks.real_scalar(zy, "zoom[0]", positive=True)
    zx = _checks.real_scalar(zx, "zoom[1]", positive=True)
    horizontal_flip = _checks.flag(horizontal_flip, "horizontal_flip")
    vertical_flip = _checks.flag(vertical_flip, "vertical_flip")
    m = compose(
        rotation_matrix(rotation),
        shift_matrix(dy, dx),
        shear_matrix(shear),
        zoom_matrix(zy, zx),
        flip_matrix(horizontal=horizontal_flip, vertical=vertical_flip),
    )
    return centered(m, shape)


def _pair(value, name: str):
    """A (first, second) pair of scalars (each may be traced), e.g. `shift=(dy, dx)`."""
    shape = (len(value),) if isinstance(value, (list, tuple)) else getattr(value, "shape", None)
    if shape != (2,):
        raise ValueError(f"{name} must be a pair of numbers. Received: {name}={_checks.short_repr(value)}")
    return value[0], value[1]


class _UniformShift:
    """float shift range: its slot is drawn directly in [-r, r) (see `random_affine_matrix`)."""

    def __init__(self, r: float, size_scaled: bool):
        self.bounds = (-r, r)
        self.size_scaled = size_scaled

    def __call__(self, u, u_sign, size):
        return u * size if self.size_scaled else u


def _shift_sampler(value, name: str):
    """Keras' shift-range rules as `sampler(u, u_sign, size) -> pixels`; None when off.

    `u` and `u_sign` are independent uniform draws: in [0, 1), or in the sampler's
    `bounds` when it has them.
    float r: uniform in [-r, r); a fraction of the size when r < 1, pixels otherwise.
    int n: an integer from {0, ..., n - 1} times a random sign (Keras' `np.random.choice`).
    sequence: one of its values times a random sign; fractions of the size when all < 1.
    """
    if isinstance(value, bool) or value is None:
        raise TypeError(f"{name} must be a float, an int or a sequence of numbers. Received: {name}={value!r}")
    if isinstance(value, (list, tuple)) or np.ndim(value) == 1:
        values = [_checks.static_float(v, f"{name}[{i}]") for i, v in enumerate(value)]
        if not values:
            raise ValueError(f"{name} must not be an empty sequence. Received: {name}={value!r}")
        table = jnp.asarray(values, jnp.float32)
        fraction = max(values) < 1
    elif isinstance(value, (int, np.integer)):
        if value < 0:
            raise ValueError(f"{name} must be >= 0. Received: {name}={value!r}")
        if value == 0:
            return None
        # The table 0, 1, ..., n - 1 would take n floats: 2**40 asked XLA for 4 TB.
        if value > _checks.MAX_PIXELS:
            raise ValueError(f"{name} must be <= {_checks.MAX_PIXELS} pixels. Received: {name}={value!r}")
        count = int(value)

        def pick_integer(u, u_sign, size):  # table[pick] for the table 0, 1, ..., n - 1
            pick = jnp.minimum(jnp.floor(u * count), count - 1)
            return pick * jnp.where(u_sign < 0.5, -1.0, 1.0)

        return pick_integer
    else:
        r = _checks.half_range(value, name)  # drawn in [-r, r): the width 2r must be finite in float32
        if r == 0:
            return None
        return _UniformShift(r, size_scaled=r < 1)

    def choice(u, u_sign, size):
        pick = jnp.minimum(jnp.floor(u * table.shape[0]), table.shape[0] - 1).astype(jnp.int32)
        signed = table[pick] * jnp.where(u_sign < 0.5, -1.0, 1.0)
        return signed * size if fraction else signed

    return choice


def _zoom_bounds(zoom_range) -> tuple[float, float]:
    if isinstance(zoom_range, (list, tuple)) or np.ndim(zoom_range) == 1:
        if len(zoom_range) != 2:
            raise ValueError(
                f"zoom_range must be a float or a pair [lower, upper]. Received: zoom_range={zoom_range!r}"
            )
        lo = _checks.static_float(zoom_range[0], "zoom_range[0]")
        hi = _checks.static_float(zoom_range[1], "zoom_range[1]")
    else:
        z = _checks.nonnegative_float(zoom_range, "zoom_range")
        lo, hi = 1.0 - z, 1.0 + z
    if not 0 < lo <= hi:
        raise ValueError(
            f"zoom_range must give zoom factors 0 < lower <= upper; a float z means "
            f"[1 - z, 1 + z], so z < 1. Received: zoom_range={zoom_range!r}"
        )
    return lo, hi


def sample_affine(
    key,
    shape,
    *,
    rotation_range=0.0,
    width_shift_range=0.0,
    height_shift_range=0.0,
    shear_range=0.0,
    zoom_range=0.0,
    horizontal_flip=False,
    vertical_flip=False,
    isotropic_zoom=False,
):
    """Draws the parameters of one Keras-ImageDataGenerator transform, as data.

    `random_affine_matrix` is `affine_matrix(shape, **sample_affine(key, shape, ...))`; use
    this one to log or replay the parameters. The options are those of
    `random_affine_matrix`, plus `isotropic_zoom`: if True, the column zoom equals the row
    zoom (one factor for both axes) instead of being drawn independently.

    Returns:
      dict with `rotation` (degrees), `shift` ((dy, dx) pixels), `shear` (degrees),
      `zoom` ((zy, zx)), `horizontal_flip` and `vertical_flip` (bools): exactly the
      keyword arguments of `affine_matrix`.

    Example:
      >>> params = sample_affine(jax.random.key(0), (32, 32), rotation_range=20, zoom_range=0.2)
      >>> round(float(params["rotation"]), 2), bool(params["horizontal_flip"])
      (17.91, False)
      >>> m = affine_matrix((32, 32), **params)
    """
    _checks.check_key(key)
    h, w = _checks.image_hw(shape)
    # Drawn in [-r, r]: the width 2r must be finite in float32 (3e38 drew inf and blanked the images).
    rot = _checks.half_range(rotation_range, "rotation_range")
    shear = _checks.half_range(shear_range, "shear_range")
    shift_y = _shift_sampler(height_shift_range, "height_shift_range")
    shift_x = _shift_sampler(width_shift_range, "width_shift_range")
    zlo, zhi = _zoom_bounds(zoom_range)
    for name, flag in (("horizontal_flip", horizontal_flip), ("vertical_flip", vertical_flip),
                       ("isotropic_zoom", isotropic_zoom)):
        _checks.check_bool(flag, name)

    # One draw per parameter in fixed slots: a single threefry call per image (the
    # sampling is a fifth of a 32x32 warp's cost otherwise), and turning an option on
    # or off never changes the other parameters' values. The bounds go into
    # `uniform` itself so eager and jitted calls round identically.
    bounds = [(-rot, rot), (0.0, 1.0), (0.0, 1.0), (0.0, 1.0), (0.0, 1.0), (-shear, shear), (zlo, zhi), (zlo, zhi),
              (0.0, 1.0), (0.0, 1.0)]
    for slot, sampler in ((1, shift_y), (3, shift_x)):
        bounds[slot] = getattr(sampler, "bounds", (0.0, 1.0))
    lo, hi = np.asarray(bounds, np.float32).T
    u = jax.random.uniform(key, (len(bounds),), minval=lo, maxval=hi)
    zero = jnp.zeros((), jnp.float32)
    return {
        "rotation": u[0],
        "shift": jnp.stack([shift_y(u[1], u[2], h) if shift_y else zero, shift_x(u[3], u[4], w) if shift_x else zero]),
        "shear": u[5],
        "zoom": jnp.stack([u[6], u[6] if isotropic_zoom else u[7]]),
        "horizontal_flip": horizontal_flip & (u[8] < 0.5),
        "vertical_flip": vertical_flip & (u[9] < 0.5),
    }


def random_affine_matrix(key, shape, **options):
    """Draws one centred affine matrix with Keras ImageDataGenerator's distributions.

    Each parameter has its own slot of one uniform draw from `key`, so switching one
    option on or off never changes the draws of the others. Use `jax.vmap` over keys for one matrix per
    image. `sample_affine` returns the same draw as parameters instead of a matrix.

    Args:
      key: a `jax.random` key, the only source of randomness.
      shape: image shape (H, W) or (H, W, C); sets the centre and fractional shifts.
      rotation_range: degrees; the angle is uniform in [-rotation_range, rotation_range]. Every
        range here is static, and one drawn in [-r, r] must have a width 2r finite in float32
        (r <= 1.7e38); a larger one is refused by its name.
      width_shift_range: horizontal shift. float r < 1: uniform in [-r, r) times W
        pixels; float r >= 1: uniform in [-r, r) pixels; int n: an integer in
        {0, ..., n - 1} with a random sign; sequence: one of its values with a random
        sign (times W if all values < 1). Exactly Keras' rules.
      height_shift_range: vertical shift, same rules with H.
      shear_range: degrees; the shear angle is uniform in [-shear_range, shear_range].
      zoom_range: float z gives [1 - z, 1 + z], or a pair [lower, upper]; the row and
        column factors zy, zx are drawn independently and uniformly in it.
      horizontal_flip: if True, mirror left-right with probability 1/2.
      vertical_flip: if True, mirror top-bottom with probability 1/2.
      isotropic_zoom: if True, one zoom factor for both axes (zx = zy); Keras has no
        such option (its factors are always independent).

    Returns:
      (3, 3) float32 pull matrix, `affine_matrix(shape, ...)` of the drawn parameters.

    Note:
      Keras 3 swaps the two shift ranges (its `height_shift_range` moves columns) and,
      for non-square images, the centre; here `width_shift_range` always moves the
      picture horizontally by a fraction of W, about the true centre. The
      distributions are symmetric, so the sign convention of each draw does not matter.

    Example:
      >>> keys = jax.random.split(jax.random.key(0), 8)
      >>> ms = jax.vmap(lambda k: random_affine_matrix(k, (32, 32), rotation_range=20))(keys)
      >>> ms.shape, ms.dtype
      ((8, 3, 3), dtype('float32'))
    """
    return affine_matrix(_checks.image_hw(shape), **sample_affine(key, shape, **options))


# The options are sample_affine's, declared there once; help() and IDEs show them here too.
random_affine_matrix.__signature__ = inspect.signature(sample_affine)
