import functools

import hypothesis.extra.numpy as hnp
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from reference import assert_uint8_rounds_float32

from jaxaug import filters

SHAPE = (9, 7, 3)
MAX_SIGMA = 3.5
KEY = jax.random.key(0)


def image(shape=SHAPE, seed=0):
    return np.random.default_rng(seed).random(shape).astype(np.float32)


def scipy_blur(x, sigma, truncate=4.0):
    return ndi.gaussian_filter(np.asarray(x, np.float64), sigma=(sigma, sigma, 0), mode="reflect", truncate=truncate)


@functools.cache
def traced_blur(max_sigma=MAX_SIGMA, truncate=4.0, batched=False):
    """Blur with a traced sigma; one compiled program per static configuration."""
    def blur(x, sigma):
        return filters.gaussian_blur(x, sigma, truncate=truncate, max_sigma=max_sigma)
    return jax.jit(jax.vmap(blur) if batched else blur)


# --- against scipy --------------------------------------------------------------------------


@pytest.mark.parametrize("sigma", [0.0, 0.3, 0.5, 1.0, 1.7, 3.2])
def test_static_sigma_matches_scipy(sigma):
    x = image(seed=1)
    np.testing.assert_allclose(filters.gaussian_blur(x, sigma), scipy_blur(x, sigma), atol=1e-6)


def test_traced_sigma_under_jit_matches_scipy():
    x = image(seed=2)
    for sigma in (0.0, 0.2, 0.6, 1.0, 2.4, MAX_SIGMA):
        np.testing.assert_allclose(traced_blur()(x, np.float32(sigma)), scipy_blur(x, sigma), atol=1e-6,
                                   err_msg=str(sigma))


def test_vmap_over_images_and_sigmas_matches_scipy():
    xs = np.stack([image(seed=i) for i in range(4)])
    sigmas = np.array([0.0, 0.8, 1.9, 3.0], np.float32)
    out = np.asarray(traced_blur(batched=True)(xs, sigmas))
    for x, sigma, o in zip(xs, sigmas, out, strict=True):
        np.testing.assert_allclose(o, scipy_blur(x, float(sigma)), atol=1e-6, err_msg=str(sigma))


@given(sigma=st.floats(0.0, MAX_SIGMA, width=32), seed=st.integers(0, 2**31 - 1))
def test_any_sigma_below_max_sigma_matches_scipy(sigma, seed):
    # Radii jump at truncate * sigma + 0.5 = integer; the zero-weighted taps must follow.
    x = image(seed=seed % 1000)
    np.testing.assert_allclose(traced_blur()(x, np.float32(sigma)), scipy_blur(x, sigma), atol=1e-6)


@pytest.mark.parametrize("sigma", [0.374, 0.376, 0.624, 0.626])
def test_radius_jumps_like_scipy(sigma):
    # int(4 * sigma + 0.5) goes 1 -> 2 between 0.374 and 0.376, and 2 -> 3 at 0.625.
    x = image(seed=3)
    np.testing.assert_allclose(filters.gaussian_blur(x, sigma), scipy_blur(x, sigma), atol=1e-6)
    np.testing.assert_allclose(traced_blur()(x, np.float32(sigma)), scipy_blur(x, sigma), atol=1e-6)


@pytest.mark.parametrize("truncate", [1.0, 2.5])
def test_truncate_matches_scipy(truncate):
    x = image(seed=4)
    for sigma in (0.7, 2.0):
        np.testing.assert_allclose(filters.gaussian_blur(x, sigma, truncate=truncate),
                                   scipy_blur(x, sigma, truncate), atol=1e-6)
    np.testing.assert_allclose(traced_blur(truncate=truncate)(x, np.float32(1.3)), scipy_blur(x, 1.3, truncate),
                               atol=1e-6)


