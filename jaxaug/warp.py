"""The one resampler: `affine_warp` applies a pull matrix per image in one gather pass.

Fill modes follow `scipy.ndimage` exactly, so results can be checked against
`scipy.ndimage.affine_transform` (for order 0 and 1)::

    constant  k k k k | a b c d | k k k k   scipy "constant": any coordinate outside
                                            [0, size - 1] reads `cval`, no blending
    nearest   a a a a | a b c d | d d d d   scipy "nearest"
    reflect   d c b a | a b c d | d c b a   scipy "reflect" (edge pixel repeated)
    mirror    d c b | a b c d | c b a       scipy "mirror" (edge pixel not repeated)
    wrap      a b c d | a b c d | a b c d   scipy "grid-wrap" (periodic)

`wrap` is periodic, like `jax.scipy.ndimage`'s "wrap" and unlike scipy's own "wrap".

Affine and projective matrices
------------------------------
A matrix whose bottom row is [0, 0, 1] is affine: the input point of output pixel (row, col)
is the first two entries of `M @ [row, col, 1]`. A projective matrix (a perspective) has
another bottom row, and the input point is `(u / z, v / z)` for `[u, v, z] = M @ [row, col, 1]`.
Whether the warp divides is static, never read from the matrix: `projective=True` in
`affine_warp`, `warp_keypoints` and `warp_boxes` (and, in pipelines, a piece that declares
projective matrices, such as `jaxaug.pipeline.perspective`), so affine warps compile to the
program they always had, with no division. Without `projective=True` a concrete matrix must
have the bottom row [0, 0, 1] (ValueError otherwise); a traced one's bottom row is not read.

Under a projective matrix, an output pixel with z <= 0 sees no input point (it lies on or
beyond the horizon, "behind the camera"): it gets `cval` whatever the fill mode, and its
coordinates never reach the gather. Input points further than 2**24 pixels away (z tiny) are
held at that distance, where the fill mode decides as for any point outside. So no matrix,
however degenerate, puts NaN or inf into the output; a traced matrix with NaN entries gives
`cval` where it makes a coordinate NaN.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxaug import _checks, _images, _projective

__all__ = [
    "FILL_MODES",
    "affine_warp",
    "check_antialias",
    "check_options",
    "check_output_shape",
    "warp_boxes",
    "warp_float",
    "warp_keypoints",
]

FILL_MODES = ("constant", "nearest", "reflect", "mirror", "wrap")


def _fold(v, size, mode: str):
    """Maps continuous coordinates outside the image into it, as scipy does first.

    Coordinates already inside are returned untouched (bit for bit), so the fold can
    never perturb an in-range sample. Returns the folded coordinate, whose taps at
    floor and floor + 1 lie in [-1, size] and are made valid by `_tap_index`. `size` is a
    Python int, or a traced integer (one image's true extent in a ragged batch).
    """
    hi = size - 1
    if mode in ("nearest", "constant"):
        return jnp.clip(v, 0.0, hi)
    if mode == "wrap":
        folded = v - size * jnp.floor(v / size)
        folded = jnp.where(folded >= size, folded - size, folded)
    elif mode == "reflect":
        period = 2.0 * size
        u = _images.modulo(v + 0.5, period)
        folded = jnp.where(u >= size, period - u, u) - 0.5
    elif isinstance(size, int) and size == 1:  # mirror of one pixel is that pixel everywhere
        return jnp.zeros_like(v)
    else:  # mirror
        period = 2.0 * jnp.maximum(hi, 1)
        u = _images.modulo(v, period)
        folded = jnp.where(u > hi, period - u, u)
        if not isinstance(size, int):
            folded = jnp.where(size == 1, 0.0, folded)
    return jnp.where((v >= 0) & (v <= hi), v, folded)


def _tap_index(i, size, mode: str):
    """Integer tap in [-1, size] -> valid index; the edge taps follow the fill mode."""
    if mode == "wrap":
        # The clip only matters for a NaN coordinate, whose integer is arbitrary: keep it in range.
        return jnp.clip(jnp.where(i >= size, i - size, jnp.where(i < 0, i + size, i)), 0, size - 1)
    # reflect repeats the edge pixel; for the other modes a tap beyond the edge has
    # weight zero, so any valid index will do.
    return jnp.clip(i, 0, size - 1)


def _fill_row(cval, dtype):
    """`cval` as one pixel of `dtype` if it is a static value that dtype holds exactly, else None."""
    if isinstance(cval, (jax.Array, np.ndarray)) or _checks.is_traced(cval):
        return None
    value = float(cval)
    if np.dtype(dtype) == np.uint8 and not (value.is_integer() and 0 <= value <= 255):
        return None
    if np.dtype(dtype).kind == "f" and float(np.asarray(value, dtype)) != value:
        return None
    return value


def _warp_one(image, matrix, cval, order: int, mode: str, out_hw=None, extent=None, projective: bool = False,
              field=None):
    """One (H, W, C) image through one (3, 3) matrix; float32 result.

    Pixels are gathered as whole (C,) rows of the flattened (H * W, C) image, in the image's
    own dtype, and only the gathered values are converted to float32. Per output pixel that
    moves 4 * C input bytes for uint8 (16 * C for float32) and issues 4 row gathers (1 for
    order 0), the least any bilinear warp can: converting the batch to float32 first writes
    and re-reads 4x the uint8 bytes, and measured 2.7-3.3x slower on a Zen 5 CPU.
    """
    stride = image.shape[1]
    h, w = image.shape[:2] if extent is None else extent  # the true extent of a padded image
    out_h, out_w = image.shape[:2] if out_hw is None else out_hw
    rows = jnp.arange(out_h, dtype=jnp.float32)[:, None]
    cols = jnp.arange(out_w, dtype=jnp.float32)[None, :]
    y = matrix[0, 0] * rows + matrix[0, 1] * cols + matrix[0, 2]
    x = matrix[1, 0] * rows + matrix[1, 1] * cols + matrix[1, 2]
    seen = None  # projective: where an input point exists (elsewhere the pixel gets cval)
    if projective:
        y, x, seen = _projective.divide(y, x, matrix[2, 0] * rows + matrix[2, 1] * cols + matrix[2, 2])
    if field is not None:  # a displacement (out_h, out_w, 2) in input pixels, added where the pixel reads
        y, x = y + field[..., 0], x + field[..., 1]
    # Materialise the coordinates: if XLA recomputed them separately for the floor
    # and for the fraction, a 1-ulp difference could pair an index with the weight
    # of its neighbour (seen at 224x224 as errors of 0.7).
    y, x = lax.optimization_barrier((y, x))
    inside = (y >= 0) & (y <= h - 1) & (x >= 0) & (x <= w - 1)
    if seen is not None:  # the points with cval: outside for "constant", unseen for every mode
        inside = inside & seen if mode == "constant" else seen
    y, x = lax.optimization_barrier((_fold(y, h, mode), _fold(x, w, mode)))
    size = image.shape[0] * stride
    flat = image.reshape(size, image.shape[-1])
    filled = mode == "constant" or projective  # some points get cval
    fill = _fill_row(cval, image.dtype) if filled and order == 1 else None
    if fill is not None:
        # Constant fill as one more pixel: every tap of an outside point reads it with weight
        # (1, 0), which gives cval exactly. XLA's CPU backend does not fuse a select after the
        # four gathers (the float32 result made a round trip through memory): 3.4x faster at
        # 32x32 and 2.1x at 224x224 (Zen 4), the speed of the other fill modes. For order 0
        # (one gather) the select measured as fast as this, so it stays.
        flat = jnp.concatenate([flat, jnp.full((1, flat.shape[1]), fill, flat.dtype)])
        y, x = jnp.where(inside, y, 0.0), jnp.where(inside, x, 0.0)

    def gather(row_index, col_index):
        # `_tap_index` puts every index in range, a NaN coordinate's too: no bounds check needed.
        index = row_index * stride + col_index
        index = index if fill is None else jnp.where(inside, index, size)
        return flat.at[index].get(mode="promise_in_bounds").astype(jnp.float32)

    if order == 0:
        iy = _tap_index(jnp.floor(y + 0.5).astype(jnp.int32), h, mode)
        ix = _tap_index(jnp.floor(x + 0.5).astype(jnp.int32), w, mode)
        out = gather(iy, ix)
    else:
        y0, x0 = jnp.floor(y), jnp.floor(x)
        fy, fx = (y - y0)[..., None], (x - x0)[..., None]
        iy, ix = y0.astype(jnp.int32), x0.astype(jnp.int32)
        iy0, iy1 = _tap_index(iy, h, mode), _tap_index(iy + 1, h, mode)
        ix0, ix1 = _tap_index(ix, w, mode), _tap_index(ix + 1, w, mode)
        top = gather(iy0, ix0) * (1 - fx) + gather(iy0, ix1) * fx
        bottom = gather(iy1, ix0) * (1 - fx) + gather(iy1, ix1) * fx
        out = top * (1 - fy) + bottom * fy
    if filled and fill is None:
        out = jnp.where(inside[..., None], out, cval)
    return out


def _check_matrices(matrices, images, projective: bool):
    matrices = _checks.real_array(matrices, "matrices")
    allowed = [(3, 3)] + ([(images.shape[0], 3, 3)] if images.ndim == 4 else [])
    if tuple(matrices.shape) not in allowed:
        raise ValueError(
            f"matrices must have shape {' or '.join(map(str, allowed))} for images of shape "
            f"{tuple(images.shape)}. Received: matrices.shape={tuple(matrices.shape)}"
        )
    _checks.finite_if_concrete(matrices[..., :2, :], "matrices")
    _projective.check_kind(matrices, projective)
    return jnp.asarray(matrices, jnp.float32)


def affine_warp(images, matrices, *, output_shape=None, order=1, fill_mode="nearest", cval=0.0, antialias=False,
                projective=False):
    """Resamples images through 3x3 pull matrices in one fused pass over all channels.

    For every output pixel (row, col), the input is read at `M @ [row, col, 1]`
    (pixel centres at integers), exactly like `scipy.ndimage.affine_transform(image, M)`
    per channel. Compose any number of geometric steps into `M` first (see
    `jaxaug.compose`): the image is resampled once. With `projective=True` the matrix
    may be a perspective: the input is read at `(u / z, v / z)` for `[u, v, z] = M @ [row, col, 1]`
    (see the module docstring for the points with z <= 0).

    Args:
      images: (H, W, C) or (N, H, W, C); uint8, float16, bfloat16 or float32.
      matrices: (3, 3), or (N, 3, 3) with one matrix per image; a single (3, 3)
        matrix is used for every image of a batch. Without `projective`, a concrete matrix
        must have the bottom row [0, 0, 1] (a traced one's is not read).
      output_shape: (H', W') of the output, static ints in [1, 2**15]; default the input's (H, W). The
        matrix maps output pixel (row, col) in [0, H') x [0, W') to input coordinates, as
        scipy's `affine_transform(..., output_shape=...)`: a resize or a crop is one more
        matrix, in the same single pass.
      order: 0 for nearest neighbour (rounding half up, as scipy), 1 for bilinear.
      fill_mode: one of "constant", "nearest", "reflect", "mirror", "wrap"; see the
        module docstring for diagrams. "wrap" is periodic (scipy's "grid-wrap").
      cval: value of points outside the input when `fill_mode="constant"`, in the
        units of the image (0..255 for uint8). May be traced.
      antialias: with order 1, filter downscales as PIL's and torchvision's antialiased
        bilinear resize: along each axis a triangle filter of half-width max(1, |scale|)
        input pixels about the sample point, normalised over the taps inside the image
        (for scales <= 1, plain bilinear). The filter is separable, so it needs an
        axis-aligned matrix (zero [0, 1] and [1, 0] entries: crops, resizes, flips, shifts,
        zooms); an image whose matrix rotates or shears is resampled without it, by plain
        bilinear interpolation (see `jaxaug.Augmenter`'s `antialias`, which refuses such
        geometry instead), and so is an image whose matrix is projective.
      projective: a static bool. True: divide by the third row, for perspective matrices
        (a concrete one must be finite and not singular: ValueError). False (the default):
        the affine warp, whose program has no division (a concrete matrix must then be
        affine). The choice is static so that affine warps keep their compiled program.

    Returns:
      Array of the dtype of `images`, shape (..., H', W', C). Arithmetic is float32; uint8 results
      are rounded (half to even) and clipped to [0, 255]; floats are not clipped, and
      bilinear output always lies within the input's [min, max] (and `cval`).

    Works under `jax.jit`, `jax.vmap` and `jax.grad` (w.r.t. float images and the
    matrix entries). Concrete matrices with NaN or inf raise ValueError; traced ones are
    data and are not inspected: non-finite entries then give unspecified pixel values.

    Example:
      >>> m = jaxaug.centered(jaxaug.rotation_matrix(20.0), (32, 32))
      >>> out = jaxaug.affine_warp(jnp.ones((8, 32, 32, 3)), m, fill_mode="constant")
      >>> out.shape, out.dtype, float(out[0, 0, 0, 0])  # the corners come from outside: cval
      ((8, 32, 32, 3), dtype('float32'), 0.0)

      A quarter turn of a 3x3 picture holding 0..8 row by row: the right column comes to
      the top. A shift by one column to the right fills the left column with `cval`.

      >>> x = jnp.arange(9, dtype=jnp.uint8).reshape(3, 3, 1)
      >>> q = jaxaug.centered(jaxaug.rotation_matrix(90.0), (3, 3))
      >>> tuple(map(tuple, jaxaug.affine_warp(x, q)[..., 0].tolist()))
      ((2, 5, 8), (1, 4, 7), (0, 3, 6))
      >>> s = jaxaug.shift_matrix(0.0, 1.0)
      >>> tuple(map(tuple, jaxaug.affine_warp(x, s, fill_mode="constant", cval=9)[..., 0].tolist()))
      ((9, 0, 1), (9, 3, 4), (9, 6, 7))

      A perspective whose bottom row [0, 0.25, 1] makes z grow along the columns: the
      input column is col / (1 + col / 4), so the right of the output shows the middle of
      the input, stretched (needs `projective=True`):

      >>> ramp = jnp.arange(5.0).reshape(1, 5, 1)
      >>> p = jnp.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.25, 1.0]])
      >>> tuple(round(v, 4) for v in jaxaug.affine_warp(ramp, p, projective=True)[0, :, 0].tolist())
      (0.0, 0.8, 1.3333, 1.7143, 2.0)
    """
    images = _images.check_image(images, "images", ndims=(3, 4))
    matrices = _check_matrices(matrices, images, projective)
    check_options(order, fill_mode, cval)
    check_antialias(antialias, order)
    out_hw = None if output_shape is None else check_output_shape(output_shape)
    return _images.restore(warp_float(images, matrices, order, fill_mode, cval, out_hw=out_hw, antialias=antialias,
                                      projective=projective), images.dtype)


def check_antialias(antialias, order) -> None:
    """`antialias` is a bool, and True only with bilinear resampling (the filter is PIL's bilinear)."""
    _checks.check_bool(antialias, "antialias")
    if antialias and order != 1:
        raise ValueError(f"antialias=True needs order=1 (its filter is the antialiased bilinear of PIL and "
                         f"torchvision). Received: order={order!r}")


def check_output_shape(output_shape) -> tuple[int, int]:
    """(H', W') as two Python ints in [1, 2**15] (static: they size the output).

    The bound is `jaxaug._checks.MAX_SIDE` (see there: float32 coordinates keep 1/512 pixel
    there, and 2**15 squared is already 2**30 pixels).
    """
    if (not isinstance(output_shape, (tuple, list)) or len(output_shape) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in output_shape)
            or min(output_shape) < 1):
        raise ValueError(f"output_shape must be (height, width), two ints >= 1. "
                         f"Received: output_shape={_checks.short_repr(output_shape)}")
    if max(output_shape) > _checks.MAX_SIDE:
        raise ValueError(f"output_shape must be at most {_checks.MAX_SIDE} pixels per side (2**15). "
                         f"Received: output_shape={_checks.short_repr(output_shape)}")
    return int(output_shape[0]), int(output_shape[1])


