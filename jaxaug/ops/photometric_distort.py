"""The photometric-distort preset: torchvision's `RandomPhotometricDistort`, drawn per image.

torchvision's rules (the SSD recipe): each of brightness, contrast, saturation and hue is
applied with probability `probability`, its factor uniform in its range; contrast goes
before or after saturation and hue with equal chance; last, with `probability`, the channels
are permuted (any of the C! orders). So the order is brightness, [contrast], saturation,
hue, [contrast], channel permutation. The steps are torchvision's functions: brightness
multiplies (`jaxaug.color.brightness`), contrast blends with the mean grey level and
saturation with the grey image (`jaxaug.enhance.contrast`, `jaxaug.enhance.color`: PIL's
ImageEnhance, which torchvision follows), hue turns the HSV hue (`jaxaug.color.hue`), and the
permutation is `jaxaug.ops.channel_shuffle.channel_shuffle`. Unlike torchvision, which rounds
uint8 images to a level after every step, the steps run in float32 and round once at the end.

This op keeps its functions here, beside its declaration:
`jaxaug.ops.photometric_distort.sample_photometric_distort`,
`jaxaug.ops.photometric_distort.photometric_distort` (the twin) and
`jaxaug.ops.photometric_distort.random_photometric_distort` (derived).
"""

import jax
import jax.numpy as jnp

from jaxaug import _checks, _images, color, enhance
from jaxaug.ops import channel_shuffle as _shuffle
from jaxaug.ops._core import Op, Option

__all__ = ["OP", "photometric_distort", "random_photometric_distort", "sample_photometric_distort"]


def photometric_distort(image, brightness, contrast, saturation, hue, contrast_before, permutation, *,
                        value_range=None):
    """Brightness, contrast (before or after), saturation, hue, then a channel permutation.

    A factor of exactly 1 (a hue of 0, the identity permutation) leaves its step out, so a
    draw that skips a step gives the image as if the step did not exist.

    Args:
      image: (H, W, 3) RGB; uint8, float16, bfloat16 or float32.
      brightness, contrast, saturation: () factors >= 0 (may be traced).
      hue: () hue turn in fractions of a turn, within [-0.5, 0.5].
      contrast_before: () bool: contrast before saturation and hue, else after them.
      permutation: (3,) output channel c is input channel `permutation[c]`.
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> distort = jaxaug.ops.photometric_distort.photometric_distort
      >>> px = jnp.array([[[200, 100, 50]]], jnp.uint8)
      >>> tuple(distort(px, 1.2, 1.0, 1.0, 0.0, True, jnp.array([2, 1, 0]))[0, 0].tolist())  # x 1.2, then BGR
      (60, 120, 240)
    """
    image = _images.check_image(image)
    if image.shape[-1] != 3:
        raise ValueError(f"image must be RGB (3 channels). Received: image.shape={tuple(image.shape)}")
    bounds = _images.value_range(image.dtype, value_range)
    x = image.astype(jnp.float32)

    def step(x, skip, fn, *args):
        return jnp.where(skip, x, fn(x, *args, value_range=bounds))

    contrast_before = jnp.asarray(contrast_before, bool)
    x = step(x, brightness == 1, color.brightness, brightness)
    x = step(x, (contrast == 1) | ~contrast_before, enhance.contrast, contrast)
    x = step(x, saturation == 1, enhance.color, saturation)
    x = step(x, hue == 0, color.hue, hue)
    x = step(x, (contrast == 1) | contrast_before, enhance.contrast, contrast)
    x = _shuffle.channel_shuffle(x, permutation)
    return _images.restore(x, image.dtype)


def sample_photometric_distort(key, shape, *, brightness=(0.875, 1.125), contrast=(0.5, 1.5),
                               saturation=(0.5, 1.5), hue=(-0.05, 0.05), probability=0.5):
    """Draws the steps of `photometric_distort` by torchvision's rules; a skipped step gets its neutral value.

    Args:
      key: a `jax.random` key.
      shape: the image's (H, W, 3).
      brightness, contrast, saturation: static factor ranges, a number (fixed) or (lo, hi) >= 0
        (torchvision's defaults).
      hue: static (lo, hi) within [-0.5, 0.5], or a number h for (-h, h).
      probability: static, in [0, 1]: the chance of each step (torchvision's p).

    Returns:
      {"brightness", "contrast", "saturation", "hue": (), "contrast_before": () bool,
      "permutation": (3,) int32}.

    Example:
      >>> p = jaxaug.ops.photometric_distort.sample_photometric_distort(jax.random.key(0), (8, 8, 3),
      ...                                                                probability=0.0)
      >>> float(p["brightness"]), float(p["hue"]), p["permutation"].tolist()     # every step skipped
      (1.0, 0.0, [0, 1, 2])
    """
    _checks.check_key(key)
    _checks.image_hw(shape)
    ranges = {"brightness": _checks.fixed_or_range(brightness, "brightness"),
              "contrast": _checks.fixed_or_range(contrast, "contrast"),
              "saturation": _checks.fixed_or_range(saturation, "saturation"),
              "hue": _checks.symmetric_range(hue, "hue", 0.5)}
    probability = _checks.bounded_float(probability, "probability", 1.0)
    keys = jax.random.split(key, 2 * len(ranges) + 2)
    out = {}
    for j, (name, (lo, hi)) in enumerate(ranges.items()):
        value = jax.random.uniform(keys[2 * j + 1], (), jnp.float32, lo, hi)
        neutral = 0.0 if name == "hue" else 1.0
        out[name] = jnp.where(jax.random.uniform(keys[2 * j]) < probability, value, neutral)
    out["contrast_before"] = jax.random.uniform(keys[-2]) < 0.5
    out["permutation"] = _shuffle.sample_channel_shuffle(keys[-1], shape, probability=probability)["permutation"]
    return out


# First of the colour ops: a preset users put where torchvision's sits, right after the geometry.
# Slot 35: a new slot.
OP = Op(
    name="photometric_distort", title="photometric distort", kind="pixel", stage=118, slot=35,
    units="torchvision's RandomPhotometricDistort: each of brightness, contrast, saturation, hue and a "
          "channel permutation with probability p",
    doc="torchvision's RandomPhotometricDistort: brightness, contrast (before or after), saturation, hue and a "
        "channel permutation, each with a probability, drawn per image.",
    sample=sample_photometric_distort, twin=photometric_distort,
    options=(Option("photometric_distort_probability", 0.0, "torchvision's RandomPhotometricDistort with its "
                    "default ranges; the chance of each of its steps.", "probability",
                    check=lambda v, n: _checks.bounded_float(v, n, 1.0)),),
    example=dict(probability=1.0),
)
random_photometric_distort = OP.random
