import functools

import hypothesis.extra.numpy as hnp
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from reference import assert_uint8_rounds_float32

from jaxaug import noise

SHAPE = (6, 5, 3)
KEY = jax.random.key(0)


def image(shape=SHAPE, seed=0):
    return np.random.default_rng(seed).random(shape).astype(np.float32)


def ref_add_noise(x, n, lo, hi):
    return np.clip(np.asarray(x, np.float64) + np.asarray(n, np.float64) * (hi - lo), lo, hi)


def ref_salt_and_pepper(x, salt, pepper, lo, hi):
    return np.where(salt, hi, np.where(pepper, lo, np.asarray(x, np.float64)))


def masks(seed, shape=SHAPE[:2] + (1,)):
    u = np.random.default_rng(seed).random(shape)
    return u < 0.2, (u >= 0.2) & (u < 0.5)


@functools.cache
def twins(value_range=None, batched=False):
    """Both twins in one compiled program (compiling dominates this file's run time)."""
    def run(x, n, salt, pepper):
        return (noise.gaussian_noise(x, n, value_range=value_range),
                noise.salt_and_pepper(x, salt, pepper, value_range=value_range))
    return jax.jit(jax.vmap(run) if batched else run)


def run_twins(x, n, salt, pepper, value_range=None, batched=False):
    return [np.asarray(o) for o in twins(value_range, batched)(x, n, salt, pepper)]


# --- twins against numpy -------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["eager", "jit", "vmap"])
def test_twins_match_numpy(variant):
    n = 3 if variant == "vmap" else 1
    xs = np.stack([image(seed=i) for i in range(n)])
    ns = np.stack([np.random.default_rng(10 + i).normal(0, 0.2, SHAPE).astype(np.float32) for i in range(n)])
    salts, peppers = (np.stack(m) for m in zip(*[masks(20 + i) for i in range(n)], strict=True))
    if variant == "vmap":
        noisy, dotted = run_twins(xs, ns, salts, peppers, batched=True)
    elif variant == "jit":
        noisy, dotted = (o[None] for o in run_twins(xs[0], ns[0], salts[0], peppers[0]))
    else:
        noisy = np.asarray(noise.gaussian_noise(xs[0], ns[0]))[None]
        dotted = np.asarray(noise.salt_and_pepper(xs[0], salts[0], peppers[0]))[None]
    for i in range(n):
        np.testing.assert_allclose(noisy[i], ref_add_noise(xs[i], ns[i], 0, 1), atol=1e-6)
        np.testing.assert_array_equal(dotted[i], ref_salt_and_pepper(xs[i], salts[i], peppers[i], 0, 1))


@pytest.mark.parametrize("value_range", [(0.0, 255.0), (-1.0, 1.0)])
def test_twins_on_float32_with_explicit_value_range(value_range):
    # The pipeline calls the twins this way, on images already converted to float32.
    lo, hi = value_range
    x = image(seed=3) * (hi - lo) + lo
    n = np.random.default_rng(4).normal(0, 0.2, SHAPE).astype(np.float32)
    salt, pepper = masks(5)
    noisy, dotted = run_twins(x, n, salt, pepper, value_range)
    np.testing.assert_allclose(noisy, ref_add_noise(x, n, lo, hi), atol=1e-6 * (hi - lo))
    np.testing.assert_array_equal(dotted, ref_salt_and_pepper(x, salt, pepper, lo, hi))


def test_uint8_is_the_rounded_float_result():
    x8 = (image(seed=6) * 255).astype(np.uint8)
    n = np.random.default_rng(7).normal(0, 0.3, SHAPE).astype(np.float32)
    salt, pepper = masks(8)
    outs8 = run_twins(x8, n, salt, pepper)
    outs32 = run_twins(x8.astype(np.float32), n, salt, pepper, (0.0, 255.0))
    for out8, out32 in zip(outs8, outs32, strict=True):
        assert_uint8_rounds_float32(out8, out32)
    assert (outs8[0] == 0).any() and (outs8[0] == 255).any()  # clipped, not wrapped
    np.testing.assert_array_equal(outs8[1][salt[..., 0]], 255)


@pytest.mark.parametrize("dtype", [np.float16, jnp.bfloat16])
def test_half_precision_keeps_dtype(dtype):
    x = image(seed=9).astype(dtype)
    n = np.random.default_rng(1).normal(0, 0.1, SHAPE).astype(np.float32)
    salt, pepper = masks(2)
    noisy, dotted = twins()(x, n, salt, pepper)
    assert noisy.dtype == dotted.dtype == dtype
    np.testing.assert_allclose(np.asarray(noisy, np.float32), ref_add_noise(x.astype(np.float32), n, 0, 1), atol=1e-2)


