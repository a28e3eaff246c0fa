"""The pipeline piece and how pieces combine: the core under `jaxaug.pipeline` and the op declarations.

`Augmentation` is the piece (see `jaxaug.pipeline` for the contract); `combine` runs several
pieces as one, with all geometry composed into one matrix and the pixel ops in order.
`geometric` and `pixel` build a piece from a sampler and a matrix builder or a twin, and
check it once on abstract values so that a bad option fails where the piece is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from jaxaug import _checks, _fusion, geometry
from jaxaug.hsv import hsv_edit, in_hsv

__all__ = ["Augmentation", "checked", "combine", "geometric", "pixel"]


class Augmentation(NamedTuple):
    """One pipeline piece: `sample` parameters, then `matrix` (geometric) or `apply` (pixel)."""

    sample: Callable[[Any, tuple], Any]
    matrix: Callable[[Any, tuple], jax.Array] | None = None
    apply: Callable[[Any, jax.Array, tuple], jax.Array] | None = None
    # For HSV ops: params -> an edit (h, s, v) -> (h, s, v); consecutive ones share one round trip.
    hsv: Callable[[Any], Callable] | None = None
    # (params, images (N, H, W, C), value_range) -> images: the same as vmap(apply) but computed
    # for the batch at once, for pieces that can do better than vmap (see jaxaug.policies).
    apply_batch: Callable[[Any, jax.Array, tuple], jax.Array] | None = None
    # (H', W') of the output of this piece's geometry (None: the input's size). Its `matrix`
    # maps that output grid to the input; the pieces after it draw and act at this size.
    output_size: tuple[int, int] | None = None
    # True when every matrix the piece gives is axis-aligned (no rotation or shear), which
    # the separable antialiasing filter needs (see `jaxaug.Augmenter`'s `antialias`).
    axis_aligned: bool = False
    # (params, images (N, H, W, C) as given, warp, value_range) -> float32 images, for a piece that
    # mixes several resamples of the original image (AugMix): `warp(matrices)` is the runner's one
    # resampler with its order and fill. Such a piece runs alone in an `Augmenter`.
    mix: Callable | None = None
    # True when every pixel op reads only its own element and costs a few operations per element
    # (see `jaxaug.ops.Op`'s fuses_with_warp): it then runs in the loop of the op before it.
    pointwise: bool = False
    # True when, moreover, it may run inside the warp's loop, which a select slows 3-4x: the
    # runner then does not write the warped image to memory first.
    fuses_with_warp: bool = False
    # True when the piece's matrices may be projective (a perspective): the runner then warps
    # with `projective=True` (divides by the third row). Static, so that a pipeline of affine
    # pieces keeps the affine warp's program; a piece whose matrices are projective must say so.
    projective: bool = False
    # (params, shape, out_hw) -> (H', W', 2): a displacement field in input pixels that the one
    # warp adds to the coordinates each output pixel reads (see `jaxaug.dense`), or None.
    field: Callable | None = None


_PROBE_SHAPE = (8, 8, 3)


def checked(piece: Augmentation) -> Augmentation:
    # Tracing the piece once with abstract values runs its static checks now, so a bad
    # option fails where the pipeline is built, not at the first batch.
    def probe(key, image):
        params = piece.sample(key, _PROBE_SHAPE)
        if piece.matrix is not None:
            piece.matrix(params, _PROBE_SHAPE)
        if piece.apply is not None:
            piece.apply(params, image, (0.0, 1.0))

    jax.eval_shape(probe, jax.random.key(0), jax.ShapeDtypeStruct(_PROBE_SHAPE, jnp.float32))
    return piece


def geometric(sample, matrix_fn, *, axis_aligned=False, output_size=None, projective=False,
              field=None) -> Augmentation:
    """A geometric piece; `field(params, shape, out_hw)`, if given, adds a displacement field."""
    return checked(Augmentation(sample=sample, matrix=lambda p, shape: matrix_fn(shape, **p),
                                 output_size=output_size, axis_aligned=axis_aligned, projective=projective,
                                 field=field))


def _resized(shape, output_size):
    """The shape a piece's output has: `output_size` with `shape`'s channels, or `shape` if None."""
    return tuple(shape) if output_size is None else tuple(output_size) + tuple(shape)[2:]


def _stage_shapes(pieces, shape):
    """The shape each piece draws and acts at: geometric pieces at the size the geometry before
    them gives, pixel pieces (which run after all geometry) at the final size."""
    shapes, current = [], tuple(shape)
    for p in pieces:
        shapes.append(current if p.matrix is not None else None)
        if p.matrix is not None:
            current = _resized(current, p.output_size)
    return [current if s is None else s for s in shapes]


def pixel(sample, twin, *, hsv=None, fuses_with_warp=False, expand=None, **twin_options) -> Augmentation:
    def apply(params, image, value_range):
        drawn = params if expand is None else expand(params, image.shape)
        return twin(image, **drawn, value_range=value_range, **twin_options)

    edit = None if hsv is None else (lambda params: hsv_edit(hsv, **params))
    return checked(Augmentation(sample=sample, apply=apply, hsv=edit, pointwise=fuses_with_warp,
                                fuses_with_warp=fuses_with_warp))


def combine(pieces, slots, *, names=None) -> Augmentation:
    """Pieces drawing from `fold_in(key, slot)`: `chain` with the key slots chosen.

    `augmenter` gives each option a fixed slot, so switching one option on or off never
    changes what the others draw. Params are a tuple, or a dict keyed by `names`.
    """
    _checks.check_slots(pieces, slots, names)
    for j, p in enumerate(pieces):
        if p.mix is not None:
            raise ValueError(f"a piece that mixes resamples (AugMix) runs alone in an Augmenter: give the pieces "
                             f"before it as its base=. Received: it as pieces[{j}] of {len(pieces)}")
    keys = tuple(range(len(pieces))) if names is None else tuple(names)
    geometrics = [(k, p) for k, p in zip(keys, pieces, strict=True) if p.matrix is not None]
    pixels = [(k, p) for k, p in zip(keys, pieces, strict=True) if p.apply is not None]

    def sample(key, shape):
        drawn = [p.sample(jax.random.fold_in(key, s), at)
                 for s, p, at in zip(slots, pieces, _stage_shapes(pieces, shape), strict=True)]
        return tuple(drawn) if names is None else dict(zip(names, drawn, strict=True))

    def matrix(params, shape):
        # Pull matrices compose from the input side: the first piece's matrix maps its output
        # (the next piece's input, of the size it gives) to the image.
        at = _stage_shapes([p for _, p in geometrics], shape)
        return geometry.compose(*(p.matrix(params[k], s) for (k, p), s in zip(geometrics, at, strict=True)))

    def field(params, shape, out_hw):
        # Displacements add up in input pixels, each piece's drawn at the size it sees.
        at = _stage_shapes([p for _, p in geometrics], shape)
        return sum(p.field(params[k], s, out_hw) for (k, p), s in zip(geometrics, at, strict=True)
                   if p.field is not None)

    # A costly op (every run after the first that is not pointwise) runs in a loop of
    # its own over its input in memory: fused into the loop of the op before (a blur's taps), its
    # exp/log/erf_inv went scalar (the every-op pipeline ran 3x slower at 32x32 with noise fused
    # after the blur).
    steps = [(j > 0 and not all(p.pointwise for _, p in run), run) for j, run in enumerate(_hsv_runs(pixels))]

    def apply(params, image, value_range):
        for in_memory, run in steps:
            image = apply_run(run, params, _fusion.materialize(image) if in_memory else image, value_range)
        return image

    def apply_batch(params, images, value_range):
        for in_memory, run in steps:
            images = _fusion.materialize(images) if in_memory else images
            if len(run) == 1 and run[0][1].apply_batch is not None:
                k, p = run[0]
                images = p.apply_batch(params[k], images, value_range)
            else:
                sub = {k: params[k] for k, _ in run}
                images = jax.vmap(lambda q, x, run=run: apply_run(run, q, x, value_range))(sub, images)
        return images

    def apply_run(run, params, image, value_range):
        if len(run) > 1:  # one round trip through HSV for the whole run
            return in_hsv(image, [p.hsv(params[k]) for k, p in run], value_range=value_range)
        k, p = run[0]
        return p.apply(params[k], image, value_range)

    batched = any(p.apply_batch is not None for _, p in pixels)
    sizes = [p.output_size for _, p in geometrics if p.output_size is not None]
    return Augmentation(sample, matrix if geometrics else None, apply if pixels else None,
                        apply_batch=apply_batch if batched else None, output_size=sizes[-1] if sizes else None,
                        axis_aligned=all(p.axis_aligned for _, p in geometrics),
                        pointwise=all(p.pointwise for _, p in pixels),
                        fuses_with_warp=all(p.fuses_with_warp for _, p in pixels),
                        projective=any(p.projective for _, p in geometrics),
                        field=field if any(p.field is not None for _, p in geometrics) else None)


def _hsv_runs(pixels):
    """Splits (name, piece) pairs into runs: consecutive HSV pieces together, others alone."""
    runs = []
    for k, p in pixels:
        if p.hsv is not None and runs and runs[-1][-1][1].hsv is not None:
            runs[-1].append((k, p))
        else:
            runs.append([(k, p)])
    return runs