@pytest.mark.parametrize("shape, sigma", [((3, 2, 1), 3.0), ((1, 1, 3), 2.0), ((2, 9, 2), 1.5), ((3, 2, 1), 1.0)])
def test_images_smaller_than_the_radius_reflect_repeatedly(shape, sigma):
    x = image(shape, seed=5)
    np.testing.assert_allclose(filters.gaussian_blur(x, sigma), scipy_blur(x, sigma), atol=1e-6)


@pytest.mark.parametrize("sigma, truncate", [(1.0, 4.0), (0.5, 4.0), (2.0, 3.0), (0.2, 4.0)])
def test_impulse_response_has_the_documented_size(sigma, truncate):
    # radius = int(truncate * sigma + 0.5) and 2 * radius + 1 taps, even when the kernel
    # is sized for a larger max_sigma.
    x = np.zeros((31, 31, 1), np.float32)
    x[15, 15] = 1.0
    radius = int(truncate * sigma + 0.5)
    for out in (filters.gaussian_blur(x, sigma, truncate=truncate),
                filters.gaussian_blur(x, sigma, truncate=truncate, max_sigma=3.0)):
        rows = np.nonzero(np.asarray(out)[:, 15, 0])[0]
        assert (rows.min(), rows.max()) == (15 - radius, 15 + radius)
        np.testing.assert_allclose(np.asarray(out).sum(), 1.0, rtol=1e-5)


# --- dtypes and properties ------------------------------------------------------------------------


def test_uint8_is_the_rounded_float_result():
    x8 = (image(seed=6) * 255).astype(np.uint8)
    for sigma in (0.7, 2.2):
        out8 = np.asarray(traced_blur()(x8, np.float32(sigma)))
        out32 = np.asarray(traced_blur()(x8.astype(np.float32), np.float32(sigma)))
        assert_uint8_rounds_float32(out8, out32)
        np.testing.assert_allclose(out32, scipy_blur(x8, sigma), atol=2e-4)


@pytest.mark.parametrize("dtype", [np.float16, jnp.bfloat16])
def test_half_precision_keeps_dtype(dtype):
    x = image(seed=7).astype(dtype)
    out = traced_blur()(x, np.float32(1.2))
    assert out.dtype == dtype
    np.testing.assert_allclose(np.asarray(out, np.float32), scipy_blur(np.asarray(x, np.float32), 1.2), atol=1e-2)


@given(x=hnp.arrays(np.uint8, SHAPE), dtype=st.sampled_from([np.uint8, np.float32]))
def test_zero_sigma_gives_the_input_back(x, dtype):
    x = x if dtype == np.uint8 else (x / 255).astype(np.float32)
    out = np.asarray(traced_blur()(x, np.float32(0.0)))
    assert out.dtype == x.dtype
    np.testing.assert_array_equal(out, x)


@given(x=hnp.arrays(np.float32, SHAPE, elements=st.floats(-5, 5, width=32)), sigma=st.floats(0, MAX_SIGMA))
def test_output_stays_within_the_input_range_and_keeps_the_mean_of_constants(x, sigma):
    out = np.asarray(traced_blur()(x, np.float32(sigma)))
    assert out.min() >= x.min() - 1e-5 and out.max() <= x.max() + 1e-5
    flat = np.full(SHAPE, x[0, 0, 0], np.float32)
    np.testing.assert_allclose(traced_blur()(flat, np.float32(sigma)), flat, rtol=1e-6, atol=1e-6)


def test_channels_are_not_mixed():
    x = image(seed=8)
    out = np.asarray(traced_blur()(x, np.float32(1.5)))
    single = np.asarray(filters.gaussian_blur(x[..., 1:2], 1.5, max_sigma=MAX_SIGMA))
    np.testing.assert_allclose(out[..., 1:2], single, atol=1e-6)


# --- sampler and random op --------------------------------------------------------------------------


