"""Input validation shared by every public function.

Each check raises `TypeError` or `ValueError` whose message names the argument and
the value received, so a user can find the bad call without reading our source.
Everything here runs at trace time on static information (shapes, dtypes, Python
options); traced values are never inspected.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np


def short_repr(value, limit: int = 80) -> str:
    """`repr(value)` cut to `limit` characters; arrays are shown by shape and dtype."""
    if hasattr(value, "shape") and hasattr(value, "dtype") and np.ndim(value) > 0:
        return f"<array shape={tuple(value.shape)} dtype={value.dtype}>"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_key(key, name: str = "key") -> None:
    """Checks that `key` is one `jax.random` key (typed, or raw uint32 of shape (2,))."""
    dtype = getattr(key, "dtype", None)
    shape = getattr(key, "shape", None)
    if dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
        if shape == ():
            return
    elif dtype == jnp.uint32 and shape == (2,):
        return
    raise TypeError(
            f"{name} must be a single jax.random key, e.g. jax.random.key(0) or "
            f"jax.random.PRNGKey(0); use jax.vmap for a batch of keys. "
            f"Received: {name}={short_repr(key)}"
    )


def check_choice(value, name: str, choices: Sequence) -> None:
    if not (isinstance(value, str) or value is None) or value not in choices:
        raise ValueError(
                f"{name} must be one of {tuple(choices)}. Received: {name}={short_repr(value)}"
        )


def is_traced(value) -> bool:
    """True for a value being traced by jit/vmap/grad (its contents are unknown now).

    A container (tuple, list, dict) counts as traced when any of its leaves is: a range
    `(tracer, 1.2)` cannot be read as static numbers any more than a lone tracer can.
    """
    if isinstance(value, jax.core.Tracer):
        return True
    return isinstance(value, (tuple, list, dict)) and any(
            isinstance(v, jax.core.Tracer) for v in jax.tree.leaves(value))


def _not_static(name: str, value, what: str):
    """The error for a traced value where a static one is needed (it sets a range or a shape)."""
    return TypeError(f"{name} must be {what} of concrete Python numbers, not traced values: it is read when the "
                     f"computation is built (pass traced values to the twin's parameters instead). "
                     f"Received: {name}={short_repr(value)}")


def _real_dtype(dtype) -> bool:
    """Integer or floating (bfloat16 included); not bool, complex, string or object."""
    return bool(jnp.issubdtype(dtype, jnp.integer) or jnp.issubdtype(dtype, jnp.floating))


def _not_a_number(value) -> bool:
    """Strings, bytes, bools, None and complex numbers are never taken as real numbers."""
    return (value is None or isinstance(value, (bool, np.bool_, str, bytes, complex, np.complexfloating))
            or (hasattr(value, "dtype") and not _real_dtype(value.dtype)))


def static_float(value, name: str) -> float:
    """Converts a static real scalar (Python, numpy or concrete 0-d array) to float.

    Rejects strings, bools, None, complex numbers, arrays, traced values, and numbers
    that are not finite in float32 (what the computation uses: 1e39 is a finite Python
    float but inf in float32).
    """
    if is_traced(value):
        raise TypeError(
                f"{name} must be a static real number (a Python or numpy scalar, not a traced "
                f"value). Received: {name}={short_repr(value)}"
        )
    if _not_a_number(value) or np.ndim(value) != 0:
        raise TypeError(f"{name} must be a real number. Received: {name}={short_repr(value)}")
    try:
        out = float(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a real number. Received: {name}={short_repr(value)}") from err
    with np.errstate(over="ignore"):
        finite = math.isfinite(out) and bool(np.isfinite(np.float32(out)))
    if not finite:
        raise ValueError(f"{name} must be finite in float32 (|{name}| < 3.4e38). Received: {name}={value!r}")
    return out


def real_scalar(value, name: str, *, minimum: float | None = None, maximum: float | None = None,
                positive: bool = False):
    """A float32 scalar parameter that may be traced (an angle, a shift, a factor).

    A traced value is checked statically (real dtype, rank 0); a concrete one as
    `static_float` (a real number, finite in float32) and against the bounds given.
    """
    if isinstance(value, jax.core.Tracer):
        if not _real_dtype(value.dtype) or value.ndim != 0:
            raise TypeError(f"{name} must be a real scalar. Received: {name}={short_repr(value)} "
                            f"of dtype {value.dtype} and shape {tuple(value.shape)}")
        return jnp.asarray(value, jnp.float32)
    if is_traced(value):  # a container holding a tracer: np.ndim would fail on it
        raise ValueError(f"{name} must be a scalar. Received: {name}={short_repr(value)}")
    if np.ndim(value) != 0 and not isinstance(value, (str, bytes)):
        raise ValueError(f"{name} must be a scalar. Received: {name}.shape={tuple(np.shape(value))}")
    out = static_float(value, name)
    if (positive and out <= 0) or (minimum is not None and out < minimum) or (maximum is not None and out > maximum):
        bounds = "> 0" if positive else (f"in [{minimum}, {maximum}]" if maximum is not None else f">= {minimum}")
        raise ValueError(f"{name} must be {bounds}. Received: {name}={value!r}")
    return jnp.asarray(out, jnp.float32)


def flag(value, name: str):
    """A bool that may be traced (a flip decision): a Python/numpy bool or a bool scalar array.

    Integers are refused: `flip(image, horizontal=2)` is more likely a mistake than a wish.
    """
    if isinstance(value, (bool, np.bool_)):
        return value
    if hasattr(value, "dtype") and np.dtype(value.dtype) == np.bool_ and np.ndim(value) == 0:
        return value
    raise TypeError(f"{name} must be a bool (or a traced bool scalar). Received: {name}={short_repr(value)}")


def real_array(value, name: str, *, allow_bool: bool = False):
    """`value` as a jax array, refusing strings, objects and complex numbers (and bools unless allowed).

    jnp.asarray would otherwise drop an imaginary part with a warning, or fail deep in
    JAX on strings without naming the argument.
    """
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an array of real numbers. Received: {name}={short_repr(value)}")
    if not hasattr(value, "dtype"):
        try:  # a sequence that holds traced scalars can only become a jax array
            value = jnp.asarray(value) if any(map(is_traced, jax.tree.leaves(value))) else np.asarray(value)
        except (TypeError, ValueError, OverflowError) as err:
            raise TypeError(f"{name} must be an array of real numbers. Received: {name}={short_repr(value)}") from err
    if not (_real_dtype(value.dtype) or (allow_bool and value.dtype == np.bool_)):
        raise TypeError(f"{name} must hold real numbers{' or bools' if allow_bool else ''}. "
                        f"Received: {name}.dtype={value.dtype}")
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "iu" and value.size:
        # jax keeps 32-bit integers: 2**40 would silently wrap to 0.
        lo, hi = int(value.min()), int(value.max())
        if lo < -2**31 or hi >= 2**31:
            raise ValueError(f"{name} must fit in 32-bit integers. Received: {name} containing "
                             f"{lo if lo < -2**31 else hi}")
    return jnp.asarray(value)


def finite_if_concrete(value, name: str) -> None:
    """Checks that a small parameter array (matrices, points, statistics) is finite in float32.

    Only concrete values can be checked; under jit the check is skipped (values are data
    then). Images are never checked here: their values are data on every call.
    """
    if is_traced(value):
        return
    with np.errstate(over="ignore", invalid="ignore"):
        ok = bool(np.all(np.isfinite(np.asarray(value, np.float32))))
    if not ok:
        raise ValueError(f"{name} must be finite (no NaN or inf in float32). Received: {name}={short_repr(value)}")


def integer_indices(value, name: str, n: int, upper: int, what: str, dtype=jnp.int32):
    """`value` as (n,) integers of `dtype`; concrete ones must lie in [0, upper) (no silent wrap or clamp).

    Traced indices are checked for shape and dtype only (their values are data).
    """
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be {n} integers, {what}. Received: {name}={short_repr(value)}")
    if not hasattr(value, "dtype"):
        try:
            value = np.asarray(value)
        except (TypeError, ValueError, OverflowError) as err:
            raise TypeError(f"{name} must be {n} integers, {what}. Received: {name}={short_repr(value)}") from err
    if not jnp.issubdtype(value.dtype, jnp.integer):
        raise TypeError(f"{name} must hold integers, {what}. Received: {name}.dtype={value.dtype}")
    if tuple(np.shape(value)) != (n,):
        raise ValueError(f"{name} must be {n} integers, {what}. Received: {name}={short_repr(value)}")
    if not is_traced(value) and n:
        host = np.asarray(value)
        lo, hi = int(host.min()), int(host.max())
        if lo < 0 or hi >= upper:
            raise ValueError(f"{name} must lie in [0, {upper}), {what}. "
                             f"Received: {name} containing {lo if lo < 0 else hi}")
        return jnp.asarray(host.astype(dtype))
    return jnp.asarray(value).astype(dtype)


# Pixel counts (paddings, box sides, shift tables) are exact in float32 up to here, and
# a larger one sizes no useful work: a cap keeps 2**40 from asking XLA for terabytes.
MAX_PIXELS = 2**24

# The largest side of an output image (resizes, crops, `affine_warp`'s output_shape). Output
# pixel coordinates are float32: below 2**15 they keep 9 bits of sub-pixel position, so
# bilinear weights stay within 1/512 (half a uint8 level at the far edge); and one such
# side times another already makes a 2**30-pixel image (12 GiB as float32 RGB). 10**6 made
# XLA fail with RESOURCE_EXHAUSTED or an OverflowError instead of naming the argument.
MAX_SIDE = 2**15


def check_int(value, name: str, minimum: int, maximum: int | None = None) -> None:
    """Checks that `value` is a Python or numpy integer (not a bool) in [minimum, maximum]."""
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum
            or (maximum is not None and value > maximum)):
        bounds = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be an integer {bounds}. Received: {name}={short_repr(value)}")


def nonnegative_float(value, name: str) -> float:
    out = static_float(value, name)
    if out < 0:
        raise ValueError(f"{name} must be >= 0. Received: {name}={value!r}")
    return out


def image_hw(shape, name: str = "shape") -> tuple[int, int]:
    """Returns (H, W) from an image shape given as (H, W) or (H, W, C).

    H and W are Python ints, or traced integer scalars: the true extent of each image of a
    ragged batch (`Augmenter(...)(key, images, sizes=...)`), which are data, not checked here.
    """
    def dim(d):
        if isinstance(d, jax.core.Tracer) and d.shape == () and jnp.issubdtype(d.dtype, jnp.integer):
            return d
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)):
            raise TypeError(shape)
        return int(d)

    try:
        if isinstance(shape, (str, bytes)):
            raise TypeError(shape)
        dims = tuple(dim(d) for d in shape)
    except (TypeError, ValueError) as err:
        raise TypeError(
                f"{name} must be an image shape (H, W) or (H, W, C) of integers. Received: {name}={short_repr(shape)}"
        ) from err
    if len(dims) not in (2, 3) or any(isinstance(d, int) and d < 1 for d in dims):
        raise ValueError(
                f"{name} must be an image shape (H, W) or (H, W, C) of positive sizes. "
                f"Received: {name}={shape!r}"
        )
    return dims[0], dims[1]


def static_range(value, name: str, *, minimum: float | None = None, positive: bool = False) -> tuple[float, float]:
    """Checks a static (lo, hi) pair with lo <= hi (and lo >= minimum / lo > 0); returns floats.

    The width hi - lo must be finite in float32 too, as a uniform draw computes lo + u * (hi - lo):
    (-3e38, 3e38) has finite ends but an infinite width. Traced ends are refused by name (a
    range is read when the computation is built).
    """
    if is_traced(value):
        raise _not_static(name, value, "a pair (lo, hi)")
    try:  # np.ndim raises on ragged nests such as (1, (2, 3))
        pair = not isinstance(value, (str, bytes)) and np.ndim(value) == 1 and len(value) == 2
    except (TypeError, ValueError):
        pair = False
    if not pair:
        raise ValueError(f"{name} must be a pair (lo, hi). Received: {name}={short_repr(value)}")
    lo, hi = (static_float(v, name) for v in value)
    if lo > hi:
        raise ValueError(f"{name} must have lo <= hi. Received: {name}={short_repr(value)}")
    if positive and lo <= 0:
        raise ValueError(f"{name} must contain only values > 0. Received: {name}={short_repr(value)}")
    if minimum is not None and lo < minimum:
        raise ValueError(f"{name} must contain only values >= {minimum}. Received: {name}={short_repr(value)}")
    finite_draws(lo, hi, name, value)
    return lo, hi


FLOAT32_MAX = float(np.finfo(np.float32).max)  # 3.4028235e+38


def finite_draws(lo: float, hi: float, name: str, value, *, scale: float = 1.0) -> None:
    """Refuses a range [lo, hi] whose draws cannot all be finite in float32.

    `jax.random.uniform(key, minval=lo, maxval=hi)` computes lo + u * (hi - lo) in float32, so
    the width must be finite as well as the ends: [-3e38, 3e38] draws inf. `scale` bounds a draw
    that is multiplied further (Gaussian noise: sigma times |z| < 5.5).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        width = np.float32(hi) - np.float32(lo)
        top = np.float32(max(abs(lo), abs(hi)) * scale)
    if not np.isfinite(width):
        raise ValueError(f"{name} spans [{lo:.3g}, {hi:.3g}], whose width {hi - lo:.3g} is not finite in float32 "
                         f"(at most {FLOAT32_MAX:.3g}), so draws in it would be inf or NaN. "
                         f"Received: {name}={short_repr(value)}")
    if not np.isfinite(top):
        raise ValueError(f"{name} must keep its draws finite in float32 (at most {FLOAT32_MAX:.3g}), but up to "
                         f"{scale:g} times {max(abs(lo), abs(hi)):.3g} is {max(abs(lo), abs(hi)) * scale:.3g}. "
                         f"Received: {name}={short_repr(value)}")


