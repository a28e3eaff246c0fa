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

from jaxaug import _checks, _images
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
    "crop",
    "crop_matrix",
    "flip",
    "flip_matrix_centered",
    "random_crop",
    "random_flip",
    "random_rotation",
    "random_shear",
    "random_shift",
    "random_zoom",
    "rotation",
    "rotation_matrix_centered",
    "sample_crop",
    "sample_flip",
    "sample_rotation",
    "sample_shear",
    "sample_shift",
    "sample_zoom",
    "shear",
    "shear_matrix_centered",
    "shift",
    "shift_matrix_centered",
    "zoom",
    "zoom_matrix_centered",
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
    return centered(flip_matrix(horizontal, vertical), shape)


crop_matrix = shift_matrix_centered


# --- samplers: one image's parameters as data ---------------------------------------


# Each sampler is `sample_affine` restricted to its parameters, so a piece draws exactly what
# the `augmenter` option of the same name draws from the same key: one sampler per idea.


def sample_rotation(key, shape, max_degrees):
    """{"angle": uniform in [-max_degrees, max_degrees]} (degrees), as `sample_affine`'s rotation.

    Example:
      >>> sample_rotation(jax.random.key(0), (32, 32, 3), 20.0)["angle"]
    """
    _checks.image_hw(shape)  # the rule of every sampler: (key, shape, ...)
    m = _checks.nonnegative_float(max_degrees, "max_degrees")
    return {"angle": sample_affine(key, shape, rotation_range=m)["rotation"]}


def sample_shift(key, shape, *, height_shift_range=0.0, width_shift_range=0.0):
    """{"dy", "dx"} in pixels, with Keras ImageDataGenerator's shift-range rules (`sample_affine`'s shift).

    The ranges are keyword-only: Keras' own `random_shift(x, wrg, hrg)` takes the width
    first, so positional arguments would be easy to swap.
    A float r < 1 is a fraction of the size (uniform in [-r, r) times H or W), a
    float r >= 1 is pixels, an int n picks an integer in {0, ..., n - 1} with a
    random sign, a sequence picks one of its values with a random sign (see
    `jaxaug.random_affine`).

    Example:
      >>> sample_shift(jax.random.key(0), (32, 32), width_shift_range=0.2)["dx"]
    """
    shift = sample_affine(key, shape, height_shift_range=height_shift_range,
                          width_shift_range=width_shift_range)["shift"]
    return {"dy": shift[0], "dx": shift[1]}


def sample_shear(key, shape, max_degrees):
    """{"angle": uniform in [-max_degrees, max_degrees]} (degrees, Keras' shear), as `sample_affine`'s shear.

    Example:
      >>> sample_shear(jax.random.key(0), (32, 32, 3), 10.0)["angle"]
    """
    _checks.image_hw(shape)  # the rule of every sampler: (key, shape, ...)
    m = _checks.nonnegative_float(max_degrees, "max_degrees")
    return {"angle": sample_affine(key, shape, shear_range=m)["shear"]}


def sample_zoom(key, shape, zoom_range, *, isotropic=False):
    """{"zy", "zx"}: Keras zoom factors, uniform in [1 - z, 1 + z] (float z) or [lo, hi].

    The two factors are independent (as Keras) unless `isotropic`, when zx = zy; drawn
    as `sample_affine`'s zoom.

    Example:
      >>> sample_zoom(jax.random.key(0), (32, 32, 3), 0.2)["zy"]
    """
    _checks.image_hw(shape)  # the rule of every sampler: (key, shape, ...)
    _checks.check_bool(isotropic, "isotropic")
    zoom = sample_affine(key, shape, zoom_range=zoom_range, isotropic_zoom=isotropic)["zoom"]
    return {"zy": zoom[0], "zx": zoom[1]}


def sample_flip(key, shape, horizontal=True, vertical=False):
    """{"horizontal", "vertical"}: each enabled flip happens with probability 1/2, as `sample_affine`'s flips.

    Example:
      >>> sample_flip(jax.random.key(0), (32, 32, 3))["horizontal"]
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
      >>> sample_crop(jax.random.key(0), (32, 32, 3), 4)["dy"]
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
    """
    return _warp(image, rotation_matrix_centered, {"angle": angle}, order, fill_mode, cval)


def shift(image, dy, dx, *, order=1, fill_mode="nearest", cval=0.0):
    """Moves the content of `image` by `dy` pixels down and `dx` pixels right (same shape, dtype)."""
    return _warp(image, shift_matrix_centered, {"dy": dy, "dx": dx}, order, fill_mode, cval)


