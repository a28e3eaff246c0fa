"""Projective matrices: the division, the checks and the point push shared by `jaxaug.warp`'s functions.

The warp, `warp_keypoints` and `warp_boxes` divide by the third coordinate only when told
statically (`projective=True`); these are the pieces they share. See `jaxaug.warp`'s module
docstring for the rules (z <= 0 gets `cval`, coordinates held within 2**24 pixels).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from jaxaug import _checks

__all__ = ["FAR", "SINGULAR", "check_kind", "divide", "push"]

# How far (in pixels) a projective warp lets an input point go: float32 still tells pixels
# apart there, and any further point is outside every image this library accepts (2**15).
FAR = float(2**24)
# A concrete projective matrix is refused as singular when |det| is below this fraction of the
# product of its rows' norms (Hadamard's bound, 1 for orthogonal rows): a zero row, two
# proportional rows. A 2**15-pixel image's translations still give about 1e-9.
SINGULAR = 1e-12


def divide(y, x, z):
    """The projective division of the coordinates (u, v) by z: (y, x, seen).

    `seen` is False where z <= 0 (no input point: on or behind the horizon) or a coordinate is
    NaN; there the coordinates are 0, a valid pixel, and the caller gives the pixel `cval`.
    Elsewhere they are clipped to +-2**24 pixels, so they are always finite.
    """
    seen = z > 0
    z = jnp.where(seen, z, 1.0)
    y, x = jnp.clip(y / z, -FAR, FAR), jnp.clip(x / z, -FAR, FAR)
    seen = seen & ~jnp.isnan(y) & ~jnp.isnan(x)
    return jnp.where(seen, y, 0.0), jnp.where(seen, x, 0.0), seen


def check_kind(matrices, projective: bool, name: str = "matrices") -> None:
    """Checks concrete `matrices` (..., 3, 3) against the kind of warp asked for.

    Affine (`projective=False`): the bottom row must be [0, 0, 1], so that a perspective is never
    warped as an affine map by mistake. Projective: every entry finite, and the matrix not
    singular (|det| at least `SINGULAR` times the product of its rows' norms). Traced matrices
    are data and are not read.
    """
    _checks.check_bool(projective, "projective")
    if _checks.is_traced(matrices):
        return
    host = np.asarray(matrices, np.float64).reshape(-1, 3, 3)
    if not projective:
        bottom = host[:, 2]
        bad = ~np.all(bottom == np.array([0.0, 0.0, 1.0]), axis=-1)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"{name} must have the bottom row [0, 0, 1] for an affine warp; a projective matrix "
                             f"(a perspective) needs projective=True. Received: {name} with the bottom row "
                             f"{bottom[i].tolist()}" + (f" (matrix {i})" if host.shape[0] > 1 else ""))
        return
    _checks.finite_if_concrete(matrices, name)
    with np.errstate(over="ignore", invalid="ignore"):
        ratio = np.abs(np.linalg.det(host)) / np.prod(np.linalg.norm(host, axis=-1), axis=-1)
    singular = ~(ratio >= SINGULAR)  # a zero row gives 0 / 0: NaN, singular too
    if singular.any():
        i = int(np.argmax(singular))
        raise ValueError(f"{name} must not be singular: such a matrix maps the whole output onto a line or a point "
                         f"of the input, and has no inverse to move keypoints and boxes. Received: {name}="
                         f"{np.round(host[i], 6).tolist()}" + (f" (matrix {i})" if host.shape[0] > 1 else ""))


def push(points, matrices):
    """Points (..., K, 2) through the inverse of projective pull matrices: (positions, ahead).

    `ahead` is False where w <= 0 (the point is behind the camera: no output pixel sees it).

    Positions are divided by w (by a tiny w of the same sign where w is 0) and held within
    +-2**24 pixels, as the warp holds its coordinates; NaN (a traced singular matrix) is not ahead.
    """
    push = jnp.linalg.inv(matrices)
    moved = jnp.einsum("...ij,...kj->...ki", push[..., :, :2], points) + push[..., None, :, 2]  # (..., K, 3)
    uv, w = moved[..., :2], moved[..., 2:]
    tiny = jnp.finfo(jnp.float32).tiny
    w = jnp.where(jnp.abs(w) < tiny, jnp.where(w < 0, -tiny, tiny), w)
    out = jnp.clip(uv / w, -FAR, FAR)
    return out, (w[..., 0] > 0) & ~jnp.any(jnp.isnan(out), axis=-1)