def symmetric_range(value, name: str, bound: float) -> tuple[float, float]:
    """albumentations' limit rule: a static l >= 0 means (-l, l), a pair (lo, hi) itself; within [-bound, bound]."""
    if np.ndim(value) == 0 and not isinstance(value, (str, bytes)) and not is_traced(value):
        hi = nonnegative_float(value, name)
        lo = -hi
    else:
        lo, hi = static_range(value, name)
    if lo < -bound or hi > bound:
        raise ValueError(f"{name} must lie within [-{bound:g}, {bound:g}]. Received: {name}={short_repr(value)}")
    return lo, hi


def half_range(value, name: str) -> float:
    """A static r >= 0 for draws uniform in [-r, r]; its width 2r must be finite in float32 (r <= 1.7e38)."""
    r = nonnegative_float(value, name)
    finite_draws(-r, r, name, value)
    return r


# The smallest concentration (Beta and Dirichlet parameter) accepted. jax draws Beta variates
# from log-gamma ones, log G = log G(a + 1) + log(U) / a, which leaves float32 (|log U| up to
# 16.6 / a > 3.4e38) near a = 5e-38, and a = 1e-46 is 0 in float32: both gave NaN. Beta(a, a)
# with a = 1e-30 is already a fair coin between 0 and 1, so nothing smaller is needed.
MIN_CONCENTRATION = 1e-30


