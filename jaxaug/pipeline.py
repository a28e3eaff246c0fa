"""Augmentation pipelines: parameters as data, one warp, per-example keys.

An `Augmentation` is a small pure piece, in the spirit of optax:

* `sample(key, shape) -> params` draws the parameters of ONE image of `shape`
  (H, W, C) as a pytree of arrays that can be logged and replayed;
* `matrix(params, shape) -> (3, 3)` for geometric pieces: a centred pull matrix
  (see `jaxaug.geometry`), or None;
* `apply(params, image, value_range) -> image` for pixel pieces (colour, noise,
  blur, occlusion), on one float32 image, or None.

`chain(*pieces)` combines pieces into one. When a chain runs, the matrices of all
its geometric pieces are multiplied into ONE matrix per image and the image is
resampled ONCE; the pixel pieces follow, in their order, on the warped image. So a
chain always acts as "all geometry, then all pixel ops", whatever the order in which
the two kinds are interleaved.

`Augmenter` runs a piece on a batch: image i draws from `fold_in(key, indices[i])`
(default `indices = arange(N)`), so an example's augmentation depends only on the key
and its global index — not on the batch size, its position or the device split. Inside
an image, piece j of a chain draws from `fold_in(image_key, j)`.

`augmenter(...)` builds an `Augmenter` from Keras ImageDataGenerator's option names.

Example:
  >>> from jaxaug import pipeline as jp
  >>> augment = jaxaug.Augmenter(jp.chain(jp.rotation(20), jp.flip(), jp.brightness((0.8, 1.2))))
  >>> out = jax.jit(augment)(jax.random.key(0), images)            # (N, H, W, C)
  >>> params = augment.sample(jax.random.key(0), images)             # replayable data
  >>> same = augment.apply(params, images)
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import inspect
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxaug import _checks, _images, color, filters, geometry, noise, normalize, occlusion, transforms, warp

__all__ = [
    "Augmentation",
    "Augmented",
    "Augmenter",
    "affine",
    "augmenter",
    "blur",
    "brightness",
    "chain",
    "channel_shift",
    "contrast",
    "crop",
    "cutout",
    "flip",
    "gaussian_noise",
    "grayscale",
    "hsv_contrast",
    "hue",
    "random_erasing",
    "rotation",
    "salt_and_pepper",
    "saturation",
    "shear",
    "shift",
    "standardize",
    "zoom",
]


class Augmentation(NamedTuple):
    """One pipeline piece: `sample` parameters, then `matrix` (geometric) or `apply` (pixel)."""

    sample: Callable[[Any, tuple], Any]
    matrix: Callable[[Any, tuple], jax.Array] | None = None
    apply: Callable[[Any, jax.Array, tuple], jax.Array] | None = None
    # For HSV ops: params -> an edit (h, s, v) -> (h, s, v); consecutive ones share one round trip.
    hsv: Callable[[Any], Callable] | None = None


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


_PROBE_SHAPE = (8, 8, 3)


def _checked(piece: Augmentation) -> Augmentation:
    # Tracing the piece once with abstract values runs its static checks now, so a bad
    # option fails where the pipeline is built, not at the first batch.
    def probe(key, image):
        params = piece.sample(key, _PROBE_SHAPE)
        if piece.matrix is not None:
            piece.matrix(params, _PROBE_SHAPE)
        if piece.apply is not None:
            piece.apply(params, image, (0.0, 1.0))

    jax.eval_shape(probe, jax.random.key(0), jax.ShapeDtypeStruct(_PROBE_SHAPE, jnp.float32))
    return piece


def _geometric(sample, matrix_fn) -> Augmentation:
    return _checked(Augmentation(sample=sample, matrix=lambda p, shape: matrix_fn(shape, **p)))


def _pixel(sample, twin, *, hsv=None, **twin_options) -> Augmentation:
    def apply(params, image, value_range):
        return twin(image, **params, value_range=value_range, **twin_options)

    edit = None if hsv is None else (lambda params: color.hsv_edit(hsv, **params))
    return _checked(Augmentation(sample=sample, apply=apply, hsv=edit))


def _combine(pieces, slots, names=None) -> Augmentation:
    """Pieces drawing from `fold_in(key, slot)`; params a tuple, or a dict keyed by `names`."""
    keys = tuple(range(len(pieces))) if names is None else tuple(names)
    geometric = [(k, p) for k, p in zip(keys, pieces, strict=True) if p.matrix is not None]
    pixel = [(k, p) for k, p in zip(keys, pieces, strict=True) if p.apply is not None]

    def sample(key, shape):
        drawn = [p.sample(jax.random.fold_in(key, s), shape) for s, p in zip(slots, pieces, strict=True)]
        return tuple(drawn) if names is None else dict(zip(names, drawn, strict=True))

    def matrix(params, shape):
        return geometry.compose(*(p.matrix(params[k], shape) for k, p in geometric))

    def apply(params, image, value_range):
        for run in _hsv_runs(pixel):
            if len(run) > 1:  # one round trip through HSV for the whole run
                image = color.in_hsv(image, [p.hsv(params[k]) for k, p in run], value_range=value_range)
            else:
                k, p = run[0]
                image = p.apply(params[k], image, value_range)
        return image

    return Augmentation(sample, matrix if geometric else None, apply if pixel else None)


def _hsv_runs(pixel):
    """Splits (name, piece) pairs into runs: consecutive HSV pieces together, others alone."""
    runs = []
    for k, p in pixel:
        if p.hsv is not None and runs and runs[-1][-1][1].hsv is not None:
            runs[-1].append((k, p))
        else:
            runs.append([(k, p)])
    return runs


def chain(*pieces: Augmentation) -> Augmentation:
    """Combines pieces into one; piece j draws from `fold_in(key, j)`, params are a tuple.

    Geometric pieces are composed in order (the content undergoes the first piece's
    motion first) into one matrix; pixel pieces then run in order.

    Example:
      >>> piece = chain(rotation(20), shift(width_shift_range=0.1), brightness((0.8, 1.2)))
    """
    for j, p in enumerate(pieces):
        if not isinstance(p, Augmentation):
            raise TypeError(f"chain takes Augmentation pieces. Received: pieces[{j}]={_checks.short_repr(p)}")
    return _combine(pieces, tuple(range(len(pieces))))


# --- geometric pieces -------------------------------------------------------------------


def affine(*, rotation_range=0.0, width_shift_range=0.0, height_shift_range=0.0, shear_range=0.0, zoom_range=0.0,
           horizontal_flip=False, vertical_flip=False, isotropic_zoom=False) -> Augmentation:
    """Keras ImageDataGenerator's whole geometric transform, drawn as `jaxaug.sample_affine`."""
    options = dict(rotation_range=rotation_range, width_shift_range=width_shift_range,
                   height_shift_range=height_shift_range, shear_range=shear_range, zoom_range=zoom_range,
                   horizontal_flip=horizontal_flip, vertical_flip=vertical_flip, isotropic_zoom=isotropic_zoom)
    return _geometric(lambda key, shape: geometry.sample_affine(key, shape, **options),
                      lambda shape, **p: geometry.affine_matrix(shape[:2], **p))