def test_noise_broadcasts_from_one_channel():
    x = image(seed=11)
    grey = np.full(SHAPE[:2] + (1,), 0.1, np.float32)
    np.testing.assert_allclose(noise.gaussian_noise(x, grey), np.clip(x + 0.1, 0, 1), atol=1e-6)


# --- properties -----------------------------------------------------------------------------


# Zero noise in both spellings of a range: a fixed 0.0 and the pair (0.0, 0.0). The
# gaussian is asked for grey noise ((H, W) shape): one value per pixel.
ZERO_SAMPLES = jax.jit(lambda k: (noise.sample_gaussian_noise(k, SHAPE[:2], 0.0),
                                  noise.sample_salt_and_pepper(k, SHAPE, (0.0, 0.0), salt_vs_pepper=0.3)))


@given(x=hnp.arrays(np.uint8, SHAPE), seed=st.integers(0, 2**31 - 1), dtype=st.sampled_from([np.uint8, np.float32]))
def test_zero_sigma_and_zero_amount_give_the_input_back(x, seed, dtype):
    x = x if dtype == np.uint8 else (x / 255).astype(np.float32)
    gaussian, dots = ZERO_SAMPLES(jax.random.key(seed))
    assert gaussian["noise"].shape == SHAPE[:2] + (1,)
    for out in run_twins(x, np.broadcast_to(gaussian["noise"], SHAPE), dots["salt"], dots["pepper"]):
        assert out.dtype == x.dtype
        np.testing.assert_array_equal(out, x)


@given(x=hnp.arrays(np.float32, SHAPE, elements=st.floats(0, 1, width=32)), seed=st.integers(0, 2**31 - 1),
       sigma=st.floats(0, 3), amount=st.floats(0, 1))
def test_outputs_stay_in_value_range(x, seed, sigma, amount):
    rng = np.random.default_rng(seed)
    n = (sigma * rng.normal(size=SHAPE)).astype(np.float32)
    u = rng.random(SHAPE[:2] + (1,))
    for out in run_twins(x, n, u < amount / 2, u > 1 - amount / 2):
        assert out.min() >= 0.0 and out.max() <= 1.0


# --- samplers ----------------------------------------------------------------------------------

KEYS = jax.random.split(jax.random.key(2024), 500)
BIG = (32, 32, 3)


def test_gaussian_sigma_is_uniform_per_image_and_noise_is_normal():
    draw = jax.jit(jax.vmap(lambda k: [noise.sample_gaussian_noise(k, BIG, r)["noise"] for r in ((0.05, 0.2), 0.1)]))
    noises, fixed = (np.asarray(n) for n in draw(KEYS))
    assert noises.shape == (len(KEYS),) + BIG and noises.dtype == np.float32
    sigma = np.sqrt(np.mean(noises**2, axis=(1, 2, 3)))  # 3072 values: ~1.3% error
    assert sigma.min() > 0.05 * 0.95 and sigma.max() < 0.2 * 1.05
    assert sigma.min() < 0.055 and sigma.max() > 0.195
    assert scipy.stats.kstest(sigma, scipy.stats.uniform(0.05, 0.15).cdf).pvalue > 1e-3
    standard = noises / sigma[:, None, None, None]
    assert scipy.stats.kstest(standard[0].ravel(), "norm").pvalue > 1e-3
    # sigma and the normals come from different keys: no correlation.
    assert abs(np.corrcoef(sigma, standard[:, 0, 0, 0])[0, 1]) < 0.15
    assert abs(np.corrcoef(sigma, standard[:, 0, 0, 0] ** 2)[0, 1]) < 0.15
    # A number is a fixed sigma.
    np.testing.assert_allclose(np.sqrt(np.mean(fixed**2, axis=(1, 2, 3))), 0.1, rtol=0.06)


def test_hashed_pixel_normals_are_normal_and_uncorrelated_across_pixels_and_images():
    # The per-pixel numbers come from a hash keyed per image (not threefry): check the law on
    # 1.5 million values, and correlation between neighbouring pixels, channels and images whose
    # keys differ in one fold_in index (the pipeline's per-example keys). With n samples an
    # independent pair has |r| ~ 1/sqrt(n): 5 of those is the bound (a 5-sigma event).
    keys = jax.vmap(jax.random.fold_in, in_axes=(None, 0))(jax.random.key(7), jnp.arange(500))
    z = np.asarray(jax.jit(jax.vmap(lambda k: noise.sample_gaussian_noise(k, BIG, 1.0)["noise"]))(keys))
    flat = z.reshape(len(keys), -1)
    assert scipy.stats.kstest(flat.ravel(), "norm").pvalue > 1e-3
    assert abs(flat.mean()) < 5 / np.sqrt(flat.size) and abs(flat.std() - 1) < 5 / np.sqrt(2 * flat.size)
    for a, b in ((flat[:, :-1], flat[:, 1:]), (z[..., 0], z[..., 1]), (flat[:-1], flat[1:])):
        assert abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) < 5 / np.sqrt(a.size)
    # The same key gives the same bits (integer hashing): bitwise reproducible.
    np.testing.assert_array_equal(noise.sample_gaussian_noise(keys[3], BIG, 1.0)["noise"], z[3])


