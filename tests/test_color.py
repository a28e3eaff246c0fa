import colorsys
import functools

import hypothesis.extra.numpy as hnp
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from keras.src.legacy.preprocessing.image import apply_brightness_shift, apply_channel_shift
from PIL import Image
from reference import assert_uint8_rounds_float32

from jaxaug import _images, color
from jaxaug import hsv as hsv_space

LUMA = np.array([0.299, 0.587, 0.114])
SHAPE = (6, 5, 3)


def image(shape=SHAPE, seed=0):
    return np.random.default_rng(seed).random(shape).astype(np.float32)


def special_pixels(seed=1):
    """An image of SHAPE: grays, black, white, pure and mixed colours, then random pixels."""
    fixed = [[0, 0, 0], [1, 1, 1], [0.5, 0.5, 0.5], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1],
             [1, 0, 1], [0.2, 0.4, 0.4], [0.4, 0.2, 0.4], [0.4, 0.4, 0.2], [0.3, 0.0, 0.0], [0, 0.7, 0.7]]
    pixels = image(SHAPE, seed=seed).reshape(-1, 3)
    pixels[: len(fixed)] = fixed
    return pixels.reshape(SHAPE)


# --- references (float64, per pixel) ------------------------------------------------------


def per_pixel_hsv(x, lo, hi, edit):
    """colorsys on every pixel of `x` normalised to [0, 1]; back to the original units."""
    unit = np.clip((np.asarray(x, np.float64) - lo) / (hi - lo), 0, 1)
    out = [colorsys.hsv_to_rgb(*edit(*colorsys.rgb_to_hsv(*p))) for p in unit.reshape(-1, 3)]
    return np.asarray(out).reshape(unit.shape) * (hi - lo) + lo


def ref_brightness(x, lo, hi, factor):
    return np.clip(lo + (x - lo) * factor, lo, hi)


def ref_channel_shift(x, lo, hi, shift):
    return apply_channel_shift(np.asarray(x, np.float64), shift, channel_axis=2)


def ref_contrast(x, lo, hi, factor):
    mean = x.mean(axis=(0, 1))
    return np.clip((x - mean) * factor + mean, lo, hi)


def ref_saturation(x, lo, hi, factor):
    return per_pixel_hsv(x, lo, hi, lambda h, s, v: (h, min(s * factor, 1.0), v))


def ref_hue(x, lo, hi, delta):
    return per_pixel_hsv(x, lo, hi, lambda h, s, v: ((h + delta) % 1.0, s, v))


def ref_hsv_contrast(x, lo, hi, saturation_exponent, value_exponent):
    return per_pixel_hsv(x, lo, hi, lambda h, s, v: (h, s**saturation_exponent, v**value_exponent))


def ref_blend_grayscale(x, lo, hi, weight):
    return (1 - weight) * x + weight * (x @ LUMA)[..., None]


# op name -> (twin, {param: (low, high) to test}, reference, identity params)
OPS = {
    "brightness": (color.brightness, {"factor": (0.0, 2.0)}, ref_brightness, {"factor": 1.0}),
    "channel_shift": (color.channel_shift, {"shift": (-0.4, 0.4)}, ref_channel_shift, {"shift": 0.0}),
    "contrast": (color.contrast, {"factor": (0.0, 2.5)}, ref_contrast, {"factor": 1.0}),
    "saturation": (color.saturation, {"factor": (0.0, 3.0)}, ref_saturation, {"factor": 1.0}),
    "hue": (color.hue, {"delta": (-0.5, 0.5)}, ref_hue, {"delta": 0.0}),
    "hsv_contrast": (color.hsv_contrast, {"saturation_exponent": (0.25, 4.0), "value_exponent": (0.25, 4.0)},
                     ref_hsv_contrast, {"saturation_exponent": 1.0, "value_exponent": 1.0}),
    "grayscale": (color.grayscale, {"weight": (0.0, 1.0)}, ref_blend_grayscale, {"weight": 0.0}),
}