def rotation(max_degrees) -> Augmentation:
    """Rotation by an angle uniform in [-max_degrees, max_degrees] degrees."""
    return _geometric(lambda key, shape: transforms.sample_rotation(key, max_degrees),
                      transforms.rotation_matrix_centered)


def shift(*, height_shift_range=0.0, width_shift_range=0.0) -> Augmentation:
    """Translation with Keras' shift-range rules (fractions of the size when < 1, else pixels)."""
    return _geometric(lambda key, shape: transforms.sample_shift(key, shape, height_shift_range=height_shift_range,
                                                                 width_shift_range=width_shift_range),
                      transforms.shift_matrix_centered)


def shear(max_degrees) -> Augmentation:
    """Keras shear by an angle uniform in [-max_degrees, max_degrees] degrees."""
    return _geometric(lambda key, shape: transforms.sample_shear(key, max_degrees), transforms.shear_matrix_centered)


def zoom(zoom_range, *, isotropic=False) -> Augmentation:
    """Keras zoom: factors uniform in [1 - z, 1 + z] (or [lo, hi]); one factor for both axes if `isotropic`."""
    return _geometric(lambda key, shape: transforms.sample_zoom(key, zoom_range, isotropic=isotropic),
                      transforms.zoom_matrix_centered)


def flip(horizontal=True, vertical=False) -> Augmentation:
    """Mirror left-right (and/or top-bottom), each with probability 1/2."""
    return _geometric(lambda key, shape: transforms.sample_flip(key, horizontal, vertical),
                      transforms.flip_matrix_centered)


