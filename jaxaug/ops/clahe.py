"""albumentations' CLAHE: OpenCV's contrast-limited adaptive histogram equalisation, in pure JAX.

On RGB images the lightness L of OpenCV's 8-bit CIE L*a*b* is equalised and a*, b* are kept
(albumentations' `CLAHE(clip_limit, tile_grid_size)`: `cv2.cvtColor(RGB2LAB)`,
`cv2.createCLAHE(clip_limit, tile_grid_size).apply` on L, `cv2.cvtColor(LAB2RGB)`); a
single-channel image is equalised directly. The clip limit is drawn per image, the tile grid is
static.

OpenCV's algorithm, step by step (`modules/imgproc/src/clahe.cpp`): an image whose height or
width is not a multiple of the grid is extended at the bottom and right by
`grid - size % grid` rows and columns each (both, as soon as either does not divide: OpenCV's
rule), mirrored as `BORDER_REFLECT_101` (scipy's `mirror`); each tile gets a 256-bin histogram;
counts above `max(int(clip_limit * tile_area / 256), 1)` are cut, and the cut pixels spread
back, the same number to every bin, then one more to every `max(256 // residual, 1)`-th bin
from bin 0 until none is left; the tile's table is the cumulative histogram times
`255 / tile_area` in float32, rounded half to even. Each pixel of the original image blends the
tables of the four nearest tile centres, `x / tile_width - 0.5` (likewise for rows) in float32,
edge tiles repeated, in OpenCV's order of float32 operations, rounded half to even. A clip limit
of 0 cuts nothing (plain adaptive equalisation).

The colour conversions are OpenCV's fixed-point 8-bit ones (`color_lab.cpp`, `RGB2Lab_b` and
`Lab2RGBinteger`), with their tables rebuilt here from the same formulas: sRGB gamma (x 2040,
rounded), the cube-root table (x 2**15), the XYZ coefficients (x 4096, over and times the D65
white point), L*'s `LabToYF_b` and a*/b*'s `abToXZ_b` tables and the inverse gamma (4096
entries). One cube-root entry (index 324) rounds as OpenCV's own soft-float cube root does, a
unit below the correctly rounded value. Checked against OpenCV 5.1 on all 2**24 colours, both
ways: every L*, a*, b* and every R, G, B equal. So on uint8 images this is albumentations'
CLAHE exactly (same clip limit), up to float32 products of the interpolation that could round
apart where an exact .5 meets a fused multiply-add.

Speed, measured on a loaded 2-core AMD EPYC VM, interleaved rounds (min of 20): 32x224x224x3 uint8
under `jax.jit(jax.vmap(clahe))` 36 ms a batch (890 images/s), OpenCV's recipe one image at a
time 23 ms (1,400/s), albumentations' CLAHE 23 ms; one channel 12 ms against OpenCV's 7 ms. The
histograms are one scatter-add; each pixel reads its four tables with one gather (their bytes
packed in a uint32); the rest is gathers from small tables, which XLA keeps in passes of their
own when several values read them.

Float images are taken to the 256 levels of their value range (rounded and clipped, as
albumentations' float32 path does), equalised as uint8, and scaled back; uint8 results are
levels, floats their values in the range.

This op keeps its functions here, beside its declaration: `jaxaug.ops.clahe.sample_clahe`,
`jaxaug.ops.clahe.clahe` (the twin) and `jaxaug.ops.clahe.random_clahe` (derived from the two).
"""

import struct

import jax
import jax.numpy as jnp
import numpy as np

from jaxaug import _checks, _fusion, _images
from jaxaug.ops._core import Op, Option, unless_none

__all__ = ["OP", "clahe", "random_clahe", "sample_clahe"]

# -- OpenCV's 8-bit L*a*b* tables (color_lab.cpp), rebuilt with numpy: float32 steps as its softfloat.


def _doubles(raw: str) -> np.ndarray:
    return np.array([struct.unpack(">d", bytes.fromhex(h))[0] for h in raw.split()])


# OpenCV's constants by their bits: sRGB -> XYZ, XYZ -> sRGB (D65), and the D65 white point.
_RGB2XYZ = _doubles("3fda65a14488c60d 3fd6e297396d0918 3fc71819d2391d58 3fcb38cda6e75ff6 3fe6e297396d0918 "
                    "3fb279aae6c8f755 3f93cc4ac6cdaf4b 3fbe836eb4e98138 3fee68427418d691").reshape(3, 3)