def draw_params(op, seed, n=None):
    """float32 parameters of `op` (n of each when n is given), uniform in the test bounds."""
    bounds = OPS[op][1]
    rng = np.random.default_rng(seed)
    return {k: rng.uniform(lo, hi, n).astype(np.float32) if n else np.float32(rng.uniform(lo, hi))
            for k, (lo, hi) in bounds.items()}


def all_params(seed, n=None):
    return {op: draw_params(op, seed, n) for op in OPS}


IDENTITY = {op: {k: np.float32(v) for k, v in spec[3].items()} for op, spec in OPS.items()}


@functools.cache
def all_twins(value_range=None, batched=False):
    """One compiled program that runs every twin: compiling one program per op and per
    test was most of this file's run time."""
    def run(x, params):
        return {op: OPS[op][0](x, **params[op], value_range=value_range) for op in OPS}
    return jax.jit(jax.vmap(run) if batched else run)


def run_twins(x, params, value_range=None, batched=False):
    return jax.tree.map(np.asarray, all_twins(value_range, batched)(x, params))


# --- HSV conversions ----------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["eager", "jit"])
def test_hsv_conversions_match_colorsys(variant):
    rgb = special_pixels()
    hsv_ref = np.array([colorsys.rgb_to_hsv(*map(float, p)) for p in rgb.reshape(-1, 3)])
    rgb_ref = np.array([colorsys.hsv_to_rgb(*p) for p in hsv_ref])
    to_hsv, to_rgb = (jax.jit(f) if variant == "jit" else f for f in (hsv_space.rgb_to_hsv, hsv_space.hsv_to_rgb))
    np.testing.assert_allclose(to_hsv(rgb), hsv_ref.reshape(SHAPE), atol=2e-7)
    hsv = hsv_ref.reshape(SHAPE).astype(np.float32)
    np.testing.assert_allclose(to_rgb(hsv), rgb_ref.reshape(SHAPE), atol=3e-7)
    # Hue wraps to the other end for colours just below red's hue, as in colorsys.
    assert np.asarray(to_hsv(rgb)[..., 0]).max() < 1.0


def test_hsv_is_scale_free_and_keeps_leading_axes():
    rgb = special_pixels()[None].repeat(2, 0)
    to_hsv = jax.jit(hsv_space.rgb_to_hsv)
    hsv, hsv255 = np.asarray(to_hsv(rgb)), np.asarray(to_hsv(rgb * 255))
    assert hsv.shape == rgb.shape
    np.testing.assert_allclose(hsv255[..., :2], hsv[..., :2], atol=1e-6)
    np.testing.assert_allclose(hsv255[..., 2], hsv[..., 2] * 255, rtol=1e-6)


def test_hsv_gradients_are_finite_at_grays_black_and_pure_colours():
    weights = jnp.array([1.0, 2.0, 3.0])

    def loss(x):  # every H, S, V and every round-tripped R, G, B enters with its own weight
        hsv = hsv_space.rgb_to_hsv(x)
        return jnp.sum(hsv * weights) + jnp.sum(hsv_space.hsv_to_rgb(hsv) * weights)

    value_and_grad = jax.jit(jax.value_and_grad(loss))
    rgb = jnp.asarray(special_pixels())
    _, grad = value_and_grad(rgb)
    assert np.isfinite(grad).all()
    # Away from branch points the gradient is right: central differences at a random pixel.
    e = jnp.zeros(SHAPE).at[5, 4, 1].set(1e-3)
    fd = (value_and_grad(rgb + e)[0] - value_and_grad(rgb - e)[0]) / 2e-3
    np.testing.assert_allclose(grad[5, 4, 1], fd, rtol=1e-2)


ROUND_TRIP = jax.jit(lambda x: hsv_space.hsv_to_rgb(hsv_space.rgb_to_hsv(x)))


@given(hnp.arrays(np.float32, SHAPE, elements=st.floats(0, 1, width=32)))
def test_hsv_round_trip_is_identity(rgb):
    np.testing.assert_allclose(ROUND_TRIP(rgb), rgb, atol=1e-6)


