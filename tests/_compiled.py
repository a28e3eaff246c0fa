"""Compiled functions shared by the tests of one process.

XLA compilation is most of the suite's time: each distinct program compiles once per process,
and an eager call compiles every primitive it meets at each new shape (an eager `resize` of a
new shape costs about as much as five compiled ones). Tests that compare a result with a
reference therefore call `jitted(fn, **options)`, one compiled function per (fn, options),
kept for the process; the eager paths keep tests of their own (the eager/jit/vmap variants).
"""

import functools
import re

import jax
import numpy as np

import jaxaug


@functools.cache
def jitted(fn, /, **static):
    """`jax.jit(fn)` with the keyword options `static` bound (hashable values), cached per (fn, static)."""
    return jax.jit(functools.partial(fn, **static))


def image_gathers(piece, images) -> int:
    """How many gathers of `Augmenter(piece)`'s compiled program read pixels: one resample's count.

    Gathers of fewer elements than an image plane (a small solve's pivoting, a few numbers) are
    not counted.
    """
    text = jax.jit(jaxaug.Augmenter(piece)).lower(jax.random.key(0), images).compile().as_text()
    shapes = re.findall(r"= \w+\[([\d,]*)\]\S* gather\(", text)
    plane = images.shape[1] * images.shape[2]
    return sum(int(np.prod([int(d) for d in s.split(",") if d])) >= plane for s in shapes)