def crop(padding) -> Augmentation:
    """Pad-and-crop: a whole-pixel translation in [-padding, padding] on each axis.

    The uncovered border follows the pipeline's `fill_mode` (use "constant" for the
    classic zero padding, "reflect" for reflection padding).
    """
    return _geometric(lambda key, shape: transforms.sample_crop(key, padding), transforms.crop_matrix)


# --- pixel pieces -----------------------------------------------------------------------


def brightness(brightness_range) -> Augmentation:
    """Keras' multiplicative brightness: factor uniform in `brightness_range` (see `jaxaug.adjust_brightness`)."""
    return _pixel(lambda key, shape: color.sample_brightness(key, brightness_range), color.adjust_brightness)


def channel_shift(intensity) -> Augmentation:
    """Keras' `channel_shift_range`: one offset uniform in [-intensity, intensity], in pixel units."""
    return _pixel(lambda key, shape: color.sample_channel_shift(key, intensity), color.shift_channels)


def contrast(contrast_range) -> Augmentation:
    """Contrast about each channel's mean, factor uniform in `contrast_range`."""
    return _pixel(lambda key, shape: color.sample_contrast(key, contrast_range), color.adjust_contrast)


def saturation(saturation_range) -> Augmentation:
    """HSV saturation scaled by a factor uniform in `saturation_range`."""
    return _pixel(lambda key, shape: color.sample_saturation(key, saturation_range), color.adjust_saturation,
                  hsv="saturation")


def hue(max_delta) -> Augmentation:
    """Hue rotated by a fraction of a turn uniform in [-max_delta, max_delta] (max_delta <= 0.5)."""
    return _pixel(lambda key, shape: color.sample_hue(key, max_delta), color.adjust_hue, hsv="hue")


def hsv_contrast(exponent_range=(0.25, 4.0)) -> Augmentation:
    """The tutorial's HSV contrast: S and V raised to exponents log-uniform in `exponent_range`, H kept."""
    return _pixel(lambda key, shape: color.sample_hsv_contrast(key, exponent_range), color.adjust_hsv_contrast,
                  hsv="hsv_contrast")


def grayscale(probability) -> Augmentation:
    """Converts to grayscale (ITU-R 601 luma, 3 channels kept) with the given probability."""
    return _pixel(lambda key, shape: color.sample_grayscale(key, probability), color.blend_grayscale)


def blur(sigma_range, *, truncate=4.0) -> Augmentation:
    """Gaussian blur (scale space) with sigma in pixels, fixed (scalar) or uniform in (lo, hi).

    The kernel has 2 * int(truncate * max_sigma + 0.5) + 1 taps per axis; see `jaxaug.gaussian_blur`.
    """
    max_sigma = _checks.fixed_or_range(sigma_range, "sigma_range", maximum=filters.MAX_RADIUS)[1]
    return _pixel(lambda key, shape: filters.sample_gaussian_blur(key, sigma_range), filters.gaussian_blur,
                  max_sigma=max_sigma, truncate=truncate)


def gaussian_noise(sigma_range) -> Augmentation:
    """Additive Gaussian noise, sigma as a fraction of the value range, fixed (scalar) or uniform in (lo, hi)."""
    return _pixel(lambda key, shape: noise.sample_gaussian_noise(key, shape, sigma_range), noise.add_noise)


def salt_and_pepper(amount, salt_vs_pepper=0.5) -> Augmentation:
    """Replaces a fraction `amount` of pixels by white (salt) or black (pepper) dots."""
    return _pixel(lambda key, shape: noise.sample_salt_and_pepper(key, shape, amount, salt_vs_pepper),
                  noise.apply_salt_and_pepper)


def cutout(size, *, probability=1.0, value=0.0) -> Augmentation:
    """Cutout (DeVries & Taylor, 2017): a size x size square set to `value`; see `jaxaug.random_cutout`."""
    return _pixel(lambda key, shape: occlusion.sample_cutout(key, shape, size, probability=probability),
                  occlusion.erase, value=value)


def random_erasing(*, probability=0.5, area_range=(0.02, 0.33), aspect_range=(0.3, 3.3), value=0.0) -> Augmentation:
    """Random erasing (Zhong et al., 2017); see `jaxaug.random_erasing`."""
    return _pixel(lambda key, shape: occlusion.sample_random_erasing(
        key, shape, probability=probability, area_range=area_range, aspect_range=aspect_range),
        occlusion.erase, value=value)