# --- twins against references ---------------------------------------------------------------


@pytest.mark.parametrize("variant", ["eager", "jit", "vmap"])
@pytest.mark.parametrize("op", list(OPS))
def test_twin_matches_reference(op, variant):
    twin, _, ref, _ = OPS[op]
    n = 3 if variant == "vmap" else 1
    batch = np.stack([image(seed=i) for i in range(n)])
    params = all_params(seed=7, n=n)
    if variant == "vmap":
        out = run_twins(batch, params, batched=True)[op]
    elif variant == "jit":
        out = run_twins(batch[0], jax.tree.map(lambda v: v[0], params))[op][None]
    else:
        out = np.asarray(twin(batch[0], **{k: v[0] for k, v in params[op].items()}))[None]
    for i in range(n):
        p = {k: float(v[i]) for k, v in params[op].items()}
        expected = ref(np.asarray(batch[i], np.float64), 0.0, 1.0, **p)
        np.testing.assert_allclose(out[i], expected, atol=2e-6, err_msg=str(p))


@pytest.mark.parametrize("op", list(OPS))
def test_twin_on_float32_with_explicit_value_range(op):
    # The pipeline calls the twins this way, on images already converted to float32.
    lo, hi = value_range = (-1.0, 1.0)
    x = image(seed=5) * (hi - lo) + lo
    params = all_params(seed=13)
    out = run_twins(x, params, value_range)[op]
    expected = OPS[op][2](np.asarray(x, np.float64), lo, hi, **params[op])
    np.testing.assert_allclose(out, expected, atol=4e-6)


@pytest.mark.parametrize("op", list(OPS))
def test_uint8_is_the_rounded_float_result(op):
    x8 = (image(seed=2) * 255).astype(np.uint8)
    params = all_params(seed=17)
    params["channel_shift"]["shift"] *= 255  # pixel units
    out8 = run_twins(x8, params)[op]
    out32 = run_twins(x8.astype(np.float32), params, (0.0, 255.0))[op]
    assert_uint8_rounds_float32(out8, out32)
    expected = OPS[op][2](x8.astype(np.float64), 0.0, 255.0, **params[op])
    np.testing.assert_allclose(out32, expected, atol=5e-4)


@pytest.mark.parametrize("dtype", [np.float16, jnp.bfloat16])
def test_half_precision_keeps_dtype(dtype):
    x = image(seed=4).astype(dtype)
    params = all_params(seed=19)
    outs = all_twins()(x, params)
    for op, (_, _, ref, _) in OPS.items():
        assert outs[op].dtype == dtype
        expected = ref(np.asarray(x, np.float64), 0.0, 1.0, **params[op])
        np.testing.assert_allclose(np.asarray(outs[op], np.float32), expected, atol=1e-2, err_msg=op)


@given(x=hnp.arrays(np.uint8, SHAPE), dtype=st.sampled_from([np.uint8, np.float32]))
def test_identity_parameters_give_the_input_back(x, dtype):
    x = x if dtype == np.uint8 else (x / 255).astype(np.float32)
    for op, out in run_twins(x, IDENTITY).items():
        assert out.dtype == x.dtype
        if dtype == np.uint8:
            np.testing.assert_array_equal(out, x, err_msg=op)
        else:
            np.testing.assert_allclose(out, x, atol=1e-6, err_msg=op)


@given(x=hnp.arrays(np.float32, SHAPE, elements=st.floats(0, 1, width=32)), seed=st.integers(0, 2**32 - 1),
       stretch=st.floats(1.0, 4.0))
def test_outputs_stay_in_value_range(x, seed, stretch):
    # Parameters beyond the usual ranges (factors up to 10, shifts of 1.6); a blend
    # weight beyond 1 would be an extrapolation, not a blend.
    params = jax.tree.map(lambda v: np.float32(v * stretch), all_params(seed))
    params["grayscale"] = draw_params("grayscale", seed)
    for op, out in run_twins(x, params).items():
        assert np.isfinite(out).all(), op
        assert out.min() >= 0.0 and out.max() <= 1.0 + 1e-6, op