def concentration(value, name: str, minimum: float = MIN_CONCENTRATION) -> float:
    """A static concentration parameter (MixUp's, CutMix's and AugMix's alpha) >= `minimum`."""
    out = static_float(value, name)
    if not out >= minimum:
        raise ValueError(f"{name} must be >= {minimum:g} (a Beta/Dirichlet parameter; smaller values make the "
                         f"float32 draw 0 / 0 = NaN). Received: {name}={value!r}")
    return out


def bounded_float(value, name: str, maximum: float) -> float:
    """A static number in [0, maximum]."""
    out = nonnegative_float(value, name)
    if out > maximum:
        raise ValueError(f"{name} must be <= {maximum}. Received: {name}={value!r}")
    return out


def fixed_or_range(value, name: str, *, maximum: float | None = None) -> tuple[float, float]:
    """A static number s >= 0 means the fixed value (s, s); a pair (lo, hi) means U(lo, hi).

    Every value must lie in [0, maximum] (no upper bound when `maximum` is None). Traced
    values are refused by name: the range is read when the computation is built.
    """
    if is_traced(value) and not isinstance(value, jax.core.Tracer):
        raise _not_static(name, value, "a number or a pair (lo, hi)")
    if np.ndim(value) == 0 and not isinstance(value, (str, bytes)):
        lo = hi = nonnegative_float(value, name)
    else:
        lo, hi = static_range(value, name, minimum=0.0)
    if maximum is not None and hi > maximum:
        raise ValueError(
                f"{name} must contain only values <= {maximum}. Received: {name}={short_repr(value)}"
        )
    return lo, hi


