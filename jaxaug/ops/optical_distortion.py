"""albumentations' OpticalDistortion: barrel (k > 0) and pincushion (k < 0) radial distortion, in the one resample.

Output pixel p reads the input at c + (p - c) * (1 + f(p)), c the image centre, with a
coefficient k drawn per image from U(lo, hi) and, by `mode`:

- "camera" (albumentations' default, OpenCV's lens model with k1 = k2 = k and a camera
  matrix of focal lengths (W, H)): f = k r^2 + k r^4, r^2 = ((row - cy) / H)^2 + ((col - cx) / W)^2;
- "fisheye": f = k r^2, r the distance to c over R = sqrt((W / 2)^2 + (H / 2)^2), the centre's
  distance to a corner.

k > 0 reads further out the further from the centre: the picture shrinks towards the centre
(barrel); k < 0 the other way (pincushion). k = 0 is the identity, exactly. The sampler keeps k
at or above `NO_FOLD[mode]` (-0.3636 camera, -1/3 fisheye), where the map stays one-to-one
inside the image; the twin takes any finite k (below, the corners show part of the picture a
second time, mirrored, and keypoints there follow one of its two images).

One difference from albumentations 2.0, on purpose: its centre is (H / 2, W / 2) in pixel-centre
coordinates, half a pixel off the image's centre ((H - 1) / 2, (W - 1) / 2), and its camera map
(OpenCV's `initUndistortRectifyMap` centres the output at ((W - 1) / 2, (H - 1) / 2)) also
shifts the whole image by half a pixel, so that at k = 0 it blurs it. Here the centre is the
image's centre: the map is the identity at k = 0 and commutes with flips. Our camera map is
albumentations' minus half a pixel, to float rounding (tests/test_optical_distortion.py).

The map is a displacement field in closed form (`jaxaug.dense`), computed where the warp reads:
no field reaches memory. Masks follow with order 0, keypoints and boxes by inverting the field.

This op keeps its functions here, beside its declaration:
`jaxaug.ops.optical_distortion.sample_optical_distortion`,
`jaxaug.ops.optical_distortion.optical_distortion` (the twin),
`jaxaug.ops.optical_distortion.random_optical_distortion` and
`jaxaug.ops.optical_distortion.optical_distortion_field` (the draw -> the displacement field).
"""

import jax
import jax.numpy as jnp

from jaxaug import _checks, _images, dense
from jaxaug.ops._core import Op, Option, unless_none

__all__ = ["MODES", "NO_FOLD", "OP", "optical_distortion", "optical_distortion_field", "random_optical_distortion",
           "sample_optical_distortion"]

MODES = ("camera", "fisheye")


# The smallest k whose map never folds inside the image, by mode. The radial map s -> s (1 + f) of
# the normalised radius s has the slope 1 + 3 k s^2 + 5 k s^4 (camera, s^2 <= 1/2 inside the
# image) or 1 + 3 k s^2 (fisheye, s < 1): positive for k above these. Below, the corners would
# show part of the picture a second time, mirrored.
NO_FOLD = {"camera": -1 / 2.75, "fisheye": -1 / 3}


def _limit(distort_limit, name="distort_limit", mode=None):
    lo, hi = _checks.symmetric_range(distort_limit, name, 1.0)
    lowest = min(NO_FOLD.values()) if mode is None else NO_FOLD[mode]
    if lo < lowest:
        raise ValueError(f"{name} must not go below {lowest:.4f}{'' if mode is None else f' for mode {mode!r}'}: "
                         f"there the map folds and the image's corners show part of it twice, mirrored. "
                         f"Received: {name}={_checks.short_repr(distort_limit)}")
    return lo, hi


def _mode(mode, name="mode") -> str:
    _checks.check_choice(mode, name, MODES)
    return mode


def sample_optical_distortion(key, shape, *, distort_limit=0.05, mode="camera"):
    """Draws {"k": ()}: the distortion coefficient, uniform in the limit's range.

    Args:
      key: a `jax.random` key, the only source of randomness.
      shape: the image shape (H, W) or (H, W, C).
      distort_limit: static l for U(-l, l), or a pair (lo, hi), within [`NO_FOLD`[mode], 1]:
        -0.3636 for "camera", -1/3 for "fisheye" (below, the map folds). albumentations
        recommends (-0.05, 0.05) for "camera" and (-0.3, 0.3) for "fisheye".
      mode: static, "camera" or "fisheye" (not used by the draw; see `optical_distortion_field`).

    Returns:
      {"k": float32 ()}.

    Example:
      >>> params = jaxaug.ops.optical_distortion.sample_optical_distortion(jax.random.key(0), (32, 32, 3))
      >>> params["k"].shape, bool(jnp.abs(params["k"]) <= 0.05)
      ((), True)
    """
    _checks.check_key(key)
    _checks.image_hw(shape)
    lo, hi = _limit(distort_limit, mode=_mode(mode))
    return {"k": jax.random.uniform(key, (), jnp.float32, lo, hi)}