# --- extra references: Keras' IDG and PIL -----------------------------------------------------


def test_brightness_matches_keras_idg_brightness_shift():
    x8 = (image(seed=8) * 255).astype(np.uint8)
    for factor in (0.3, 0.9, 1.0, 1.45):
        ours = np.asarray(color.brightness(x8, np.float32(factor)), np.float64)
        keras = apply_brightness_shift(x8.astype(np.float32), factor, scale=False)
        # PIL's blend truncates where we round.
        assert np.abs(ours - keras).max() <= 1.0, factor


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_channel_shift_matches_keras_on_its_own_scale(dtype):
    x = image(seed=9) * 200 + 20
    x = x.astype(dtype)
    for shift in (-60.0, -5.5, 0.0, 33.0, 300.0):
        ours = np.asarray(color.channel_shift(x, np.float32(shift)), np.float64)
        keras = apply_channel_shift(x.astype(np.float64), shift, channel_axis=2)
        expected = np.clip(np.round(keras), 0, 255) if dtype == np.uint8 else keras
        np.testing.assert_allclose(ours, expected, atol=1e-4 * (dtype == np.float32), err_msg=str(shift))


def test_to_grayscale_is_601_luma_like_pil():
    x8 = (image(seed=10) * 255).astype(np.uint8)
    out = np.asarray(color.to_grayscale(x8))
    assert out.shape == x8.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[..., 0], out[..., 1])
    np.testing.assert_array_equal(out[..., 0], out[..., 2])
    np.testing.assert_array_equal(out[..., 0], np.round(x8 @ LUMA))
    pil = np.asarray(Image.fromarray(x8).convert("L"), np.int32)
    assert np.abs(out[..., 0].astype(np.int32) - pil).max() <= 1
    np.testing.assert_array_equal(color.grayscale(x8, np.float32(1.0)), out)


# --- samplers -------------------------------------------------------------------------------

KEYS = jax.random.split(jax.random.key(2024), 2000)


def draws(sample, *args):
    return jax.tree.map(np.asarray, jax.vmap(lambda k: sample(k, SHAPE, *args))(KEYS))


def assert_uniform(values, lo, hi):
    assert values.min() >= lo and values.max() <= hi
    assert values.min() < lo + 0.01 * (hi - lo) and values.max() > hi - 0.01 * (hi - lo)
    assert scipy.stats.kstest(values, scipy.stats.uniform(lo, hi - lo).cdf).pvalue > 1e-3


@pytest.mark.parametrize(
    "sample, arg, name, lo, hi",
    [
        (color.sample_brightness, (0.5, 1.7), "factor", 0.5, 1.7),
        (color.sample_contrast, (0.0, 2.0), "factor", 0.0, 2.0),
        (color.sample_saturation, (0.2, 1.2), "factor", 0.2, 1.2),
        (color.sample_channel_shift, 30.0, "shift", -30.0, 30.0),
        (color.sample_hue, 0.5, "delta", -0.5, 0.5),
    ],
)
def test_uniform_samplers_cover_their_range(sample, arg, name, lo, hi):
    params = draws(sample, arg)
    assert set(params) == {name}
    assert params[name].dtype == np.float32
    assert_uniform(params[name], lo, hi)


def test_hsv_contrast_exponents_are_log_uniform_and_independent():
    params = draws(color.sample_hsv_contrast, (0.25, 4.0))
    assert set(params) == {"saturation_exponent", "value_exponent"}
    logs = [np.log(params[k]) for k in ("saturation_exponent", "value_exponent")]
    for v in logs:
        assert_uniform(v, np.log(0.25) - 1e-6, np.log(4.0) + 1e-6)
        assert abs(np.mean(v > 0) - 0.5) < 0.05  # e and 1/e equally likely
    assert abs(np.corrcoef(*logs)[0, 1]) < 0.1
    assert (logs[0] != logs[1]).all()


