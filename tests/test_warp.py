import hypothesis.extra.numpy as hnp
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from reference import ambiguous_pixels, assert_uint8_rounds_float32, scipy_warp

import jaxaug

MODES = jaxaug.FILL_MODES
SHAPES = [(1, 1, 3), (7, 5, 1), (7, 5, 3), (32, 32, 3), (224, 224, 3)]


def random_matrix(seed, hw):
    """A wide random affine: big rotations, zoom 0.5-2, shifts past the border."""
    h, w = hw
    rng = np.random.default_rng(seed)
    m = jaxaug.affine_matrix(
        hw, rotation=rng.uniform(-180, 180), shift=(rng.uniform(-0.7, 0.7) * h, rng.uniform(-0.7, 0.7) * w),
        shear=rng.uniform(-30, 30), zoom=tuple(rng.uniform(0.5, 2.0, 2)))
    return np.asarray(m)


def image(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).random(shape).astype(dtype)


def variant_apply(variant, images, matrices, **kw):
    if variant == "eager":
        return jaxaug.affine_warp(images, matrices, **kw)
    if variant == "jit":
        return jax.jit(lambda i, m: jaxaug.affine_warp(i, m, **kw))(images, matrices)
    return jax.vmap(lambda i, m: jaxaug.affine_warp(i, m, **kw))(images, matrices)  # per-image calls


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("fill_mode", MODES)
def test_matches_scipy_for_random_matrices(shape, order, fill_mode):
    h, w, c = shape
    batch = np.stack([image(shape, seed=i) for i in range(3)])
    ms = np.stack([random_matrix(100 * i + h, (h, w)) for i in range(3)])
    variant = ["eager", "jit", "vmap"][(h + order + MODES.index(fill_mode)) % 3]
    for v in {variant, "jit"}:
        ours = np.asarray(variant_apply(v, batch, ms, order=order, fill_mode=fill_mode, cval=0.25))
        for i in range(3):
            ref = scipy_warp(batch[i], ms[i], order=order, fill_mode=fill_mode, cval=0.25)
            skip = ambiguous_pixels(ms[i], (h, w), order=order, fill_mode=fill_mode)
            assert skip.mean() < 0.01, "the reference excluded too many pixels to be a test"
            err = np.abs(ours[i] - ref)[~skip]
            assert err.max(initial=0) <= 1e-4, (v, i, err.max())


@pytest.mark.parametrize("out_hw", [(13, 9), (40, 52), (1, 1)], ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("fill_mode", MODES)
def test_output_shape_matches_scipy(out_hw, order, fill_mode):
    shape = (24, 31, 3)
    batch = np.stack([image(shape, seed=i) for i in range(3)])
    # A crop-and-resize: output pixel (r, c) reads input (0.61 r + 2.27, 0.53 c - 1.13), then a wide random matrix.
    resize = np.array([[0.61, 0.0, 2.27], [0.0, 0.53, -1.13], [0.0, 0.0, 1.0]])
    ms = np.stack([resize, random_matrix(7, shape[:2]) @ resize, random_matrix(8, shape[:2])])
    variant = ["eager", "jit", "vmap"][(out_hw[0] + order + MODES.index(fill_mode)) % 3]
    ours = np.asarray(variant_apply(variant, batch, ms, output_shape=out_hw, order=order, fill_mode=fill_mode,
                                    cval=0.25))
    assert ours.shape == (3, *out_hw, 3)
    for i in range(3):
        ref = scipy_warp(batch[i], ms[i], order=order, fill_mode=fill_mode, cval=0.25, output_shape=out_hw)
        skip = ambiguous_pixels(ms[i], shape[:2], order=order, fill_mode=fill_mode, output_shape=out_hw)
        assert skip.mean() < 0.2
        err = np.abs(ours[i] - ref)[~skip]
        assert err.max(initial=0) <= 1e-4, (i, err.max())  # float32 coordinates against float64


def test_output_shape_of_the_identity_is_a_crop_or_a_constant_pad():
    x = (np.arange(6 * 7 * 2).reshape(6, 7, 2) % 251).astype(np.uint8)
    eye = np.eye(3)
    np.testing.assert_array_equal(np.asarray(jaxaug.affine_warp(x, eye, output_shape=(4, 5))), x[:4, :5])
    padded = np.asarray(jaxaug.affine_warp(x, eye, output_shape=(8, 9), fill_mode="constant", cval=3, order=0))
    np.testing.assert_array_equal(padded[:6, :7], x)
    assert (padded[6:] == 3).all() and (padded[:, 7:] == 3).all()


@pytest.mark.parametrize("bad", [(0, 4), (4,), (4.0, 4), "4x4", (True, 4), (4, -1)])
def test_bad_output_shape_names_the_argument(bad):
    with pytest.raises(ValueError, match="output_shape"):
        jaxaug.affine_warp(np.zeros((4, 4, 1), np.float32), np.eye(3), output_shape=bad)


def test_single_image_and_shared_matrix_forms_agree():
    batch = image((4, 9, 11, 3))
    m = random_matrix(7, (9, 11))
    shared = jaxaug.affine_warp(batch, m)
    per_image = jaxaug.affine_warp(batch, np.broadcast_to(m, (4, 3, 3)))
    single = jnp.stack([jaxaug.affine_warp(b, m) for b in batch])
    np.testing.assert_array_equal(shared, per_image)
    np.testing.assert_allclose(shared, single, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.uint8, np.float16, jnp.bfloat16, np.float32])