def standardize(statistics=None, **options) -> Augmentation:
    """Keras ImageDataGenerator's normalisation as a last piece; see `jaxaug.standardize`.

    It ignores the value range (the result is no longer in it), so put it last.
    """
    def apply(params, image, value_range):
        return normalize.standardize(image, statistics, **options)

    return _checked(Augmentation(sample=lambda key, shape: (), apply=apply))


# --- running pipelines --------------------------------------------------------------------


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

    Calling it: `augmenter(key, images, *, indices=None, masks=None, keypoints=None, boxes=None)`.
    Example i draws from `fold_in(key, indices[i])` (default `arange(N)`).
    """

    augmentation: Augmentation
    order: int = 1
    fill_mode: str = "nearest"
    cval: float = 0.0
    mask_cval: float = 0.0
    value_range: tuple[float, float] | None = None
    dtype: Any = None

    def __post_init__(self):
        if not isinstance(self.augmentation, Augmentation):
            raise TypeError(f"augmentation must be an Augmentation (e.g. from chain). "
                            f"Received: augmentation={_checks.short_repr(self.augmentation)}")
        for field in ("sample", "matrix", "apply"):
            fn = getattr(self.augmentation, field)
            if not callable(fn) and not (field != "sample" and fn is None):
                raise TypeError(f"augmentation.{field} must be a function{' or None' if field != 'sample' else ''}. "
                                f"Received: augmentation.{field}={_checks.short_repr(fn)}")
        warp.check_options(self.order, self.fill_mode, self.cval)
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

    def sample(self, key, images, indices=None):
        """The parameters of every example, batched (leading axis N): a replayable pytree."""
        _checks.check_key(key)
        images = _images.check_image(images, "images", ndims=(4,))
        indices = _check_indices(indices, images.shape[0])
        keys = jax.vmap(jax.random.fold_in, in_axes=(None, 0))(key, indices)
        shape = images.shape[1:]
        return jax.vmap(lambda k: self.augmentation.sample(k, shape))(keys)

    def apply(self, params, images, *, masks=None, keypoints=None, boxes=None):
        """Applies sampled `params` to a batch (N, H, W, C) and, if given, its masks, keypoints and boxes.

        `params` must have the structure, shapes and dtypes `sample` gives for these images.
        """
        images = _images.check_image(images, "images", ndims=(4,))
        expected = jax.eval_shape(self.sample, jax.random.key(0), images)
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
        return self._apply(params, images, masks, keypoints, boxes, token=None)

    def _apply(self, params, images, masks, keypoints, boxes, token):
        images = _images.check_image(images, "images", ndims=(4,))
        n, h, w, _ = images.shape
        piece = self.augmentation
        matrices = None
        if piece.matrix is not None:
            matrices = jax.vmap(lambda p: piece.matrix(p, images.shape[1:]))(params)
            out = warp.warp_float(images, matrices, self.order, self.fill_mode, self.cval)
        else:
            out = images.astype(jnp.float32)
        if piece.apply is not None:
            if piece.matrix is not None:
                out = _materialize(out, token)
            vr = _images.value_range(images.dtype, self.value_range)
            out = jax.vmap(lambda p, image: piece.apply(p, image, vr))(params, out)
        out = _images.restore(out, images.dtype if self.dtype is None else self.dtype)
        if masks is None and keypoints is None and boxes is None:
            return out
        eye = jnp.broadcast_to(jnp.eye(3, dtype=jnp.float32), (n, 3, 3))
        matrices = eye if matrices is None else matrices
        return Augmented(out, self._masks(masks, matrices, (n, h, w)),
                         *_points("keypoints", keypoints, matrices, (h, w)), *_points("boxes", boxes, matrices, (h, w)))

    def __call__(self, key, images, *, indices=None, masks=None, keypoints=None, boxes=None):
        """Augments `images` (N, H, W, C) — or one image (H, W, C), as example 0.

        Returns the augmented images (same shape; dtype as `dtype`), or an `Augmented`
        tuple when `masks` ((N, H, W) or (N, H, W, K)), `keypoints` ((N, K, 2), (row, col)
        pixel centres) or `boxes` ((N, B, 4), (row_min, col_min, row_max, col_max) pixel
        edges) are given: they get the same geometry, never the pixel ops.
        """
        _checks.check_key(key)
        images = _images.check_image(images, "images", ndims=(3, 4))
        single = images.ndim == 3
        if single:
            if indices is not None:
                raise ValueError(f"indices is only for a batch (N, H, W, C). "
                                 f"Received: indices={_checks.short_repr(indices)}")
            images = jnp.asarray(images)[None]
            masks = None if masks is None else _mask_array(masks)[None]
            keypoints = None if keypoints is None else _checks.real_array(keypoints, "keypoints")[None]
            boxes = None if boxes is None else _checks.real_array(boxes, "boxes")[None]
        # The key is the same on every device, so the fusion boundary needs no cross-device read.
        token = jax.random.key_data(key).reshape(-1)[0]
        out = self._apply(self.sample(key, images, indices), images, masks, keypoints, boxes, token=token)
        return jax.tree.map(lambda a: a[0], out) if single else out

    def _masks(self, masks, matrices, nhw):
        if masks is None:
            return None
        masks = _mask_array(masks)
        if masks.shape[:3] != nhw or masks.ndim not in (3, 4):
            raise ValueError(f"masks must have shape {nhw} or {nhw + ('K',)} to match the images. "
                             f"Received: masks.shape={masks.shape}")
        stacked = masks if masks.ndim == 4 else masks[..., None]
        out = warp.warp_float(stacked.astype(jnp.float32), matrices, 0, self.fill_mode, self.mask_cval)
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


def _points(name: str, points, matrices, hw):
    """A batch's keypoints or boxes, moved by the matrices: (moved, flags), or (None, None) if not given."""
    if points is None:
        return None, None
    count, width, layout, move = _POINTS[name]
    points = _checks.real_array(points, name)
    _checks.finite_if_concrete(points, name)
    if points.ndim != 3 or points.shape[0] != matrices.shape[0] or points.shape[-1] != width:
        raise ValueError(f"{name} must have shape ({matrices.shape[0]}, {count}, {width}), {layout}. "
                         f"Received: {name}.shape={points.shape}")
    return move(points, matrices, hw)