def shear(image, angle, *, order=1, fill_mode="nearest", cval=0.0):
    """Shears `image` by `angle` degrees about its centre, as Keras' `shear_range` does."""
    return _warp(image, shear_matrix_centered, {"angle": angle}, order, fill_mode, cval)


def zoom(image, zy, zx=None, *, order=1, fill_mode="nearest", cval=0.0):
    """Keras zoom about the centre: factors > 1 shrink the content, < 1 enlarge it; zx defaults to zy."""
    return _warp(image, zoom_matrix_centered, {"zy": zy, "zx": zy if zx is None else zx}, order, fill_mode, cval)


def flip(image, horizontal=False, vertical=False):
    """Mirrors `image` left-right and/or top-bottom; the flags may be traced bools. Exact (no resampling)."""
    image = _images.check_image(image, ndims=(3, 4))
    out = jnp.where(_checks.flag(horizontal, "horizontal"), jnp.flip(image, -2), image)
    return jnp.where(_checks.flag(vertical, "vertical"), jnp.flip(out, -3), out)


def random_rotation(key, image, max_degrees, *, order=1, fill_mode="nearest", cval=0.0):
    """Rotates `image` by an angle uniform in [-max_degrees, max_degrees] degrees.

    Example:
      >>> out = jaxaug.transforms.random_rotation(jax.random.key(0), image, 20.0)
    """
    image = _images.check_image(image, ndims=(3, 4))
    params = sample_rotation(key, image.shape[-3:], max_degrees)
    return rotation(image, **params, order=order, fill_mode=fill_mode, cval=cval)


def random_shift(key, image, *, height_shift_range=0.0, width_shift_range=0.0, order=1, fill_mode="nearest",
                 cval=0.0):
    """Translates `image` with Keras' shift-range rules (see `sample_shift`).

    Example:
      >>> out = jaxaug.transforms.random_shift(jax.random.key(0), image, width_shift_range=0.2)
    """
    image = _images.check_image(image, ndims=(3, 4))
    params = sample_shift(key, image.shape[-3:], height_shift_range=height_shift_range,
                          width_shift_range=width_shift_range)
    return shift(image, **params, order=order, fill_mode=fill_mode, cval=cval)


def random_shear(key, image, max_degrees, *, order=1, fill_mode="nearest", cval=0.0):
    """Shears `image` by an angle uniform in [-max_degrees, max_degrees] degrees (Keras' shear).

    Example:
      >>> out = jaxaug.transforms.random_shear(jax.random.key(0), image, 10.0)
    """
    image = _images.check_image(image, ndims=(3, 4))
    return shear(image, **sample_shear(key, image.shape[-3:], max_degrees), order=order, fill_mode=fill_mode, cval=cval)


def random_zoom(key, image, zoom_range, *, isotropic=False, order=1, fill_mode="nearest", cval=0.0):
    """Zooms `image` by factors drawn as `sample_zoom` (Keras' `zoom_range`).

    Example:
      >>> out = jaxaug.transforms.random_zoom(jax.random.key(0), image, 0.2)
    """
    image = _images.check_image(image, ndims=(3, 4))
    params = sample_zoom(key, image.shape[-3:], zoom_range, isotropic=isotropic)
    return zoom(image, **params, order=order, fill_mode=fill_mode, cval=cval)


def random_flip(key, image, horizontal=True, vertical=False):
    """Mirrors `image` left-right (and/or top-bottom) with probability 1/2 each.

    Example:
      >>> out = jaxaug.transforms.random_flip(jax.random.key(0), image)
    """
    image = _images.check_image(image, ndims=(3, 4))
    return flip(image, **sample_flip(key, image.shape[-3:], horizontal, vertical))


def crop(image, dy, dx, *, fill_mode="constant", cval=0.0):
    """Pad-and-crop by whole pixels: the content moves `dy` down and `dx` right, the gap filled.

    `shift` with nearest-neighbour sampling, so whole-pixel moves copy pixels exactly.

    Example:
      >>> out = jaxaug.transforms.crop(image, 2.0, -3.0)
    """
    return shift(image, dy, dx, order=0, fill_mode=fill_mode, cval=cval)


def random_crop(key, image, padding, *, fill_mode="constant", cval=0.0):
    """Pad-and-crop: moves the content by whole pixels in [-padding, padding], filling the gap.

    Equivalent to padding `padding` pixels on every side (with `fill_mode`) and cropping
    a random window of the original size, as in the usual CIFAR recipe (padding 4).

    Example:
      >>> out = jaxaug.transforms.random_crop(jax.random.key(0), image, 4)
    """
    image = _images.check_image(image, ndims=(3, 4))
    return crop(image, **sample_crop(key, image.shape[-3:], padding), fill_mode=fill_mode, cval=cval)
