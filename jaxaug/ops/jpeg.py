"""JPEG compression artifacts in pure JAX: baseline JPEG's lossy steps, encoded and decoded in one pass.

The steps of a baseline JPEG encoder and decoder (libjpeg's, which PIL and OpenCV use) that lose
information, in float32: RGB -> YCbCr (JFIF, levels rounded), the image extended to whole 16x16
blocks by repeating its last row and column, the chroma planes averaged over 2x2 pixels (4:2:0),
an 8x8 DCT per block, each coefficient divided by its step in the IJG quantisation tables for
the quality (libjpeg's `jpeg_set_quality` scaling, steps within [1, 255]) and rounded, then
the inverse: steps multiplied back, inverse DCT, chroma upsampled with libjpeg's "fancy"
triangle filter (3/4 and 1/4 of the two nearest samples), YCbCr -> RGB, rounded and clipped.
The lossless entropy coding is left out: it changes no pixel. So JPEG artifacts can be drawn
inside the compiled training step, on any device, where no codec is at hand.

The rounding follows libjpeg's where it decides whole levels or steps: Y rounded half up and
Cb, Cr half down, coefficients half away from zero, the inverse DCT half up, chroma
downsampled and upsampled with its integer biases (rounding half to even instead put one
smooth picture 1.5 dB below PIL's). Against PIL's own round trip (qualities 10, 30, 50, 75, 95;
45 pictures: the built-in sample, a smoothed-noise picture and 43 CIFAR-10 images upsampled to
96 and 128 pixels), the PSNR to the original is within 0.07 dB of PIL's in all 225 cases, and
the outputs differ from PIL's by at most 0.9 level on average per picture; flat colours give
PIL's pixels exactly in 168 of 180 cases (libjpeg's colour tables round the rest apart).

This op keeps its functions here, beside its declaration: `jaxaug.ops.jpeg.sample_jpeg`,
`jaxaug.ops.jpeg.jpeg` (the twin), `jaxaug.ops.jpeg.random_jpeg` (derived from the two) and
`jaxaug.ops.jpeg.quantization_tables` (a quality -> its two tables).
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxaug import _checks, _fusion, _images
from jaxaug.ops._core import Op, Option, unless_none

__all__ = ["OP", "jpeg", "quantization_tables", "random_jpeg", "sample_jpeg"]

# The IJG's example tables (the JPEG standard's Annex K), row by row: luminance, chrominance.
_LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99], np.float32).reshape(8, 8)
_CHROMA = np.array([
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99, *([99] * 32)], np.float32).reshape(8, 8)

# The orthonormal 8-point DCT-II, C[u, k] = a(u) cos((2k + 1) u pi / 16): JPEG's FDCT is C B C^T.
_DCT = np.array([[(np.sqrt(1 / 8) if u == 0 else np.sqrt(2 / 8)) * np.cos((2 * k + 1) * u * np.pi / 16)
                  for k in range(8)] for u in range(8)], np.float32)

# JFIF's RGB -> YCbCr and back (ITU-R BT.601, full range), as libjpeg uses them.
_TO_YCC = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]], np.float32)
_TO_RGB = np.array([[1.0, 0.0, 1.402], [1.0, -0.344136, -0.714136], [1.0, 1.772, 0.0]], np.float32)


def quantization_tables(quality):
    """The luminance and chrominance quantisation steps (2, 8, 8) of a JPEG quality in [1, 100].

    libjpeg's `jpeg_set_quality(quality, force_baseline=TRUE)`: the IJG tables scaled by
    5000 // quality below 50 and 200 - 2 quality from 50 on, in percent, rounded, within [1, 255].

    Args:
      quality: an integer in [1, 100] (may be traced; traced values are clipped there).

    Returns:
      float32 (2, 8, 8): luminance, then chrominance.

    Example:
      >>> t = jaxaug.ops.jpeg.quantization_tables(50)   # quality 50: the tables themselves
      >>> int(t[0, 0, 0]), int(t[1, 7, 7])
      (16, 99)
      >>> int(jaxaug.ops.jpeg.quantization_tables(100).max())   # quality 100: every step 1
      1
    """
    q = jnp.clip(jnp.asarray(quality, jnp.int32), 1, 100)
    scale = jnp.where(q < 50, 5000 // q, 200 - 2 * q).astype(jnp.float32)
    base = jnp.stack([jnp.asarray(_LUMA), jnp.asarray(_CHROMA)])
    return jnp.clip(jnp.floor((base * scale + 50.0) / 100.0), 1.0, 255.0)


# The 2-D DCT of a block flattened row by row is one product: vec(C B C^T) = (C kron C) vec(B).
_DCT2 = np.kron(_DCT, _DCT)


def _lossy(plane, steps):
    """A (H, W) plane (H, W multiples of 8, levels - 128) through DCT, quantisation and back.

    Each block's DCT is one 64x64 matrix product, all blocks in one matrix multiplication: the
    most optimised kernel of every backend (and an accelerator's matrix unit). Measured at
    32x224x224 (Zen 4): 3.8 ms for the round trip, where the separable 8-point passes, each
    written to memory, took 11.4 ms.
    """
    h, w = plane.shape
    blocks = plane.reshape(h // 8, 8, w // 8, 8).transpose(0, 2, 1, 3).reshape(-1, 64)
    highest = jax.lax.Precision.HIGHEST  # no reduced-precision products (TF32, bfloat16 passes)
    coefficients = jnp.dot(blocks, jnp.asarray(_DCT2.T), precision=highest)
    steps = steps.reshape(64)
    # Rounded half away from zero, as libjpeg's quantiser.
    ratio = coefficients / steps
    coefficients = jnp.sign(ratio) * jnp.floor(jnp.abs(ratio) + 0.5) * steps
    out = jnp.dot(coefficients, jnp.asarray(_DCT2), precision=highest)
    return out.reshape(h // 8, w // 8, 8, 8).transpose(0, 2, 1, 3).reshape(h, w)


def _neighbours(plane, axis: int):
    """The samples before and after each one along `axis`, the edge ones repeated."""
    n = plane.shape[axis]
    before = jnp.concatenate([jax.lax.slice_in_dim(plane, 0, 1, axis=axis),
                              jax.lax.slice_in_dim(plane, 0, n - 1, axis=axis)], axis=axis)
    after = jnp.concatenate([jax.lax.slice_in_dim(plane, 1, n, axis=axis),
                             jax.lax.slice_in_dim(plane, n - 1, n, axis=axis)], axis=axis)
    return before, after


def _interleave(even, odd, axis: int):
    pair = jnp.stack([even, odd], axis=axis + 1)
    return pair.reshape(*even.shape[:axis], 2 * even.shape[axis], *even.shape[axis + 1:])


def _upsample(plane):
    """libjpeg's `h2v2_fancy_upsample`: a triangle filter (3/4 nearer, 1/4 farther) per axis, in integers.

    Rows first, as column sums 3 near + far (not rounded); then columns, (3 this + that + 8) / 16
    towards the left and (3 this + that + 7) / 16 towards the right, floored: libjpeg's biases.
    (Keeping the four phases as (h, 2, w, 2) for the last pass, reshaped at the end, measured
    5.9 ms against 5.3 ms for this and the colour conversion at 32x224x224.)
    """
    up, down = _neighbours(plane, 0)
    sums = _interleave(3.0 * plane + up, 3.0 * plane + down, 0)
    left, right = _neighbours(sums, 1)
    return _interleave(jnp.floor((3.0 * sums + left + 8.0) / 16.0), jnp.floor((3.0 * sums + right + 7.0) / 16.0), 1)


def _downsample(plane):
    """libjpeg's `h2v2_downsample`: the 2x2 sum plus a bias alternating 1, 2 along the row, over 4, floored."""
    w = plane.shape[1]
    # Four strided slices, one elementwise loop (a reshaped sum became a slower reduction).
    sums = plane[0::2, 0::2] + plane[0::2, 1::2] + plane[1::2, 0::2] + plane[1::2, 1::2]
    bias = 1.0 + (jnp.arange(w // 2) % 2).astype(jnp.float32)
    return jnp.floor((sums + bias) / 4.0)


def _half_up(x):
    """Rounded half up, as libjpeg's fixed point (x + 1/2, truncated) rounds its conversions and IDCT."""
    return jnp.floor(x + 0.5)


def _round_trip(levels, quality):
    """(H, W, 3) float32 levels in [0, 255] through the lossy steps of JPEG at `quality`."""
    h, w = levels.shape[:2]
    hp, wp = -(-h // 16) * 16, -(-w // 16) * 16
    padded = jnp.pad(levels, ((0, hp - h), (0, wp - w), (0, 0)), mode="edge")
    # Y, Cb, Cr as planes in memory (the chroma centred on 0): the passes that follow read each
    # value several times, and fused they would recompute the conversion each time.
    # libjpeg rounds Y half up and Cb, Cr half down (its "ONE_HALF - 1").
    ycc = [sum(padded[..., k] * _TO_YCC[c, k] for k in range(3)) for c in range(3)]
    # Three planes, not one stacked array: slices of a stack cost a strided copy before the blocks' transpose.
    ycc = _fusion.materialize((_half_up(ycc[0]), jnp.ceil(ycc[1] - 0.5), jnp.ceil(ycc[2] - 0.5)))
    tables = quantization_tables(quality)
    luma = _lossy(ycc[0] - 128.0, tables[0]) + 128.0
    chroma = []
    for c in (1, 2):
        small = _downsample(ycc[c] + 128.0) - 128.0
        small = jnp.clip(_half_up(_lossy(small, tables[1]) + 128.0), 0.0, 255.0)
        chroma.append(_upsample(small) - 128.0)
    luma = jnp.clip(_half_up(luma), 0.0, 255.0)
    rgb = luma[..., None] + chroma[0][..., None] * _TO_RGB[:, 1] + chroma[1][..., None] * _TO_RGB[:, 2]
    return jnp.clip(_half_up(rgb), 0.0, 255.0)[:h, :w]


def jpeg(image, quality, *, value_range=None):
    """The image after a JPEG round trip at `quality` (4:2:0 chroma, libjpeg's tables), in pure JAX.

    Args:
      image: (H, W, 3) RGB; uint8, float16, bfloat16 or float32.
      quality: JPEG quality, an integer in [1, 100] (may be traced: traced values are clipped
        to [1, 100]); 100 still subsamples the chroma and rounds.
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats. The
        image is taken to 256 levels of it, as a codec does.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> out = jaxaug.ops.jpeg.jpeg(image, 10)   # strong 8x8 block artifacts
      >>> out.shape, out.dtype
      ((32, 32, 3), dtype('uint8'))
      >>> gray = jnp.full((16, 16, 3), 128, jnp.uint8)   # mid-grey survives any quality
      >>> bool(jnp.all(jaxaug.ops.jpeg.jpeg(gray, 1) == gray))
      True
    """
    image = _images.check_image(image)
    if image.shape[-1] != 3:
        raise ValueError(f"image must have 3 (RGB) channels for JPEG's YCbCr. Received: image.shape="
                         f"{tuple(image.shape)}")
    _check_quality(quality)
    lo, hi = _images.value_range(image.dtype, value_range)
    levels = jnp.clip(jnp.round((image.astype(jnp.float32) - lo) * (255.0 / (hi - lo))), 0.0, 255.0)
    out = _round_trip(levels, quality)
    return _images.restore(out * ((hi - lo) / 255.0) + lo, image.dtype)


def _check_quality(quality):
    if _checks.is_traced(quality):
        return
    value = np.asarray(quality)
    if value.shape != () or not np.issubdtype(value.dtype, np.integer) or not 1 <= int(value) <= 100:
        raise ValueError(f"quality must be an integer in [1, 100]. Received: quality={_checks.short_repr(quality)}")


def _quality_range(value, name="quality_range"):
    lo, hi = _checks.static_range(value, name)
    if not (float(lo).is_integer() and float(hi).is_integer() and 1 <= lo <= hi <= 100):
        raise ValueError(f"{name} must be a pair of integers (lo, hi) with 1 <= lo <= hi <= 100. "
                         f"Received: {name}={_checks.short_repr(value)}")
    return int(lo), int(hi)


def sample_jpeg(key, shape, *, quality_range=(10, 95)):
    """Draws {"quality": ()}: an integer uniform in [lo, hi], both ends included (albumentations' rule).

    Args:
      key: a `jax.random` key.
      shape: the image's (H, W, C).
      quality_range: static (lo, hi), integers with 1 <= lo <= hi <= 100.

    Example:
      >>> params = jaxaug.ops.jpeg.sample_jpeg(jax.random.key(0), (32, 32, 3), quality_range=(10, 95))
      >>> params["quality"].dtype, 10 <= int(params["quality"]) <= 95
      (dtype('int32'), True)
    """
    _checks.check_key(key)
    _checks.image_hw(shape)
    lo, hi = _quality_range(quality_range)
    return {"quality": jax.random.randint(key, (), lo, hi + 1, jnp.int32)}


# After the noise and the dots, before the occlusions: the picture is compressed as a camera or
# a website would, then a region is cut out. Slot 23: a new slot, so no existing draw moves.
OP = Op(
    name="jpeg", title="JPEG artifacts", kind="pixel", stage=225, slot=23,
    units="JPEG quality, an integer uniform in [lo, hi] within [1, 100] (4:2:0, libjpeg's tables)",
    doc="JPEG compression artifacts (albumentations' ImageCompression, torchvision's JPEG), in pure JAX: "
        "YCbCr, 4:2:0, 8x8 DCT quantised at a quality drawn per image.",
    sample=sample_jpeg, twin=jpeg,
    options=(Option("jpeg_quality", None, "(lo, hi) JPEG quality, an integer drawn uniformly (both ends "
                    "included) within [1, 100]; None is off.", "quality_range", check=unless_none(_quality_range)),),
    example=dict(quality_range=(5, 20)),
)
random_jpeg = OP.random
