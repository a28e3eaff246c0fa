"""albumentations' MotionBlur: the mean of the pixels on a short line through each pixel, drawn per image.

The kernel is albumentations 2.0's (`create_motion_kernel`, normalised by `MotionBlur.get_params`):
in a k x k kernel (k odd, L = k // 2) the k points centre + t (cos a, sin a) + shift, for t
evenly spaced (numpy's `linspace`) from -L to L, with the `direction` d in [-1, 1] pulling the
start to -L (1 - d) when d > 0 or the end to L (1 - |d|) when d < 0; x along columns, y along
rows, each rounded half to even and clipped to [0, k - 1]. The distinct points get 1 / n each
(n of them). The shift (rows, columns) is, with `allow_shifted`, uniform in +-L / 2 pixels per
axis. The kernel is applied as `cv2.filter2D(image, -1, kernel)`: a correlation, the kernel's
centre on the pixel, borders BORDER_REFLECT_101 (`d c b | a b c d | c b a`), uint8 rounded
half to even. `motion_blur(image, size, angle, direction, shift)` is that; `motion_kernel` gives
the kernel itself.

How it runs: the kernel has at most k non-zero taps out of k^2, one per point of the line. So
the line's points are kept as k offsets and weights (weight 0 for a repeated point), and the
blur is the sum of k shifted copies of the padded image, each a slice at the image's own
offsets (a gather of whole rows under `vmap`), viewed as (H, W * C) (see `jaxaug._kernels`).
Measured at 32x224x224x3 uint8, 7 taps (jax 0.10.2, 2-core AMD EPYC VM): 3.3 ms; the dense
7 x 7 sum of 49 masked taps cost 45-68 ms. A size drawn per image is data: one program serves
the range, k_max taps, those past the drawn k weighted 0.

This op keeps its functions here, beside its declaration:
`jaxaug.ops.motion_blur.sample_motion_blur`, `jaxaug.ops.motion_blur.motion_blur` (the twin),
`jaxaug.ops.motion_blur.random_motion_blur` and `jaxaug.ops.motion_blur.motion_kernel`.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from jaxaug import _checks, _images, _kernels
from jaxaug.ops._core import Op, Option, unless_none

__all__ = ["OP", "motion_blur", "motion_kernel", "random_motion_blur", "sample_motion_blur"]


def _line(size, angle, direction, shift, max_size: int):
    """(rows, columns, weights), each (max_size,): the line's points as offsets from the centre.

    Point i < size is albumentations' i-th point; a point equal to an earlier one, and every
    slot i >= size, weighs 0; the others 1 / (their number), as the kernel / its sum.
    """
    i = jnp.arange(max_size)
    k = size
    half = k // 2
    length = half.astype(jnp.float32)
    d = jnp.clip(direction, -1.0, 1.0)
    start = jnp.where(d > 0, -length * (1.0 - d), -length)
    stop = jnp.where(d < 0, length * (1.0 - jnp.abs(d)), length)
    # numpy's linspace: i * step + start, the last point exactly `stop`.
    step = (stop - start) / jnp.maximum(k - 1, 1).astype(jnp.float32)
    t = jnp.where(i == k - 1, stop, i.astype(jnp.float32) * step + start)
    radians = angle * np.float32(np.pi / 180.0)
    # In albumentations' order: centre + direction * t, then the shift; rounded half to even.
    x = (length + jnp.cos(radians) * t) + shift[1]
    y = (length + jnp.sin(radians) * t) + shift[0]
    x = jnp.clip(jnp.round(x), 0, k - 1).astype(jnp.int32)
    y = jnp.clip(jnp.round(y), 0, k - 1).astype(jnp.int32)
    used = i < k
    earlier = (i[None, :] < i[:, None]) & used[None, :] & (x[None, :] == x[:, None]) & (y[None, :] == y[:, None])
    first = used & ~jnp.any(earlier, axis=1)
    weights = jnp.where(first, 1.0 / jnp.sum(first).astype(jnp.float32), 0.0)
    return y - half, x - half, weights


def _parameters(size, angle, direction, shift, max_size):
    size, max_size = _kernels.check_size(size, max_size)
    angle = _checks.real_scalar(angle, "angle")
    direction = _checks.real_scalar(direction, "direction", minimum=-1.0, maximum=1.0)
    shift = _checks.real_array(shift, "shift")
    if shift.shape != (2,):
        raise ValueError(f"shift must be (rows, columns), shape (2,). Received: shift.shape={tuple(shift.shape)}")
    _checks.finite_if_concrete(shift, "shift")
    return size, angle, direction, shift.astype(jnp.float32), max_size


def motion_kernel(size, angle, direction, *, shift=(0.0, 0.0), max_size=None):
    """albumentations' motion-blur kernel, normalised, centred in a `max_size` x `max_size` array.

    Args:
      size: the kernel's side k, an odd integer in [1, 63] (may be traced; then `max_size` is required).
      angle: the line's angle in degrees: 0 along the rows (to the right), 90 down the columns.
      direction: in [-1, 1]: -1 the line behind the centre only, 0 both sides, 1 ahead only.
      shift: (rows, columns) the line is moved by, in pixels (before rounding).
      max_size: static odd integer >= size: the returned array's side, the kernel in its centre.

    Returns:
      float32 (max_size, max_size): albumentations' `create_motion_kernel(...) / sum`, padded with zeros.

    Example:
      >>> kernel = jaxaug.ops.motion_blur.motion_kernel(5, 0.0, 0.0)   # a horizontal line of 5
      >>> tuple((kernel * 5).astype(int)[2].tolist()), int(jnp.sum(kernel != 0))
      ((1, 1, 1, 1, 1), 5)
    """
    size, angle, direction, shift, max_size = _parameters(size, angle, direction, shift, max_size)
    rows, columns, weights = _line(size, angle, direction, shift, max_size)
    centre = max_size // 2
    return jnp.zeros((max_size, max_size), jnp.float32).at[rows + centre, columns + centre].add(weights)


@functools.partial(jax.jit, static_argnames=("max_size",))
def _motion(image, size, angle, direction, shift, *, max_size: int):
    h, w, c = image.shape
    radius = max_size // 2
    rows, columns, weights = _line(size, angle, direction, shift, max_size)
    # The taps in the kernel's row-major order, as OpenCV sums them (zeros last): the same sum bit for bit.
    order = jnp.argsort(jnp.where(weights > 0, rows * max_size + columns, max_size * max_size))
    rows, columns, weights = rows[order], columns[order], weights[order]
    padded = _kernels.padded_rows(image, radius).astype(jnp.float32)
    out = 0.0
    for i in range(max_size):  # slots weighted 0 add exact zeros
        window = jax.lax.dynamic_slice(padded, ((radius + rows[i]), (radius + columns[i]) * c), (h, w * c))
        out = out + weights[i] * window
    return _images.restore(out.reshape(h, w, c), image.dtype)


def motion_blur(image, size, angle, direction, *, shift=(0.0, 0.0), max_size=None, value_range=None):
    """Motion blur: `cv2.filter2D(image, -1, motion_kernel(...))` with BORDER_REFLECT_101.

    Args:
      image: (H, W, C); uint8, float16, bfloat16 or float32.
      size, angle, direction, shift: the kernel's parameters; see `motion_kernel` (all may be traced).
      max_size: static odd integer >= size that sizes the program (k taps must be static under
        `jit`); taps past `size` weigh 0, so the result is that of `size` alone, bit for bit.
        Default: `size` when it is a concrete number.
      value_range: accepted (and validated) for uniformity with the other pixel ops; unused,
        since a weighted mean cannot leave the input's range.

    Returns:
      Same shape and dtype as `image` (uint8 rounded half to even, as OpenCV's).

    Example:
      A horizontal line of 3 averages each pixel with its left and right neighbours:

      >>> row = jnp.array([[0, 30, 60, 90]], jnp.uint8)[..., None]
      >>> tuple(jaxaug.ops.motion_blur.motion_blur(row, 3, 0.0, 0.0)[0, :, 0].tolist())
      (20, 30, 60, 70)
    """
    image = _images.check_image(image)
    _images.value_range(image.dtype, value_range)
    size, angle, direction, shift, max_size = _parameters(size, angle, direction, shift, max_size)
    return _motion(image, size, angle, direction, shift, max_size=max_size)


def _angle_range(value, name="angle_range"):
    return _checks.static_range(value, name)


def _direction_range(value, name="direction_range"):
    lo, hi = _checks.static_range(value, name)
    if lo < -1.0 or hi > 1.0:
        raise ValueError(f"{name} must lie within [-1, 1]. Received: {name}={_checks.short_repr(value)}")
    return lo, hi


def sample_motion_blur(key, shape, *, size_range=(3, 7), angle_range=(0.0, 360.0), direction_range=(-1.0, 1.0),
                       allow_shifted=True):
    """Draws {"size", "angle", "direction", "shift"}: albumentations' `MotionBlur.get_params`, per image.

    Args:
      key: a `jax.random` key.
      shape: the image's (H, W, C).
      size_range: static; an odd size (fixed) or (lo, hi), odd sizes with 1 <= lo <= hi <= 63, the
        size uniform among them (albumentations' `blur_limit`; its single int n means (3, n)).
      angle_range: static (lo, hi) in degrees; the angle uniform in it.
      direction_range: static (lo, hi) within [-1, 1]; the direction uniform in it.
      allow_shifted: static bool: shift the line by U(-1, 1) * (size // 2) / 2 pixels per axis.

    Returns:
      {"size": int32 (), "angle": float32 (), "direction": float32 (), "shift": float32 (2,) (rows, columns)}.

    Example:
      >>> params = jaxaug.ops.motion_blur.sample_motion_blur(key, (32, 32, 3), size_range=(5, 5))
      >>> int(params["size"]), bool(jnp.all(jnp.abs(params["shift"]) <= 1.0))   # |shift| <= (5 // 2) / 2
      (5, True)
    """
    _checks.check_key(key)
    _checks.image_hw(shape)
    lo, hi = _kernels.size_range(size_range)
    angles = _angle_range(angle_range)
    directions = _direction_range(direction_range)
    _checks.check_bool(allow_shifted, "allow_shifted")
    k_size, k_angle, k_direction, k_shift = jax.random.split(key, 4)
    size = _kernels.sample_size(k_size, lo, hi)
    shift = jax.random.uniform(k_shift, (2,), jnp.float32, -1.0, 1.0) * (size // 2).astype(jnp.float32) / 2.0
    return {"size": size,
            "angle": jax.random.uniform(k_angle, (), jnp.float32, *angles),
            "direction": jax.random.uniform(k_direction, (), jnp.float32, *directions),
            "shift": shift if allow_shifted else jnp.zeros(2, jnp.float32)}


# After the median blur (202), before the noise: the camera shook while the sensor's noise was drawn
# later. Slot 30: a new slot, so no existing draw moves.
OP = Op(
    name="motion_blur", title="Motion blur", kind="pixel", stage=203, slot=30,
    units="odd kernel side k (fixed or uniform among the odd sizes of [lo, hi] within [1, 63]), angle in degrees, "
          "direction in [-1, 1], shift within ±(k // 2) / 2 pixels (albumentations' kernel, `cv2.filter2D`)",
    doc="albumentations' MotionBlur: each pixel the mean of the pixels on a line of random size, angle, "
        "direction and shift, drawn per image.",
    sample=sample_motion_blur, twin=motion_blur, twin_static=_kernels.largest,
    options=(Option("motion_blur_size", None, "albumentations' MotionBlur: odd kernel side, fixed (an int) or drawn "
                    "per image among the odd sizes of (lo, hi), within [1, 63]; None is off.", "size_range",
                    check=unless_none(_kernels.size_range)),
             Option("motion_blur_angle", (0.0, 360.0), "(lo, hi) the motion blur's angle in degrees, drawn "
                    "uniformly (0: along the rows, 90: down the columns).", "angle_range", switch=False,
                    check=_angle_range),
             Option("motion_blur_direction", (-1.0, 1.0), "(lo, hi) within [-1, 1], the motion blur's direction "
                    "(-1: behind the pixel only, 0: both sides, 1: ahead only), drawn uniformly.", "direction_range",
                    switch=False, check=_direction_range),
             Option("motion_blur_shifted", True, "shift the motion blur's line by up to (k // 2) / 2 pixels per "
                    "axis (albumentations' allow_shifted).", "allow_shifted", switch=False,
                    check=_checks.check_bool)),
    example=dict(size_range=(5, 9), angle_range=(0.0, 360.0)),
)
random_motion_blur = OP.random
