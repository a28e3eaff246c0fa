"""Where the compiled program must keep a value in memory: fusion boundaries for the pixel ops.

XLA's CPU backend decides which values of a program to write to memory and which to recompute
inside the loops that read them. Two of its choices are slow for image pipelines:

* a per-pixel loop that mixes channels (HSV, a colour matrix) or reads statistics fused with the
  warp recomputes the warp's four gathers for every channel it reads;
* a per-image reduction (channel shift's min and max, contrast's mean) fused with the per-pixel
  loop that reads it runs as one library fusion about 15x slower than the two apart (jax 0.10.2,
  measured at 32x224x224x3 on Zen 4).

`materialize(x)` makes `x` a value in memory that later loops read. `lax.optimization_barrier`
does not do this on CPU (fusion still crosses it); a conditional does: its two branches return
`x` unchanged (`x * 1 == x` for every value, NaN too), and its predicate must not be foldable
(a float compared with itself: NaN != NaN). The predicate comes from the pipeline's token, a
scalar the runner derives from the key and sets with `token(...)` while it traces the pixel
ops: unbatched, so a conditional under the runner's `vmap` stays a conditional. Outside a
runner the predicate is `x`'s own first element, which is right everywhere but under `vmap`
becomes a select (no boundary). No result depends on any of this: only where values live.
"""

from __future__ import annotations

import contextlib
import contextvars

import jax
import jax.numpy as jnp
from jax import lax

__all__ = ["materialize", "token"]

_TOKEN: contextvars.ContextVar = contextvars.ContextVar("jaxaug_fusion_token", default=None)


@contextlib.contextmanager
def token(value):
    """While tracing inside this block, `materialize` predicates on `value` (a replicated scalar)."""
    reset = _TOKEN.set(value)
    try:
        yield
    finally:
        _TOKEN.reset(reset)


def materialize(x, probe=None):
    """`x` (an array or a pytree of arrays) computed once, in memory, before anything reads it."""
    leaves = jax.tree.leaves(x)
    if not leaves:
        return x
    probe = _TOKEN.get() if probe is None else probe
    if probe is None:
        probe = leaves[0].reshape(-1)[0]
    probe = jnp.asarray(probe).astype(jnp.float32)
    return lax.cond(probe == probe, lambda v: v, lambda v: jax.tree.map(lambda a: a * jnp.ones((), a.dtype), v), x)



def where(mask, value, x):
    """`jnp.where(mask, value, x)` for finite float32 `x`, as arithmetic that fuses with the warp at full speed.

    `x * keep + fill`, with keep 1 and fill 0 outside the mask, keep 0 and fill `value` inside:
    every finite x is returned as it is outside (-0.0 comes back as +0.0, an equal value), and
    `value` inside. A select on the warped values made XLA's CPU loop that fuses the warp's
    gathers 2.7x slower (32x224x224x3, Zen 4), and so did a clamp between two selected bounds;
    the multiply-add costs nothing measurable there. Non-finite pixels inside the mask give NaN.
    """
    keep = jnp.where(mask, 0.0, 1.0)
    return x * keep + jnp.where(mask, jnp.asarray(value, jnp.float32), 0.0)
