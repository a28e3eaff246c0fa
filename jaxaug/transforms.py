"""Geometric image ops: deterministic twins, their parameter samplers and random versions.

Every op comes in three parts, so a pipeline can draw parameters as data and
compose the geometry before resampling once:

* `sample_<op>(key, ...)` draws the parameters of one image as a dict;
* `<op>_matrix(shape, **params)` turns them into a centred 3x3 pull matrix
  (see `jaxaug.geometry` for the convention);
* the deterministic twin (`rotation`, `shift`, `shear`, `zoom`, `flip`, `crop`) and the
  random op (`random_rotation`, ...) warp one image with `affine_warp`.

Angles are degrees (counter-clockwise), shifts are pixels (the content moves down /
right for positive values), zooms are Keras factors (> 1 shows more of the picture,
i.e. shrinks the content). All ops act about the image centre.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxaug import _checks, _images, geometry
from jaxaug.geometry import (
    centered,
    flip_matrix,
    rotation_matrix,
    sample_affine,
    shear_matrix,
    shift_matrix,
    zoom_matrix,
)
from jaxaug.warp import affine_warp

__all__ = [
    "center_crop", "center_crop_matrix", "check_resized_crop_ratio", "check_resized_crop_scale", "check_size",
    "crop", "crop_matrix", "flip", "flip_matrix_centered", "random_crop", "random_flip", "random_resized_crop",
    "random_rotation", "random_shear", "random_shift", "random_zoom", "resize", "resize_matrix", "resized_crop",
    "resized_crop_matrix", "rotation", "rotation_matrix_centered", "sample_crop", "sample_flip",
    "sample_resized_crop", "sample_rotation", "sample_shear", "sample_shift", "sample_zoom", "shear",
    "shear_matrix_centered", "shift", "shift_matrix_centered", "zoom", "zoom_matrix_centered",
]


# --- parameters -> centred matrices ------------------------------------------------


def rotation_matrix_centered(shape, angle):
    """Rotation by `angle` degrees counter-clockwise about the centre of `shape`."""
    return centered(rotation_matrix(angle), shape)


def shift_matrix_centered(shape, dy, dx):
    """Translation of the content by (dy, dx) pixels (centring does not change it)."""
    _checks.image_hw(shape)
    return shift_matrix(dy, dx)


def shear_matrix_centered(shape, angle):
    """Keras' shear by `angle` degrees about the centre of `shape`."""
    return centered(shear_matrix(angle), shape)


def zoom_matrix_centered(shape, zy, zx):
    """Keras zoom (input = zoom * output) about the centre of `shape`."""
    return centered(zoom_matrix(zy, zx), shape)


def flip_matrix_centered(shape, horizontal, vertical):
    """Mirror left-right and/or top-bottom (bools, may be traced) about the centre."""
    return centered(flip_matrix(horizontal=horizontal, vertical=vertical), shape)


crop_matrix = shift_matrix_centered


# --- samplers: one image's parameters as data ---------------------------------------


# Each sampler is `sample_affine` restricted to its parameters, so a piece draws exactly what
# the `augmenter` option of the same name draws from the same key: one sampler per idea.


def sample_rotation(key, shape, max_angle):
    """{"angle": uniform in [-max_angle, max_angle]} (degrees), as `sample_affine`'s rotation.

    `max_angle` is a static number >= 0 whose range has a finite width in float32, so at most
    1.7e38 (3e38 drew inf and blanked the image); angles beyond a turn are accepted.

    Example:
      >>> round(float(sample_rotation(jax.random.key(0), (32, 32, 3), 20.0)["angle"]), 2)
      17.91
    """
    _checks.image_hw(shape)  # the rule of every sampler: (key, shape, ...)
    m = _checks.half_range(max_angle, "max_angle")  # its width 2 * max_angle must be finite in float32
    return {"angle": sample_affine(key, shape, rotation_range=m)["rotation"]}


