import functools
import itertools
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from keras.src.legacy.preprocessing.image import ImageDataGenerator

from jaxaug import normalize

SAMPLEWISE = ("samplewise_center", "samplewise_std_normalization")
FEATUREWISE = ("featurewise_center", "featurewise_std_normalization", "zca_whitening")
FLAGS = SAMPLEWISE + FEATUREWISE


def data(shape=(30, 3, 2, 3), seed=0):
    return (np.random.default_rng(seed).random(shape) * 255).astype(np.float32)


def keras_reference(x, flags, rescale=None, **constructor):
    """Keras' own fit + standardize, one image at a time (as its iterators call it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the constructor warns when it overrides flags
        gen = ImageDataGenerator(rescale=rescale, **constructor)
    for name, value in flags.items():  # set literally, bypassing the constructor's implications
        setattr(gen, name, value)
    gen.fit(x)
    return np.stack([gen.standardize(np.array(xi)) for xi in x])


def ours(x, flags, rescale=None, stats_from=None):
    fit_flags = {k: flags[k] for k in FEATUREWISE}
    stats = normalize.fit(x if stats_from is None else stats_from, rescale=rescale, **fit_flags)
    return normalize.standardize(x, statistics=stats, rescale=rescale, **flags)


def assert_close(actual, expected):
    expected = np.asarray(expected)
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-4, atol=1e-5 * max(1.0, np.abs(expected).max()))


@pytest.mark.parametrize("rescale", [None, 1 / 255], ids=["no-rescale", "rescale"])
@pytest.mark.parametrize("combo", list(itertools.product([False, True], repeat=5)),
                         ids=lambda c: "".join("xX"[v] for v in c))
def test_matches_keras_for_every_literal_option_combination(combo, rescale):
    flags = dict(zip(FLAGS, combo, strict=True))
    x = data()
    out = ours(x, flags, rescale)
    assert out.dtype == jnp.float32 and out.shape == x.shape
    assert_close(out, keras_reference(x, flags, rescale))


@pytest.mark.parametrize(
    "constructor",
    [
        dict(zca_whitening=True),
        dict(zca_whitening=True, featurewise_std_normalization=True),
        dict(featurewise_std_normalization=True),
        dict(samplewise_std_normalization=True, featurewise_center=True),
    ],
    ids=str,
)
def test_matches_keras_with_the_flags_its_constructor_resolves(constructor):
    # The brief's ZCA case: 20 images of 4x4x3, fewer images than features (48).
    x = data((20, 4, 4, 3), seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gen = ImageDataGenerator(**constructor)
    flags = {name: getattr(gen, name) for name in FLAGS}
    assert flags != {name: constructor.get(name, False) for name in FLAGS}, "the constructor changed nothing"
    assert_close(ours(x, flags), keras_reference(x, flags))


def test_statistics_match_keras_attributes():
    x = data((20, 4, 4, 3), seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gen = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True, zca_whitening=True,
                                 rescale=0.5)
    gen.featurewise_std_normalization = True  # the constructor turned it off; Keras' fit honours it
    gen.fit(x)
    stats = normalize.fit(x, featurewise_center=True, featurewise_std_normalization=True, zca_whitening=True,
                          rescale=0.5)
    assert stats.mean.shape == stats.std.shape == (1, 1, 3) and stats.principal_components.shape == (48, 48)
    assert_close(stats.mean, gen.mean)
    assert_close(stats.std, gen.std)
    assert_close(stats.principal_components, gen.zca_whitening_matrix)


def test_jit_matches_eager_and_statistics_are_a_pytree():
    x = data()
    fit_flags = dict(featurewise_center=True, featurewise_std_normalization=True, zca_whitening=True)
    flags = dict(fit_flags, samplewise_center=True)
    stats = normalize.fit(x, **fit_flags, rescale=0.5)
    jit_stats = jax.jit(functools.partial(normalize.fit, **fit_flags, rescale=0.5))(x)
    assert len(jax.tree_util.tree_leaves(stats)) == 3
    assert len(jax.tree_util.tree_leaves(normalize.Statistics(mean=stats.mean))) == 1  # None fields are empty
    for a, b in zip(stats, jit_stats, strict=True):
        assert_close(b, a)
    standardize = functools.partial(normalize.standardize, rescale=0.5, **flags)
    eager = standardize(x, statistics=stats)
    jitted = jax.jit(lambda x, s: standardize(x, statistics=s))(x, jit_stats)  # statistics traced
    assert_close(jitted, eager)
    assert_close(jax.vmap(lambda i: standardize(i, statistics=stats))(x), eager)


@pytest.mark.parametrize("dtype", [np.uint8, np.float16, jnp.bfloat16])
def test_any_input_dtype_gives_float32(dtype):
    x = data((6, 3, 3, 3)).astype(dtype)
    flags = dict(samplewise_center=True, samplewise_std_normalization=False, featurewise_center=True,
                 featurewise_std_normalization=True, zca_whitening=False)
    out = ours(x, flags, rescale=1 / 255)
    assert out.dtype == jnp.float32
    assert_close(out, ours(np.asarray(x, np.float32), flags, rescale=1 / 255))
    assert np.abs(np.asarray(out)).max() > 1.0  # values leave the pixel range: no clipping, no uint8


def test_batch_is_standardized_one_image_at_a_time():
    x = data()
    flags = dict.fromkeys(FLAGS, True)
    stats = normalize.fit(x, featurewise_center=True, featurewise_std_normalization=True, zca_whitening=True)
    batched = normalize.standardize(x, statistics=stats, **flags)
    for i in (0, 7):
        assert_close(batched[i], normalize.standardize(x[i], statistics=stats, **flags))


@given(seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([1e-2, 1.0, 255.0]), offset=st.floats(-10, 10))
def test_normalised_data_has_zero_mean_unit_std_and_white_covariance(seed, scale, offset):
    # The offset is a multiple of the spread: a far larger one cancels float32 digits (as in Keras).
    x = (data((40, 2, 2, 3), seed=seed) / 255 + offset) * scale
    sample = np.asarray(normalize.standardize(x, samplewise_center=True, samplewise_std_normalization=True))
    np.testing.assert_allclose(sample.mean(axis=(1, 2, 3)), 0.0, atol=1e-3)
    np.testing.assert_allclose(sample.std(axis=(1, 2, 3)), 1.0, rtol=1e-3)
    flags = dict(featurewise_center=True, featurewise_std_normalization=True)
    feature = np.asarray(normalize.standardize(x, statistics=normalize.fit(x, **flags), **flags))
    np.testing.assert_allclose(feature.mean(axis=(0, 1, 2)), 0.0, atol=1e-3)
    np.testing.assert_allclose(feature.std(axis=(0, 1, 2)), 1.0, rtol=1e-3)
    # ZCA of centred data with more images than features: the covariance becomes the identity.
    flags = dict(featurewise_center=True, zca_whitening=True)
    stats = normalize.fit(x, **flags, zca_epsilon=0.0)
    white = np.asarray(normalize.standardize(x, statistics=stats, **flags)).reshape(40, -1)
    np.testing.assert_allclose(white.T @ white / 40, np.eye(12), atol=2e-3)


S = normalize.fit(data((4, 2, 2, 3)), featurewise_center=True, featurewise_std_normalization=True, zca_whitening=True)
IMG = data((2, 2, 3))


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: normalize.fit(data((4, 4, 3))), ValueError, ["images", "(4, 4, 3)"]),
        (lambda: normalize.fit(np.zeros((0, 2, 2, 3), np.float32)), ValueError, ["images", "(0, 2, 2, 3)"]),
        (lambda: normalize.fit(np.zeros((2, 2, 2, 3), np.int32)), TypeError, ["images", "int32"]),
        (lambda: normalize.fit(data((2, 2, 2, 3)), zca_epsilon=-1.0), ValueError, ["zca_epsilon", "-1.0"]),
        (lambda: normalize.fit(data((2, 2, 2, 3)), zca_whitening="yes"), TypeError, ["zca_whitening", "'yes'"]),
        (lambda: normalize.fit(data((2, 2, 2, 3)), rescale="1/255"), TypeError, ["rescale", "'1/255'"]),
        (lambda: normalize.standardize(IMG, featurewise_center=True), ValueError,
         ["statistics", "mean", "featurewise_center", "None"]),
        (lambda: normalize.standardize(IMG, statistics=normalize.Statistics(mean=S.mean),
                                       featurewise_std_normalization=True),
         ValueError, ["statistics", "std", "featurewise_std_normalization"]),
        (lambda: normalize.standardize(IMG, statistics=S._replace(principal_components=None), zca_whitening=True),
         ValueError,
         ["statistics", "principal_components", "zca_whitening"]),
        (lambda: normalize.standardize(data((3, 2, 3)), statistics=S, zca_whitening=True), ValueError,
         ["statistics.principal_components", "(12, 12)"]),
        (lambda: normalize.standardize(data((2, 2, 4)), statistics=S, featurewise_center=True), ValueError,
         ["statistics.mean", "(1, 1, 3)"]),
        (lambda: normalize.standardize(IMG, statistics=S, samplewise_center=1), TypeError, ["samplewise_center", "1"]),
        (lambda: normalize.standardize(IMG[0], statistics=S), ValueError, ["image", "(2, 3)"]),
        (lambda: normalize.standardize(IMG, statistics=S, rescale=float("inf")), ValueError, ["rescale", "inf"]),
    ],
)
def test_bad_input_names_argument_and_value(call, error, words):
    with pytest.raises(error, match=words[0]) as info:
        call()
    for word in words:
        assert word in str(info.value)


def test_missing_statistics_are_caught_at_trace_time_under_jit():
    with pytest.raises(ValueError, match="statistics"):
        jax.jit(lambda x: normalize.standardize(x, zca_whitening=True))(IMG)