def _materialize(x, token=None):
    """Returns `x` computed once, in memory, before the pixel ops read it.

    XLA's CPU backend otherwise fuses the warp into a reduction of a pixel op (e.g. the
    image max of Keras' channel shift) and recomputes it per element in a scalar loop:
    measured 3-4x slower for the whole pipeline. A conditional is a fusion boundary that
    XLA keeps; both branches return `x` unchanged (x * 1 == x for every float, NaN too).
    Its predicate must not be foldable: a float compared with itself (NaN != NaN). It is
    taken from `token` (a replicated scalar, e.g. from the key) when given; reading
    `x`'s first element instead would make a batch sharded over devices all-reduce it.
    """
    probe = (x.reshape(-1)[0] if token is None else token).astype(jnp.float32)
    return lax.cond(probe == probe, lambda v: v, lambda v: v * 1.0, x)


def _check_indices(indices, n: int):
    if indices is None:
        return jnp.arange(n, dtype=jnp.uint32)
    # fold_in takes 32-bit data: a negative or larger index would wrap onto another example's draw.
    return _checks.integer_indices(indices, "indices", n, 2**32, "one global example index per image",
                                   dtype=jnp.uint32)


# `augmenter`'s options of the same names shadow these two pieces.
_gaussian_noise_piece, _salt_and_pepper_piece = gaussian_noise, salt_and_pepper

# Each option of `augmenter` draws from its own fixed slot, so switching one option on
# or off never changes what the others draw (and recorded runs stay reproducible).
_SLOTS = {
    "affine": 0, "crop": 1, "channel_shift": 2, "brightness": 3, "contrast": 4, "saturation": 5, "hue": 6,
    "hsv_contrast": 7, "grayscale": 8, "blur": 9, "gaussian_noise": 10, "salt_and_pepper": 11, "cutout": 12,
    "random_erasing": 13, "standardize": 14,
}