def check_options(order, fill_mode, cval) -> None:
    """Validates the resampling options shared by `affine_warp` and the pipelines."""
    if not isinstance(order, (int, np.integer)) or isinstance(order, bool) or order not in (0, 1):
        raise ValueError(f"order must be 0 (nearest) or 1 (bilinear). Received: order={order!r}")
    _checks.check_choice(fill_mode, "fill_mode", FILL_MODES)
    if np.ndim(cval) != 0:
        raise ValueError(f"cval must be a scalar. Received: cval={_checks.short_repr(cval)}")
    _checks.real_scalar(cval, "cval")


def warp_float(images, matrices, order: int, fill_mode: str, cval, *, out_hw=None, extents=None,
               antialias: bool = False, aligned: bool = False, projective: bool = False, fields=None):
    """`affine_warp` on checked inputs, returning float32 (for pipelines that go on computing).

    A batch is `vmap` of the one-image warp: its gathers get the batch as a batching
    dimension, so each image reads only its own pixels and a batch sharded over devices
    gathers locally, with no collective. `extents` ((N, 2) int32, or None) are the true
    (height, width) of each image of a padded batch. With `antialias`, axis-aligned matrices
    go through `_antialiased`; the others are warped as usual, unless the caller knows
    statically that every matrix is axis-aligned (`aligned`), which skips that second pass.
    `projective` (static) divides by the matrices' third row (see the module docstring).
    `fields`, (N, H', W', 2) or None, are displacements added to the coordinates each output
    pixel reads (see `jaxaug._fields`): dense warps in the same resample.
    """
    cval = cval if _fill_row(cval, images.dtype) is not None else jnp.asarray(cval, jnp.float32)
    if images.ndim == 3:
        extents = None if extents is None else extents[None]
        return warp_float(images[None], matrices, order, fill_mode, cval, out_hw=out_hw, extents=extents,
                          antialias=antialias, aligned=aligned, projective=projective,
                          fields=None if fields is None else fields[None])[0]
    batched = jnp.broadcast_to(matrices, (images.shape[0], 3, 3))
    if antialias:
        smooth = _antialiased_batch(images, batched, cval, fill_mode, out_hw, extents)
        if aligned:
            return smooth
    warp = lambda img, m, e, f=None: _warp_one(img, m, cval, order, fill_mode, out_hw, e, projective, f)  # noqa: E731
    if fields is not None:  # extents None is an empty pytree: vmap passes it through as None
        out = jax.vmap(lambda img, m, e, f: warp(img, m, None if e is None else (e[0], e[1]), f))(
            images, batched, extents, fields)
    elif extents is None:
        out = jax.vmap(lambda img, m: warp(img, m, None), in_axes=(0, 0 if matrices.ndim == 3 else None))(images,
                                                                                                          matrices)
    else:
        out = jax.vmap(lambda img, m, e: warp(img, m, (e[0], e[1])))(images, batched, extents)
    if antialias:
        axis_aligned = (batched[:, 0, 1] == 0) & (batched[:, 1, 0] == 0)
        if projective:  # the filter reads the first two rows only: the bottom one must be [0, 0, 1]
            axis_aligned &= (batched[:, 2, 0] == 0) & (batched[:, 2, 1] == 0) & (batched[:, 2, 2] == 1)
        out = jnp.where(axis_aligned[:, None, None, None], smooth, out)
    return out


