import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
from conftest import FLOAT16_COMPILES
from hypothesis import given
from hypothesis import strategies as st

from jaxaug import occlusion

BOX = ("top", "left", "height", "width")
# float16 only where XLA can compile it (see conftest.FLOAT16_COMPILES).
DTYPES = [np.uint8, *([np.float16] if FLOAT16_COMPILES else []), jnp.bfloat16, np.float32]


def image(shape, seed=0, dtype=np.float32):
    x = np.random.default_rng(seed).random(shape)
    return (x * 255).astype(dtype) if dtype == np.uint8 else x.astype(dtype)


def numpy_erase(x, top, left, height, width, value):
    """Reference: slice assignment with the box clipped to the image by hand."""
    h, w, _ = x.shape
    out = np.array(x, np.float32)
    r0, r1 = np.clip([top, top + max(height, 0)], 0, h)
    c0, c1 = np.clip([left, left + max(width, 0)], 0, w)
    out[r0:r1, c0:c1] = value
    return out


def restore(out, dtype):
    return np.clip(np.round(out), 0, 255).astype(np.uint8) if dtype == np.uint8 else out.astype(dtype)


# Every distribution test draws the same number of samples with eager vmap: XLA compiles each
# primitive once per shape, so later draws with other options cost milliseconds, not a compile.
N = 2000


def draws(sample, seed=0, **kw):
    """`N` independent draws of a sampler (vmapped over split keys), as numpy arrays."""
    keys = jax.random.split(jax.random.key(seed), N)
    return {k: np.asarray(v) for k, v in jax.vmap(lambda k: sample(k, **kw))(keys).items()}


def assert_uniform_integers(values, lo, hi):
    """Chi-square test that integer `values` cover every value of [lo, hi) equally often."""
    counts = np.bincount(values - lo, minlength=hi - lo)
    assert counts.size == hi - lo, "values outside the range"
    assert scipy.stats.chisquare(counts).pvalue > 1e-4, counts


_erase_jit = jax.jit(occlusion.erase)


def run_erase(variant, x, params, value):
    if variant == "eager":
        return occlusion.erase(x, **params, value=value)
    if variant == "jit":
        return _erase_jit(x, **params, value=value)
    batch = {k: jnp.asarray([v, v]) for k, v in params.items()}
    return jax.vmap(lambda *box: occlusion.erase(x, *box, value=value))(*batch.values())[1]