@pytest.mark.parametrize("probability", [0.0, 0.3, 1.0])
def test_grayscale_weight_is_bernoulli(probability):
    w = draws(color.sample_grayscale, probability)["weight"]
    assert set(np.unique(w)) <= {0.0, 1.0}
    n = w.size
    assert abs(w.mean() - probability) <= 5 * np.sqrt(probability * (1 - probability) / n)


def test_degenerate_ranges_give_the_fixed_value():
    assert float(color.sample_brightness(jax.random.key(0), SHAPE, (1.3, 1.3))["factor"]) == np.float32(1.3)
    params = color.sample_hsv_contrast(jax.random.key(0), SHAPE, exponent_range=(1.0, 1.0))
    assert float(params["saturation_exponent"]) == 1.0 == float(params["value_exponent"])


# --- random ops ---------------------------------------------------------------------------------

RANDOM = [
    (color.random_brightness, color.sample_brightness, color.brightness, (0.5, 1.5)),
    (color.random_channel_shift, color.sample_channel_shift, color.channel_shift, 0.3),
    (color.random_contrast, color.sample_contrast, color.contrast, (0.5, 1.5)),
    (color.random_saturation, color.sample_saturation, color.saturation, (0.0, 2.0)),
    (color.random_hue, color.sample_hue, color.hue, 0.3),
    (color.random_hsv_contrast, color.sample_hsv_contrast, color.hsv_contrast, (0.5, 2.0)),
    (color.random_grayscale, color.sample_grayscale, color.grayscale, 0.5),
]


RANDOM_KEYS = jnp.concatenate([jax.random.split(jax.random.key(4), 7)] * 2)[:8]  # the last repeats the first


@functools.cache
def random_program():
    """Every random op on one image for 8 keys (the last = the first), and the twin of
    the first key's sample, in one compiled program."""
    def run(keys, x):
        return {op.__name__: (jax.vmap(lambda k: op(k, x, arg))(keys), twin(x, **sample(keys[0], x.shape, arg)))  # noqa: B023
                for op, sample, twin, arg in RANDOM}
    return jax.jit(run)


@pytest.mark.parametrize("random_op, sample, twin, arg", RANDOM, ids=lambda v: getattr(v, "__name__", ""))
def test_random_op_is_twin_of_sample_and_depends_on_key_only(random_op, sample, twin, arg):
    x = image(seed=6)
    batch, via_twin = jax.tree.map(np.asarray, random_program()(RANDOM_KEYS, x)[random_op.__name__])
    np.testing.assert_allclose(batch[0], via_twin, atol=1e-6)
    np.testing.assert_allclose(batch[0], random_op(RANDOM_KEYS[0], x, arg), atol=1e-6)  # eager
    np.testing.assert_array_equal(batch[0], batch[-1])  # same key, same image
    assert len({b.tobytes() for b in batch}) > 1  # other keys, other images


@pytest.mark.parametrize("sample, arg", [(s, a) for _, s, _, a in RANDOM] + [(color.sample_hsv_contrast, (0.5, 2.0))])
def test_samplers_accept_raw_and_typed_keys_alike(sample, arg):
    raw, typed = sample(jax.random.PRNGKey(9), SHAPE, arg), sample(jax.random.key(9), SHAPE, arg)
    assert raw.keys() == typed.keys()
    for name in raw:
        np.testing.assert_array_equal(raw[name], typed[name])


# --- bad input -----------------------------------------------------------------------------------

X = np.zeros(SHAPE, np.float32)
KEY = jax.random.key(0)