def _is_off(name: str, value) -> bool:
    """Whether option `name` is off: at its default's kind of "off" (False, None or a numeric 0).

    Only that kind counts: `horizontal_flip=0` or `rotation_range=None` is a mistake, which
    the option's own check then names, not a silent "off".
    """
    if _checks.is_traced(value):
        raise TypeError(f"augmenter option {name} must be a static Python value, not a traced one. "
                        f"Received: {name}={_checks.short_repr(value)}")
    default = _DEFAULTS[name]
    if isinstance(default, bool):
        with _naming(name):
            _checks.check_bool(value, name)
        return not value
    if value is None:
        return default is None
    if isinstance(value, (bool, np.bool_, str, bytes)) or np.ndim(value) != 0:
        return False
    if default is None and name != "rescale":  # a (lo, hi) option is off only at None; rescale=0 is Keras' "none"
        return False
    return value == 0


def _check_companions(*, isotropic_zoom, salt_vs_pepper, cutout_probability) -> None:
    """Options that only refine another one are checked even while that one is off."""
    with _naming("isotropic_zoom"):
        _checks.check_bool(isotropic_zoom, "isotropic_zoom")
    with _naming("salt_vs_pepper"):
        _checks.bounded_float(salt_vs_pepper, "salt_vs_pepper", 1.0)
    with _naming("cutout_probability"):
        _checks.bounded_float(cutout_probability, "cutout_probability", 1.0)


