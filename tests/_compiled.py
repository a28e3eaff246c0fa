"""Compiled functions shared by the tests of one process.

XLA compilation is most of the suite's time: each distinct program compiles once per process,
and an eager call compiles every primitive it meets at each new shape (an eager `resize` of a
new shape costs about as much as five compiled ones). Tests that compare a result with a
reference therefore call `jitted(fn, **options)`, one compiled function per (fn, options),
kept for the process; the eager paths keep tests of their own (the eager/jit/vmap variants).
"""

import functools

import jax


@functools.cache
def jitted(fn, /, **static):
    """`jax.jit(fn)` with the keyword options `static` bound (hashable values), cached per (fn, static)."""
    return jax.jit(functools.partial(fn, **static))
