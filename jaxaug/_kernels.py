"""What the box and motion blurs share: odd kernel sizes, their draw, and the padded image both read.

Both ops follow OpenCV (`cv2.blur`, `cv2.filter2D`): a k x k kernel, k odd, anchored at its
centre, with BORDER_REFLECT_101 borders (`d c b | a b c d | c b a`, scipy.ndimage's "mirror",
numpy's "reflect"), repeated for images smaller than the kernel as OpenCV's `borderInterpolate`.

The work is done on the image with its rows flattened, (H, W * C): a shift of one pixel along a
row is a shift of C elements, so both the vertical and the horizontal taps are slices along a
long contiguous axis that XLA vectorises, with no transposes. Measured at 32x224x224x3 uint8
(jax 0.10.2, 2-core AMD EPYC VM): a separable 7-tap box blur took 3.8 ms so, 4.1 ms on planes
(N, C, H, W) (the transposes in and out cost what the planes' simpler slices save) and 25 ms on
(H, W, C) slices, whose innermost axis of 3 did not vectorise.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxaug import _checks, _fusion

# The largest kernel side. The taps are unrolled (the box blur's 2 k slices, the motion blur's
# k), so compilation grows with k; 63 pixels of blur is more than any augmentation asks for.
MAX_SIZE = 63


def _is_odd_size(value) -> bool:
    return (isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
            and 1 <= value <= MAX_SIZE and value % 2 == 1)


def size_range(value, name: str = "size_range") -> tuple[int, int]:
    """A static odd kernel side k (fixed) or a pair (lo, hi) of odd sides, 1 <= lo <= hi <= MAX_SIZE."""
    if _checks.is_traced(value):
        raise TypeError(f"{name} must be static Python integers (it sizes the kernel). "
                        f"Received: {name}={_checks.short_repr(value)}")
    if _is_odd_size(value):
        return int(value), int(value)
    pair = (isinstance(value, (tuple, list)) or (isinstance(value, np.ndarray) and value.ndim == 1)) and len(value) == 2
    if not pair or not all(_is_odd_size(v) for v in value) or value[0] > value[1]:
        raise ValueError(f"{name} must be an odd integer k (a k x k kernel) or a pair (lo, hi) of odd integers "
                         f"with 1 <= lo <= hi <= {MAX_SIZE}. Received: {name}={_checks.short_repr(value)}")
    return int(value[0]), int(value[1])


def largest(**sampler_options) -> dict:
    """The blurs' `twin_static`: {"max_size": the top of the sampler's size_range}. Every image of a
    batch runs the taps of the largest size its range can draw, weighted 0 beyond its own."""
    return {"max_size": size_range(sampler_options["size_range"])[1]}


def sample_size(key, lo: int, hi: int):
    """An odd integer uniform over lo, lo + 2, ..., hi (albumentations' `sample_odd_from_range`), int32."""
    return lo + 2 * jax.random.randint(key, (), 0, (hi - lo) // 2 + 1, jnp.int32)


def check_size(size, max_size, name: str = "size") -> tuple:
    """(size as int32, the static largest side the program is sized for).

    A concrete `size` must be odd in [1, MAX_SIZE] and at most `max_size`; a traced one needs
    `max_size` (kernels beyond it are cut to it, as the taps are only that many).
    """
    if isinstance(size, jax.core.Tracer):
        if size.ndim != 0 or not jnp.issubdtype(size.dtype, jnp.integer):
            raise TypeError(f"{name} must be an integer scalar. Received: {name} of dtype {size.dtype} "
                            f"and shape {tuple(size.shape)}")
        if max_size is None:
            raise ValueError(f"max_size must be given when {name} is traced (it fixes the kernel's size). "
                             f"Received: max_size=None")
    else:
        if np.ndim(size) != 0 or not np.issubdtype(np.asarray(size).dtype, np.integer) or isinstance(size, bool):
            raise TypeError(f"{name} must be an odd integer. Received: {name}={_checks.short_repr(size)}")
        if not _is_odd_size(int(size)):
            raise ValueError(f"{name} must be an odd integer in [1, {MAX_SIZE}]. Received: {name}={int(size)!r}")
        max_size = int(size) if max_size is None else max_size
    if not _is_odd_size(max_size):
        raise ValueError(f"max_size must be an odd integer in [1, {MAX_SIZE}]. Received: "
                         f"max_size={_checks.short_repr(max_size)}")
    if not isinstance(size, jax.core.Tracer) and int(size) > max_size:
        raise ValueError(f"max_size must be >= {name}. Received: max_size={max_size!r}, {name}={int(size)!r}")
    return jnp.asarray(size, jnp.int32), int(max_size)


def padded_rows(image, radius: int):
    """`image` (H, W, C) padded by `radius` with BORDER_REFLECT_101, as (H + 2r, (W + 2r) * C), in memory.

    Padded in the image's own dtype (uint8 stays 1 byte a value: measured 0.7 ms against 4.3 ms
    for float32 at 32x224x224x3) and converted where the taps read it.
    """
    h, w, c = image.shape
    # numpy's (and jnp's) "reflect" is BORDER_REFLECT_101, repeated for pads beyond the size.
    padded = jnp.pad(image, ((radius, radius), (radius, radius), (0, 0)), mode="reflect")
    return _fusion.materialize(padded.reshape(h + 2 * radius, (w + 2 * radius) * c))
