"""A small built-in picture, drawn by code (no data files, no licence questions)."""

from __future__ import annotations

import numpy as np

from jaxaug import _checks

__all__ = ["example_image"]


def example_image(*, size: int = 128) -> np.ndarray:
    """An asymmetric test picture, so rotations, shifts and flips are easy to see.

    A warm-to-cool gradient sky over green ground, a sun in the top-left, a red
    letter "F" (which no rotation or flip maps onto itself) and a blue arrow pointing
    right. Deterministic: the same `size` gives the same pixels on every machine.

    Args:
      size: side length in pixels, 16 <= size <= 8192.

    Returns:
      (size, size, 3) uint8 numpy array.

    Example:
      >>> picture = jaxaug.example_image(size=32)
      >>> picture.shape, picture.dtype
      ((32, 32, 3), dtype('uint8'))
    """
    _checks.check_int(size, "size", 16)
    if size > 8192:  # the float64 drawing takes 24 bytes a pixel: 8192 is 1.6 GB already
        raise ValueError(f"size must be <= 8192. Received: size={size!r}")
    t = (np.arange(size) + 0.5) / size
    v, u = np.meshgrid(t, t, indexing="ij")  # v: down, u: right, both in (0, 1)
    img = np.empty((size, size, 3), np.float64)
    img[..., 0] = 0.55 + 0.35 * u
    img[..., 1] = 0.70 - 0.20 * v
    img[..., 2] = 0.95 - 0.45 * u
    ground = v > 0.78 + 0.06 * np.sin(6.0 * u)
    img[ground] = np.stack([0.25 + 0.1 * u, 0.55 + 0.0 * u, 0.2 + 0.0 * u], -1)[ground]
    sun = (v - 0.16) ** 2 + (u - 0.16) ** 2 < 0.1**2
    img[sun] = (1.0, 0.85, 0.2)
    # The letter F: a stem and two arms of unequal length.
    stem = (u > 0.38) & (u < 0.48) & (v > 0.2) & (v < 0.72)
    top_arm = (u > 0.38) & (u < 0.72) & (v > 0.2) & (v < 0.3)
    mid_arm = (u > 0.38) & (u < 0.62) & (v > 0.42) & (v < 0.51)
    img[stem | top_arm | mid_arm] = (0.85, 0.1, 0.1)
    # An arrow pointing right, in the lower right.
    shaft = (u > 0.6) & (u < 0.8) & (np.abs(v - 0.65) < 0.025)
    head = (u >= 0.8) & (u < 0.92) & (np.abs(v - 0.65) < (0.92 - u) * 0.7)
    img[shaft | head] = (0.1, 0.2, 0.8)
    return np.round(img * 255).astype(np.uint8)
