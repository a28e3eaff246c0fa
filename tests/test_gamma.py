"""gamma (jaxaug/ops/gamma.py) against torchvision's definition, written in numpy, and PIL's point table."""

import hypothesis.extra.numpy as hnp
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import jaxaug
from jaxaug import ops
from jaxaug.ops.gamma import gamma, random_gamma, sample_gamma


def photo(shape=(24, 20, 3), seed=0):
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 1, shape[0])[:, None, None] * np.linspace(0.2, 1, shape[1])[None, :, None]
    return np.clip(0.7 * ramp + 0.3 * rng.random(shape), 0, 1).astype(np.float32)


def torchvision_gamma(x, g, gain=1.0):
    """torchvision's `F.adjust_gamma` on a float image in [0, 1]: gain * x ** gamma, clamped (float64)."""
    return np.clip(gain * np.asarray(x, np.float64) ** g, 0.0, 1.0)


# float32 pow against float64: a few ulp of 1.0.
TOL = 1e-6


@pytest.mark.parametrize("g, gain", [(0.5, 1.0), (1.0, 1.0), (2.2, 1.0), (0.8, 1.3), (3.0, 0.7)])
@pytest.mark.parametrize("variant", ["eager", "jit", "vmap"])
def test_float_is_torchvisions_definition(g, gain, variant):
    x = photo()
    fn = {"eager": gamma, "jit": jax.jit(gamma),
          "vmap": lambda im, a, gain: jax.vmap(lambda i: gamma(i, a, gain=gain))(im[None])[0]}[variant]
    np.testing.assert_allclose(np.asarray(fn(jnp.asarray(x), g, gain=gain)), torchvision_gamma(x, g, gain), atol=TOL)


@pytest.mark.parametrize("g", [0.4, 1.0, 2.5])
def test_uint8_is_pils_point_table(g):
    # PIL maps each level through a 256-entry table; jaxaug rounds the float result to the nearest level.
    x8 = (photo() * 255).round().astype(np.uint8)
    table = [min(255, max(0, int(np.floor(255 * (v / 255) ** g + 0.5)))) for v in range(256)]
    want = np.asarray(Image.fromarray(x8).point(table * 3))
    got = np.asarray(gamma(jnp.asarray(x8), g))
    # float32 against float64 may round a level that lies within ~1e-4 of a half the other way.
    diff = np.abs(got.astype(int) - want.astype(int))
    assert diff.max() <= 1 and np.mean(diff > 0) < 0.01


def test_value_range_and_dtypes():
    x = photo() * 255
    np.testing.assert_allclose(np.asarray(gamma(jnp.asarray(x), 2.0, value_range=(0, 255))),
                               255 * torchvision_gamma(x / 255, 2.0), rtol=1e-5, atol=1e-3)
    for dtype in (jnp.float16, jnp.bfloat16, jnp.uint8):
        assert gamma(jnp.zeros((4, 4, 3), dtype), 2.0).dtype == dtype


@settings(deadline=None, max_examples=30)
@given(hnp.arrays(np.uint8, (5, 4, 3)), st.floats(0.1, 5.0), st.floats(0.1, 5.0))
def test_identity_black_white_and_order(x, g1, g2):
    # gamma 1, gain 1 keeps every uint8 level; black and white stay; a larger gamma never brightens.
    np.testing.assert_array_equal(np.asarray(gamma(jnp.asarray(x), 1.0)), x)
    ends = jnp.asarray(np.array([[[0, 255, 0]]], np.uint8))
    np.testing.assert_array_equal(np.asarray(gamma(ends, g1)), np.asarray(ends))
    lo, hi = sorted((g1, g2))
    assert np.all(np.asarray(gamma(jnp.asarray(x), hi)) <= np.asarray(gamma(jnp.asarray(x), lo)))


def test_the_sampler_draws_uniformly_within_its_ranges():
    keys = jax.random.split(jax.random.key(0), 4000)
    draws = jax.vmap(lambda k: sample_gamma(k, (8, 8, 3), gamma_range=(0.5, 2.0), gain_range=(0.8, 1.2)))(keys)
    g, gain = np.asarray(draws["gamma"]), np.asarray(draws["gain"])
    assert 0.5 <= g.min() and g.max() <= 2.0 and 0.8 <= gain.min() and gain.max() <= 1.2
    assert abs(g.mean() - 1.25) < 0.03 and abs(gain.mean() - 1.0) < 0.01  # uniform means, ~4 sigma
    assert np.all(np.asarray(jax.vmap(lambda k: sample_gamma(k, (8, 8, 3)))(keys)["gain"]) == 1.0)


def test_random_gamma_is_the_twin_of_the_draw_and_the_piece_runs_it_per_image():
    key, x = jax.random.key(7), jnp.asarray(photo())
    params = sample_gamma(key, x.shape, gamma_range=(0.5, 2.0))
    got = random_gamma(key, x, gamma_range=(0.5, 2.0))
    np.testing.assert_array_equal(np.asarray(got), np.asarray(gamma(x, **params)))
    images = jnp.stack([x, x[::-1], x[:, ::-1]])
    out = jax.jit(jaxaug.augmenter(gamma_range=(0.5, 2.0)))(key, images)
    for i in range(3):
        # augmenter: example i draws from fold_in(key, i), the op from its slot of that key.
        k = jax.random.fold_in(jax.random.fold_in(key, i), ops.BY_NAME["gamma"].slot)
        np.testing.assert_allclose(np.asarray(out[i]), np.asarray(random_gamma(k, images[i], gamma_range=(0.5, 2.0))),
                                   atol=1e-6)
    assert not np.allclose(np.asarray(out[0]), np.asarray(out[1][::-1]))  # each image its own draw


@pytest.mark.parametrize("call, match", [
    (lambda x: gamma(x, 0.0), "gamma must be > 0"),
    (lambda x: gamma(x, -1.0), "gamma"),
    (lambda x: gamma(x, 1.0, gain=-0.5), "gain"),
    (lambda x: sample_gamma(jax.random.key(0), x.shape, gamma_range=(0.0, 2.0)), "gamma_range must lie above 0"),
    (lambda x: sample_gamma(jax.random.key(0), x.shape, gamma_range=(2.0, 0.5)), "gamma_range"),
    (lambda x: sample_gamma(jax.random.key(0), x.shape, gamma_range=(0.5, 2.0), gain_range=(-1.0, 1.0)), "gain_range"),
    (lambda x: jaxaug.augmenter(gamma_range=(0.0, 1.0)), "gamma_range"),
    (lambda x: jaxaug.pipeline.gamma(gamma_range=(float("nan"), 1.0)), "gamma_range"),
])
def test_bad_input_is_named(call, match):
    with pytest.raises(ValueError, match=match):
        call(jnp.asarray(photo()))


def test_traced_gamma_is_data():
    x = jnp.asarray(photo())
    out = jax.jit(gamma)(x, jnp.float32(2.0), gain=jnp.float32(1.0))
    np.testing.assert_allclose(np.asarray(out), torchvision_gamma(np.asarray(x), 2.0), atol=TOL)
