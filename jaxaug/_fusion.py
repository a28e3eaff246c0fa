"""Where the compiled program must keep a value in memory: fusion boundaries for the pixel ops.

XLA's CPU backend decides which values of a program to write to memory and which to recompute
inside the loops that read them. Two of its choices are slow for image pipelines:

* a per-pixel loop that mixes channels (HSV, a colour matrix) or reads statistics fused with the
  warp recomputes the warp's four gathers for every channel it reads;
* a per-image reduction (channel shift's min and max) fused with the per-pixel loop that reads
  it runs as one library fusion about 3x slower than the two apart (jax 0.10.2, measured at
  32x224x224x3 on Zen 4).

`materialize(x)` makes `x` a value in memory that later loops read. `lax.optimization_barrier`
alone does not: fusion crosses it on CPU. A conditional does: its two branches return `x`
unchanged (`x * 1 == x` for every value, NaN too), and its predicate is a constant passed
through `lax.optimization_barrier`, which XLA cannot fold, so the conditional stays. The
predicate depends on nothing, so under `vmap` the conditional stays a conditional (a batched
predicate would turn it into a select, which is no boundary). No result depends on any of
this: only where values live.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

__all__ = ["materialize", "where"]


def materialize(x):
    """`x` (an array or a pytree of arrays) computed once, in memory, before anything reads it."""
    if not jax.tree.leaves(x):
        return x
    probe = lax.optimization_barrier(jnp.float32(0.0))
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