def sample_shift(key, shape, *, height_shift_range=0.0, width_shift_range=0.0):
    """{"dy", "dx"} in pixels, with Keras ImageDataGenerator's shift-range rules (`sample_affine`'s shift).

    The ranges are keyword-only: Keras' own `random_shift(x, wrg, hrg)` takes the width
    first, so positional arguments would be easy to swap.
    A float r < 1 is a fraction of the size (uniform in [-r, r) times H or W), a
    float r >= 1 is pixels, an int n picks an integer in {0, ..., n - 1} with a
    random sign, a sequence picks one of its values with a random sign (see
    `jaxaug.random_affine_matrix`).

    Example:
      A fraction of the width, in pixels; an int range gives whole pixels:

      >>> params = sample_shift(jax.random.key(0), (32, 32), width_shift_range=0.2)
      >>> {name: round(float(v), 3) for name, v in params.items()}
      {'dy': 0.0, 'dx': -0.401}
      >>> float(sample_shift(jax.random.key(0), (32, 32), width_shift_range=3)["dx"])
      1.0
    """
    shift = sample_affine(key, shape, height_shift_range=height_shift_range,
                          width_shift_range=width_shift_range)["shift"]
    return {"dy": shift[0], "dx": shift[1]}


def sample_shear(key, shape, max_angle):
    """{"angle": uniform in [-max_angle, max_angle]} (degrees, Keras' shear), as `sample_affine`'s shear.

    `max_angle` is a static number in [0, 1.7e38] (the range's width must be finite in float32).

    Example:
      >>> round(float(sample_shear(jax.random.key(0), (32, 32, 3), 10.0)["angle"]), 2)
      -6.69
    """
    _checks.image_hw(shape)  # the rule of every sampler: (key, shape, ...)
    m = _checks.half_range(max_angle, "max_angle")  # its width 2 * max_angle must be finite in float32
    return {"angle": sample_affine(key, shape, shear_range=m)["shear"]}


def sample_zoom(key, shape, zoom_range, *, isotropic=False):
    """{"zy", "zx"}: Keras zoom factors, uniform in [1 - z, 1 + z] (float z) or [lo, hi].

    The two factors are independent (as Keras) unless `isotropic`, when zx = zy; drawn
    as `sample_affine`'s zoom.

    Example:
      >>> {name: round(float(v), 3) for name, v in sample_zoom(jax.random.key(0), (32, 32, 3), 0.2).items()}
      {'zy': 0.924, 'zx': 1.076}
      >>> params = sample_zoom(jax.random.key(0), (32, 32, 3), 0.2, isotropic=True)
      >>> bool(params["zx"] == params["zy"])
      True
    """
    _checks.image_hw(shape)  # the rule of every sampler: (key, shape, ...)
    _checks.check_bool(isotropic, "isotropic")
    zoom = sample_affine(key, shape, zoom_range=zoom_range, isotropic_zoom=isotropic)["zoom"]
    return {"zy": zoom[0], "zx": zoom[1]}


def sample_flip(key, shape, *, horizontal=True, vertical=False):
    """{"horizontal", "vertical"}: each enabled flip happens with probability 1/2, as `sample_affine`'s flips.

    Example:
      >>> {name: bool(v) for name, v in sample_flip(jax.random.key(1), (32, 32, 3)).items()}
      {'horizontal': True, 'vertical': False}
    """
    _checks.image_hw(shape)  # the rule of every sampler: (key, shape, ...)
    for name, flag in (("horizontal", horizontal), ("vertical", vertical)):
        _checks.check_bool(flag, name)
    params = sample_affine(key, shape, horizontal_flip=horizontal, vertical_flip=vertical)
    return {"horizontal": params["horizontal_flip"], "vertical": params["vertical_flip"]}


def sample_crop(key, shape, padding):
    """{"dy", "dx"}: integer pixel shifts, each uniform in {-padding, ..., padding}.

    Translating by these with a fill mode is the classic "pad by `padding` and take a
    random crop of the original size" (pad-and-crop), done in the one warp.

    Example:
      >>> {name: float(v) for name, v in sample_crop(jax.random.key(0), (32, 32, 3), 4).items()}
      {'dy': 0.0, 'dx': -1.0}
    """
    _checks.image_hw(shape)  # the rule of every sampler: (key, shape, ...)
    _checks.check_key(key)
    _checks.check_int(padding, "padding", 0, _checks.MAX_PIXELS)
    d = jax.random.randint(key, (2,), -padding, padding + 1).astype(jnp.float32)
    return {"dy": d[0], "dx": d[1]}