@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("fill_mode", MODES)
def test_identity_is_bit_exact(dtype, order, fill_mode):
    x = (image((2, 13, 9, 3)) * 255).astype(dtype)
    out = jax.jit(lambda a: jaxaug.affine_warp(a, jaxaug.identity_matrix(), order=order, fill_mode=fill_mode))(x)
    assert out.dtype == x.dtype
    np.testing.assert_array_equal(np.asarray(out), np.asarray(x))


@pytest.mark.parametrize("size", [32, 224])
@pytest.mark.parametrize("fill_mode", MODES)
def test_quarter_turns_flips_and_integer_shifts_are_exact(size, fill_mode):
    # float32 trig and fused floor() at 224x224 are where inexact pixels used to hide.
    x = image((size, size, 3), seed=size)
    warp = jax.jit(lambda m: jaxaug.affine_warp(x, m, order=1, fill_mode=fill_mode))
    for k in (1, 2, 3, -1):
        np.testing.assert_array_equal(warp(jaxaug.centered(jaxaug.rotation_matrix(90.0 * k), x.shape)),
                                      np.rot90(x, k))
    np.testing.assert_array_equal(warp(jaxaug.centered(jaxaug.flip_matrix(horizontal=True), x.shape)), x[:, ::-1])
    np.testing.assert_array_equal(warp(jaxaug.centered(jaxaug.flip_matrix(vertical=True), x.shape)), x[::-1])
    shifted = np.asarray(warp(jaxaug.shift_matrix(3, -5)))
    np.testing.assert_array_equal(shifted[3:, : size - 5], x[: size - 3, 5:])


def test_integer_shift_with_constant_fill_matches_numpy():
    x = image((10, 12, 2))
    out = np.asarray(jaxaug.affine_warp(x, jaxaug.shift_matrix(2, 3), fill_mode="constant", cval=-1.0))
    expected = np.full_like(x, -1.0)
    expected[2:, 3:] = x[:-2, :-3]
    np.testing.assert_array_equal(out, expected)


@given(
    x=hnp.arrays(np.float32, (6, 7, 2), elements=st.floats(-10, 10, width=32)),
    seed=st.integers(0, 2**31 - 1),
    fill_mode=st.sampled_from(["nearest", "reflect", "mirror", "wrap"]),
)
def test_bilinear_stays_within_input_range(x, seed, fill_mode):
    out = np.asarray(jaxaug.affine_warp(x, random_matrix(seed, (6, 7)), order=1, fill_mode=fill_mode))
    assert out.min() >= x.min() - 1e-5 and out.max() <= x.max() + 1e-5


@given(seed=st.integers(0, 2**31 - 1), order=st.sampled_from([0, 1]), fill_mode=st.sampled_from(MODES))
def test_hypothesis_random_matrices_match_scipy(seed, order, fill_mode):
    x = image((9, 6, 3), seed=seed % 1000)
    m = random_matrix(seed, (9, 6))
    ours = np.asarray(jaxaug.affine_warp(x, m, order=order, fill_mode=fill_mode, cval=0.5))
    ref = scipy_warp(x, m, order=order, fill_mode=fill_mode, cval=0.5)
    skip = ambiguous_pixels(m, (9, 6), order=order, fill_mode=fill_mode)
    assert np.abs(ours - ref)[~skip].max(initial=0) <= 1e-4


