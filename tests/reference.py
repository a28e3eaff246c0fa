"""Independent references: scipy.ndimage per channel, in float64."""

import numpy as np
import scipy.ndimage as ndi

SCIPY_MODE = {"constant": "constant", "nearest": "nearest", "reflect": "reflect", "mirror": "mirror",
              "wrap": "grid-wrap"}


def scipy_warp(image, matrix, *, order, fill_mode, cval=0.0, output_shape=None):
    """`scipy.ndimage.affine_transform` channel by channel on an (H, W, C) image."""
    image = np.asarray(image, np.float64)
    matrix = np.asarray(matrix, np.float64)
    return np.stack(
        [ndi.affine_transform(image[..., c], matrix, order=order, mode=SCIPY_MODE[fill_mode], cval=cval,
                              output_shape=output_shape)
         for c in range(image.shape[-1])], axis=-1)


def ambiguous_pixels(matrix, shape, *, order, fill_mode, eps=1e-3, output_shape=None):
    """Output pixels whose sample point is within `eps` of a discontinuity.

    There, float32 (ours) and float64 (scipy) may legitimately fall on different sides:
    the rounding ties of order 0, and the image border of scipy's "constant" mode.
    `shape` is the input's (H, W); the output grid is `output_shape` (default the same).
    """
    h, w = shape
    out_h, out_w = shape if output_shape is None else output_shape
    m = np.asarray(matrix, np.float64)
    rows, cols = np.meshgrid(np.arange(out_h), np.arange(out_w), indexing="ij")
    y = m[0, 0] * rows + m[0, 1] * cols + m[0, 2]
    x = m[1, 0] * rows + m[1, 1] * cols + m[1, 2]
    out = np.zeros((out_h, out_w), bool)
    for v, size in ((y, h), (x, w)):
        if order == 0:
            out |= np.abs(np.mod(v, 1.0) - 0.5) < eps
        if fill_mode == "constant":
            out |= (np.abs(v) < eps) | (np.abs(v - (size - 1)) < eps)
    return out


def assert_uint8_rounds_float32(out8, out32):
    """`out8` (uint8) is `out32` (float32, the same op on the float image) rounded and clipped.

    The two are separately compiled programs: XLA may contract a multiply-add into an FMA in one
    and not the other, or vectorise them differently, so out32 may differ from the float32 value the
    uint8 program rounded by a few ulps (about 3e-5 at 255). That can only change the rounding where
    out32 lies within 1e-3 of a half-integer; there one level either way is allowed, elsewhere the
    result must be bitwise the rounded value.
    """
    assert out8.dtype == np.uint8
    expected = np.clip(np.round(out32), 0, 255)
    near_half = np.abs(np.abs(out32 - np.floor(out32)) - 0.5) < 1e-3
    diff = np.abs(out8.astype(np.float64) - expected)
    assert diff[~near_half].max(initial=0) == 0, "uint8 differs from the rounded float32 result"
    assert diff.max(initial=0) <= 1