# --- deterministic twins and random ops ---------------------------------------------

def _warp(image, matrix_fn, params, order, fill_mode, cval):
    image = _images.check_image(image, ndims=(3, 4))
    matrix = matrix_fn(image.shape[-3:-1], **params)
    return affine_warp(image, matrix, order=order, fill_mode=fill_mode, cval=cval)


def rotation(image, angle, *, order=1, fill_mode="nearest", cval=0.0):
    """Rotates `image` by `angle` degrees counter-clockwise about its centre.

    Args:
      image: (H, W, C) (or a batch (N, H, W, C), all rotated alike).
      angle: degrees; may be traced.
      order, fill_mode, cval: resampling options of `affine_warp`.

    Returns:
      The rotated image, same shape and dtype.

    Example:
      >>> out = jaxaug.transforms.rotation(jnp.ones((32, 32, 3)), 15.0, fill_mode="constant")
      >>> out.shape, out.dtype, float(out[0, 0, 0])  # a corner comes from outside: cval
      ((32, 32, 3), dtype('float32'), 0.0)

      A quarter turn of a 3x3 picture holding 0..8 row by row: the right column comes to the top.

      >>> x = jnp.arange(9, dtype=jnp.uint8).reshape(3, 3, 1)
      >>> tuple(map(tuple, rotation(x, 90.0)[..., 0].tolist()))
      ((2, 5, 8), (1, 4, 7), (0, 3, 6))
    """
    return _warp(image, rotation_matrix_centered, {"angle": angle}, order, fill_mode, cval)


def shift(image, dy, dx, *, order=1, fill_mode="nearest", cval=0.0):
    """Moves the content of `image` by `dy` pixels down and `dx` pixels right (same shape, dtype).

    Example:
      >>> ramp = jnp.arange(4.0).reshape(1, 4, 1)
      >>> tuple(shift(ramp, 0, 1, fill_mode="constant")[0, :, 0].tolist())
      (0.0, 0.0, 1.0, 2.0)
    """
    return _warp(image, shift_matrix_centered, {"dy": dy, "dx": dx}, order, fill_mode, cval)


def shear(image, angle, *, order=1, fill_mode="nearest", cval=0.0):
    """Shears `image` by `angle` degrees about its centre, as Keras' `shear_range` does.

    Example:
      >>> out = shear(image, 15.0)
      >>> out.shape == image.shape and out.dtype == image.dtype
      True

      A vertical line leans over: rows above the centre slide left, rows below slide right.

      >>> line = jnp.zeros((5, 5, 1), jnp.uint8).at[:, 2].set(100)
      >>> tuple(map(tuple, shear(line, 30.0)[..., 0].tolist()))
      ((0, 100, 0, 0, 0), (0, 50, 50, 0, 0), (0, 0, 100, 0, 0), (0, 0, 50, 50, 0), (0, 0, 0, 100, 0))
    """
    return _warp(image, shear_matrix_centered, {"angle": angle}, order, fill_mode, cval)


def zoom(image, zy, *, zx=None, order=1, fill_mode="nearest", cval=0.0):
    """Keras zoom about the centre: factors > 1 shrink the content, < 1 enlarge it; zx defaults to zy.

    Example:
      >>> ramp = jnp.arange(5.0).reshape(1, 5, 1)
      >>> tuple(zoom(ramp, 1.0, zx=0.5)[0, :, 0].tolist())   # the middle, twice as wide
      (1.0, 1.5, 2.0, 2.5, 3.0)
    """
    return _warp(image, zoom_matrix_centered, {"zy": zy, "zx": zy if zx is None else zx}, order, fill_mode, cval)


def flip(image, *, horizontal=False, vertical=False):
    """Mirrors `image` left-right and/or top-bottom; the flags may be traced bools. Exact (no resampling).

    Example:
      >>> tuple(flip(jnp.arange(3.0).reshape(1, 3, 1), horizontal=True)[0, :, 0].tolist())
      (2.0, 1.0, 0.0)
    """
    image = _images.check_image(image, ndims=(3, 4))
    out = jnp.where(_checks.flag(horizontal, "horizontal"), jnp.flip(image, -2), image)
    return jnp.where(_checks.flag(vertical, "vertical"), jnp.flip(out, -3), out)