# Taps of the antialiasing filter read per loop step: one step covers downscales up to 1.5x
# (a triangle of half-width s touches at most 2s + 1 pixels), two steps up to 3.5x.
_TAPS_PER_STEP = 4


def _antialiased_batch(images, matrices, cval, mode: str, out_hw, extents):
    """`_antialiased` for a batch: image by image on CPU, all at once elsewhere.

    On CPU each image then loops over its own taps (the batch's largest downscale would set
    them for all) while its rows stay in cache: 2.5x faster for 64 photos of 200-500 px cropped
    to 224 (Zen 4, 2 cores): the (H', W, C) float32 intermediate between the two passes stays
    in cache instead of making a round trip through memory for the whole batch. An accelerator
    wants the whole batch in one pass.
    """
    if extents is None:
        extents = jnp.broadcast_to(jnp.array(images.shape[1:3], jnp.int32), (images.shape[0], 2))

    def one_by_one(images, matrices, extents):
        def one(args):
            image, matrix, extent = args
            return _antialiased(image[None], matrix[None], cval, mode, out_hw, extent[None])[0]

        # One group per CPU device, looped image by image inside: a batch sharded over the
        # devices splits into the groups, so each device filters its own images (a loop over
        # the whole batch would make XLA gather it onto every device).
        n = images.shape[0]
        groups = len(jax.local_devices(backend="cpu"))
        if groups == 1 or n % groups:
            # (vmap over one group would batch the tap loop's trip count: 1.6x slower.)
            return lax.map(one, (images, matrices, extents))
        split = lambda a: a.reshape(groups, n // groups, *a.shape[1:])  # noqa: E731
        out = jax.vmap(lambda *a: lax.map(one, a))(split(images), split(matrices), split(extents))
        return out.reshape(n, *out.shape[2:])

    def at_once(images, matrices, extents):
        return _antialiased(images, matrices, cval, mode, out_hw, extents)

    return lax.platform_dependent(images, matrices, extents, cpu=one_by_one, default=at_once)


def _antialiased(images, matrices, cval, mode: str, out_hw, extents):
    """Resamples a batch through axis-aligned matrices with PIL's antialiased bilinear filter.

    Along each axis, output pixel o reads the input around its centre c = scale * o + offset
    (folded into the image by `mode`, as the plain warp does) with a triangle filter of
    half-width s = max(1, |scale|) input pixels, normalised over the taps that lie in the
    image (PIL's `resize` rule; `wrap` wraps the taps instead). For s = 1 this is bilinear
    interpolation. The filter is separable, so rows are filtered first (gathering whole
    rows, the bytes of a row per tap), then columns: for a 500 -> 224 downscale that is
    about 6 taps per axis instead of 36 for the 2D footprint. The taps are read in a loop of
    `_TAPS_PER_STEP` per step, for as many steps as the largest scale of the batch needs.
    """
    n, h_in, w_in, _ = images.shape
    out_h, out_w = (h_in, w_in) if out_hw is None else out_hw
    sizes = (jnp.broadcast_to(jnp.array([h_in, w_in], jnp.int32), (n, 2)) if extents is None
             else extents.astype(jnp.int32))
    rows = _axis_filter(matrices[:, 0, 0], matrices[:, 0, 2], out_h, sizes[:, 0], mode)
    cols = _axis_filter(matrices[:, 1, 1], matrices[:, 1, 2], out_w, sizes[:, 1], mode)
    take_rows = jax.vmap(lambda img, i: img.at[i].get(mode="promise_in_bounds"))
    take_cols = jax.vmap(lambda img, i: img.at[:, i].get(mode="promise_in_bounds"))
    c = images.shape[-1]
    out = _filter_axis(images, rows, mode, take_rows, (n, out_h, w_in, c), lambda v: v[:, :, None, None])
    out = _filter_axis(out, cols, mode, take_cols, (n, out_h, out_w, c), lambda v: v[:, None, :, None])
    if mode == "constant":
        inside = rows[-1][:, :, None, None] & cols[-1][:, None, :, None]
        out = jnp.where(inside, out, cval)
    return out


def _axis_filter(scale, offset, n_out: int, size, mode: str):
    """One axis of `_antialiased` for a batch: (centre, half-width, first tap, size, taps, inside)."""
    centre = scale[:, None] * jnp.arange(n_out, dtype=jnp.float32) + offset[:, None]  # (N, n_out)
    size = size[:, None]
    inside = (centre >= 0) & (centre <= size - 1)
    centre = lax.optimization_barrier(_fold(centre, size, mode))  # one value for the taps and their weights
    half = jnp.maximum(jnp.abs(scale), 1.0)[:, None]
    first = jnp.floor(centre - half) + 1.0  # the taps q with |q - centre| < half
    taps = jnp.max(jnp.ceil(centre + half) - first).astype(jnp.int32)
    return centre, half, first, size, taps, inside


def _filter_axis(x, axis, mode: str, take, out_shape, expand):
    """Sums the weighted taps of one axis (see `_antialiased`), `_TAPS_PER_STEP` per loop step.

    take(x, index) gathers the taps `index` ((N, n_out) ints) of every image; expand(weights)
    broadcasts (N, n_out) weights against the result, of shape `out_shape`.
    """
    centre, half, first, size, taps, _ = axis

    def step(i, carry):
        total, norm = carry
        for j in range(_TAPS_PER_STEP):
            q = first + (i * _TAPS_PER_STEP + j).astype(jnp.float32)
            weight = jnp.maximum(1.0 - jnp.abs(q - centre) / half, 0.0)
            q = q.astype(jnp.int32)
            if mode == "wrap":
                index = jnp.clip(q - size * jnp.floor_divide(q, size), 0, size - 1)
            else:  # taps outside the image are dropped; the rest are renormalised (PIL)
                weight = jnp.where((q >= 0) & (q < size), weight, 0.0)
                index = jnp.clip(q, 0, size - 1)
            total = total + expand(weight) * take(x, index).astype(jnp.float32)
            norm = norm + weight
        return total, norm

    steps = (taps + _TAPS_PER_STEP - 1) // _TAPS_PER_STEP
    init = (jnp.zeros(out_shape, jnp.float32), jnp.zeros(centre.shape, jnp.float32))
    total, norm = lax.fori_loop(0, steps, step, init)
    return total / expand(norm)


def warp_keypoints(keypoints, matrices, shape, *, projective=False):
    """Moves keypoints the way `affine_warp(images, matrices)` moves the pixels under them.

    A pull matrix maps output to input coordinates, so points go through its inverse.

    Args:
      keypoints: (K, 2) or (N, K, 2) positions (row, col) in the input image, pixel
        centres at integers.
      matrices: (3, 3) or (N, 3, 3) pull matrices, as given to `affine_warp`. Concrete
        keypoints and matrices must be finite (ValueError); traced ones are data.
      shape: the image shape (H, W) or (H, W, C), to flag points that leave it.
      projective: as `affine_warp`'s (static): True for perspective matrices. A point then
        goes to `(u / w, v / w)` for `[u, v, w] = M^-1 @ [row, col, 1]`; where w <= 0 no output
        pixel sees it (it is behind the camera) and it is not visible. Positions are held
        within +-2**24 pixels, so they are always finite.

    Returns:
      (points, visible): the output positions, float32 of the same shape as
      `keypoints`, and a bool array (..., K) that is True where a point lies inside
      the output image ([-0.5, H - 0.5] x [-0.5, W - 0.5]).

    Example:
      >>> m = jaxaug.centered(jaxaug.rotation_matrix(90.0), (32, 32))
      >>> pts, visible = jaxaug.warp_keypoints(jnp.array([[0.0, 0.0]]), m, (32, 32))
      >>> tuple(pts[0].round().astype(int).tolist()), bool(visible[0])  # top-left -> bottom-left
      ((31, 0), True)

      A perspective that squeezes the right of a 5-pixel-wide image (the matrix of
      `affine_warp`'s example): input column 2 is seen at output column 4.

      >>> p = jnp.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.25, 1.0]])
      >>> pts, visible = jaxaug.warp_keypoints(jnp.array([[0.0, 2.0]]), p, (1, 5), projective=True)
      >>> tuple(pts[0].round(4).tolist()), bool(visible[0])
      ((0.0, 4.0), True)
    """
    h, w = _checks.image_hw(shape)
    points, matrices = _checked(keypoints, matrices, "keypoints", "K", 2, projective)
    size = jnp.array([h, w], jnp.float32)
    if not projective:
        points = _push(points, matrices)
        return points, jnp.all((points >= -0.5) & (points <= size - 0.5), axis=-1)
    points, ahead = _projective.push(points, matrices)
    return points, ahead & jnp.all((points >= -0.5) & (points <= size - 0.5), axis=-1)


def _checked(points, matrices, name: str, count: str, width: int, projective: bool):
    """`points` (count, width) or (N, count, width) and matching (3, 3) or (N, 3, 3) `matrices`, as float32."""
    points = _checks.real_array(points, name).astype(jnp.float32)
    matrices = _checks.real_array(matrices, "matrices").astype(jnp.float32)
    _checks.finite_if_concrete(points, name)
    # Points go through the inverse, which reads every entry: a NaN gave NaN points, zeroed boxes.
    _checks.finite_if_concrete(matrices, "matrices")
    if points.ndim not in (2, 3) or points.shape[-1] != width:
        raise ValueError(f"{name} must have shape ({count}, {width}) or (N, {count}, {width}). "
                         f"Received: {name}.shape={points.shape}")
    batched = matrices.ndim == 3 and points.ndim == 3
    if (matrices.shape[-2:] != (3, 3) or matrices.ndim > points.ndim
            or (batched and matrices.shape[0] != points.shape[0])):
        raise ValueError(
            f"matrices must have shape (3, 3) or (N, 3, 3) matching {name} of shape {points.shape}. "
            f"Received: matrices.shape={matrices.shape}")
    _projective.check_kind(matrices, projective)
    return points, matrices


def _push(points, matrices):
    """(..., K, 2) positions (row, col) through the inverse of the pull matrices: where they land."""
    push = jnp.linalg.inv(matrices)
    return jnp.einsum("...ij,...kj->...ki", push[..., :2, :2], points) + push[..., None, :2, 2]


def warp_boxes(boxes, matrices, shape, *, projective=False):
    """Moves axis-aligned boxes the way `affine_warp(images, matrices)` moves the pixels in them.

    Boxes are in pixel-edge coordinates: (row_min, col_min, row_max, col_max) with the image
    spanning [0, H] x [0, W], so pixel (r, c) is the box (r, c, r + 1, c + 1) (keypoints use
    pixel centres: add 0.5 to a keypoint to get edge coordinates). A rotated or sheared box
    is no longer axis-aligned: the result is the smallest axis-aligned box around its four
    moved corners (as albumentations and kornia do), clipped to the output image.

    Args:
      boxes: (B, 4) or (N, B, 4) boxes (row_min, col_min, row_max, col_max), in pixels;
        with (N, 3, 3) matrices, boxes must be (N, B, 4).
      matrices: (3, 3) or (N, 3, 3) pull matrices, as given to `affine_warp`. Concrete boxes
        and matrices must be finite (ValueError); traced ones are data.
      shape: the image shape (H, W) or (H, W, C); input and output images have the same.
      projective: as `affine_warp`'s (static): True for perspective matrices. The four
        corners move as `warp_keypoints` moves points, and the box is the one around them:
        exact, since a box whose corners are all in front of the camera stays a convex
        quadrilateral. A box with some corners behind the camera (w <= 0) and some in front
        reaches to infinity in the output: it becomes the whole image; one with all four
        behind is not kept.

    Returns:
      (boxes, kept): the output boxes, float32 of the same shape as `boxes`, clipped to
      [0, H] x [0, W]; and a bool array (..., B), True where the output box keeps a positive
      area inside the image. `kept` judges the enclosing box, not the object in it: under a
      rotation, a corner of the box can stay in view while the object has left. Boxes not
      kept come out as zeros: those that leave the image, input boxes without a positive area
      (row_max <= row_min or col_max <= col_min, e.g. (x, y, w, h) boxes passed by mistake)
      and boxes under a singular matrix.

    Example:
      >>> m = jaxaug.centered(jaxaug.rotation_matrix(90.0), (32, 48))
      >>> out, kept = jaxaug.warp_boxes(jnp.array([[0.0, 0.0, 8.0, 16.0]]), m, (32, 48))

      The top-left box, 8 rows by 16 columns, turns into 16 rows by 8 columns at the bottom
      left; its lower half leaves the image and is clipped away (rows 24 to 40 -> 24 to 32).

      >>> tuple(out[0].round().astype(int).tolist()), bool(kept[0])
      ((24, 8, 32, 16), True)
    """
    h, w = _checks.image_hw(shape)
    boxes, matrices = _checked(boxes, matrices, "boxes", "B", 4, projective)
    top, left, bottom, right = jnp.moveaxis(boxes, -1, 0)
    # The four corners as pixel-centre coordinates (edge - 0.5), the points' convention.
    corners = jnp.stack([top, left, top, right, bottom, left, bottom, right], axis=-1) - 0.5
    flat = corners.reshape(*boxes.shape[:-2], -1, 2)  # (..., B * 4, 2)
    size = jnp.array([h, w], jnp.float32)
    if projective:
        moved, ahead = _projective.push(flat, matrices)
        ahead = ahead.reshape(*boxes.shape[:-1], 4)
    else:
        moved, ahead = _push(flat, matrices), None
    corners = (moved + 0.5).reshape(corners.shape)
    rows, cols = corners[..., 0::2], corners[..., 1::2]
    lo = jnp.stack([rows.min(-1), cols.min(-1)], axis=-1)
    hi = jnp.stack([rows.max(-1), cols.max(-1)], axis=-1)
    if ahead is not None:  # some corners behind the camera: the box reaches to infinity
        unbounded = (~jnp.all(ahead, axis=-1))[..., None]
        lo, hi = jnp.where(unbounded, 0.0, lo), jnp.where(unbounded, size, hi)
    lo, hi = jnp.clip(lo, 0.0, size), jnp.clip(hi, 0.0, size)
    # NaN (singular matrix) fails every comparison, so it is never kept.
    kept = jnp.all(hi > lo, axis=-1) & (bottom > top) & (right > left)
    if ahead is not None:
        kept &= jnp.any(ahead, axis=-1)
    return jnp.where(kept[..., None], jnp.concatenate([lo, hi], axis=-1), 0.0), kept
