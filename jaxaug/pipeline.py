"""Augmentation pipelines: parameters as data, one warp, per-example keys.

An `Augmentation` is a small pure piece, in the spirit of optax:

* `sample(key, shape) -> params` draws the parameters of ONE image of `shape`
  (H, W, C) as a pytree of arrays that can be logged and replayed;
* `matrix(params, shape) -> (3, 3)` for geometric pieces: a centred pull matrix
  (see `jaxaug.geometry`), or None; a piece whose matrices are projective (`perspective`)
  says so with `projective=True`, and the chain's one warp then divides by the third row;
* `apply(params, image, value_range) -> image` for pixel pieces (colour, noise,
  blur, occlusion), on one float32 image, or None;
* optionally `apply_batch(params, images, value_range)`, the same as `vmap(apply)` but
  computed for the batch at once, for pieces that can do better than `vmap` (the policies
  run their costly operations only on the images that drew them).

`chain(*pieces)` combines pieces into one. When a chain runs, the matrices of all
its geometric pieces are multiplied into ONE matrix per image and the image is
resampled ONCE; the pixel pieces follow, in their order, on the warped image. So a
chain always acts as "all geometry, then all pixel ops", whatever the order in which
the two kinds are interleaved.

The op pieces (`rotation`, `brightness`, `policy`, ...) come from the op declarations of
`jaxaug.ops`, one file each; this module adds the ways to combine them.

`jaxaug.Augmenter` (in `jaxaug.runner`) runs a piece on a batch, one independent draw per
example; `jaxaug.augmenter(...)` (in `jaxaug.ops`) builds one from Keras
ImageDataGenerator's option names. Inside an image, piece j of a chain draws from
`fold_in(image_key, j)`.

Example:
  >>> from jaxaug import pipeline as jp
  >>> piece = jp.chain(jp.rotation(20), jp.flip(), jp.brightness((0.8, 1.2)))
  >>> out = jax.jit(jaxaug.Augmenter(piece))(jax.random.key(0), images)
  >>> out.shape, out.dtype
  ((4, 32, 32, 3), dtype('uint8'))

An image's draw is data, one dict per piece, and the geometry of the chain is one matrix:

  >>> angle, flips, factor = piece.sample(jax.random.key(0), (32, 32, 3))
  >>> tuple(angle), tuple(flips), tuple(factor)
  (('angle',), ('horizontal', 'vertical'), ('factor',))
  >>> piece.matrix((angle, flips, factor), (32, 32, 3)).shape
  (3, 3)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxaug import _checks, geometry, ops
from jaxaug._pieces import Augmentation, checked, combine

__all__ = ["Augmentation", "chain", "combine", "one_of", "random_apply", "random_order", "some_of"]

# Every declared op with a piece is `pipeline.<name>` (and a policy's constructors beside it).
for _op in ops.OPS:
    for _piece in (_op.piece, *_op.pieces) if _op.piece is not None else ():
        globals()[_piece.__name__] = _piece
        __all__.append(_piece.__name__)
__all__.sort()
del _op, _piece


def chain(*pieces: Augmentation) -> Augmentation:
    """Combines pieces into one; piece j draws from `fold_in(key, j)`, params are a tuple.

    Geometric pieces are composed in order (the content undergoes the first piece's
    motion first) into one matrix; pixel pieces then run in order.

    Example:
      >>> piece = chain(rotation(20), shift(width_shift_range=0.1), brightness((0.8, 1.2)))
      >>> angle, moved, factor = piece.sample(jax.random.key(0), (32, 32, 3))     # a tuple, one per piece
      >>> alone = rotation(20).sample(jax.random.fold_in(jax.random.key(0), 0), (32, 32, 3))
      >>> bool(angle["angle"] == alone["angle"])                  # piece 0 drew from fold_in(key, 0)
      True
      >>> piece.matrix((angle, moved, factor), (32, 32, 3)).shape  # rotation and shift: one matrix
      (3, 3)
    """
    for j, p in enumerate(pieces):
        if not isinstance(p, Augmentation):
            raise TypeError(f"chain takes Augmentation pieces. Received: pieces[{j}]={_checks.short_repr(p)}")
    return combine(pieces, tuple(range(len(pieces))))


# --- combinators: which pieces run is drawn per image ------------------------------------


def _members(pieces, name: str) -> tuple[list[int], list[int]]:
    """The indices of the geometric and of the pixel pieces of a combinator, its pieces checked."""
    for j, p in enumerate(pieces):
        if not isinstance(p, Augmentation):
            raise TypeError(f"{name} takes Augmentation pieces. Received: pieces[{j}]={_checks.short_repr(p)}")
    for j, p in enumerate(pieces):
        if p.mix is not None:
            raise ValueError(f"{name} cannot hold a piece that mixes resamples (AugMix): it runs alone in an "
                             f"Augmenter. Received: pieces[{j}]")
        if p.output_size is not None:
            raise ValueError(f"{name} cannot hold a piece that changes the output size (every image of a batch "
                             f"must come out at one size). Received: pieces[{j}] with output size {p.output_size}")
    return ([j for j, p in enumerate(pieces) if p.matrix is not None],
            [j for j, p in enumerate(pieces) if p.apply is not None])


def _gated(pieces, name: str, choose) -> Augmentation:
    """Pieces that each run or not, per image: piece j draws from `fold_in(key, j)` as in
    `chain`, and `choose(key) -> (len(pieces),) bool` from `fold_in(key, len(pieces))`.

    A piece not chosen contributes the identity matrix and leaves the image as it is. All
    pieces are computed and selected per image (`jnp.where`), so a batch needs no Python
    loop and one compiled program serves every draw.
    """
    geometric, pixel = _members(pieces, name)

    def sample(key, shape):
        drawn = tuple(p.sample(jax.random.fold_in(key, j), shape) for j, p in enumerate(pieces))
        return {"chosen": choose(jax.random.fold_in(key, len(pieces))), "pieces": drawn}

    def matrix(params, shape):
        eye = jnp.eye(3, dtype=jnp.float32)
        return geometry.compose(*(jnp.where(params["chosen"][j], pieces[j].matrix(params["pieces"][j], shape), eye)
                                  for j in geometric))

    def field(params, shape, out_hw):
        return sum(jnp.where(params["chosen"][j], pieces[j].field(params["pieces"][j], shape, out_hw), 0.0)
                   for j in geometric if pieces[j].field is not None)

    def apply(params, image, value_range):
        for j in pixel:
            changed = pieces[j].apply(params["pieces"][j], image, value_range)
            image = jnp.where(params["chosen"][j], changed, image)
        return image

    def apply_batch(params, images, value_range):
        for j in pixel:
            changed = _on_batch(pieces[j], params["pieces"][j], images, value_range)
            images = jnp.where(params["chosen"][:, j, None, None, None], changed, images)
        return images

    return _selecting(pieces, geometric, pixel, sample, matrix, field, apply, apply_batch)


def _on_batch(piece, params, images, value_range):
    """A pixel piece on a batch: its own batch formulation if it has one, else vmap."""
    if piece.apply_batch is not None:
        return piece.apply_batch(params, images, value_range)
    return jax.vmap(lambda q, x: piece.apply(q, x, value_range))(params, images)


def _selecting(pieces, geometric, pixel, sample, matrix, field, apply, apply_batch) -> Augmentation:
    """The piece of a combinator that selects per image among its pieces' results."""
    batched = any(pieces[j].apply_batch is not None for j in pixel)
    return checked(Augmentation(sample, matrix if geometric else None, apply if pixel else None,
                                apply_batch=apply_batch if batched else None,
                                axis_aligned=all(pieces[j].axis_aligned for j in geometric),
                                # Pointwise when its pieces are, but never fuses_with_warp: the per-image select
                                # between the changed and the kept image, inside the warp's gathering loop, made
                                # a gated pipeline of cheap ops 3-4x slower (Zen 4, 32^2 and 224^2).
                                pointwise=all(pieces[j].pointwise for j in pixel),
                                projective=any(pieces[j].projective for j in geometric),
                                field=field if any(pieces[j].field is not None for j in geometric) else None))