def check_bool(value, name: str) -> None:
    """Checks that `value` is a Python bool (static: traced flags are not options)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool. Received: {name}={short_repr(value)}")


def check_slots(pieces, slots, names=None) -> None:
    """The arguments of `pipeline.combine`: one key slot per piece (and one name, if named).

    Slots are the data of `jax.random.fold_in`, so Python ints in [0, 2**32), and distinct
    (two pieces on one slot would draw from the same key); names are distinct strings (they
    key a dict of parameters, where a repeated one would overwrite the other).
    """
    given = (("pieces", pieces), ("slots", slots)) + ((("names", names),) if names is not None else ())
    for arg, value in given:
        if not isinstance(value, (tuple, list)):
            raise TypeError(f"{arg} must be a tuple or list. Received: {arg}={short_repr(value)}")
    for arg, value in given[1:]:
        if len(value) != len(pieces):
            raise ValueError(f"{arg} must have one entry per piece ({len(pieces)} pieces). "
                             f"Received: {arg}={short_repr(value)} ({len(value)} entries)")
    for j, slot in enumerate(slots):
        check_int(slot, f"slots[{j}]", 0, 2**32 - 1)
    if len({int(s) for s in slots}) != len(slots):
        raise ValueError(f"slots must be distinct (two pieces on one slot would draw from the same key). "
                         f"Received: slots={short_repr(slots)}")
    if names is not None:
        for j, name in enumerate(names):
            if not isinstance(name, str):
                raise TypeError(f"names[{j}] must be a string. Received: names[{j}]={short_repr(name)}")
        if len(set(names)) != len(names):
            raise ValueError(f"names must be distinct. Received: names={short_repr(names)}")