def test_sampler_is_uniform_and_a_number_is_fixed():
    keys = jax.random.split(jax.random.key(2024), 2000)
    draws = jax.jit(jax.vmap(lambda k: [filters.sample_gaussian_blur(k, (8, 8, 3), r)["sigma"]
                                         for r in ((0.5, 2.5), 1.25)]))
    sigma, fixed = (np.asarray(d) for d in draws(keys))
    assert sigma.dtype == np.float32
    assert 0.5 <= sigma.min() < 0.51 and 2.49 < sigma.max() <= 2.5
    assert scipy.stats.kstest(sigma, scipy.stats.uniform(0.5, 2.0).cdf).pvalue > 1e-3
    np.testing.assert_array_equal(fixed, np.float32(1.25))


def test_random_blur_is_twin_of_sample_and_depends_on_key_only():
    x = image(seed=9)
    keys = jnp.concatenate([jax.random.split(jax.random.key(5), 7)] * 2)[:8]  # the last repeats the first

    def run(k):
        params = filters.sample_gaussian_blur(k, (8, 8, 3), (0.0, 3.0))
        return filters.random_gaussian_blur(k, x, (0.0, 3.0)), params["sigma"]

    batch, sigmas = (np.asarray(o) for o in jax.jit(jax.vmap(run))(keys))
    for out, sigma in zip(batch, sigmas, strict=True):
        np.testing.assert_allclose(out, scipy_blur(x, float(sigma)), atol=1e-6)
    np.testing.assert_array_equal(batch[0], batch[-1])
    assert len({b.tobytes() for b in batch}) == 7
    np.testing.assert_allclose(filters.random_gaussian_blur(jax.random.PRNGKey(1), x, 1.0), scipy_blur(x, 1.0),
                               atol=1e-6)  # eager, raw key, fixed sigma


# --- bad input ---------------------------------------------------------------------------------------

X = np.zeros(SHAPE, np.float32)


@pytest.mark.parametrize(
    "fn, error, words",
    [
        (lambda: filters.gaussian_blur(X, -1.0), ValueError, ["sigma", "-1.0"]),
        (lambda: filters.gaussian_blur(X, np.ones(2)), ValueError, ["sigma", "(2,)"]),
        (lambda: filters.gaussian_blur(X, 2.0, max_sigma=1.0), ValueError, ["max_sigma", "1.0", "2.0"]),
        (lambda: filters.gaussian_blur(X, 1.0, max_sigma=-1.0), ValueError, ["max_sigma", "-1.0"]),
        (lambda: filters.gaussian_blur(X, 1.0, truncate=-2.0), ValueError, ["truncate", "-2.0"]),
        (lambda: filters.gaussian_blur(X, 1.0, value_range=(1.0, 0.0)), ValueError, ["value_range", "(1.0, 0.0)"]),
        (lambda: filters.gaussian_blur(np.zeros(SHAPE, np.int16), 1.0), TypeError, ["image.dtype", "int16"]),
        (lambda: filters.gaussian_blur(np.zeros((4, 4)), 1.0), ValueError, ["image", "(4, 4)"]),
        (lambda: jax.jit(lambda s: filters.gaussian_blur(X, s))(1.0), ValueError, ["max_sigma", "None"]),
        (lambda: filters.sample_gaussian_blur(KEY, (8, 8, 3), (2.0, 1.0)), ValueError, ["sigma_range", "(2.0, 1.0)"]),
        (lambda: filters.sample_gaussian_blur(KEY, (8, 8, 3), (-1.0, 1.0)), ValueError, ["sigma_range", "(-1.0, 1.0)"]),
        (lambda: filters.sample_gaussian_blur(KEY, (8, 8, 3), -0.5), ValueError, ["sigma_range", "-0.5"]),
        (lambda: filters.sample_gaussian_blur(1, (8, 8, 3), 1.0), TypeError, ["key", "1"]),
        (lambda: filters.random_gaussian_blur(jax.random.split(KEY), X, 1.0), TypeError, ["key", "(2,)"]),
        (lambda: filters.random_gaussian_blur(KEY, X, (3.0, 1.0)), ValueError, ["sigma_range", "(3.0, 1.0)"]),
    ],
)
def test_bad_input_names_argument_and_value(fn, error, words):
    with pytest.raises(error) as info:
        fn()
    for word in words:
        assert word in str(info.value)
