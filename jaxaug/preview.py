"""Grid previews of random augmentations: the tutorial's 3x3 figure of one photo.

Command line::

    python -m jaxaug.preview [IMAGE] --rotation-range 90 --width-shift-range 0.2 \\
        --height-shift-range 0.2 --zoom-range 0.3 --grid 3x3 --seed 0 -o preview.png

Without IMAGE the built-in `jaxaug.example_image()` is used. The same arguments and
seed always give the same PNG bytes. The extension of `-o` picks the format (.png,
.jpg, .bmp, .tif, .webp, ...; others are refused). Every argument and the output
place are checked before any work, and errors are one line naming the flag; the
picture is limited to `MAX_PIXELS` (8192 x 8192) pixels.
"""

from __future__ import annotations

import argparse
import inspect
import math
import sys

import jax
import numpy as np

from jaxaug import _checks, _image_files, ops
from jaxaug.geometry import random_affine_matrix, sample_affine
from jaxaug.sample import example_image
from jaxaug.warp import FILL_MODES, affine_warp

__all__ = ["preview_grid", "main", "MAX_PIXELS"]

# The largest picture built (and the largest batch of cells warped): 8192 x 8192 pixels.
MAX_PIXELS = _image_files.MAX_IMAGE_PIXELS
# The augmentation flags: Keras' geometric options (`random_affine_matrix`'s keywords that the table of
# operations marks as Keras'), and the warp's; names, defaults and help come from the table.
_AFFINE = tuple(name for name in inspect.signature(sample_affine).parameters
                if name in ops.OPTIONS and ops.OPTIONS[name].keras)
_RUN_OPTIONS = {o.name: o for o in ops.RUN_OPTIONS}


def preview_grid(key, image, *, rows=3, cols=3, pad=2, order=1, fill_mode="nearest", cval=0.0, **ranges):
    """Augments `image` rows * cols times and tiles the results into one picture.

    Args:
      key: a `jax.random` key; copy i uses `fold_in(key, i)`.
      image: (H, W, C) uint8 array, H, W, C >= 1.
      rows, cols: grid size, >= 1.
      pad: white pixels between cells, >= 0. The grid, and the rows * cols cells
        together, must not exceed `MAX_PIXELS` pixels.
      order, fill_mode, cval: passed to `affine_warp`.
      **ranges: keyword arguments of `random_affine_matrix` (rotation_range, ...).

    Returns:
      (rows * (H + pad) - pad, cols * (W + pad) - pad, C) uint8 numpy array.
    """
    _checks.check_key(key)
    _checks.check_int(rows, "rows", 1)
    _checks.check_int(cols, "cols", 1)
    _checks.check_int(pad, "pad", 0)
    image = np.asarray(image)
    if image.ndim != 3 or image.dtype != np.uint8 or min(image.shape) < 1:
        raise ValueError(
            f"image must be an (H, W, C) uint8 array. Received: image.shape={image.shape}, dtype={image.dtype}"
        )
    h, w, c = image.shape
    grid_pixels = (rows * (h + pad) - pad) * (cols * (w + pad) - pad)
    if max(grid_pixels, rows * cols * h * w) > MAX_PIXELS:
        raise ValueError(f"rows, cols and pad make a picture of {grid_pixels} pixels (cells of {h}x{w}), more than "
                         f"{MAX_PIXELS} (8192 x 8192). Received: rows={rows}, cols={cols}, pad={pad}")
    keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(np.arange(rows * cols))
    matrices = jax.vmap(lambda k: random_affine_matrix(k, (h, w), **ranges))(keys)
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
        raise argparse.ArgumentTypeError(f"must look like ROWSxCOLS, e.g. 3x3. Received: {text!r}") from err
    if rows < 1 or cols < 1:
        raise argparse.ArgumentTypeError(f"needs sizes >= 1. Received: {text!r}")
    if rows * cols > MAX_PIXELS:
        raise argparse.ArgumentTypeError(f"has more cells than pixels allowed ({MAX_PIXELS}). Received: {text!r}")
    return rows, cols


def _number(text: str) -> float:
    """A real number finite in float32 (argparse puts the flag in front of the message)."""
    try:
        value = float(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"must be a number. Received: {text!r}") from err
    with np.errstate(over="ignore"):
        finite = math.isfinite(value) and bool(np.isfinite(np.float32(value)))
    if not finite:
        raise argparse.ArgumentTypeError(f"must be finite (in float32, |x| < 3.4e38). Received: {text!r}")
    return value