def random_rotation(key, image, max_angle, *, order=1, fill_mode="nearest", cval=0.0):
    """Rotates `image` by an angle uniform in [-max_angle, max_angle] degrees.

    Example:
      >>> out = jaxaug.transforms.random_rotation(jax.random.key(0), image, 20.0)
      >>> out.shape, out.dtype
      ((32, 32, 3), dtype('uint8'))
    """
    image = _images.check_image(image, ndims=(3, 4))
    params = sample_rotation(key, image.shape[-3:], max_angle)
    return rotation(image, **params, order=order, fill_mode=fill_mode, cval=cval)


def random_shift(key, image, *, height_shift_range=0.0, width_shift_range=0.0, order=1, fill_mode="nearest",
                 cval=0.0):
    """Translates `image` with Keras' shift-range rules (see `sample_shift`).

    Example:
      >>> out = jaxaug.transforms.random_shift(jax.random.key(0), image, width_shift_range=0.2)
      >>> out.shape, out.dtype
      ((32, 32, 3), dtype('uint8'))
    """
    image = _images.check_image(image, ndims=(3, 4))
    params = sample_shift(key, image.shape[-3:], height_shift_range=height_shift_range,
                          width_shift_range=width_shift_range)
    return shift(image, **params, order=order, fill_mode=fill_mode, cval=cval)


def random_shear(key, image, max_angle, *, order=1, fill_mode="nearest", cval=0.0):
    """Shears `image` by an angle uniform in [-max_angle, max_angle] degrees (Keras' shear).

    Example:
      >>> out = jaxaug.transforms.random_shear(jax.random.key(0), image, 10.0)
      >>> out.shape, out.dtype
      ((32, 32, 3), dtype('uint8'))
    """
    image = _images.check_image(image, ndims=(3, 4))
    return shear(image, **sample_shear(key, image.shape[-3:], max_angle), order=order, fill_mode=fill_mode, cval=cval)


def random_zoom(key, image, zoom_range, *, isotropic=False, order=1, fill_mode="nearest", cval=0.0):
    """Zooms `image` by factors drawn as `sample_zoom` (Keras' `zoom_range`).

    Example:
      >>> out = jaxaug.transforms.random_zoom(jax.random.key(0), image, 0.2)
      >>> out.shape, out.dtype
      ((32, 32, 3), dtype('uint8'))
    """
    image = _images.check_image(image, ndims=(3, 4))
    params = sample_zoom(key, image.shape[-3:], zoom_range, isotropic=isotropic)
    return zoom(image, **params, order=order, fill_mode=fill_mode, cval=cval)


def random_flip(key, image, *, horizontal=True, vertical=False):
    """Mirrors `image` left-right (and/or top-bottom) with probability 1/2 each.

    Example:
      >>> out = jaxaug.transforms.random_flip(jax.random.key(0), image)
      >>> bool(jnp.all(out == image) | jnp.all(out == image[:, ::-1]))  # mirrored or not, never resampled
      True
    """
    image = _images.check_image(image, ndims=(3, 4))
    return flip(image, **sample_flip(key, image.shape[-3:], horizontal=horizontal, vertical=vertical))


def crop(image, dy, dx, *, fill_mode="constant", cval=0.0):
    """Pad-and-crop by whole pixels: the content moves `dy` down and `dx` right, the gap filled.

    `shift` with nearest-neighbour sampling, so whole-pixel moves copy pixels exactly.

    Example:
      >>> out = jaxaug.transforms.crop(image, 2.0, -3.0)
      >>> bool(jnp.all(out[2:, :-3] == image[:-2, 3:])), int(out[:2].max())  # exact copy; the gap is cval
      (True, 0)
    """
    return shift(image, dy, dx, order=0, fill_mode=fill_mode, cval=cval)