def some_of(n, *pieces: Augmentation) -> Augmentation:
    """Runs `n` of the pieces, drawn without replacement per image, in their given order.

    `some_of(len(pieces), *pieces)` is `chain(*pieces)` (the same draws); params are
    {"chosen": (len(pieces),) bool, "pieces": the pieces' params}.

    Example:
      >>> piece = some_of(2, rotation(20), brightness((0.7, 1.3)), blur((0.5, 1.5)))
      >>> params = jaxaug.Augmenter(piece).sample(jax.random.key(0), images)
      >>> tuple(map(tuple, params["chosen"].tolist()))    # per image, two of the three pieces
      ((True, False, True), (True, False, True), (True, True, False), (True, True, False))
    """
    _checks.check_int(n, "n", 0, len(pieces))

    def choose(key):
        return jax.random.permutation(key, len(pieces)) < n  # the pieces ranked first n

    return _gated(pieces, "some_of", choose)


def one_of(*pieces: Augmentation) -> Augmentation:
    """Runs one of the pieces, uniformly at random per image.

    Example:
      >>> piece = one_of(rotation(20), shear(15), zoom(0.2))
      >>> params = jaxaug.Augmenter(piece).sample(jax.random.key(0), images)
      >>> tuple(params["chosen"].argmax(axis=1).tolist())   # the piece each image runs
      (2, 0, 1, 0)
    """
    if not pieces:
        raise ValueError("one_of needs at least one piece. Received: no pieces")
    return some_of(1, *pieces)