@pytest.mark.parametrize(
    "fn, error, words",
    [
        (lambda: color.sample_brightness(KEY, SHAPE, (-0.1, 1.0)), ValueError, ["brightness_range", "-0.1"]),
        (lambda: color.sample_brightness(KEY, SHAPE, (2.0, 1.0)), ValueError, ["brightness_range", "(2.0, 1.0)"]),
        (lambda: color.sample_brightness(KEY, SHAPE, 1.5), ValueError, ["brightness_range", "1.5"]),
        (lambda: color.sample_contrast(KEY, SHAPE, (1.0, 0.5)), ValueError, ["contrast_range", "(1.0, 0.5)"]),
        (lambda: color.sample_saturation(KEY, SHAPE, (-1, 1)), ValueError, ["saturation_range", "(-1, 1)"]),
        (lambda: color.sample_channel_shift(KEY, SHAPE, -3.0), ValueError, ["intensity", "-3.0"]),
        (lambda: color.sample_hue(KEY, SHAPE, 0.6), ValueError, ["hue_range", "0.6"]),
        (lambda: color.sample_hue(KEY, SHAPE, -0.1), ValueError, ["hue_range", "-0.1"]),
        (lambda: color.sample_hsv_contrast(KEY, SHAPE, exponent_range=(0.0, 2.0)),
         ValueError, ["exponent_range", "(0.0, 2.0)"]),
        (lambda: color.sample_hsv_contrast(KEY, SHAPE, exponent_range=(-1.0, 2.0)),
         ValueError, ["exponent_range", "(-1.0, 2.0)"]),
        (lambda: color.sample_hsv_contrast(KEY, SHAPE, exponent_range=(4.0, 0.25)),
         ValueError, ["exponent_range", "(4.0, 0.25)"]),
        (lambda: color.sample_grayscale(KEY, SHAPE, 1.5), ValueError, ["probability", "1.5"]),
        (lambda: color.sample_brightness(0, SHAPE, (0.5, 1.0)), TypeError, ["key", "0"]),
        (lambda: color.random_hue(jax.random.split(KEY, 2), X, 0.1), TypeError, ["key", "(2,)"]),
        (lambda: color.saturation(np.zeros((5, 5, 4)), 1.0), ValueError, ["image", "(5, 5, 4)"]),
        (lambda: color.hue(np.zeros((5, 5, 1)), 0.1), ValueError, ["image", "(5, 5, 1)"]),
        (lambda: color.to_grayscale(np.zeros((5, 5, 2))), ValueError, ["image", "(5, 5, 2)"]),
        (lambda: color.hsv_contrast(np.zeros((5, 5)), 1.0, 1.0), ValueError, ["image", "(5, 5)"]),
        (lambda: color.brightness(np.zeros(SHAPE, np.int16), 1.0), TypeError, ["image.dtype", "int16"]),
        (lambda: color.brightness(X, np.ones(3)), ValueError, ["factor", "(3,)"]),
        (lambda: color.contrast(X, 1.0, value_range=(1, 0)), ValueError, ["value_range", "(1, 0)"]),
        (lambda: color.channel_shift(X, 0.0, value_range=(1, 1)), ValueError, ["value_range", "(1, 1)"]),
        (lambda: hsv_space.rgb_to_hsv(np.zeros((4, 4))), ValueError, ["rgb", "(4, 4)"]),
        (lambda: hsv_space.hsv_to_rgb(np.zeros(2)), ValueError, ["hsv", "(2,)"]),
    ],
)
def test_bad_input_names_argument_and_value(fn, error, words):
    with pytest.raises(error) as info:
        fn()
    for word in words:
        assert word in str(info.value)


def test_bad_input_is_caught_at_trace_time_under_jit():
    with pytest.raises(ValueError, match="image"):
        jax.jit(lambda x: color.saturation(x, 1.2))(jnp.zeros((4, 4, 4)))
    with pytest.raises(ValueError, match="saturation_range"):
        jax.jit(lambda k, x: color.random_saturation(k, x, (1.0, 0.0)))(KEY, X)


def test_default_value_range_is_dtype_based():
    assert _images.value_range(jnp.uint8) == (0.0, 255.0)
    x = np.full(SHAPE, 0.8, np.float32)
    np.testing.assert_allclose(color.brightness(x, 2.0), 1.0)  # floats clip at 1
    np.testing.assert_array_equal(color.brightness((x * 255).astype(np.uint8), 2.0), 255)