def optical_distortion_field(shape, k, *, mode="camera", output_shape=None):
    """The displacement field (H', W', 2), in pixels (rows, columns), of the coefficient `k`.

    Args:
      shape: the image shape (H, W) or (H, W, C).
      k: the distortion coefficient, a scalar (may be traced).
      mode: static, "camera" or "fisheye" (see the module docstring).
      output_shape: static (H', W'): the field is read at each output pixel's place in the
        input (pixel centres stretched as a resize does); default (H, W).

    Returns:
      float32 (H', W', 2): (p - c) * f(p) at each output pixel p.

    Example:
      >>> field = jaxaug.ops.optical_distortion.optical_distortion_field((5, 5), 0.2)
      >>> [round(v, 5) for v in field[2, 2].tolist()], [round(v, 5) for v in field[0, 2].tolist()]
      ([0.0, 0.0], [-0.07424, 0.0])

      The centre stays; the top edge's middle reads 0.074 pixel further up (k = 0.2, barrel).
    """
    h, w = _checks.image_hw(shape)
    _mode(mode)
    k = _checks.real_array(k, "k")
    if k.ndim != 0:
        raise ValueError(f"k must be a scalar. Received: k.shape={tuple(k.shape)}")
    _checks.finite_if_concrete(k, "k")
    out_h, out_w = (h, w) if output_shape is None else output_shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    # Output pixel centres stretched onto the input (the identity when the sizes agree).
    dy = (jnp.arange(out_h, dtype=jnp.float32) + 0.5) * (h / out_h) - 0.5 - cy
    dx = (jnp.arange(out_w, dtype=jnp.float32) + 0.5) * (w / out_w) - 0.5 - cx
    dy, dx = jnp.broadcast_arrays(dy[:, None], dx[None, :])
    k = jnp.asarray(k, jnp.float32)
    if mode == "camera":
        r2 = (dy / h) ** 2 + (dx / w) ** 2
        f = k * r2 * (1.0 + r2)
    else:
        f = k * (dy * dy + dx * dx) / ((w / 2) ** 2 + (h / 2) ** 2)
    return jnp.stack([dy * f, dx * f], axis=-1)


def optical_distortion(image, k, *, mode="camera", order=1, fill_mode="nearest", cval=0.0):
    """Warps `image` by the optical distortion of coefficient `k`, in one resample.

    Args:
      image: (H, W, C); uint8 or floating.
      k: the coefficient (a draw of `sample_optical_distortion`): > 0 barrel, < 0 pincushion.
      mode: static, "camera" or "fisheye" (see the module docstring).
      order, fill_mode, cval: resampling options of `jaxaug.affine_warp`.

    Returns:
      Same shape and dtype as `image`.

    Example:
      Barrel distortion reads further out towards the borders: with a constant fill, the
      corners of a flat picture come from outside it.

      >>> x = jnp.full((9, 9, 1), 200, jnp.uint8)
      >>> out = jaxaug.ops.optical_distortion.optical_distortion(x, 0.8, fill_mode="constant")
      >>> int(out[4, 4, 0]), int(out[0, 0, 0])
      (200, 0)
    """
    image = _images.check_image(image)
    field = optical_distortion_field(image.shape, k, mode=mode)
    return dense.dense_warp(image, field, order=order, fill_mode=fill_mode, cval=cval)


def random_optical_distortion(key, image, *, distort_limit=0.05, mode="camera", order=1, fill_mode="nearest",
                              cval=0.0):
    """albumentations' `OpticalDistortion(distort_limit, mode, p=1)`, centred: `optical_distortion` of a draw.

    Args:
      key: a `jax.random` key, the only source of randomness.
      image: (H, W, C); uint8 or floating.
      distort_limit, mode: see `sample_optical_distortion`.
      order, fill_mode, cval: resampling options of `jaxaug.affine_warp`.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> out = jaxaug.ops.optical_distortion.random_optical_distortion(jax.random.key(0), image, distort_limit=0.3)
      >>> out.shape, out.dtype
      ((32, 32, 3), dtype('uint8'))

      It is the twin applied to the sampler's draw from the same key:

      >>> params = jaxaug.ops.optical_distortion.sample_optical_distortion(jax.random.key(0), image.shape,
      ...                                                                  distort_limit=0.3)
      >>> bool(jnp.all(out == jaxaug.ops.optical_distortion.optical_distortion(image, **params)))
      True
    """
    image = _images.check_image(image)
    params = sample_optical_distortion(key, image.shape, distort_limit=distort_limit, mode=mode)
    return optical_distortion(image, **params, mode=mode, order=order, fill_mode=fill_mode, cval=cval)


def _field(shape, out_hw, k, *, distort_limit, mode):
    return optical_distortion_field(shape, k, mode=mode, output_shape=out_hw)


# After the grid distortion: a lens sees the deformed scene. Slot 22: a new slot, so no existing draw moves.
OP = Op(
    name="optical_distortion", title="optical distortion", kind="geometric", stage=49, slot=22,
    units="coefficient k ~ U(-limit, limit), |k| <= 1; radial lens model \"camera\" or \"fisheye\" "
          "(albumentations' OpticalDistortion, centred)",
    doc="albumentations' OpticalDistortion: barrel or pincushion distortion of a random coefficient about the "
        "image centre, in the one resample.",
    sample=sample_optical_distortion, twin=optical_distortion, random=random_optical_distortion,
    field=_field,
    options=(Option("optical_distortion_limit", 0.0, "albumentations' OpticalDistortion distort_limit: k ~ U(-l, l) "
                    "(or a pair (lo, hi)), within [-0.3636, 1] (camera) or [-1/3, 1] (fisheye), where the map "
                    "never folds; 0 is off.", "distort_limit", check=unless_none(_limit)),
             Option("optical_distortion_mode", "camera", "optical distortion's lens model: \"camera\" or "
                    "\"fisheye\" (static).", "mode", switch=False, check=lambda v, n: _mode(v, n))),
    example=dict(distort_limit=0.3, mode="fisheye"),
)