def augmenter(
    *,
    rotation_range=0.0,
    width_shift_range=0.0,
    height_shift_range=0.0,
    shear_range=0.0,
    zoom_range=0.0,
    isotropic_zoom=False,
    horizontal_flip=False,
    vertical_flip=False,
    crop_padding=0,
    fill_mode="nearest",
    cval=0.0,
    order=1,
    channel_shift_range=0.0,
    brightness_range=None,
    contrast_range=None,
    saturation_range=None,
    hue_range=0.0,
    hsv_contrast_range=None,
    grayscale_probability=0.0,
    blur_sigma_range=0.0,
    gaussian_noise=0.0,
    salt_and_pepper=0.0,
    salt_vs_pepper=0.5,
    cutout_size=0,
    cutout_probability=1.0,
    random_erasing_probability=0.0,
    rescale=None,
    samplewise_center=False,
    samplewise_std_normalization=False,
    featurewise_center=False,
    featurewise_std_normalization=False,
    zca_whitening=False,
    statistics=None,
    mask_cval=0.0,
    value_range=None,
    dtype=None,
    **unknown,
) -> Augmenter:
    """An `Augmenter` configured with Keras ImageDataGenerator's option names.

    `jax.jit(augmenter(...))(key, images)` gives every image its own draw. The
    pipeline is: one warp for all geometry (Keras' rotation @ shift @ shear @ zoom,
    then flips, then `crop_padding`), then channel shift, brightness, contrast,
    saturation, hue, HSV contrast, grayscale, blur, Gaussian noise, salt and pepper,
    cutout, random erasing, and last the normalisation (rescale, samplewise and
    featurewise statistics, ZCA), in Keras' order. Options left at their default are
    off. Each option draws from its own slot of the example's key.

    Args:
      rotation_range, width_shift_range, height_shift_range, shear_range, zoom_range,
        horizontal_flip, vertical_flip, fill_mode, cval: as Keras (see
        `jaxaug.random_affine`; degrees, fractions of the size when < 1 or pixels).
      isotropic_zoom: one zoom factor for both axes instead of two independent ones.
      crop_padding: pixels of pad-and-crop translation (see `crop`), filled by `fill_mode`
        (so "nearest" by default; `random_crop` alone defaults to "constant").
      order: 0 (nearest, Keras before December 2017) or 1 (bilinear, Keras'
        `interpolation_order` default).
      channel_shift_range: Keras' channel shift, in pixel units (0..255 for uint8).
      brightness_range: Keras' (lo, hi) multiplicative brightness factor.
      contrast_range, saturation_range: (lo, hi) factors; hue_range: max hue change
        in fractions of a turn (<= 0.5).
      hsv_contrast_range: (lo, hi) exponents for S and V, log-uniform (the tutorial
        uses (0.25, 4)).
      grayscale_probability: probability of converting to grayscale.
      blur_sigma_range: Gaussian blur sigma in pixels, scalar (fixed) or (lo, hi).
      gaussian_noise: noise sigma as a fraction of the value range, scalar or (lo, hi).
      salt_and_pepper: fraction of pixels replaced, scalar or (lo, hi);
        salt_vs_pepper: the share of salt among them.
      cutout_size: side of the cutout square: pixels if an int, a fraction of the
        shorter side if a float in (0, 1] (so 1 is one pixel, 1.0 the whole side);
        cutout_probability: how often it is applied.
      random_erasing_probability: probability of random erasing (Zhong et al.).
      rescale, samplewise_center, samplewise_std_normalization, featurewise_center,
        featurewise_std_normalization, zca_whitening: Keras' normalisation; the
        featurewise ones need `statistics` from `jaxaug.fit`. Any of them makes the
        output float32.
      mask_cval, value_range, dtype: see `Augmenter`. Float images in 0..255 (as
        Keras' `img_to_array` gives) need `value_range=(0, 255)`: the default for
        floats is (0, 1), and the pixel ops clip to it.

    Returns:
      An `Augmenter`: call it as `augment(key, images, *, indices=None, masks=None,
      keypoints=None, boxes=None)`.

    Example:
      >>> augment = jaxaug.augmenter(rotation_range=20, width_shift_range=0.2,
      ...                            height_shift_range=0.2, zoom_range=0.2)
      >>> out = jax.jit(augment)(jax.random.key(0), images)
    """
    if unknown:
        name = sorted(unknown)[0]
        close = difflib.get_close_matches(name, _OPTION_NAMES, n=1)
        hint = " Use order=0 or order=1." if name == "interpolation_order" else (
            f" Did you mean {close[0]!r}?" if close else "")
        raise ValueError(f"augmenter got an unknown option {name!r}.{hint} Received: {name}={unknown[name]!r}")
    pieces = _pieces(
        rotation_range=rotation_range, width_shift_range=width_shift_range, height_shift_range=height_shift_range,
        shear_range=shear_range, zoom_range=zoom_range, isotropic_zoom=isotropic_zoom, horizontal_flip=horizontal_flip,
        vertical_flip=vertical_flip, crop_padding=crop_padding, channel_shift_range=channel_shift_range,
        brightness_range=brightness_range, contrast_range=contrast_range, saturation_range=saturation_range,
        hue_range=hue_range, hsv_contrast_range=hsv_contrast_range, grayscale_probability=grayscale_probability,
        blur_sigma_range=blur_sigma_range, gaussian_noise=gaussian_noise, salt_and_pepper=salt_and_pepper,
        salt_vs_pepper=salt_vs_pepper, cutout_size=cutout_size, cutout_probability=cutout_probability,
        random_erasing_probability=random_erasing_probability)
    norm = _keras_normalisation(rescale=rescale, samplewise_center=samplewise_center,
                                samplewise_std_normalization=samplewise_std_normalization,
                                featurewise_center=featurewise_center,
                                featurewise_std_normalization=featurewise_std_normalization,
                                zca_whitening=zca_whitening)
    if statistics is not None and not isinstance(statistics, normalize.Statistics):
        raise TypeError(f"augmenter option statistics must be a jaxaug.Statistics (from jaxaug.fit) or None. "
                        f"Received: statistics={_checks.short_repr(statistics)}")
    if not all([_is_off(name, v) for name, v in norm.items()]):
        with _naming("statistics (from jaxaug.fit) or the normalisation options"):
            pieces["standardize"] = standardize(statistics, **norm)
        dtype = jnp.float32 if dtype is None else dtype
    piece = _combine(tuple(pieces.values()), tuple(_SLOTS[k] for k in pieces), names=tuple(pieces))
    return Augmenter(piece, order=order, fill_mode=fill_mode, cval=cval, mask_cval=mask_cval,
                     value_range=value_range, dtype=dtype)