def test_uint8_is_rounded_and_clipped_from_float32_result():
    x8 = (image((2, 16, 16, 3)) * 255).astype(np.uint8)
    ms = np.stack([random_matrix(1, (16, 16)), random_matrix(2, (16, 16))])
    out8 = np.asarray(jaxaug.affine_warp(x8, ms, fill_mode="constant", cval=300.0))
    out32 = np.asarray(jaxaug.affine_warp(x8.astype(np.float32), ms, fill_mode="constant", cval=300.0))
    assert_uint8_rounds_float32(out8, out32)
    assert (out8 == 255).any()  # cval 300 was clipped, not wrapped


@pytest.mark.parametrize("dtype", [np.float16, jnp.bfloat16])
def test_half_precision_keeps_dtype(dtype):
    x = image((12, 12, 3))
    m = random_matrix(3, (12, 12))
    out = jaxaug.affine_warp(x.astype(dtype), m)
    assert out.dtype == dtype
    ref = scipy_warp(np.asarray(x.astype(dtype), np.float32), m, order=1, fill_mode="nearest")
    np.testing.assert_allclose(np.asarray(out, np.float32), ref, atol=1e-2)


def test_gradients_are_finite_and_match_finite_differences():
    x = jnp.asarray(image((8, 8, 3)))
    m = jnp.asarray(random_matrix(5, (8, 8)))
    loss = lambda img, mat: jnp.sum(jaxaug.affine_warp(img, mat, fill_mode="reflect") ** 2)  # noqa: E731
    gx, gm = jax.grad(loss, argnums=(0, 1))(x, m)
    assert np.isfinite(gx).all() and np.isfinite(gm).all()
    assert np.abs(gm[:2]).sum() > 0
    # Central differences on a translation entry, away from kinks (coordinates not integer).
    eps = 1e-3
    e = jnp.zeros((3, 3)).at[0, 2].set(eps)
    fd = (loss(x, m + e) - loss(x, m - e)) / (2 * eps)
    np.testing.assert_allclose(gm[0, 2], fd, rtol=2e-2)


def test_cval_may_be_traced():
    x = image((5, 5, 1))
    f = jax.jit(lambda c: jaxaug.affine_warp(x, jaxaug.shift_matrix(10, 0), fill_mode="constant", cval=c))
    np.testing.assert_array_equal(f(0.75), np.full_like(x, 0.75))


@pytest.mark.parametrize(
    "images, matrices, kwargs, error, words",
    [
        (np.zeros((5, 5)), np.eye(3), {}, ValueError, ["images", "(5, 5)"]),
        (np.zeros((1, 2, 5, 5, 3)), np.eye(3), {}, ValueError, ["images", "(1, 2, 5, 5, 3)"]),
        (np.zeros((2, 5, 5, 3)), np.zeros((3, 3, 3)), {}, ValueError, ["matrices", "(3, 3, 3)"]),
        (np.zeros((5, 5, 3)), np.zeros((2, 3)), {}, ValueError, ["matrices", "(2, 3)"]),
        (np.zeros((5, 5, 3)), np.eye(3), {"fill_mode": "foo"}, ValueError, ["fill_mode", "'foo'"]),
        (np.zeros((5, 5, 3)), np.eye(3), {"order": 3}, ValueError, ["order", "3"]),
        (np.zeros((5, 5, 3)), np.eye(3), {"order": True}, ValueError, ["order", "True"]),
        (np.zeros((5, 5, 3), np.int32), np.eye(3), {}, TypeError, ["images.dtype", "int32"]),
        (np.zeros((5, 5, 3)), np.eye(3).astype(bool), {}, TypeError, ["matrices.dtype", "bool"]),
        (np.zeros((5, 5, 3)), np.eye(3), {"cval": [1.0, 2.0]}, ValueError, ["cval"]),
        (np.zeros((0, 5, 3)), np.eye(3), {}, ValueError, ["images", "(0, 5, 3)"]),
    ],
)
def test_bad_input_names_argument_and_value(images, matrices, kwargs, error, words):
    with pytest.raises(error) as info:
        jaxaug.affine_warp(images, matrices, **kwargs)
    for word in words:
        assert word in str(info.value)


def test_bad_input_is_caught_at_trace_time_under_jit():
    with pytest.raises(ValueError, match="fill_mode"):
        jax.jit(lambda x: jaxaug.affine_warp(x, jnp.eye(3), fill_mode="grid-wrap"))(jnp.zeros((4, 4, 1)))
