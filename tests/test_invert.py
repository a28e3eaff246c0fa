"""invert: PIL's ImageOps.invert, as a twin, a sampler, a random op, a piece and an augmenter option."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image, ImageOps

import jaxaug
from jaxaug import color, pipeline

RNG = np.random.default_rng(11)
IMAGE = RNG.integers(0, 256, (9, 7, 3), dtype=np.uint8)


@pytest.mark.parametrize("variant", ["eager", "jit", "vmap"])
def test_invert_is_pils_on_uint8(variant):
    want = np.asarray(ImageOps.invert(Image.fromarray(IMAGE)))
    if variant == "vmap":
        got = jax.vmap(lambda x: color.invert(x, 1.0))(jnp.asarray(IMAGE)[None])[0]
    else:
        fn = jax.jit(color.invert) if variant == "jit" else color.invert
        got = fn(IMAGE, 1.0)
    np.testing.assert_array_equal(np.asarray(got), want)  # integers in float32: exact


def test_weight_zero_keeps_and_floats_invert_within_their_range():
    np.testing.assert_array_equal(np.asarray(color.invert(IMAGE, 0.0)), IMAGE)
    x = RNG.uniform(-1, 1, (5, 4, 3)).astype(np.float32)
    # One float32 add and multiply: within 2 ulp of 2.
    np.testing.assert_allclose(color.invert(x, 1.0, value_range=(-1, 1)), -x, atol=5e-7)
    np.testing.assert_allclose(color.invert(x, 0.25, value_range=(-1, 1)), 0.5 * x, atol=5e-7)


def test_sampler_is_bernoulli_and_the_random_op_is_its_twin():
    keys = jax.random.split(jax.random.key(2), 4000)
    w = np.asarray(jax.vmap(lambda k: color.sample_invert(k, IMAGE.shape, 0.3)["weight"])(keys))
    assert set(np.unique(w)) == {0.0, 1.0}
    assert abs(w.mean() - 0.3) <= 5 * np.sqrt(0.3 * 0.7 / w.size)
    key = keys[0]
    np.testing.assert_array_equal(color.random_invert(key, IMAGE, 0.3),
                                  color.invert(IMAGE, **color.sample_invert(key, IMAGE.shape, 0.3)))


def test_the_augmenter_option_is_the_piece_in_its_slot():
    images = jnp.asarray(IMAGE)[None].repeat(6, 0)
    out = jax.jit(jaxaug.augmenter(invert_probability=0.5))(jax.random.key(0), images)
    inverted = [bool((np.asarray(o) == 255 - IMAGE).all()) for o in out]
    kept = [bool((np.asarray(o) == IMAGE).all()) for o in out]
    assert all(a != b for a, b in zip(inverted, kept, strict=True)) and any(inverted) and any(kept)
    # As a piece of a chain: the same twin, drawn from the chain's slot.
    chained = jax.jit(jaxaug.Augmenter(pipeline.chain(pipeline.invert(1.0))))(jax.random.key(0), images)
    np.testing.assert_array_equal(np.asarray(chained), np.broadcast_to(255 - IMAGE, chained.shape))


@pytest.mark.parametrize("bad, words", [(1.5, "probability"), (-0.1, "probability"), ("a", "probability")])
def test_bad_probability_names_the_argument(bad, words):
    with pytest.raises((ValueError, TypeError), match=words):
        color.sample_invert(jax.random.key(0), IMAGE.shape, bad)
    with pytest.raises((ValueError, TypeError), match="invert_probability"):
        jaxaug.augmenter(invert_probability=bad)
