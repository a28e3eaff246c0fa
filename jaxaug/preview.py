"""Grid previews of random augmentations: the tutorial's 3x3 figure of one photo.

Command line::

    python -m jaxaug.preview [IMAGE] --rotation-range 90 --width-shift-range 0.2 \\
        --height-shift-range 0.2 --zoom-range 0.3 --grid 3x3 --seed 0 -o preview.png

Without IMAGE the built-in `jaxaug.sample_image()` is used. The same arguments and
seed always give the same PNG bytes.
"""

from __future__ import annotations

import argparse
import sys

import jax
import numpy as np

from jaxaug import _checks
from jaxaug.geometry import random_affine
from jaxaug.sample import sample_image
from jaxaug.warp import FILL_MODES, affine_warp

__all__ = ["preview_grid", "main"]


def preview_grid(key, image, *, rows=3, cols=3, pad=2, order=1, fill_mode="nearest", cval=0.0, **ranges):
    """Augments `image` rows * cols times and tiles the results into one picture.

    Args:
      key: a `jax.random` key; copy i uses `fold_in(key, i)`.
      image: (H, W, C) uint8 array.
      rows, cols: grid size, >= 1.
      pad: white pixels between cells, >= 0.
      order, fill_mode, cval: passed to `affine_warp`.
      **ranges: keyword arguments of `random_affine` (rotation_range, ...).

    Returns:
      (rows * (H + pad) - pad, cols * (W + pad) - pad, C) uint8 numpy array.
    """
    _checks.check_key(key)
    _checks.check_int(rows, "rows", 1)
    _checks.check_int(cols, "cols", 1)
    _checks.check_int(pad, "pad", 0)
    image = np.asarray(image)
    if image.ndim != 3 or image.dtype != np.uint8:
        raise ValueError(
            f"image must be an (H, W, C) uint8 array. Received: image.shape={image.shape}, dtype={image.dtype}"
        )
    h, w, c = image.shape
    keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(np.arange(rows * cols))
    matrices = jax.vmap(lambda k: random_affine(k, (h, w), **ranges))(keys)
    batch = np.broadcast_to(image, (rows * cols, h, w, c))
    out = np.asarray(affine_warp(batch, matrices, order=order, fill_mode=fill_mode, cval=cval))
    grid = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad, c), 255, np.uint8)
    for i in range(rows * cols):
        r, q = divmod(i, cols)
        grid[r * (h + pad) : r * (h + pad) + h, q * (w + pad) : q * (w + pad) + w] = out[i]
    return grid


def _grid_size(text: str) -> tuple[int, int]:
    try:
        rows, cols = (int(v) for v in text.lower().split("x"))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"--grid must look like 3x3. Received: --grid={text!r}") from err
    if rows < 1 or cols < 1:
        raise argparse.ArgumentTypeError(f"--grid needs sizes >= 1. Received: --grid={text!r}")
    return rows, cols


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m jaxaug.preview", description=__doc__.split("\n")[0])
    p.add_argument("image", nargs="?", help="picture to augment (any format Pillow reads); default: built-in")
    p.add_argument("-o", "--output", default="preview.png", help="PNG file to write (default: preview.png)")
    p.add_argument("--grid", type=_grid_size, default=(3, 3), help="ROWSxCOLS (default: 3x3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rotation-range", type=float, default=0.0, help="degrees")
    p.add_argument("--width-shift-range", type=float, default=0.0, help="fraction of W if < 1, else pixels")
    p.add_argument("--height-shift-range", type=float, default=0.0, help="fraction of H if < 1, else pixels")
    p.add_argument("--shear-range", type=float, default=0.0, help="degrees")
    p.add_argument("--zoom-range", type=float, default=0.0, help="zoom factors in [1 - z, 1 + z]")
    p.add_argument("--horizontal-flip", action="store_true")
    p.add_argument("--vertical-flip", action="store_true")
    p.add_argument("--fill-mode", choices=FILL_MODES, default="nearest")
    p.add_argument("--cval", type=float, default=0.0, help="fill value for --fill-mode constant (0..255)")
    p.add_argument("--order", type=int, choices=(0, 1), default=1, help="0 nearest, 1 bilinear")
    p.add_argument("--scale", type=int, default=1, help="enlarge each cell by this integer factor")
    return p


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    from PIL import Image

    if args.image is None:
        image = sample_image()
    else:
        try:
            with Image.open(args.image) as im:
                image = np.asarray(im.convert("RGB"))
        except (OSError, ValueError) as err:
            print(f"error: cannot read image {args.image!r}: {err}", file=sys.stderr)
            return 2
    if args.scale < 1:
        print(f"error: --scale must be >= 1. Received: --scale={args.scale}", file=sys.stderr)
        return 2
    rows, cols = args.grid
    try:
        grid = preview_grid(
            jax.random.key(args.seed), image, rows=rows, cols=cols, order=args.order,
            fill_mode=args.fill_mode, cval=args.cval, rotation_range=args.rotation_range,
            width_shift_range=args.width_shift_range, height_shift_range=args.height_shift_range,
            shear_range=args.shear_range, zoom_range=args.zoom_range,
            horizontal_flip=args.horizontal_flip, vertical_flip=args.vertical_flip,
        )
    except (TypeError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.scale > 1:
        grid = grid.repeat(args.scale, axis=0).repeat(args.scale, axis=1)
    Image.fromarray(grid).save(args.output, format="PNG")
    print(f"wrote {args.output} ({rows}x{cols} grid, {grid.shape[1]}x{grid.shape[0]} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