@given(
    box=st.tuples(*[st.integers(-12, 20)] * 4),
    value=st.sampled_from([0.0, 0.5, 300.0, (0.25, -1.0, 7.0)]),
    dtype=st.sampled_from(DTYPES),
    variant=st.sampled_from(["eager", "jit", "vmap"]),
)
def test_erase_matches_numpy(box, value, dtype, variant):
    x = image((7, 9, 3), dtype=dtype)
    params = dict(zip(BOX, box, strict=True))
    out = run_erase(variant, x, params, value)
    assert out.dtype == x.dtype
    expected = restore(numpy_erase(np.asarray(x, np.float32), *box, value), dtype)
    np.testing.assert_array_equal(np.asarray(out), expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_empty_box_is_bit_exact_identity(dtype):
    x = image((6, 5, 2), dtype=dtype)
    for box in [(0, 0, 0, 5), (2, 2, 3, 0), (2, 2, -3, 4), (6, 0, 3, 3), (-4, 0, 4, 5), (0, 5, 6, 9)]:
        np.testing.assert_array_equal(np.asarray(occlusion.erase(x, *box, value=1.0)), np.asarray(x))


def test_erase_params_and_value_may_be_traced():
    x = image((8, 8, 3))
    f = jax.jit(lambda t, v: occlusion.erase(x, t, t, 4, 4, value=v))
    np.testing.assert_array_equal(f(2, 0.75), numpy_erase(x, 2, 2, 4, 4, 0.75))
    np.testing.assert_array_equal(f(-2, jnp.array([1.0, 2.0, 3.0])), numpy_erase(x, -2, -2, 4, 4, [1.0, 2.0, 3.0]))


def test_sample_cutout_centre_is_uniform_and_size_exact():
    h, w, size = 9, 13, 4
    p = draws(occlusion.sample_cutout, shape=(h, w, 3), size=size)
    assert (p["height"] == size).all() and (p["width"] == size).all()
    assert_uniform_integers(p["top"] + size // 2, 0, h)
    assert_uniform_integers(p["left"] + size // 2, 0, w)
    # Rows and columns come from different keys: their contingency table is independent.
    table = np.histogram2d(p["top"], p["left"], bins=(h, w))[0]
    assert scipy.stats.chi2_contingency(table).pvalue > 1e-4


@pytest.mark.parametrize("size, side", [(0.5, 5), (1.0, 10), (0.01, 1), (3, 3), (np.int64(15), 15)])
def test_cutout_size_as_fraction_or_pixels(size, side):
    p = draws(occlusion.sample_cutout, shape=(10, 12), size=size)
    assert (p["height"] == side).all() and (p["width"] == side).all()


def test_cutout_probability_is_the_erasing_rate():
    p = draws(occlusion.sample_cutout, shape=(8, 8, 1), size=3, probability=0.3)
    on = p["height"] > 0
    assert scipy.stats.binomtest(int(on.sum()), on.size, 0.3).pvalue > 1e-4
    assert set(np.unique(p["height"])) == {0, 3}
    # The on/off coin and the position come from different keys.
    assert scipy.stats.chi2_contingency(np.histogram2d(on, p["top"], bins=(2, 8))[0]).pvalue > 1e-4


@pytest.mark.parametrize("probability", [0.0, 1.0])
def test_cutout_probability_extremes(probability):
    p = draws(occlusion.sample_cutout, shape=(8, 8, 1), size=3, probability=probability)
    assert ((p["height"] > 0) == bool(probability)).all()


def test_random_cutout_is_erase_of_sampled_params_in_jit_and_vmap():
    x = image((11, 10, 3), dtype=np.uint8)
    fill = (10, 20, 30)
    p = draws(occlusion.sample_cutout, seed=3, shape=x.shape, size=0.5)
    keys = jax.random.split(jax.random.key(3), N)
    jitted = jax.jit(lambda k: occlusion.random_cutout(k, x, 0.5, value=fill))
    vmapped = np.asarray(jax.vmap(lambda k: occlusion.random_cutout(k, x, 0.5, value=fill))(keys))
    for i in range(4):
        expected = restore(numpy_erase(x, *(p[name][i] for name in BOX), fill), np.uint8)
        np.testing.assert_array_equal(np.asarray(jitted(keys[i])), expected)
        np.testing.assert_array_equal(vmapped[i], expected)


# Random erasing. Sampling only needs the shape, so huge shapes make pixel rounding negligible.
BIG = (20000, 30000)


def test_random_erasing_area_is_uniform_and_aspect_log_uniform():
    # With these ranges every try fits, so the first try is always the one kept.
    p = draws(occlusion.sample_erasing, shape=BIG, probability=1.0, area_range=(0.05, 0.4),
              aspect_range=(0.5, 2.0))
    h, w = p["height"].astype(float), p["width"].astype(float)
    area = h * w / (BIG[0] * BIG[1])
    log_aspect = np.log(h / w)
    assert scipy.stats.kstest(area, scipy.stats.uniform(0.05, 0.35).cdf).pvalue > 1e-4
    assert scipy.stats.kstest(log_aspect, scipy.stats.uniform(np.log(0.5), np.log(4.0)).cdf).pvalue > 1e-4
    assert abs(scipy.stats.spearmanr(area, log_aspect).statistic) < 0.08
    # Placement: uniform over the free space, rows independent of columns.
    u_row = p["top"] / (BIG[0] - h)
    u_col = p["left"] / (BIG[1] - w)
    assert scipy.stats.kstest(u_row, "uniform").pvalue > 1e-4
    assert scipy.stats.kstest(u_col, "uniform").pvalue > 1e-4
    assert abs(scipy.stats.spearmanr(u_row, u_col).statistic) < 0.08


def test_random_erasing_keeps_the_first_of_ten_tries_that_fits():
    # aspect 4: height = 2 sqrt(area) H fits iff area < 1/4, so each try fits with chance 1/4.
    p = draws(occlusion.sample_erasing, shape=(4000, 4000), probability=1.0, area_range=(0.0, 1.0),
              aspect_range=(4.0, 4.0))
    erased = p["height"] > 0
    assert scipy.stats.binomtest(int((~erased).sum()), erased.size, 0.75**10).pvalue > 1e-4
    area = p["height"][erased] * p["width"][erased] / 4000**2
    assert scipy.stats.kstest(area, scipy.stats.uniform(0, 0.25).cdf).pvalue > 1e-4
    assert (p["top"][~erased] == 0).all() and (p["width"][~erased] == 0).all()


def test_random_erasing_probability_is_the_erasing_rate():
    p = draws(occlusion.sample_erasing, shape=(50, 50, 3), probability=0.5, area_range=(0.1, 0.2),
              aspect_range=(1.0, 1.0))
    assert scipy.stats.binomtest(int((p["height"] > 0).sum()), N, 0.5).pvalue > 1e-4


def test_random_erasing_that_never_fits_is_a_no_op():
    # area 1 and aspect 1 give height == H: torchvision requires height < H.
    p = draws(occlusion.sample_erasing, shape=(6, 6, 3), probability=1.0, area_range=(1.0, 1.0),
              aspect_range=(1.0, 1.0))
    for name in BOX:
        assert (p[name] == 0).all(), name


@given(
    seed=st.integers(0, 2**31 - 1),
    hw=st.tuples(st.integers(1, 60), st.integers(1, 60)),
    area=st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)).map(sorted),
    aspect=st.tuples(st.floats(0.1, 10.0), st.floats(0.1, 10.0)).map(sorted),
)
def test_random_erasing_rectangle_is_inside_and_within_ranges(seed, hw, area, aspect):
    (h, w), tol = hw, 1e-3
    p = draws(occlusion.sample_erasing, seed=seed, shape=hw, probability=1.0, area_range=area,
              aspect_range=aspect)
    top, left, hh, ww = (p[name].astype(float) for name in BOX)
    assert (top >= 0).all() and (top + hh <= h).all() and (hh < h).all()
    assert (left >= 0).all() and (left + ww <= w).all() and (ww < w).all()
    # A try that rounds to an empty box fits too (as in torchvision), so only non-empty boxes are checked.
    on = (hh > 0) & (ww > 0)
    hh, ww = hh[on], ww[on]
    # height and width are sqrt(area * aspect) and sqrt(area / aspect) rounded to the nearest pixel.
    assert ((hh - 0.5) * (ww - 0.5) <= area[1] * h * w * (1 + tol) + tol).all()
    assert ((hh + 0.5) * (ww + 0.5) >= area[0] * h * w * (1 - tol)).all()
    assert ((hh - 0.5) <= aspect[1] * (ww + 0.5) * (1 + tol)).all()
    assert ((hh + 0.5) * (1 + tol) >= aspect[0] * (ww - 0.5)).all()


def test_random_erasing_is_erase_of_sampled_params_under_jit_with_raw_keys():
    x = image((16, 12, 3), dtype=jnp.bfloat16)
    p = draws(occlusion.sample_erasing, seed=5, shape=x.shape, probability=1.0)
    assert (p["height"] > 0).mean() > 0.9
    raw_keys = jax.random.key_data(jax.random.split(jax.random.key(5), N))  # uint32 (N, 2): the same streams
    f = jax.jit(lambda k: occlusion.random_erasing(k, x, probability=1.0, value=0.5))
    for i in range(4):
        expected = numpy_erase(np.asarray(x, np.float32), *(p[name][i] for name in BOX), 0.5).astype(jnp.bfloat16)
        np.testing.assert_array_equal(np.asarray(f(raw_keys[i])), expected)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: occlusion.erase(image((4, 4, 3)), 0, 0, 2, 2, value=(1.0, 2.0)), ValueError, ["value", "(2,)"]),
        (lambda: occlusion.erase(image((4, 4, 3)), 0, 0, 2, 2, value="random"), TypeError, ["value", "'random'"]),
        (lambda: occlusion.erase(image((4, 4, 3)), 0.5, 0, 2, 2), TypeError, ["top", "0.5"]),
        (lambda: occlusion.erase(image((4, 4, 3)), 0, 0, jnp.array([2, 2]), 2), ValueError, ["height", "(2,)"]),
        (lambda: occlusion.erase(image((4, 4)), 0, 0, 2, 2), ValueError, ["image", "(4, 4)"]),
        (lambda: occlusion.erase(np.zeros((4, 4, 1), np.int32), 0, 0, 2, 2), TypeError, ["image", "int32"]),
        (lambda: occlusion.erase(image((4, 4, 1)), 0, 0, 2, 2, value_range=(1, 0)), ValueError, ["value_range"]),
        (lambda: occlusion.sample_cutout(jax.random.key(0), (8, 8), 0), ValueError, ["size", "0"]),
        (lambda: occlusion.sample_cutout(jax.random.key(0), (8, 8), 1.5), ValueError, ["size", "1.5"]),
        (lambda: occlusion.sample_cutout(jax.random.key(0), (8, 8), True), ValueError, ["size", "True"]),
        (lambda: occlusion.sample_cutout(jax.random.key(0), (8, 8), 2, probability=1.5), ValueError,
         ["probability", "1.5"]),
        (lambda: occlusion.sample_cutout(jax.random.key(0), (8,), 2), ValueError, ["shape", "(8,)"]),
        (lambda: occlusion.sample_cutout(0, (8, 8), 2), TypeError, ["key", "0"]),
        (lambda: occlusion.random_cutout(jax.random.split(jax.random.key(0)), image((8, 8, 1)), 2), TypeError,
         ["key"]),
        (lambda: occlusion.sample_erasing(jax.random.key(0), (8, 8), probability=-0.1), ValueError,
         ["probability", "-0.1"]),
        (lambda: occlusion.sample_erasing(jax.random.key(0), (8, 8), area_range=(0.5, 0.2)), ValueError,
         ["area_range", "(0.5, 0.2)"]),
        (lambda: occlusion.sample_erasing(jax.random.key(0), (8, 8), area_range=(0.5, 2.0)), ValueError,
         ["area_range", "2.0"]),
        (lambda: occlusion.sample_erasing(jax.random.key(0), (8, 8), aspect_range=(0.0, 2.0)), ValueError,
         ["aspect_range", "0.0"]),
        (lambda: occlusion.random_erasing(jax.random.key(0), image((8, 8, 3)), value=[1, 2]), ValueError,
         ["value", "(2,)"]),
    ],
)
def test_bad_input_names_argument_and_value(call, error, words):
    with pytest.raises(error, match=words[0]) as info:
        call()
    for word in words:
        assert word in str(info.value)


def test_bad_options_are_caught_at_trace_time_under_jit():
    with pytest.raises(ValueError, match="probability"):
        jax.jit(lambda k, x: occlusion.random_cutout(k, x, 2, probability=2.0))(jax.random.key(0), image((4, 4, 1)))