def _range(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0. Received: {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"must be an integer. Received: {text!r}") from err
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be in [0, 2**32). Received: {text!r}")
    return value


def _scale(text: str) -> int:
    try:
        value = int(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"must be an integer. Received: {text!r}") from err
    if not 1 <= value <= 8192:
        raise argparse.ArgumentTypeError(f"must be in [1, 8192]. Received: {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m jaxaug.preview", description=__doc__.split("\n")[0],
                                epilog="The augmentation and fill flags are jaxaug.augmenter's options of the same "
                                       "names, one number each (pairs and lists are for the Python API).")
    p.add_argument("image", nargs="?", help="picture to augment (any format Pillow reads); default: built-in")
    p.add_argument("-o", "--output", default="preview.png",
                   help="image file to write; its extension picks the format (default: preview.png)")
    p.add_argument("--grid", type=_grid_size, default=(3, 3), help="ROWSxCOLS (default: 3x3)")
    p.add_argument("--seed", type=_seed, default=0, help="integer in [0, 2**32)")
    for name in _AFFINE:
        option = ops.OPTIONS[name]
        if isinstance(option.default, bool):
            _flag(p, option, action="store_true")
        else:
            _flag(p, option, type=_range)
    _flag(p, _RUN_OPTIONS["fill_mode"], choices=FILL_MODES)
    _flag(p, _RUN_OPTIONS["cval"], type=_number, note=" In 0..255: the picture is uint8.")
    _flag(p, _RUN_OPTIONS["order"], type=int, choices=(0, 1))
    p.add_argument("--scale", type=_scale, default=1, help="enlarge each cell by this integer factor")
    return p


def _flag(p, option, *, note="", **kwargs):
    """`--option-name`, with the option's default and its one-line doc as help (% escaped for argparse)."""
    p.add_argument("--" + option.name.replace("_", "-"), default=option.default,
                   help=(option.doc + note).replace("%", "%%"), **kwargs)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _read_image(path):
    """The picture at `path` as (H, W, 3) uint8, or an error message naming the file."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            if im.width * im.height > MAX_PIXELS:
                return f"image {path!r} has {im.width}x{im.height} pixels, more than {MAX_PIXELS} (8192 x 8192)"
            return np.asarray(im.convert("RGB"))
    except FileNotFoundError:
        return f"image {path!r} does not exist"
    except IsADirectoryError:
        return f"image {path!r} is a folder, not a picture"
    except Image.UnidentifiedImageError:
        return f"cannot read image {path!r}: not a picture Pillow recognises (empty, or an unknown format)"
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as err:
        return f"cannot read image {path!r}: {str(err).splitlines()[0] if str(err) else type(err).__name__}"


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if not 0 <= args.cval <= 255:
        return _fail(f"--cval must be in [0, 255] (the picture is uint8). Received: --cval={args.cval}")
    try:  # the output place and format first: nothing is computed for a file that cannot be written
        output, file_format = _image_files.check_output_file(args.output, "-o/--output")
    except (TypeError, ValueError) as err:
        return _fail(str(err))
    image = example_image() if args.image is None else _read_image(args.image)
    if isinstance(image, str):
        return _fail(image)
    rows, cols = args.grid
    h, w = image.shape[:2]
    pixels = (rows * (h + 2) - 2) * (cols * (w + 2) - 2) * args.scale**2
    if max(pixels, rows * cols * h * w) > MAX_PIXELS:
        return _fail(f"--grid {rows}x{cols} of {w}x{h} cells at --scale {args.scale} makes a picture of {pixels} "
                     f"pixels, more than {MAX_PIXELS} (8192 x 8192); use a smaller --grid, --scale or image. "
                     f"Received: --grid={rows}x{cols}, --scale={args.scale}")
    try:
        grid = preview_grid(
            jax.random.key(args.seed), image, rows=rows, cols=cols, order=args.order,
            fill_mode=args.fill_mode, cval=args.cval, **{name: getattr(args, name) for name in _AFFINE},
        )
    except (TypeError, ValueError) as err:
        return _fail(str(err))
    if args.scale > 1:
        grid = grid.repeat(args.scale, axis=0).repeat(args.scale, axis=1)
    try:
        _image_files.save_image(output, grid, file_format=file_format, scale=False)
    except OSError as err:  # e.g. the disk filled up: nothing half-written is left (save_image is atomic)
        return _fail(f"cannot write -o/--output {output!r}: {err.strerror or err}")
    print(f"wrote {output} ({rows}x{cols} grid, {grid.shape[1]}x{grid.shape[0]} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
