"""Running a pipeline piece on a batch: `Augmenter`, one independent draw per example.

Image i of a batch draws from `fold_in(key, indices[i])` (default `indices = arange(N)`), so
an example's augmentation depends only on the key and its global index: not on the batch
size, its position in the batch or the device split. All geometry of the piece becomes one
matrix per image and one resampling pass (`jaxaug.affine_warp`); the pixel ops follow on
the warped image; masks, keypoints and boxes get the same geometry and never the pixel ops.

Example:
  >>> from jaxaug import pipeline as jp
  >>> augment = jaxaug.Augmenter(jp.chain(jp.rotation(20), jp.flip(), jp.brightness((0.8, 1.2))))
  >>> out = jax.jit(augment)(jax.random.key(0), images)            # (N, H, W, C)
  >>> out.shape, out.dtype
  ((4, 32, 32, 3), dtype('uint8'))
  >>> params = augment.sample(jax.random.key(0), images)             # replayable data
  >>> angles, flips, factors = params                                # one dict of draws per piece
  >>> tuple(flips["horizontal"].tolist())
  (True, True, False, True)
  >>> same = augment.apply(params, images)
  >>> bool(jnp.all(same == augment(jax.random.key(0), images)))      # sample + apply = one call
  True
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxaug import _checks, _fusion, _images, dense, warp
from jaxaug._pieces import Augmentation

__all__ = ["Augmented", "Augmenter"]


class Augmented(NamedTuple):
    """What an `Augmenter` returns when it is given masks, keypoints or boxes (None where not given).

    `visible` flags the keypoints still inside the image (see `warp_keypoints`), `boxes_kept`
    the boxes that keep a positive area in it (see `warp_boxes`).
    """

    images: jax.Array
    masks: jax.Array | None
    keypoints: jax.Array | None
    visible: jax.Array | None
    boxes: jax.Array | None = None
    boxes_kept: jax.Array | None = None



@dataclasses.dataclass(frozen=True)
class Augmenter:
    """Runs an `Augmentation` on a batch, one independent draw per example.

    Args:
      augmentation: the piece to run (usually a `chain`).
      order: resampling order of the one warp, 0 (nearest) or 1 (bilinear).
      fill_mode, cval: how the warp fills points outside the image (see `affine_warp`).
      mask_cval: the fill value of masks under `fill_mode="constant"` (e.g. an
        "ignore" label); masks are always resampled with order 0, in float32, so integer
        labels must lie within +-2**24 (checked for masks given as numpy arrays or lists).
      value_range: (lo, hi) of the pixel values for the pixel pieces; default (0, 255)
        for uint8 images, (0, 1) for floating ones.
      dtype: output dtype; default: the images' dtype (uint8 is rounded and clipped).
      antialias: filter downscales (e.g. a `random_resized_crop` of a large photo) as PIL's
        and torchvision's antialiased bilinear resize (see `affine_warp`). Needs `order=1`
        and axis-aligned geometry (crops, resizes, flips, shifts, zooms): a piece that
        rotates or shears raises ValueError here.

    Calling it: `augmenter(key, images, *, indices=None, sizes=None, masks=None, keypoints=None, boxes=None)`.
    Example i draws from `fold_in(key, indices[i])` (default `arange(N)`). A piece with an
    output size (`random_resized_crop`, `resize`, `center_crop`) sets the output's (H', W').
    `sizes` ((N, 2) ints) gives the true (height, width) of each image of a padded batch: each
    image is then drawn, cropped and resized from its own extent (top-left aligned), into one
    output size, and the padding is never read.
    """

    augmentation: Augmentation
    order: int = 1
    fill_mode: str = "nearest"
    cval: float = 0.0
    mask_cval: float = 0.0
    value_range: tuple[float, float] | None = None
    dtype: Any = None
    antialias: bool = False

    def __post_init__(self):
        if not isinstance(self.augmentation, Augmentation):
            raise TypeError(f"augmentation must be an Augmentation (e.g. from chain). "
                            f"Received: augmentation={_checks.short_repr(self.augmentation)}")
        _checks.check_bool(self.augmentation.projective, "augmentation.projective")
        for field in ("sample", "matrix", "apply"):
            fn = getattr(self.augmentation, field)
            if not callable(fn) and not (field != "sample" and fn is None):
                raise TypeError(f"augmentation.{field} must be a function{' or None' if field != 'sample' else ''}. "
                                f"Received: augmentation.{field}={_checks.short_repr(fn)}")
        warp.check_options(self.order, self.fill_mode, self.cval)
        warp.check_antialias(self.antialias, self.order)
        if self.antialias and self.augmentation.matrix is not None and not self.augmentation.axis_aligned:
            raise ValueError("antialias=True needs axis-aligned geometry (crops, resizes, flips, shifts, zooms): its "
                             "filter is separable. Received: an augmentation with a piece that rotates or shears "
                             "(resample such geometry without antialias, or in an Augmenter of its own)")
        # jax.jit hashes the Augmenter: keep every field a hashable Python value.
        object.__setattr__(self, "cval", _checks.static_float(self.cval, "cval"))
        object.__setattr__(self, "mask_cval", _checks.static_float(self.mask_cval, "mask_cval"))
        if self.value_range is not None:
            object.__setattr__(self, "value_range", _images.value_range(jnp.float32, self.value_range))
        if self.dtype is not None:
            if not isinstance(self.dtype, (str, type, np.dtype)):
                raise TypeError(f"dtype must be a dtype or its name, e.g. 'float32'. "
                                f"Received: dtype={_checks.short_repr(self.dtype)}")
            try:
                dtype = jnp.dtype(self.dtype)
            except TypeError as err:
                raise TypeError(f"dtype must be a numpy dtype. Received: dtype={self.dtype!r}") from err
            if not (dtype == jnp.uint8 or jnp.issubdtype(dtype, jnp.floating)):
                # Other integer types would clip 0..255 images (int8 caps at 127), bool is no image.
                raise TypeError(f"dtype must be uint8 or a floating type (float16, bfloat16, float32). "
                                f"Received: dtype={self.dtype!r}")
            object.__setattr__(self, "dtype", dtype)

    def sample(self, key, images, indices=None, sizes=None):
        """The parameters of every example, batched (leading axis N): a replayable pytree."""
        _checks.check_key(key)
        images = _images.check_image(images, "images", ndims=(4,))
        indices = _check_indices(indices, images.shape[0])
        keys = jax.vmap(jax.random.fold_in, in_axes=(None, 0))(key, indices)
        if sizes is None:
            shape = images.shape[1:]
            return jax.vmap(lambda k: self.augmentation.sample(k, shape))(keys)
        sizes = self._check_sizes(sizes, images.shape)
        return jax.vmap(lambda k, e: self.augmentation.sample(k, (e[0], e[1], images.shape[-1])))(keys, sizes)

    def apply(self, params, images, *, sizes=None, masks=None, keypoints=None, boxes=None):
        """Applies sampled `params` to a batch (N, H, W, C) and, if given, its masks, keypoints and boxes.

        `params` must have the structure, shapes and dtypes `sample` gives for these images
        (and `sizes`, if the batch is ragged).
        """
        images = _images.check_image(images, "images", ndims=(4,))
        sizes = None if sizes is None else self._check_sizes(sizes, images.shape)
        expected = jax.eval_shape(lambda k, x, e: self.sample(k, x, sizes=e), jax.random.key(0), images, sizes)
        want, want_tree = jax.tree.flatten(expected)
        leaves, tree = jax.tree.flatten(params)
        try:
            shapes = [_checks.real_array(x, "params", allow_bool=True).shape for x in leaves]
        except TypeError:
            shapes = None
        if tree != want_tree or shapes != [w.shape for w in want]:
            raise ValueError(f"params must be what this Augmenter's sample() returns for these images: "
                             f"{_checks.short_repr(jax.tree.map(lambda a: a.shape, expected), 300)}. "
                             f"Received: params={_checks.short_repr(jax.tree.map(jnp.shape, params), 300)}")
        return self._apply(params, images, sizes, masks, keypoints, boxes)

    def _check_sizes(self, sizes, shape):
        """(N, 2) int32 true extents, each within the padded (H, W); only with an output size."""
        if self.augmentation.output_size is None:
            raise ValueError("sizes (a ragged batch) needs a piece that sets the output size (random_resized_crop, "
                             "resize or center_crop), so that every image comes out at one size. "
                             f"Received: sizes={_checks.short_repr(sizes)} with no such piece")
        n, h, w = shape[:3]
        what = f"the (height, width) of each image, shape ({n}, 2)"
        try:
            sizes = sizes if isinstance(sizes, jax.Array) else np.asarray(sizes)
        except (TypeError, ValueError) as err:
            raise TypeError(f"sizes must be integers, {what}. Received: sizes={_checks.short_repr(sizes)}") from err
        if not jnp.issubdtype(sizes.dtype, jnp.integer):
            raise TypeError(f"sizes must be integers, {what}. Received: sizes.dtype={sizes.dtype}")
        if tuple(sizes.shape) != (n, 2):
            raise ValueError(f"sizes must be {what}. Received: sizes.shape={tuple(sizes.shape)}")
        if not _checks.is_traced(sizes):
            host = np.asarray(sizes)
            bad = (host < 1) | (host > np.array([h, w]))
            if bad.any():
                i = int(np.argwhere(bad)[0][0])
                raise ValueError(f"sizes must lie within the padded images: 1 <= height <= {h}, 1 <= width <= {w}. "
                                 f"Received: sizes[{i}]={host[i].tolist()}")
        # Traced sizes are data: clipped into the padded extent rather than read out of bounds.
        sizes = jnp.asarray(sizes).astype(jnp.int32)
        return jnp.clip(sizes, 1, jnp.array([h, w], jnp.int32))

    def _apply(self, params, images, sizes, masks, keypoints, boxes):
        images = _images.check_image(images, "images", ndims=(4,))
        n, h, w, _ = images.shape
        piece = self.augmentation
        out_hw = (h, w) if piece.output_size is None else piece.output_size
        matrices = fields = None
        if piece.mix is not None:
            return self._mixed(params, images, sizes, (masks, keypoints, boxes))
        if piece.matrix is not None:
            if sizes is None:
                # axis_size: a piece may have no parameters at all (a fixed resize).
                matrices = jax.vmap(lambda p: piece.matrix(p, images.shape[1:]), axis_size=n)(params)
            else:
                matrices = jax.vmap(lambda p, e: piece.matrix(p, (e[0], e[1], images.shape[-1])))(params, sizes)
            if piece.field is not None:
                fields = jax.vmap(lambda p: piece.field(p, images.shape[1:], out_hw), axis_size=n)(params)
            out = warp.warp_float(images, matrices, self.order, self.fill_mode, self.cval, out_hw=out_hw, extents=sizes,
                                  antialias=self.antialias, aligned=True, projective=piece.projective, fields=fields)
        else:
            out = images.astype(jnp.float32)
        if piece.apply is not None:
            if piece.matrix is not None and not piece.fuses_with_warp:
                # Ops that read more than their own pixel (statistics, other channels,
                # neighbours), or cost more than a few operations per element, read the warped
                # image from memory; cheap pointwise ones run inside the warp's loop.
                out = _fusion.materialize(out)
            vr = _images.value_range(images.dtype, self.value_range)
            if piece.apply_batch is not None:
                out = piece.apply_batch(params, out, vr)
            else:
                out = jax.vmap(lambda p, image: piece.apply(p, image, vr))(params, out)
        out = _images.restore(out, images.dtype if self.dtype is None else self.dtype)
        if masks is None and keypoints is None and boxes is None:
            return out
        eye = jnp.broadcast_to(jnp.eye(3, dtype=jnp.float32), (n, 3, 3))
        matrices = eye if matrices is None else matrices
        projective = piece.projective
        return Augmented(out, self._masks(masks, matrices, (n, h, w), out_hw, sizes, projective, fields),
                         *_points("keypoints", keypoints, matrices, out_hw, projective, fields),
                         *_points("boxes", boxes, matrices, out_hw, projective, fields))

    def _mixed(self, params, images, sizes, labels):
        """A piece that mixes several resamples of the original images (AugMix), through the one warp."""
        if any(x is not None for x in labels):
            raise ValueError("masks, keypoints and boxes cannot follow a piece that mixes several resamples (AugMix): "
                             "each view has several geometries. Received: masks, keypoints or boxes")
        if sizes is not None:
            raise ValueError(f"sizes needs a piece that sets the output size; a mixing piece keeps it. "
                             f"Received: sizes={_checks.short_repr(sizes)}")
        vr = _images.value_range(images.dtype, self.value_range)

        def warp_through(matrices, fields=None, projective=False):
            return warp.warp_float(images, matrices, self.order, self.fill_mode, self.cval, projective=projective,
                                   fields=fields)

        out = self.augmentation.mix(params, images, warp_through, vr)
        return _images.restore(out, images.dtype if self.dtype is None else self.dtype)

    def __call__(self, key, images, *, indices=None, sizes=None, masks=None, keypoints=None, boxes=None):
        """Augments `images` (N, H, W, C) — or one image (H, W, C), as example 0.

        Returns the augmented images ((N, H', W', C): the input's size unless a piece sets
        another; dtype as `dtype`), or an `Augmented` tuple when `masks` ((N, H, W) or
        (N, H, W, K)), `keypoints` ((N, K, 2), (row, col) pixel centres) or `boxes` ((N, B, 4),
        (row_min, col_min, row_max, col_max) pixel edges) are given: they get the same
        geometry (and come out at the output size, in its pixels), never the pixel ops.
        `sizes` ((N, 2) ints): the true (height, width) of each image of a padded batch.
        """
        _checks.check_key(key)
        images = _images.check_image(images, "images", ndims=(3, 4))
        single = images.ndim == 3
        if single:
            for name, value in (("indices", indices), ("sizes", sizes)):
                if value is not None:
                    raise ValueError(f"{name} is only for a batch (N, H, W, C). "
                                     f"Received: {name}={_checks.short_repr(value)}")
            images = jnp.asarray(images)[None]
            masks = None if masks is None else _mask_array(masks)[None]
            keypoints = None if keypoints is None else _checks.real_array(keypoints, "keypoints")[None]
            boxes = None if boxes is None else _checks.real_array(boxes, "boxes")[None]
        # The parameters are computed once, in memory, before any pixel reads them: otherwise
        # XLA's CPU backend may fuse the sampling (the threefry rounds) into the per-pixel loop
        # of an op that reads them and redo it for every pixel (a policy ran 2.5x slower;
        # `lax.optimization_barrier` does not prevent that, see `jaxaug._fusion`).
        sizes = None if sizes is None else self._check_sizes(sizes, images.shape)
        params = _fusion.materialize(self.sample(key, images, indices, sizes))
        out = self._apply(params, images, sizes, masks, keypoints, boxes)
        return jax.tree.map(lambda a: a[0], out) if single else out

    def _masks(self, masks, matrices, nhw, out_hw, sizes, projective, fields):
        if masks is None:
            return None
        masks = _mask_array(masks)
        if masks.shape[:3] != nhw or masks.ndim not in (3, 4):
            raise ValueError(f"masks must have shape {nhw} or {nhw + ('K',)} to match the images. "
                             f"Received: masks.shape={masks.shape}")
        stacked = masks if masks.ndim == 4 else masks[..., None]
        out = warp.warp_float(stacked.astype(jnp.float32), matrices, 0, self.fill_mode, self.mask_cval, out_hw=out_hw,
                              extents=sizes, projective=projective, fields=fields)
        return _images.restore(out if masks.ndim == 4 else out[..., 0], masks.dtype)


# Masks are resampled in float32, which holds every integer label of magnitude <= 2**24 exactly.
_MASK_LIMIT = 2**24


def _mask_array(masks):
    """Masks as a jax array; integer labels given on the host must survive float32 (and int32) exactly.

    A numpy int64 label of 2**40 + 3 would otherwise come back as 3. Labels already on the
    device (or traced) are data and are not read back; the same limit applies to them.
    """
    try:  # anything numpy cannot read as an array is left for real_array to name
        host = None if isinstance(masks, (jax.Array, str, bytes)) else np.asarray(masks)
    except (TypeError, ValueError):
        host = None
    if host is not None and host.dtype.kind in "iu" and host.size:
        lo, hi = int(host.min()), int(host.max())
        if max(-lo, hi) > _MASK_LIMIT:
            raise ValueError(f"masks must hold labels of magnitude <= 2**24 (resampled exactly in float32). "
                             f"Received: masks containing {hi if hi > _MASK_LIMIT else lo}")
    return _checks.real_array(masks, "masks", allow_bool=True)


# name: (letter of the count axis, last axis size, its layout, the function that moves them)
_POINTS = {"keypoints": ("K", 2, "(row, col) per point", warp.warp_keypoints),
           "boxes": ("B", 4, "(row_min, col_min, row_max, col_max) per box", warp.warp_boxes)}


def _points(name: str, points, matrices, hw, projective: bool, fields=None):
    """A batch's keypoints or boxes, moved by the matrices: (moved, flags), or (None, None) if not given."""
    if points is None:
        return None, None
    count, width, layout, move = _POINTS[name]
    points = _checks.real_array(points, name)
    _checks.finite_if_concrete(points, name)
    if points.ndim != 3 or points.shape[0] != matrices.shape[0] or points.shape[-1] != width:
        raise ValueError(f"{name} must have shape ({matrices.shape[0]}, {count}, {width}), {layout}. "
                         f"Received: {name}.shape={points.shape}")
    if fields is not None:  # a dense warp: moved by inverting it (see `jaxaug.dense`)
        move = dense.dense_keypoints if name == "keypoints" else dense.dense_boxes
        return move(points, fields, hw, matrices=matrices, projective=projective)
    return move(points, matrices, hw, projective=projective)


def _check_indices(indices, n: int):
    if indices is None:
        return jnp.arange(n, dtype=jnp.uint32)
    # fold_in takes 32-bit data: a negative or larger index would wrap onto another example's draw.
    return _checks.integer_indices(indices, "indices", n, 2**32, "one global example index per image",
                                   dtype=jnp.uint32)
