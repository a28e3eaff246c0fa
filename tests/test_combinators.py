"""Combinators: some_of, one_of, random_apply decide per image which pieces run."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxaug
from jaxaug import pipeline as jp

IMAGES = jnp.asarray(np.random.default_rng(3).integers(0, 256, (16, 12, 10, 3), dtype=np.uint8))
KEY = jax.random.key(7)
PIECES = (jp.rotation(25.0), jp.brightness((0.6, 1.4)), jp.shear(10.0), jp.blur((0.5, 1.5)))


def run(piece, images=IMAGES, **kw):
    return np.asarray(jax.jit(jaxaug.Augmenter(piece, **kw))(KEY, images))


def same_draws_and_output(a, b):
    """The two pieces draw the same parameters (bitwise: the same random bits and arithmetic)
    and give the same images, up to one level where two compiled programs round an x.5 apart."""
    pa, pb = jaxaug.Augmenter(a).sample(KEY, IMAGES), jaxaug.Augmenter(b).sample(KEY, IMAGES)
    for x, y in zip(jax.tree.leaves(pa["pieces"] if isinstance(pa, dict) else pa), jax.tree.leaves(pb), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    np.testing.assert_allclose(run(a).astype(int), run(b).astype(int), atol=1)


def test_some_of_all_is_chain():
    same_draws_and_output(jp.some_of(len(PIECES), *PIECES), jp.chain(*PIECES))


def test_random_apply_always_is_the_piece_and_never_is_identity():
    same_draws_and_output(jp.random_apply(PIECES[0], 1.0), jp.chain(PIECES[0]))
    # Not applied: an identity warp reads every pixel at its own integer position, exactly.
    np.testing.assert_array_equal(run(jp.random_apply(PIECES[0], 0.0)), np.asarray(IMAGES))
    np.testing.assert_array_equal(run(jp.random_apply(PIECES[1], 0.0)), np.asarray(IMAGES))


def test_each_image_runs_exactly_its_chosen_pieces():
    piece = jp.some_of(2, *PIECES)
    augment = jaxaug.Augmenter(piece)
    params = augment.sample(KEY, IMAGES)
    chosen = np.asarray(params["chosen"])
    assert (chosen.sum(axis=1) == 2).all() and len({tuple(c) for c in chosen}) > 1
    out = np.asarray(jax.jit(augment.apply)(params, IMAGES))
    for i in range(4):  # the same draws, each image through a chain of its chosen pieces
        own = jp.chain(*(p for p, c in zip(PIECES, chosen[i], strict=True) if c))
        kept = [params["pieces"][j] for j in range(len(PIECES)) if chosen[i, j]]
        one = jax.tree.map(lambda a, i=i: a[i:i + 1], tuple(kept))
        want = jaxaug.Augmenter(own).apply(one, IMAGES[i:i + 1])
        # Unchosen pieces contribute identity matrices and unchanged images (x * 1 + y * 0 is x), so
        # this is bitwise equal here; but the two sides are different compiled programs, whose
        # float32 rounding may differ by an ulp, moving a uint8 value at x.5 by one level.
        np.testing.assert_allclose(out[i].astype(int), np.asarray(want)[0].astype(int), atol=1)


def test_one_of_is_uniform_and_per_image():
    augment = jaxaug.Augmenter(jp.one_of(*PIECES))
    images = jnp.zeros((4000, 4, 4, 3), jnp.uint8)
    chosen = np.asarray(jax.jit(augment.sample)(KEY, images)["chosen"])
    assert (chosen.sum(axis=1) == 1).all()
    counts = chosen.sum(axis=0)
    assert np.all(np.abs(counts - 1000) < 5 * np.sqrt(1000 * 0.75))  # binomial(4000, 1/4), 5 sigma


def test_random_apply_probability():
    augment = jaxaug.Augmenter(jp.random_apply(PIECES[1], 0.3))
    chosen = np.asarray(jax.jit(augment.sample)(KEY, jnp.zeros((4000, 4, 4, 3), jnp.uint8))["chosen"])[:, 0]
    assert abs(chosen.mean() - 0.3) < 5 * np.sqrt(0.3 * 0.7 / 4000)


def test_an_example_does_not_depend_on_its_batch():
    augment = jax.jit(jaxaug.Augmenter(jp.some_of(2, *PIECES)))
    whole = np.asarray(augment(KEY, IMAGES))
    part = np.asarray(augment(KEY, IMAGES[5:9], indices=jnp.arange(5, 9)))
    np.testing.assert_array_equal(whole[5:9], part)


def test_random_order_runs_each_image_in_its_drawn_order():
    pieces = (jp.brightness((0.5, 1.5)), jp.contrast((0.5, 1.5)), jp.hue(0.2), jp.rotation(30.0), jp.zoom(0.3))
    augment = jaxaug.Augmenter(jp.random_order(*pieces))
    params = augment.sample(KEY, IMAGES)
    rank = np.asarray(params["rank"])
    assert sorted(rank[0].tolist()) == [0, 1, 2, 3, 4] and len({tuple(r) for r in rank}) > 4
    out = np.asarray(jax.jit(augment.apply)(params, IMAGES))
    for i in range(4):  # the same draws through a chain in the image's own order
        order = np.argsort(rank[i])
        own = jp.chain(*(pieces[j] for j in order))
        one = jax.tree.map(lambda a, i=i: a[i:i + 1], tuple(params["pieces"][j] for j in order))
        want = jaxaug.Augmenter(own).apply(one, IMAGES[i:i + 1])
        # Other compiled programs (the order is data on one side): an x.5 may round one level apart,
        # and the product of the ordered matrices may differ by an ulp.
        np.testing.assert_allclose(out[i].astype(int), np.asarray(want)[0].astype(int), atol=1)


def test_random_order_draws_every_order_alike():
    augment = jaxaug.Augmenter(jp.random_order(*PIECES[:3]))
    rank = np.asarray(jax.jit(augment.sample)(KEY, jnp.zeros((3000, 4, 4, 3), jnp.uint8))["rank"])
    orders, counts = np.unique(rank, axis=0, return_counts=True)
    # 6 orders, 500 expected each (binomial sd 20): all within 5 sd.
    assert len(orders) == 6 and np.all(np.abs(counts - 500) < 100)


@pytest.mark.parametrize("call, error, words", [
    (lambda: jp.some_of(5, *PIECES), ValueError, ["n", "5"]),
    (lambda: jp.some_of(-1, *PIECES), ValueError, ["n", "-1"]),
    (lambda: jp.some_of(1.5, *PIECES), ValueError, ["n", "1.5"]),
    (lambda: jp.one_of(), ValueError, ["one_of"]),
    (lambda: jp.random_apply(PIECES[0], 1.2), ValueError, ["probability", "1.2"]),
    (lambda: jp.one_of(PIECES[0], "blur"), TypeError, ["pieces[1]", "blur"]),
    (lambda: jp.random_order(PIECES[0], 3), TypeError, ["random_order", "pieces[1]"]),
    (lambda: jp.random_order(jp.resize((8, 8))), ValueError, ["random_order", "output size"]),
])
def test_bad_input_names_the_argument(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)