_XYZ2RGB = _doubles("4009ec804102ff8f bff8982a9930be0e bfdfe7ff583a53b9 bfef042528ae74f3 3ffe040f23897204 "
                    "3fa546d3f9e7b80b 3fac7de5082cf52c bfca1e14bdfd2631 3ff0eabef06b3786").reshape(3, 3)
_D65 = _doubles("3fee6a22b3892ee8 3ff0000000000000 3ff16b8950763a19")
_F32 = np.float32
_MIN_AB = -8145  # abToXZ_b's first index


def _rne(x) -> np.ndarray:
    """cvRound: to the nearest integer, half to even."""
    return np.round(np.asarray(x, np.float64)).astype(np.int64)


def _lab_tables():
    # sRGBGammaTab_b: 2040 * gamma(i / 255), the gamma in double, returned as float32.
    x = (np.arange(256).astype(_F32) / _F32(255)).astype(np.float64)
    linear = np.where(x <= 809 / 20000, x / (323 / 25), ((x + 11 / 200) / (1 + 11 / 200)) ** 2.4).astype(_F32)
    gamma = _rne(_F32(2040) * linear)
    # LabCbrtTab_b: 2**15 * f(i / 2040), f the cube root above (6/29)**3 and 841/108 x + 16/116 below.
    x = (_F32(1) / _F32(2040)) * np.arange(3072).astype(_F32)
    below = (x.astype(np.float64) * np.float64(_F32(841) / _F32(108)) + np.float64(_F32(16) / _F32(116))).astype(_F32)
    f = np.where(x < _F32(216) / _F32(24389), below, np.cbrt(x.astype(np.float64)).astype(_F32))
    cbrt = _rne(_F32(32768) * f)
    cbrt[324] -= 1  # OpenCV's soft-float cube root lands a unit below the correctly rounded 17745.5 here
    # RGB2Lab_b's coefficients: rows X, Y, Z over the white point, x 4096 (each row sums to 4096).
    to_xyz = _rne(4096 * _RGB2XYZ / _D65[:, None])
    # Lab2RGBinteger's: rows R, G, B of XYZ -> sRGB times the white point, x 4096.
    to_rgb = _rne(4096 * _XYZ2RGB * _D65[None, :])
    # sRGBInvGammaTab_b: 255 * inverse gamma(i / 4096).
    x = (_F32(1) / _F32(4096) * np.arange(4096).astype(_F32)).astype(np.float64)
    encoded = np.where(x <= 7827 / 2500000, x * (323 / 25), x ** (1 / 2.4) * (1 + 11 / 200) - 11 / 200).astype(_F32)
    inverse_gamma = _rne(_F32(255) * encoded)
    # LabToYF_b: y and f(y) of each L level, x 2**14, packed as y | f << 16.
    yf = np.zeros((256, 2), np.int64)
    for i in range(256):
        if i <= 20:
            yf[i] = (_rne(_F32(i * 16384 * 180) / _F32(17 * 29**3)),
                     _rne(_F32(16384) * (_F32(16) / _F32(116) + _F32(i * 5) / _F32(3 * 17 * 29))))
        else:
            fy = _F32(_F32(i * 100 * 16384) / _F32(255 * 116)) + _F32(_F32(16 * 16384) / _F32(116))
            yf[i] = (_rne(_F32(_F32(fy * fy) * fy) / _F32(16384 * 16384)), _rne(fy))
    # abToXZ_b: f -> x (or z), x 2**14, in C's integer arithmetic (division truncates).
    i = np.arange(_MIN_AB, 16384 * 9 // 4 + _MIN_AB, dtype=np.int64)
    linear_part = np.sign(i) * (np.abs(i) * 108 // 841) - 16384 * 16 // 116 * 108 // 841
    ab_to_xz = np.where(i <= 3390, linear_part, i * i // 16384 * i // 16384)
    # Gathers give the table's dtype: the narrowest that holds it moves the fewest bytes.
    return (gamma.astype(np.uint16), cbrt.astype(np.uint16), to_xyz, to_rgb, inverse_gamma.astype(np.uint8),
            (yf[:, 0] | yf[:, 1] << 16).astype(np.int32), ab_to_xz.astype(np.int32))


_GAMMA, _CBRT, _TO_XYZ, _TO_RGB, _INVERSE_GAMMA, _L_TO_YF, _AB_TO_XZ = _lab_tables()


def _take(table: np.ndarray, index):
    """table[index] for indices known in bounds (no clamp or fill: the cheapest gather)."""
    return jnp.asarray(table).at[index].get(mode="promise_in_bounds")


# The forward conversion as single-use gathers, so that one pass computes it (XLA keeps a gather
# that several values read in memory of its own): a table per (X, Y, Z) row and channel holding
# gamma times the coefficient, and per index of the cube-root table what each of L*, a*, b* takes
# of it. Y's gives L* and 100 f(Y) in one entry (L* | 100 f(Y) << 8; a* takes 5 times it, b* 2).
_PARTS = [[(_GAMMA.astype(np.int64) * int(c)).astype(np.int32) for c in row] for row in _TO_XYZ]
_F_X = (500 * _CBRT.astype(np.int64)).astype(np.int32)
_F_Z = (200 * _CBRT.astype(np.int64)).astype(np.int32)
_F_Y = (np.clip((296 * _CBRT.astype(np.int64) - (16 * 255 * (1 << 15) + 50) // 100 + (1 << 14)) >> 15, 0, 255)
        | (100 * _CBRT.astype(np.int64)) << 8).astype(np.int32)  # 296 = (116 * 255 + 50) // 100


def _rgb_to_lab(r, g, b):
    """OpenCV's `RGB2Lab_b` on int32 planes of levels: (L, a, b) int32 planes in 0..255."""
    index = [(_take(row[0], r) + _take(row[1], g) + _take(row[2], b) + 2048) >> 12 for row in _PARTS]
    fy = _take(_F_Y, index[1])
    lightness, fy100 = fy & 0xFF, fy >> 8
    a = (_take(_F_X, index[0]) - 5 * fy100 + (128 << 15) + (1 << 14)) >> 15
    b = (2 * fy100 - _take(_F_Z, index[2]) + (128 << 15) + (1 << 14)) >> 15
    return lightness, jnp.clip(a, 0, 255), jnp.clip(b, 0, 255)


def _lab_to_rgb(lightness, a, b):
    """OpenCV's `Lab2RGBinteger` on int32 planes of levels: (R, G, B) int32 planes in 0..255."""
    yf = _take(_L_TO_YF, lightness)
    y, fy = yf & 0xFFFF, yf >> 16
    a_part = ((5 * 53687 * a + (1 << 7)) >> 13) - 128 * 16384 // 500
    b_part = ((41943 * b + (1 << 4)) >> 9) - 128 * 16384 // 200 + 1
    x = _take(_AB_TO_XZ, fy + a_part - _MIN_AB)
    z = _take(_AB_TO_XZ, fy - b_part - _MIN_AB)
    rows = ((x * int(row[0]) + y * int(row[1]) + z * int(row[2]) + (1 << 13)) >> 14 for row in _TO_RGB)
    return tuple(_take(_INVERSE_GAMMA, jnp.clip(v, 0, 4095)).astype(jnp.int32) for v in rows)


def _packed(first, second, third):
    """Three int32 planes of levels 0..255 as the low three bytes of one uint32 plane."""
    return (first | second << 8 | third << 16).astype(jnp.uint32)


def _unpacked(packed):
    """The three int32 planes of `_packed`."""
    return tuple(((packed >> shift) & 0xFF).astype(jnp.int32) for shift in (0, 8, 16))


# -- OpenCV's CLAHE (clahe.cpp) on one plane of levels.


def _extended(h: int, w: int, grid: tuple[int, int]) -> tuple[int, int]:
    """The size OpenCV computes the tiles' histograms on (its `copyMakeBorder` rule)."""
    rows, cols = grid
    if h % rows == 0 and w % cols == 0:
        return h, w
    return h + rows - h % rows, w + cols - w % cols


def _mirror_index(n: int, size: int) -> np.ndarray:
    """Indices 0..n-1 into a length-`size` axis, BORDER_REFLECT_101 beyond the end (periodic)."""
    i = np.arange(n)
    if size == 1:
        return np.zeros(n, np.int64)
    period = 2 * (size - 1)
    i = i % period
    return np.where(i < size, i, period - i)


def _clip_count(clip_limit, area: int):
    """OpenCV's integer clip: `max(int(clip_limit * area / 256), 1)`, or no clip (area + 1) for a limit <= 0.

    A static limit is computed in Python floats, as OpenCV does in doubles. A traced one is
    float32: its product with the area is rounded, so a product just below a multiple of 256
    that rounds onto it is found with the exact rounding error (Dekker's product, 12-bit halves)
    and floored one lower: the count is then exact for every float32 limit.
    """
    if not _checks.is_traced(clip_limit):
        c = float(clip_limit)
        return jnp.int32(max(int(c * area / 256), 1) if c > 0 else area + 1)
    c = jnp.asarray(clip_limit, jnp.float32)
    product = c * _F32(area)
    count = jnp.floor(product / 256.0)
    bits = jax.lax.bitcast_convert_type(c, jnp.uint32) & np.uint32(0xFFFFF000)  # the top 12 significant bits
    high = jax.lax.bitcast_convert_type(bits, jnp.float32)
    low = c - high
    a_high, a_low = _F32(area & ~0xFFF), _F32(area & 0xFFF)
    error = ((high * a_high - product) + high * a_low + low * a_high) + low * a_low
    count = jnp.where((count * 256.0 == product) & (error < 0), count - 1.0, count)
    return jnp.where(c > 0, jnp.maximum(count, 1.0), _F32(area + 1)).astype(jnp.int32)


def _alone(product):
    """`product`, rounded to float32 by itself before any sum uses it.

    Inside a fusion XLA's CPU backend contracts a product and the sum that reads it into one
    fused multiply-add, rounded once: 27 % of random bilinear blends then differed from
    numpy's float32 steps, and CLAHE landed a level off where a value sits at .5. A select
    whose condition (x == x, false only for NaN) the compiler cannot drop keeps the product a
    value of its own; no value here is NaN.
    """
    return jnp.where(product == product, product, 0.0)


def _equalize(levels, clip_limit, grid: tuple[int, int]):
    """OpenCV's `CLAHE::apply` on an (H, W) int32 plane of levels 0..255: the (H, W) int32 result."""
    h, w = levels.shape
    rows, cols = grid
    hp, wp = _extended(h, w, grid)
    th, tw = hp // rows, wp // cols
    area = th * tw
    # Histograms: one scatter-add of the extended plane into rows * cols * 256 bins.
    row_index, col_index = _mirror_index(hp, h), _mirror_index(wp, w)
    extended = levels if (hp, wp) == (h, w) else levels[row_index][:, col_index]
    bins = (np.arange(hp) // th * cols * 256)[:, None] + (np.arange(wp) // tw * 256)[None, :]
    hist = jnp.zeros(rows * cols * 256, jnp.int32).at[(extended + bins.astype(np.int32)).reshape(-1)].add(
        1, mode="promise_in_bounds").reshape(rows * cols, 256)
    # Clip, spread the excess back (the batch, then the residual every `step` bins from 0).
    limit = _clip_count(clip_limit, area)
    excess = jnp.sum(jnp.maximum(hist - limit, 0), axis=1, keepdims=True)
    batch = excess // 256
    residual = excess - batch * 256
    step = jnp.maximum(256 // jnp.maximum(residual, 1), 1)
    level = jnp.arange(256, dtype=jnp.int32)
    hist = jnp.minimum(hist, limit) + batch + ((level % step == 0) & (level // step < residual)).astype(jnp.int32)
    # The tables: the cumulative histogram times 255 / area in float32, rounded half to even.
    lut = jnp.round(jnp.cumsum(hist, axis=1).astype(jnp.float32) * (_F32(255) / _F32(area)))
    lut = jnp.clip(lut, 0.0, 255.0).astype(jnp.uint32).reshape(rows, cols, 256)
    # The four tables around each cell between tile centres, packed as the bytes of one uint32,
    # so that each pixel gathers once: cell (i, j) lies between tile rows i - 1 and i (clamped).
    up, down = np.maximum(np.arange(rows + 1) - 1, 0), np.minimum(np.arange(rows + 1), rows - 1)
    left, right = np.maximum(np.arange(cols + 1) - 1, 0), np.minimum(np.arange(cols + 1), cols - 1)
    top, bottom = lut[up], lut[down]
    packed = top[:, left] | top[:, right] << 8 | bottom[:, left] << 16 | bottom[:, right] << 24
    # OpenCV's weights, in its float32 steps: t = x * (1 / tile) - 0.5, t - floor(t) and 1 minus it.
    ty = np.arange(h).astype(_F32) * (_F32(1) / _F32(th)) - _F32(0.5)
    tx = np.arange(w).astype(_F32) * (_F32(1) / _F32(tw)) - _F32(0.5)
    ya, xa = ty - np.floor(ty).astype(_F32), tx - np.floor(tx).astype(_F32)
    cell = ((np.floor(ty).astype(np.int64) + 1) * (cols + 1) * 256)[:, None] + (
        (np.floor(tx).astype(np.int64) + 1) * 256)[None, :]
    # The table in memory before the gather reads it: fused into the gather, its bytes were recomputed per pixel.
    four = _take(_fusion.materialize(packed.reshape(-1)), levels + cell.astype(np.int32))
    v = [((four >> shift) & 0xFF).astype(jnp.float32) for shift in (0, 8, 16, 24)]
    xa, xa1 = jnp.asarray(xa)[None, :], jnp.asarray(_F32(1) - xa)[None, :]
    ya, ya1 = jnp.asarray(ya)[:, None], jnp.asarray(_F32(1) - ya)[:, None]
    # OpenCV's expression and order; every product rounded on its own, as OpenCV's (no FMA) code does.
    top = _alone(v[0] * xa1) + _alone(v[1] * xa)
    bottom = _alone(v[2] * xa1) + _alone(v[3] * xa)
    out = _alone(top * ya1) + _alone(bottom * ya)
    return jnp.clip(jnp.round(out), 0.0, 255.0).astype(jnp.int32)


def _grid(tile_grid, name="tile_grid") -> tuple[int, int]:
    """A static (rows, cols) of tiles, each an integer >= 1, at most 2**16 tiles in all."""
    if _checks.is_traced(tile_grid):
        raise TypeError(f"{name} must be static integers (rows, cols). "
                        f"Received: {name}={_checks.short_repr(tile_grid)}")
    try:
        pair = not isinstance(tile_grid, (str, bytes)) and np.ndim(tile_grid) == 1 and len(tile_grid) == 2
    except (TypeError, ValueError):
        pair = False
    if not pair or not all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) and v >= 1
                           for v in tile_grid):
        raise ValueError(f"{name} must be a pair of integers (rows, cols), each >= 1. Received: {name}={tile_grid!r}")
    rows, cols = int(tile_grid[0]), int(tile_grid[1])
    if rows * cols > 2**16:
        raise ValueError(f"{name} must have at most 65536 tiles. Received: {name}={tile_grid!r}")
    return rows, cols


def clahe(image, clip_limit, *, tile_grid=(8, 8), value_range=None):
    """OpenCV's CLAHE of the image's L* (RGB) or of its one channel, as albumentations' CLAHE.

    Args:
      image: (H, W, 3) RGB or (H, W, 1); uint8, float16, bfloat16 or float32.
      clip_limit: the contrast limit >= 0 (may be traced): a tile's bins are cut at
        `max(int(clip_limit * tile_area / 256), 1)` pixels; 0 cuts nothing.
      tile_grid: static (rows, cols) of tiles. albumentations passes its `tile_grid_size` to
        OpenCV as (width, height), i.e. (cols, rows): the same for square grids.
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats. The
        image is taken to 256 levels of it.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> out = jaxaug.ops.clahe.clahe(image, 2.0)
      >>> out.shape, out.dtype
      ((32, 32, 3), dtype('uint8'))
      >>> ramp = jnp.tile(jnp.arange(96, 160, dtype=jnp.uint8), (64, 1))[..., None]   # a low-contrast ramp
      >>> flat = jaxaug.ops.clahe.clahe(ramp, 40.0, tile_grid=(1, 1))   # one tile, no clip: equalisation
      >>> int(ramp.min()), int(ramp.max()), int(flat.min()), int(flat.max())
      (96, 159, 4, 255)
    """
    image = _images.check_image(image)
    if image.shape[-1] not in (1, 3):
        raise ValueError(f"image must have 3 (RGB) or 1 channels for CLAHE. Received: image.shape={tuple(image.shape)}")
    checked = _checks.real_scalar(clip_limit, "clip_limit", minimum=0.0)
    # A concrete limit stays a Python float (OpenCV's double); a traced one is float32.
    clip_limit = checked if _checks.is_traced(clip_limit) else float(np.asarray(clip_limit))
    grid = _grid(tile_grid)
    lo, hi = _images.value_range(image.dtype, value_range)
    exact = image.dtype == jnp.uint8 and (lo, hi) == (0.0, 255.0)
    if exact:
        levels = image.astype(jnp.int32)
    else:
        scaled = (image.astype(jnp.float32) - lo) * _F32(255.0 / (hi - lo))
        levels = jnp.clip(jnp.round(scaled), 0.0, 255.0).astype(jnp.int32)
    if image.shape[-1] == 1:
        out = _equalize(levels[..., 0], clip_limit, grid)[..., None]
    else:
        # L*, a*, b* as the bytes of one uint32 plane, computed in one pass and kept in memory: the
        # histograms and the last pass read it. R, G, B likewise, unpacked in a pass of their own:
        # each pass computes its shared gathers once per pixel, not once per plane it writes.
        lab = _fusion.materialize(_packed(*_rgb_to_lab(levels[..., 0], levels[..., 1], levels[..., 2])))
        lightness, a, b = _unpacked(lab)
        rgb = _fusion.materialize(_packed(*_lab_to_rgb(_equalize(lightness, clip_limit, grid), a, b)))
        out = jnp.stack(_unpacked(rgb), axis=-1)
    if exact:
        return out.astype(jnp.uint8)
    return _images.restore(out.astype(jnp.float32) * _F32((hi - lo) / 255.0) + _F32(lo), image.dtype)


def sample_clahe(key, shape, *, clip_limit=(1.0, 4.0)):
    """Draws {"clip_limit": ()}: uniform in [lo, hi] for a pair, the number itself for a number.

    Args:
      key: a `jax.random` key.
      shape: the image's (H, W, C).
      clip_limit: static, a number >= 0 (fixed) or a pair (lo, hi), 0 <= lo <= hi.
        albumentations' CLAHE(clip_limit=c) with one number means (1, c).

    Example:
      >>> params = jaxaug.ops.clahe.sample_clahe(jax.random.key(0), (32, 32, 3), clip_limit=(1.0, 4.0))
      >>> params["clip_limit"].dtype, 1.0 <= float(params["clip_limit"]) <= 4.0
      (dtype('float32'), True)
    """
    _checks.check_key(key)
    _checks.image_hw(shape)
    lo, hi = _checks.fixed_or_range(clip_limit, "clip_limit")
    return {"clip_limit": jax.random.uniform(key, (), jnp.float32, lo, hi)}


# With the contrast edits: after the HSV ones (stage 170), before the grey conversion (180).
# Slot 27: a new slot, so no existing draw moves.
OP = Op(
    name="clahe", title="CLAHE", kind="pixel", stage=175, slot=27,
    units="clip limit uniform in [lo, hi] (or fixed), static tile grid (albumentations' CLAHE, OpenCV's algorithm)",
    doc="albumentations' CLAHE: OpenCV's contrast-limited adaptive histogram equalisation of L* (RGB) or of "
        "the one channel, clip limit drawn per image.",
    sample=sample_clahe, twin=clahe, twin_options=("tile_grid",),
    options=(Option("clahe_clip_limit", None, "albumentations' CLAHE clip limit: a number >= 0 or a pair "
                    "(lo, hi) drawn uniformly; None is off.", "clip_limit",
                    check=unless_none(lambda v, n: _checks.fixed_or_range(v, n))),
             Option("clahe_tile_grid", (8, 8), "CLAHE's static (rows, cols) of tiles.", "tile_grid", switch=False,
                    check=_grid)),
    example=dict(clip_limit=(2.0, 4.0)),
)
random_clahe = OP.random