def random_apply(piece: Augmentation, probability) -> Augmentation:
    """Runs `piece` with the given probability, decided per image (not once per batch).

    Example:
      >>> piece = random_apply(blur((0.5, 1.5)), 0.3)
      >>> out = jaxaug.Augmenter(random_apply(invert(1.0), 0.5))(jax.random.key(0), images)
      >>> tuple(bool(jnp.all(o == 255 - x)) for o, x in zip(out, images))   # inverted or not, per image
      (True, True, False, False)
    """
    p = _checks.bounded_float(probability, "probability", 1.0)
    return _gated((piece,), "random_apply", lambda key: jax.random.uniform(key, (1,)) < p)


def random_order(*pieces: Augmentation) -> Augmentation:
    """Runs every piece, in an order drawn per image (torchvision's `RandomOrder`).

    One permutation of the pieces is drawn per image, from `fold_in(key, len(pieces))`; piece j
    draws its own parameters from `fold_in(key, j)` as in `chain`. As in any chain, the geometry
    comes first: the geometric pieces' matrices compose in their drawn order into the one matrix,
    then the pixel pieces run in theirs. params are {"rank": (len(pieces),) int32, the position of
    each piece in the order, "pieces": the pieces' params}.

    Cost: each image's order is data, so in each of the m pixel steps every pixel piece runs
    and one result is kept per image: m * m pixel-op applications for m pixel pieces (the
    matrices cost nothing).

    Example:
      >>> piece = random_order(brightness((0.5, 1.5)), contrast((0.5, 1.5)), hue(0.1))
      >>> params = jaxaug.Augmenter(piece).sample(jax.random.key(0), images)
      >>> tuple(map(tuple, params["rank"].tolist()))     # per image, the position of each piece
      ((2, 0, 1), (0, 2, 1), (1, 0, 2), (0, 1, 2))
      >>> out = jax.jit(jaxaug.Augmenter(piece))(jax.random.key(0), images)
    """
    geometric, pixel = _members(pieces, "random_order")

    def sample(key, shape):
        drawn = tuple(p.sample(jax.random.fold_in(key, j), shape) for j, p in enumerate(pieces))
        order = jax.random.permutation(jax.random.fold_in(key, len(pieces)), len(pieces))
        return {"rank": jnp.argsort(order).astype(jnp.int32), "pieces": drawn}

    def steps(rank, members):
        """(len(members), len(members)) bool: step r runs member i."""
        sub = jnp.stack([rank[j] for j in members])
        position = jnp.sum(sub[None, :] < sub[:, None], axis=1)  # its place among the members
        return position[None, :] == jnp.arange(len(members))[:, None]

    def matrix(params, shape):
        mats = jnp.stack([pieces[j].matrix(params["pieces"][j], shape) for j in geometric])
        runs = steps(params["rank"], geometric).astype(jnp.float32)
        return geometry.compose(*(jnp.tensordot(runs[r], mats, axes=1) for r in range(len(geometric))))

    def field(params, shape, out_hw):
        return sum(pieces[j].field(params["pieces"][j], shape, out_hw) for j in geometric
                   if pieces[j].field is not None)

    def apply(params, image, value_range):
        runs = steps(params["rank"], pixel)
        for r in range(len(pixel)):
            out = image
            for i, j in enumerate(pixel):
                out = jnp.where(runs[r, i], pieces[j].apply(params["pieces"][j], image, value_range), out)
            image = out
        return image

    def apply_batch(params, images, value_range):
        runs = jax.vmap(lambda rank: steps(rank, pixel))(params["rank"])
        for r in range(len(pixel)):
            out = images
            for i, j in enumerate(pixel):
                changed = _on_batch(pieces[j], params["pieces"][j], images, value_range)
                out = jnp.where(runs[:, r, i, None, None, None], changed, out)
            images = out
        return images

    return _selecting(pieces, geometric, pixel, sample, matrix, field, apply, apply_batch)
