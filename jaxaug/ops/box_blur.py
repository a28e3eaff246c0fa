"""albumentations' Blur: the mean of each pixel's k x k window, k odd and drawn per image (`cv2.blur`).

The window is centred on the pixel; borders are OpenCV's default BORDER_REFLECT_101
(`d c b | a b c d | c b a`, scipy.ndimage's "mirror"), repeated for images smaller than the
window: `box_blur(image, k)` equals `cv2.blur(image, (k, k))`. For uint8 images bit for bit:
the window sums are integers, exact in float32, and k^2 is odd, so the mean is never a tie and
rounds as OpenCV's does. For floating images to float32 rounding (OpenCV sums in double).
albumentations' `Blur(blur_limit=(lo, hi))` draws k uniformly among the odd sizes of [lo, hi]
for each image; `sample_box_blur` draws the same way. (albumentations reads a single int n as
the range (3, n); here a single int is a fixed size, as `median_blur_size`: write (3, n) for its rule.)

How it runs: the box is separable, a vertical then a horizontal sum of k values, each pass a sum
of shifted slices of the image viewed as (H, W * C) (see `jaxaug._kernels`), the vertical one
written to memory so that the horizontal one does not recompute it. A size drawn per image is
data, so one program serves every size of the range: that of the largest, k_max taps a pass,
the taps beyond the drawn radius weighted 0 (adding exact zeros: the result equals that of
the drawn size's own program bit for bit). Cost: 2 k_max additions per value.

This op keeps its functions here, beside its declaration: `jaxaug.ops.box_blur.sample_box_blur`,
`jaxaug.ops.box_blur.box_blur` (the twin) and `jaxaug.ops.box_blur.random_box_blur`.
"""

import functools

import jax
import jax.numpy as jnp

from jaxaug import _checks, _fusion, _images, _kernels
from jaxaug.ops._core import Op, Option, unless_none

__all__ = ["OP", "box_blur", "random_box_blur", "sample_box_blur"]


def _sum_taps(rows, on, axis: int, count: int, step: int):
    """The centre slice plus, for j = 1..len(on), on[j-1] times the two slices j pixels away."""
    radius = on.shape[0]

    def shifted(offset):
        start = (radius + offset) * step
        return jax.lax.slice_in_dim(rows, start, start + count * step, axis=axis)

    out = shifted(0)
    for j in range(1, radius + 1):  # from the centre out: taps weighted 0 add exact zeros
        out = out + on[j - 1] * (shifted(-j) + shifted(j))
    return out


# Compiled even when called eagerly (op by op, each slice would compile on its own); inlined under jit.
@functools.partial(jax.jit, static_argnames=("radius",))
def _box(image, size, *, radius: int):
    h, w, c = image.shape
    # 1 for the taps within the drawn radius, 0 beyond; in memory, not recomputed per value.
    on = _fusion.materialize((jnp.arange(1, radius + 1) <= (size - 1) // 2).astype(jnp.float32))
    rows = _kernels.padded_rows(image, radius).astype(jnp.float32)
    columns = _fusion.materialize(_sum_taps(rows, on, 0, h, 1))            # (H, (W + 2r) C)
    sums = _sum_taps(columns, on, 1, w, c)                                 # (H, W C)
    out = sums * (1.0 / (size * size).astype(jnp.float32))
    return _images.restore(out.reshape(h, w, c), image.dtype)


def box_blur(image, size, *, max_size=None, value_range=None):
    """The mean of each pixel's `size` x `size` window, borders reflected (= `cv2.blur(image, (size, size))`).

    Args:
      image: (H, W, C); uint8, float16, bfloat16 or float32.
      size: the window's side, an odd integer in [1, 63] (1: the image unchanged). May be traced
        (drawn per image under `jax.vmap`); then `max_size` is required.
      max_size: static odd integer >= size that sizes the program (the taps must be static under
        `jit`); taps beyond `size` weigh 0, so the result is that of `size` alone, bit for bit.
        Default: `size` when it is a concrete number.
      value_range: accepted (and validated) for uniformity with the other pixel ops; unused,
        since a mean cannot leave the input's range.

    Returns:
      Same shape and dtype as `image` (uint8 rounded: the mean of k^2 integers, k odd, is never a tie).

    Example:
      >>> dot = jnp.zeros((5, 5, 1), jnp.uint8).at[2, 2].set(90)
      >>> tuple(jaxaug.ops.box_blur.box_blur(dot, 3)[1:4, 2, 0].tolist())   # 90 / 9 over the 3x3 around it
      (10, 10, 10)
      >>> sizes = jnp.array([1, 3, 5, 7])   # one size per image, one program sized for 7
      >>> out = jax.vmap(lambda x, k: jaxaug.ops.box_blur.box_blur(x, k, max_size=7))(images, sizes)
      >>> out.shape, out.dtype, bool(jnp.all(out[0] == images[0]))
      ((4, 32, 32, 3), dtype('uint8'), True)
    """
    image = _images.check_image(image)
    _images.value_range(image.dtype, value_range)
    size, max_size = _kernels.check_size(size, max_size)
    return _box(image, size, radius=max_size // 2)


def sample_box_blur(key, shape, *, size_range=(3, 7)):
    """Draws {"size": ()}: an int32 uniform among the odd sizes of [lo, hi] (albumentations' Blur).

    Args:
      key: a `jax.random` key.
      shape: the image's (H, W, C).
      size_range: static; an odd size (fixed) or (lo, hi), odd sizes with 1 <= lo <= hi <= 63,
        both ends included: albumentations' `blur_limit=(lo, hi)` (its single int n means (3, n)).

    Example:
      >>> draw = jaxaug.ops.box_blur.sample_box_blur
      >>> sizes = jax.vmap(lambda k: draw(k, (8, 8, 3), size_range=(3, 7))["size"])(jax.random.split(key, 200))
      >>> sizes.dtype, tuple(np.unique(np.asarray(sizes)).tolist())
      (dtype('int32'), (3, 5, 7))
    """
    _checks.check_key(key)
    _checks.image_hw(shape)
    lo, hi = _kernels.size_range(size_range)
    return {"size": _kernels.sample_size(key, lo, hi)}


# Between the Gaussian blur (200) and the median blur (202): another smoothing, before the noise drawn
# later. Slot 29: a new slot, so no existing draw moves.
OP = Op(
    name="box_blur", title="Box blur", kind="pixel", stage=201, slot=29,
    units="odd window side k, fixed or uniform among the odd sizes of [lo, hi] within [1, 63] (= `cv2.blur`)",
    doc="albumentations' Blur: each pixel the mean of its k x k window (borders reflected), k odd and drawn "
        "per image.",
    sample=sample_box_blur, twin=box_blur, twin_static=_kernels.largest,
    options=(Option("box_blur_size", None, "albumentations' Blur: odd window side, fixed (an int) or drawn per "
                    "image among the odd sizes of (lo, hi), within [1, 63]; None is off.", "size_range",
                    check=unless_none(_kernels.size_range)),),
    example=dict(size_range=(3, 7)),
)
random_box_blur = OP.random