def _pieces(*, rotation_range=0.0, width_shift_range=0.0, height_shift_range=0.0, shear_range=0.0, zoom_range=0.0,
            isotropic_zoom=False, horizontal_flip=False, vertical_flip=False, crop_padding=0, channel_shift_range=0.0,
            brightness_range=None, contrast_range=None, saturation_range=None, hue_range=0.0, hsv_contrast_range=None,
            grayscale_probability=0.0, blur_sigma_range=0.0, gaussian_noise=0.0, salt_and_pepper=0.0,
            salt_vs_pepper=0.5, cutout_size=0, cutout_probability=1.0,
            random_erasing_probability=0.0) -> dict[str, Augmentation]:
    """The pieces of `augmenter`'s augmentation options that are on, by name, in pipeline order.

    Shared with `jaxaug.keras`, whose parameter dicts are keyed by these names; each
    piece's slot is `_SLOTS[name]`.
    """
    _check_companions(isotropic_zoom=isotropic_zoom, salt_vs_pepper=salt_vs_pepper,
                      cutout_probability=cutout_probability)
    pieces = {}
    geometric = dict(rotation_range=rotation_range, width_shift_range=width_shift_range,
                     height_shift_range=height_shift_range, shear_range=shear_range, zoom_range=zoom_range,
                     horizontal_flip=horizontal_flip, vertical_flip=vertical_flip)
    if not all([_is_off(name, v) for name, v in geometric.items()]):
        with _naming("rotation_range, width_shift_range, height_shift_range, shear_range, zoom_range, "
                     "horizontal_flip, vertical_flip or isotropic_zoom"):
            pieces["affine"] = affine(**geometric, isotropic_zoom=isotropic_zoom)
    options = {"crop": "crop_padding", "channel_shift": "channel_shift_range", "brightness": "brightness_range",
               "contrast": "contrast_range", "saturation": "saturation_range", "hue": "hue_range",
               "hsv_contrast": "hsv_contrast_range", "grayscale": "grayscale_probability",
               "blur": "blur_sigma_range", "gaussian_noise": "gaussian_noise",
               "salt_and_pepper": "salt_and_pepper or salt_vs_pepper", "cutout": "cutout_size or cutout_probability",
               "random_erasing": "random_erasing_probability"}
    optional = {
        "crop": (crop_padding, crop),
        "channel_shift": (channel_shift_range, channel_shift),
        "brightness": (brightness_range, brightness),
        "contrast": (contrast_range, contrast),
        "saturation": (saturation_range, saturation),
        "hue": (hue_range, hue),
        "hsv_contrast": (hsv_contrast_range, hsv_contrast),
        "grayscale": (grayscale_probability, grayscale),
        "blur": (blur_sigma_range, blur),
        "gaussian_noise": (gaussian_noise, _gaussian_noise_piece),
        "salt_and_pepper": (salt_and_pepper, lambda a: _salt_and_pepper_piece(a, salt_vs_pepper)),
        "cutout": (cutout_size, lambda s: cutout(s, probability=cutout_probability)),
        "random_erasing": (random_erasing_probability, lambda p: random_erasing(probability=p)),
    }
    for name, (value, make) in optional.items():
        if not _is_off(options[name].split(" or ")[0], value):
            with _naming(options[name]):
                pieces[name] = make(value)
    return pieces


@contextlib.contextmanager
def _naming(option: str):
    """Re-raises a piece's error with the `augmenter` option(s) the user actually passed."""
    try:
        yield
    except (ValueError, TypeError) as err:
        names = [name.strip() for name in option.replace(" or ", ", ").split(",")]
        # A message that already starts with the option's name needs no list of the others.
        prefix = "augmenter" if any(str(err).startswith(name) for name in names) else f"augmenter option {option}"
        raise type(err)(f"{prefix}: {err}") from err


def _keras_normalisation(**flags):
    """The flags as Keras' ImageDataGenerator resolves them in its constructor (with its warnings)."""
    rules = [
        ("zca_whitening", "featurewise_center", True, "zca_whitening needs featurewise_center: turning it on"),
        ("zca_whitening", "featurewise_std_normalization", False,
         "zca_whitening overrides featurewise_std_normalization: turning it off"),
        ("featurewise_std_normalization", "featurewise_center", True,
         "featurewise_std_normalization needs featurewise_center: turning it on"),
        ("samplewise_std_normalization", "samplewise_center", True,
         "samplewise_std_normalization needs samplewise_center: turning it on"),
    ]
    for name, value in flags.items():
        if name != "rescale":
            _is_off(name, value)  # checks the flag is a bool
    for cause, flag, value, message in rules:
        if flags[cause] and flags[flag] != value:
            warnings.warn(f"augmenter: {message}, as Keras' ImageDataGenerator does.", stacklevel=3)
            flags[flag] = value
    return flags


_OPTION_NAMES = tuple(augmenter.__code__.co_varnames[: augmenter.__code__.co_kwonlyargcount])
_DEFAULTS = {name: p.default for name, p in inspect.signature(augmenter).parameters.items() if name != "unknown"}