@pytest.mark.parametrize("amount, salt_vs_pepper", [(0.3, 0.5), (0.1, 0.8), (1.0, 0.25)])
def test_salt_and_pepper_fractions(amount, salt_vs_pepper):
    h, w = 64, 64
    # A raw uint32 key (jax.random.PRNGKey) works like a typed one.
    params = noise.sample_salt_and_pepper(jax.random.PRNGKey(1), (h, w), amount, salt_vs_pepper=salt_vs_pepper)
    salt, pepper = np.asarray(params["salt"]), np.asarray(params["pepper"])
    assert salt.shape == pepper.shape == (h, w, 1) and salt.dtype == pepper.dtype == bool
    assert not (salt & pepper).any()
    n = h * w
    replaced = (salt | pepper).mean()
    assert abs(replaced - amount) <= 5 * np.sqrt(amount * (1 - amount) / n) + 1e-9
    share = salt.sum() / max((salt | pepper).sum(), 1)
    assert abs(share - salt_vs_pepper) <= 5 * np.sqrt(salt_vs_pepper * (1 - salt_vs_pepper) / (amount * n))


def test_salt_and_pepper_extremes():
    all_salt = noise.sample_salt_and_pepper(jax.random.PRNGKey(0), (64, 64), 1.0, salt_vs_pepper=1.0)
    all_pepper = noise.sample_salt_and_pepper(jax.random.PRNGKey(0), (64, 64), 1.0, salt_vs_pepper=0.0)
    assert np.asarray(all_salt["salt"]).all() and not np.asarray(all_salt["pepper"]).any()
    assert np.asarray(all_pepper["pepper"]).all() and not np.asarray(all_pepper["salt"]).any()
    out = noise.salt_and_pepper(np.full((64, 64, 3), 100, np.uint8), **all_salt)
    np.testing.assert_array_equal(out, 255)


def test_salt_and_pepper_amount_is_uniform_per_image_and_independent_of_the_pixels():
    draw = jax.jit(jax.vmap(lambda k: noise.sample_salt_and_pepper(k, (64, 64), (0.1, 0.5))))
    params = jax.tree.map(np.asarray, draw(KEYS))
    replaced = params["salt"] | params["pepper"]
    fraction = replaced.mean(axis=(1, 2, 3))  # estimates each image's amount to ~0.008
    assert fraction.min() > 0.08 and fraction.max() < 0.52
    assert scipy.stats.kstest(fraction, scipy.stats.uniform(0.1, 0.4).cdf).pvalue > 1e-3
    # If the amount and the pixel draws shared a key, a given pixel's fate would
    # depend on the amount's draw; its replacement rate must be the mean amount, 0.3.
    for pixel in (replaced[:, 0, 0, 0], replaced[:, -1, -1, 0]):
        assert abs(pixel.mean() - 0.3) < 5 * np.sqrt(0.3 * 0.7 / len(KEYS))
    salt_share = params["salt"].sum() / replaced.sum()
    assert abs(salt_share - 0.5) < 0.01


# --- random ops -----------------------------------------------------------------------------------


RANDOM = {
    "gaussian": (lambda k, x: noise.random_gaussian_noise(k, x, (0.0, 0.2)),
                 lambda k, x: noise.gaussian_noise(x, **noise.sample_gaussian_noise(k, x.shape, (0.0, 0.2)))),
    "salt_and_pepper": (lambda k, x: noise.random_salt_and_pepper(k, x, (0.1, 0.3), salt_vs_pepper=0.4),
                        lambda k, x: noise.salt_and_pepper(
                            x, **noise.sample_salt_and_pepper(k, x.shape, (0.1, 0.3), salt_vs_pepper=0.4))),
}
RANDOM_KEYS = jnp.concatenate([jax.random.split(jax.random.key(5), 7)] * 2)[:8]  # the last repeats the first


@functools.cache
def random_program():
    """Each random op for 8 keys, and its twin for the first key, in one compiled program."""
    def run(keys, x):
        return {name: (jax.vmap(lambda k: op(k, x))(keys), twin(keys[0], x))  # noqa: B023
                for name, (op, twin) in RANDOM.items()}
    return jax.jit(run)


