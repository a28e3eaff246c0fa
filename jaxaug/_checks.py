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
    if isinstance(value, bool) or value not in choices:
        raise ValueError(
                f"{name} must be one of {tuple(choices)}. Received: {name}={short_repr(value)}"
        )


def static_float(value, name: str) -> float:
    """Converts a static Python/numpy real scalar to float; rejects arrays and tracers."""
    if isinstance(value, (bool, np.bool_, str, bytes)) or np.ndim(value) != 0:
        raise TypeError(f"{name} must be a real number. Received: {name}={short_repr(value)}")
    try:
        out = float(value)
    except (TypeError, jax.errors.ConcretizationTypeError) as err:
        raise TypeError(
                f"{name} must be a static real number (a Python or numpy scalar, not a traced "
                f"value). Received: {name}={short_repr(value)}"
        ) from err
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite. Received: {name}={value!r}")
    return out


def check_int(value, name: str, minimum: int) -> None:
    """Checks that `value` is a Python or numpy integer (not a bool) >= `minimum`."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}. Received: {name}={short_repr(value)}")


def nonnegative_float(value, name: str) -> float:
    out = static_float(value, name)
    if out < 0:
        raise ValueError(f"{name} must be >= 0. Received: {name}={value!r}")
    return out


def image_hw(shape, name: str = "shape") -> tuple[int, int]:
    """Returns (H, W) from an image shape given as (H, W) or (H, W, C)."""
    try:
        if isinstance(shape, (str, bytes)):
            raise TypeError(shape)
        dims = tuple(int(d) for d in shape)
    except (TypeError, ValueError) as err:
        raise TypeError(
                f"{name} must be an image shape (H, W) or (H, W, C). Received: {name}={short_repr(shape)}"
        ) from err
    if len(dims) not in (2, 3) or any(d < 1 for d in dims):
        raise ValueError(
                f"{name} must be an image shape (H, W) or (H, W, C) of positive sizes. "
                f"Received: {name}={shape!r}"
        )
    return dims[0], dims[1]


def static_range(value, name: str, *, minimum: float | None = None, positive: bool = False) -> tuple[float, float]:
    """Checks a static (lo, hi) pair with lo <= hi (and lo >= minimum / lo > 0); returns floats."""
    if isinstance(value, (str, bytes)) or np.ndim(value) != 1 or len(value) != 2:
        raise ValueError(f"{name} must be a pair (lo, hi). Received: {name}={short_repr(value)}")
    lo, hi = (static_float(v, name) for v in value)
    if lo > hi:
        raise ValueError(f"{name} must have lo <= hi. Received: {name}={short_repr(value)}")
    if positive and lo <= 0:
        raise ValueError(f"{name} must contain only values > 0. Received: {name}={short_repr(value)}")
    if minimum is not None and lo < minimum:
        raise ValueError(f"{name} must contain only values >= {minimum}. Received: {name}={short_repr(value)}")
    return lo, hi


def bounded_float(value, name: str, maximum: float) -> float:
    """A static number in [0, maximum]."""
    out = nonnegative_float(value, name)
    if out > maximum:
        raise ValueError(f"{name} must be <= {maximum}. Received: {name}={value!r}")
    return out


def fixed_or_range(value, name: str, *, maximum: float | None = None) -> tuple[float, float]:
    """A static number s >= 0 means the fixed value (s, s); a pair (lo, hi) means U(lo, hi).

    Every value must lie in [0, maximum] (no upper bound when `maximum` is None).
    """
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
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool. Received: {name}={value!r}")
