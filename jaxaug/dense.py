"""Dense warps: a per-pixel displacement field added to the matrix, in the same single resample.

Output pixel p of an image reads the input at

    M @ p + d(p)

where M is the 3x3 pull matrix of the geometry (affine, or projective with the division first)
and d is a displacement field (H', W', 2) of (row, col) offsets in input pixels, one per output
pixel. An elastic deformation is such a field (`jaxaug.ops.elastic`); pipelines add the fields
of their pieces and pass the sum to the one warp, so the image is still resampled once.

A field is indexed by the output pixel, wherever its piece stands in a chain: the geometry and
the field's displacement add up in input pixels, instead of one moving the other. For the
smooth random fields of augmentation this changes nothing in distribution, and it keeps one
gather per pixel.

Keypoints and boxes follow by inverting p -> M p + d(p) with a few Newton steps from p = M^-1 q,
with d read bilinearly at p (`STEPS`); a box becomes the box around its moved outline
(`BOX_POINTS` points per side).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxaug import _checks, _images, warp

__all__ = ["BOX_POINTS", "STEPS", "dense_boxes", "dense_keypoints", "dense_warp"]

# Newton steps of the inversion (from the matrix alone's answer): for elastic alpha 50 and
# sigma 5, 6 steps leave under 1e-3 pixel at every point not on a fold (measured in
# tests/test_elastic.py).
STEPS = 6
# Points per side of a box's outline: its moved outline's extremes lie between them.
BOX_POINTS = 16


def _check_fields(fields, images):
    fields = _checks.real_array(fields, "fields")
    one = (*images.shape[-3:-1], 2)
    if tuple(fields.shape) not in [one] + ([(images.shape[0], *one)] if images.ndim == 4 else []):
        raise ValueError(f"fields must have shape (H, W, 2) or (N, H, W, 2) matching images of shape "
                         f"{tuple(images.shape)}. Received: fields.shape={tuple(fields.shape)}")
    _checks.finite_if_concrete(fields, "fields")
    return jnp.asarray(fields, jnp.float32)


def dense_warp(images, fields, *, matrices=None, order=1, fill_mode="nearest", cval=0.0, projective=False):
    """Resamples images at `matrices @ p + fields[p]` for every output pixel p, in one pass.

    Args:
      images: (H, W, C) or (N, H, W, C); uint8 or floating.
      fields: (H, W, 2) or (N, H, W, 2) displacements (row, col) in input pixels; concrete
        ones must be finite (ValueError).
      matrices: (3, 3) or (N, 3, 3) pull matrices as `jaxaug.affine_warp` takes; default the
        identity (the field alone).
      order, fill_mode, cval, projective: as `jaxaug.affine_warp`'s.

    Returns:
      Same shape and dtype as `images`.

    Example:
      A field of (0, 1) everywhere reads one column to the right: a shift left.

      >>> x = jnp.arange(6, dtype=jnp.uint8).reshape(2, 3, 1)
      >>> out = dense_warp(x, jnp.zeros((2, 3, 2)).at[..., 1].set(1.0), fill_mode="constant")
      >>> tuple(map(tuple, out[..., 0].tolist()))
      ((1, 2, 0), (4, 5, 0))
    """
    images = _images.check_image(images, "images", ndims=(3, 4))
    fields = _check_fields(fields, images)
    matrices = jnp.eye(3, dtype=jnp.float32) if matrices is None else matrices
    warp._check_matrices(matrices, images, projective)
    warp.check_options(order, fill_mode, cval)
    batch = images if images.ndim == 4 else images[None]
    fields = jnp.broadcast_to(fields, (batch.shape[0], *fields.shape[-3:]))
    out = warp.warp_float(batch, jnp.asarray(matrices, jnp.float32), order, fill_mode, cval, projective=projective,
                          fields=fields)
    return _images.restore(out if images.ndim == 4 else out[0], images.dtype)


def _sample(field, points):
    """`field` (H, W, 2) read bilinearly at (K, 2) positions (row, col), clamped to the grid."""
    h, w = field.shape[:2]
    y = jnp.clip(points[:, 0], 0.0, h - 1.0)
    x = jnp.clip(points[:, 1], 0.0, w - 1.0)
    y0, x0 = jnp.floor(y), jnp.floor(x)
    fy, fx = (y - y0)[:, None], (x - x0)[:, None]
    iy0, ix0 = y0.astype(jnp.int32), x0.astype(jnp.int32)
    iy1, ix1 = jnp.minimum(iy0 + 1, h - 1), jnp.minimum(ix0 + 1, w - 1)
    top = field[iy0, ix0] * (1 - fx) + field[iy0, ix1] * fx
    bottom = field[iy1, ix0] * (1 - fx) + field[iy1, ix1] * fx
    return top * (1 - fy) + bottom * fy


def _invert(points, matrix, field, projective: bool):
    """Output positions of input (K, 2) points under p -> M p + field(p): (positions, ahead).

    Newton's method on F(p) = M p + field(p) - q, F's 2x2 Jacobian by forward-mode autodiff
    through the bilinear read, from the matrix alone's answer. A plain fixed-point iteration
    p <- M^-1 (q - field(p)) converged too slowly where the field's gradient nears 1 (0.5 pixel
    off after 8 steps, 0.07 after 32, for alpha 50 and sigma 5).
    """
    if projective:
        start, ahead = warp._projective.push(points, matrix)
    else:
        start, ahead = warp._push(points, matrix), jnp.ones(points.shape[:-1], bool)

    def reads(p):  # where output position p (2,) reads, in input pixels
        u = matrix[:, :2] @ p + matrix[:, 2]
        xy = u[:2] / u[2] if projective else u[:2]
        return xy + _sample(field, p[None])[0]

    def newton(p, q):
        jac = jax.jacfwd(reads)(p)
        det = jac[0, 0] * jac[1, 1] - jac[0, 1] * jac[1, 0]
        r = reads(p) - q
        step = jnp.stack([jac[1, 1] * r[0] - jac[0, 1] * r[1], jac[0, 0] * r[1] - jac[1, 0] * r[0]])
        # A fold (det near 0) has no local inverse: stay, the point has several images there.
        return jnp.where(jnp.abs(det) > 1e-6, p - step / jnp.where(jnp.abs(det) > 1e-6, det, 1.0), p)

    p = start
    for _ in range(STEPS):
        p = jax.vmap(newton)(p, points)
    return p, ahead


def dense_keypoints(keypoints, fields, shape, *, matrices=None, projective=False):
    """Moves keypoints the way `dense_warp` moves the pixels under them.

    Args:
      keypoints: (K, 2) or (N, K, 2) positions (row, col) in the input image, pixel centres.
      fields: (H', W', 2) or (N, H', W', 2), as given to `dense_warp`.
      shape: the output image's (H', W') or (H', W', C), to flag points that leave it.
      matrices, projective: as `dense_warp`'s.

    Returns:
      (points, visible) as `jaxaug.warp_keypoints` returns them. The inversion takes `STEPS`
      Newton steps; where the field folds the image (a displacement whose gradient
      exceeds 1), a point has several images and one of them is returned.

    Example:
      >>> field = jnp.zeros((8, 8, 2)).at[..., 1].set(1.0)    # pixels read one column right
      >>> points, visible = dense_keypoints(jnp.array([[3.0, 4.0]]), field, (8, 8))
      >>> tuple(points[0].tolist()), bool(visible[0])          # so what was at column 4 is at 3
      ((3.0, 3.0), True)
    """
    h, w = _checks.image_hw(shape)
    points = _checks.real_array(keypoints, "keypoints").astype(jnp.float32)
    if points.ndim not in (2, 3) or points.shape[-1] != 2:
        raise ValueError(f"keypoints must have shape (K, 2) or (N, K, 2). Received: keypoints.shape={points.shape}")
    fields = jnp.asarray(_checks.real_array(fields, "fields"), jnp.float32)
    if fields.shape[-3:] != (h, w, 2):
        raise ValueError(f"fields must have shape (..., {h}, {w}, 2) for the output shape {(h, w)}. "
                         f"Received: fields.shape={tuple(fields.shape)}")
    matrices = jnp.eye(3, dtype=jnp.float32) if matrices is None else jnp.asarray(matrices, jnp.float32)
    if points.ndim == 2 and fields.ndim == 3 and matrices.ndim == 2:
        moved, ahead = _invert(points, matrices, fields, projective)
    else:
        n = max(a.shape[0] for a, d in ((points, 3), (fields, 4), (matrices, 3)) if a.ndim == d)
        points, fields, matrices = (jnp.broadcast_to(a, (n, *a.shape[-d:]))
                                    for a, d in ((points, 2), (fields, 3), (matrices, 2)))
        moved, ahead = jax.vmap(lambda q, f, m: _invert(q, m, f, projective))(points, fields, matrices)
    size = jnp.array([h, w], jnp.float32)
    return moved, ahead & jnp.all((moved >= -0.5) & (moved <= size - 0.5), axis=-1)


def dense_boxes(boxes, fields, shape, *, matrices=None, projective=False):
    """Moves boxes the way `dense_warp` moves the pixels in them: the box around the moved outline.

    Args:
      boxes: (B, 4) or (N, B, 4) (row_min, col_min, row_max, col_max) in pixel-edge
        coordinates, as `jaxaug.warp_boxes` takes them.
      fields, shape, matrices, projective: as `dense_keypoints`'.

    Returns:
      (boxes, kept) as `jaxaug.warp_boxes` returns them: clipped to the output image, zeros
      where not kept. Each side is followed at `BOX_POINTS` points, so a side that bulges
      between two of them is cut short by at most the bulge's height there.

    Example:
      >>> field = jnp.zeros((8, 8, 2)).at[..., 0].set(-2.0)   # pixels read two rows up
      >>> out, kept = dense_boxes(jnp.array([[1.0, 1.0, 3.0, 4.0]]), field, (8, 8))
      >>> tuple(out[0].tolist()), bool(kept[0])                # so the box moves two rows down
      ((3.0, 1.0, 5.0, 4.0), True)
    """
    h, w = _checks.image_hw(shape)
    boxes = _checks.real_array(boxes, "boxes").astype(jnp.float32)
    if boxes.ndim not in (2, 3) or boxes.shape[-1] != 4:
        raise ValueError(f"boxes must have shape (B, 4) or (N, B, 4). Received: boxes.shape={boxes.shape}")
    top, left, bottom, right = jnp.moveaxis(boxes, -1, 0)
    t = jnp.linspace(0.0, 1.0, BOX_POINTS)
    # The outline as pixel-centre points (edge - 0.5): each side from one corner to the next.
    rows = jnp.concatenate([top[..., None] + 0 * t, top[..., None] + (bottom - top)[..., None] * t,
                            bottom[..., None] + 0 * t, bottom[..., None] - (bottom - top)[..., None] * t], axis=-1)
    cols = jnp.concatenate([left[..., None] + (right - left)[..., None] * t, right[..., None] + 0 * t,
                            right[..., None] - (right - left)[..., None] * t, left[..., None] + 0 * t], axis=-1)
    outline = jnp.stack([rows, cols], axis=-1) - 0.5  # (..., B, 4 * BOX_POINTS, 2)
    flat = outline.reshape(*boxes.shape[:-2], -1, 2)
    moved, ahead = dense_keypoints(flat, fields, (h, w), matrices=matrices, projective=projective)
    moved = (moved + 0.5).reshape(outline.shape)
    # Behind the camera (projective): the outline's points that are ahead bound the box.
    ahead = ahead.reshape(outline.shape[:-1])
    size = jnp.array([h, w], jnp.float32)
    lo = jnp.min(jnp.where(ahead[..., None], moved, jnp.inf), axis=-2)
    hi = jnp.max(jnp.where(ahead[..., None], moved, -jnp.inf), axis=-2)
    lo, hi = jnp.clip(lo, 0.0, size), jnp.clip(hi, 0.0, size)
    kept = jnp.all(hi > lo, axis=-1) & (bottom > top) & (right > left) & jnp.any(ahead, axis=-1)
    return jnp.where(kept[..., None], jnp.concatenate([lo, hi], axis=-1), 0.0), kept