@pytest.mark.parametrize("name", list(RANDOM))
def test_random_op_is_twin_of_sample_and_depends_on_key_only(name):
    x = image(seed=12)
    batch, via_twin = jax.tree.map(np.asarray, random_program()(RANDOM_KEYS, x)[name])
    np.testing.assert_allclose(batch[0], via_twin, atol=1e-6)
    np.testing.assert_array_equal(batch[0], batch[-1])  # same key, same image
    assert len({b.tobytes() for b in batch}) == 7  # other keys, other images


# --- bad input -------------------------------------------------------------------------------------

X = np.zeros(SHAPE, np.float32)


@pytest.mark.parametrize(
    "fn, error, words",
    [
        (lambda: noise.sample_gaussian_noise(KEY, SHAPE, -0.1), ValueError, ["sigma_range", "-0.1"]),
        (lambda: noise.sample_gaussian_noise(KEY, SHAPE, (0.2, 0.1)), ValueError, ["sigma_range", "(0.2, 0.1)"]),
        (lambda: noise.sample_gaussian_noise(KEY, SHAPE, (-0.1, 0.1)), ValueError, ["sigma_range", "(-0.1, 0.1)"]),
        (lambda: noise.sample_gaussian_noise(KEY, SHAPE, (0.1, 0.2, 0.3)), ValueError, ["sigma_range"]),
        (lambda: noise.sample_gaussian_noise(KEY, (5,), 0.1), ValueError, ["shape", "(5,)"]),
        (lambda: noise.sample_gaussian_noise(KEY, "abc", 0.1), TypeError, ["shape", "'abc'"]),
        (lambda: noise.sample_gaussian_noise(0, SHAPE, 0.1), TypeError, ["key", "0"]),
        (lambda: noise.sample_salt_and_pepper(KEY, SHAPE, 1.5), ValueError, ["amount", "1.5"]),
        (lambda: noise.sample_salt_and_pepper(KEY, SHAPE, (0.5, 0.2)), ValueError, ["amount", "(0.5, 0.2)"]),
        (lambda: noise.sample_salt_and_pepper(KEY, SHAPE, (0.1, 1.2)), ValueError, ["amount", "(0.1, 1.2)"]),
        (lambda: noise.sample_salt_and_pepper(KEY, SHAPE, -0.1), ValueError, ["amount", "-0.1"]),
        (lambda: noise.sample_salt_and_pepper(KEY, SHAPE, 0.1, salt_vs_pepper=1.5),
         ValueError, ["salt_vs_pepper", "1.5"]),
        (lambda: noise.sample_salt_and_pepper(KEY, SHAPE, 0.1, salt_vs_pepper=-0.5),
         ValueError, ["salt_vs_pepper", "-0.5"]),
        (lambda: noise.random_salt_and_pepper(jax.random.split(KEY), X, 0.1), TypeError, ["key", "(2,)"]),
        (lambda: noise.gaussian_noise(X, np.zeros((6, 4, 3))), ValueError, ["noise", "(6, 4, 3)", "(6, 5, 3)"]),
        (lambda: noise.gaussian_noise(X, np.zeros((2, 6, 5, 3))), ValueError, ["noise", "(2, 6, 5, 3)"]),
        (lambda: noise.gaussian_noise(np.zeros(SHAPE, np.int16), 0.0), TypeError, ["image.dtype", "int16"]),
        (lambda: noise.gaussian_noise(np.zeros((6, 5)), 0.0), ValueError, ["image", "(6, 5)"]),
        (lambda: noise.gaussian_noise(X, 0.0, value_range=(1, -1)), ValueError, ["value_range", "(1, -1)"]),
        (lambda: noise.salt_and_pepper(X, np.zeros((6, 6, 1), bool), np.zeros((6, 5, 1), bool)),
         ValueError, ["salt", "(6, 6, 1)"]),
        (lambda: noise.salt_and_pepper(X, np.zeros((6, 5, 1), bool), np.zeros((6, 4, 1), bool)),
         ValueError, ["pepper", "(6, 4, 1)"]),
        (lambda: noise.random_gaussian_noise(KEY, np.zeros((6, 5, 3), np.int16), 0.1), TypeError, ["image.dtype"]),
    ],
)
def test_bad_input_names_argument_and_value(fn, error, words):
    with pytest.raises(error) as info:
        fn()
    for word in words:
        assert word in str(info.value)


def test_bad_input_is_caught_at_trace_time_under_jit():
    with pytest.raises(ValueError, match="amount"):
        jax.jit(lambda k, x: noise.random_salt_and_pepper(k, x, (0.0, 2.0)))(KEY, X)
    with pytest.raises(ValueError, match="noise"):
        jax.jit(noise.gaussian_noise)(X, jnp.zeros((3, 3, 3)))