def random_crop(key, image, padding, *, fill_mode="constant", cval=0.0):
    """Pad-and-crop: moves the content by whole pixels in [-padding, padding], filling the gap.

    Equivalent to padding `padding` pixels on every side (with `fill_mode`) and cropping
    a random window of the original size, as in the usual CIFAR recipe (padding 4).

    Example:
      The same key draws `sample_crop`'s (dy, dx) = (0, -1): the content moves one pixel left.

      >>> out = jaxaug.transforms.random_crop(jax.random.key(0), image, 4)
      >>> bool(jnp.all(out[:, :-1] == image[:, 1:])), int(out[:, -1].max())
      (True, 0)
    """
    image = _images.check_image(image, ndims=(3, 4))
    return crop(image, **sample_crop(key, image.shape[-3:], padding), fill_mode=fill_mode, cval=cval)


# --- output sizes: resized crops, resizes and centre crops ---------------------------
#
# These map an output grid of another size onto the input, so their matrices take the
# output `size` too; composed with other geometry, they still cost one resample. A box is in
# pixel edges: (top, left, height, width) covers rows [top, top + height) of the input.


def check_size(size, name: str) -> tuple[int, int]:
    """(height, width) of an output, from an int (a square) or a pair of ints in [1, 2**15].

    The bound, `jaxaug._checks.MAX_SIDE` = 32,768 per side, keeps float32 output coordinates
    precise to 1/512 of a pixel and the output below 2**30 pixels; a larger size is refused by
    `name` instead of failing in XLA (RESOURCE_EXHAUSTED) or overflowing.
    """
    original = size
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (size, size)
    if (not isinstance(size, (tuple, list)) or len(size) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in size)
            or min(size) < 1):
        raise ValueError(f"{name} must be an int or (height, width), ints >= 1. "
                         f"Received: {name}={_checks.short_repr(original)}")
    if max(size) > _checks.MAX_SIDE:
        raise ValueError(f"{name} must be at most {_checks.MAX_SIDE} pixels per side (2**15). "
                         f"Received: {name}={_checks.short_repr(original)}")
    return int(size[0]), int(size[1])


def check_resized_crop_scale(value, name: str) -> tuple[float, float]:
    """`sample_resized_crop`'s `scale`: (lo, hi) fractions of the image area, 0 < lo <= hi <= 1.

    Public to the package so that an option naming it (`augmenter`'s `resized_crop_scale`) is
    checked by the same rule even while its op is off.
    """
    lo, hi = _checks.static_range(value, name, positive=True)
    if hi > 1:
        raise ValueError(f"{name} must lie in (0, 1] (fractions of the image area). Received: {name}={value!r}")
    return lo, hi


def check_resized_crop_ratio(value, name: str) -> tuple[float, float]:
    """`sample_resized_crop`'s `ratio`: (lo, hi) of width / height, 0 < lo <= hi (drawn log-uniformly).

    Public to the package for `augmenter`'s `resized_crop_ratio`, as `check_resized_crop_scale`.
    """
    return _checks.static_range(value, name, positive=True)


def resized_crop_matrix(shape, size, top, left, height, width):
    """Pull matrix from an output of `size` to the input box (top, left, height, width), in pixel edges.

    Output pixel centre o + 1/2 maps to top + (o + 1/2) * height / size[0] on the rows (the
    half-pixel rule of PIL, torchvision, OpenCV and `jax.image.resize`), and alike on the
    columns. The samples stay inside the box, but the bilinear taps and the antialiasing
    filter may read the pixels next to it, as PIL's `resize(size, box=...)` does.

    The box entries are real scalars; concrete ones must be finite and `height`, `width` > 0
    (a box of no area, or a string, is refused by name). Traced ones are data, not checked.
    """
    _checks.image_hw(shape)
    out_h, out_w = check_size(size, "size")
    _check_box(top, left, height, width)
    sy = jnp.asarray(height, jnp.float32) / out_h
    sx = jnp.asarray(width, jnp.float32) / out_w
    return geometry.entries_matrix(sy, 0.0, top + 0.5 * sy - 0.5, 0.0, sx, left + 0.5 * sx - 0.5)


def _check_box(top, left, height, width) -> None:
    """Checks a crop box (top, left, height, width) of real scalars; concrete sides must be > 0."""
    for name, value in (("top", top), ("left", left)):
        _checks.real_scalar(value, name)
    for name, value in (("height", height), ("width", width)):
        _checks.real_scalar(value, name, positive=True)


def resize_matrix(shape, size):
    """Pull matrix of a resize of the whole image of `shape` to `size` (see `resized_crop_matrix`)."""
    h, w = _checks.image_hw(shape)
    return resized_crop_matrix(shape, size, 0.0, 0.0, h, w)


def center_crop_matrix(shape, size):
    """Pull matrix of torchvision's `CenterCrop(size)`: whole-pixel offsets, padding when `size` is larger.

    The crop starts at round((H - h') / 2) (half to even, as Python's `round`); an output larger
    than the image is padded with (h' - H) // 2 pixels above (torchvision's rule), filled by
    the warp's fill mode.
    """
    h, w = _checks.image_hw(shape)
    out_h, out_w = check_size(size, "size")

    def offset(extent, out):
        d = jnp.asarray(extent - out, jnp.float32)
        return jnp.where(d >= 0, jnp.round(d / 2), -jnp.floor(-d / 2))

    return geometry.entries_matrix(1.0, 0.0, offset(h, out_h), 0.0, 1.0, offset(w, out_w))


_TRIES = 10  # torchvision's RandomResizedCrop.get_params


def sample_resized_crop(key, shape, *, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)):
    """{"top", "left", "height", "width"}: torchvision's `RandomResizedCrop` box, in whole pixels.

    Up to 10 tries draw an area fraction uniform in `scale` and an aspect ratio (width /
    height) log-uniform in `ratio`; the box is round(sqrt(area * ratio)) wide and
    round(sqrt(area / ratio)) high, and the first try that fits the image is placed
    uniformly at random. If none fits, the fallback is the largest centred box whose ratio
    lies in `ratio`. All tries are drawn at once (no loop), so it runs per image in one
    compiled call; `shape` may hold a traced (H, W), the true extent of a padded image.

    Example:
      >>> {name: int(v) for name, v in sample_resized_crop(jax.random.key(0), (32, 32, 3)).items()}
      {'top': 13, 'left': 13, 'height': 18, 'width': 14}
    """
    h, w = _checks.image_hw(shape)
    _checks.check_key(key)
    lo, hi = check_resized_crop_scale(scale, "scale")
    rlo, rhi = check_resized_crop_ratio(ratio, "ratio")
    h, w = jnp.asarray(h, jnp.float32), jnp.asarray(w, jnp.float32)
    k_area, k_ratio, k_top, k_left = jax.random.split(key, 4)
    area = h * w * jax.random.uniform(k_area, (_TRIES,), minval=lo, maxval=hi)
    aspect = jnp.exp(jax.random.uniform(k_ratio, (_TRIES,), minval=np.log(rlo), maxval=np.log(rhi)))
    box_w, box_h = jnp.round(jnp.sqrt(area * aspect)), jnp.round(jnp.sqrt(area / aspect))
    fits = (box_w > 0) & (box_w <= w) & (box_h > 0) & (box_h <= h)
    top = jnp.floor(jax.random.uniform(k_top, (_TRIES,)) * (h - box_h + 1))
    left = jnp.floor(jax.random.uniform(k_left, (_TRIES,)) * (w - box_w + 1))
    first = jnp.argmax(fits)
    # The fallback: the whole image, narrowed (or flattened) to the nearest allowed ratio.
    in_ratio = w / h
    fb_w = jnp.where(in_ratio > rhi, jnp.round(h * rhi), w)
    fb_h = jnp.where(in_ratio < rlo, jnp.round(w / rlo), h)
    fallback = (jnp.floor((h - fb_h) / 2), jnp.floor((w - fb_w) / 2), fb_h, fb_w)
    drawn = (top[first], left[first], box_h[first], box_w[first])
    box = [jnp.where(fits[first], d, f) for d, f in zip(drawn, fallback, strict=True)]
    return dict(zip(("top", "left", "height", "width"), box, strict=True))


def resized_crop(image, top, left, height, width, size, *, order=1, fill_mode="nearest", cval=0.0,
                 antialias=False):
    """Crops the box (top, left, height, width) (pixel edges) and resizes it to `size`, in one resample.

    Args:
      image: (H, W, C) (or a batch (N, H, W, C), all cropped alike).
      top, left, height, width: the box in input pixels; may be traced and fractional.
        Concrete `height` and `width` must be > 0 (0, -8 or '8' are refused by name); the
        box may stick out of the image (the fill mode fills it).
      size: the output (height, width), or an int for a square; at most 2**15 per side.
      order, fill_mode, cval, antialias: see `affine_warp`; `antialias=True` filters a
        downscale as PIL's and torchvision's antialiased bilinear resize.

    Example:
      >>> out = jaxaug.transforms.resized_crop(image, 4, 4, 24, 24, (64, 64))
      >>> out.shape, out.dtype
      ((64, 64, 3), dtype('uint8'))

      The box spans pixel edges 1 to 3 of a ramp 0..3, so the four samples sit at pixel
      centres 0.75, 1.25, 1.75 and 2.25:

      >>> ramp = jnp.arange(4.0).reshape(1, 4, 1)
      >>> tuple(resized_crop(ramp, 0, 1, 1, 2, (1, 4))[0, :, 0].tolist())
      (0.75, 1.25, 1.75, 2.25)
    """
    image = _images.check_image(image, ndims=(3, 4))
    matrix = resized_crop_matrix(image.shape[-3:], size, top, left, height, width)
    return affine_warp(image, matrix, output_shape=check_size(size, "size"), order=order, fill_mode=fill_mode,
                       cval=cval,
                       antialias=antialias)


def resize(image, size, *, order=1, antialias=False):
    """Resizes the whole image to `size` ((height, width), or an int for a square; at most 2**15 per side).

    Unlike torchvision's `Resize(int)`, an int is a square output, not the shorter edge.
    `antialias=True` equals PIL's `Image.resize(size, BILINEAR)` (within rounding) when downscaling.

    Example:
      >>> out = jaxaug.transforms.resize(image, (16, 24), antialias=True)
      >>> out.shape, out.dtype
      ((16, 24, 3), dtype('uint8'))

      Upscaling a ramp 0..3 by 2 (half-pixel centres, edges held); halving a row plainly
      averages pixel pairs, with `antialias` it blends their neighbours too:

      >>> ramp = jnp.arange(4.0).reshape(1, 4, 1)
      >>> tuple(resize(ramp, (1, 8))[0, :, 0].tolist())
      (0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0)
      >>> row = jnp.array([[[0], [100], [200], [250]]], jnp.uint8)
      >>> tuple(resize(row, (1, 2))[0, :, 0].tolist()), tuple(resize(row, (1, 2), antialias=True)[0, :, 0].tolist())
      ((50, 225), (71, 207))
    """
    image = _images.check_image(image, ndims=(3, 4))
    return affine_warp(image, resize_matrix(image.shape[-3:], size), output_shape=check_size(size, "size"), order=order,
                       fill_mode="nearest", antialias=antialias)


def center_crop(image, size, *, fill_mode="constant", cval=0.0):
    """torchvision's `CenterCrop(size)`: the central `size` window, padded (by `fill_mode`) where larger.

    `size` is an int (a square) or (height, width), at most 2**15 per side (see `check_size`).

    Example:
      >>> out = jaxaug.transforms.center_crop(image, 24)
      >>> out.shape, bool(jnp.all(out == image[4:28, 4:28]))
      ((24, 24, 3), True)
      >>> row = jnp.array([[[0], [100], [200], [250]]], jnp.uint8)
      >>> tuple(center_crop(row, (1, 6), cval=9)[0, :, 0].tolist())  # larger: padded with cval
      (9, 0, 100, 200, 250, 9)
    """
    image = _images.check_image(image, ndims=(3, 4))
    return affine_warp(image, center_crop_matrix(image.shape[-3:], size), output_shape=check_size(size, "size"),
                       order=0,
                       fill_mode=fill_mode, cval=cval)


def random_resized_crop(key, image, size, *, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), order=1, antialias=False):
    """torchvision's `RandomResizedCrop`: a box drawn by `sample_resized_crop`, resized to `size`.

    Example:
      >>> out = jaxaug.transforms.random_resized_crop(jax.random.key(0), image, 24)
      >>> out.shape, out.dtype
      ((24, 24, 3), dtype('uint8'))
    """
    image = _images.check_image(image, ndims=(3, 4))
    box = sample_resized_crop(key, image.shape[-3:], scale=scale, ratio=ratio)
    return resized_crop(image, **box, size=size, order=order, antialias=antialias)
