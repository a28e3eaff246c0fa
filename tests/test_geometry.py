import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import jaxaug


def keras_matrix(shape, theta=0.0, dy=0.0, dx=0.0, shear=0.0, zy=1.0, zx=1.0):
    """Keras IDG's matrix rebuilt in float64 numpy from its source, in (row, col).

    Keras works in (x, y) = (col, row), composes rotation @ shift @ shear @ zoom, centres
    it and swaps the axes; written here directly in (row, col) with a true centre.
    Keras' shift adds t to the input coordinate, so content moves by -t.
    """
    t, s = np.deg2rad(theta), np.deg2rad(shear)
    rot = np.array([[np.cos(t), np.sin(t), 0], [-np.sin(t), np.cos(t), 0], [0, 0, 1]])
    shift = np.array([[1, 0, -dy], [0, 1, -dx], [0, 0, 1]])
    sh = np.array([[np.cos(s), 0, 0], [-np.sin(s), 1, 0], [0, 0, 1]])
    zoom = np.diag([zy, zx, 1.0])
    h, w = shape
    c = np.array([[1, 0, h / 2 - 0.5], [0, 1, w / 2 - 0.5], [0, 0, 1]])
    return c @ rot @ shift @ sh @ zoom @ np.linalg.inv(c)


def test_affine_matrix_matches_keras_composition():
    m = jaxaug.affine_matrix((20, 20), rotation=17.0, shift=(2.5, -3.0), shear=8.0, zoom=(0.9, 1.1))
    np.testing.assert_allclose(m, keras_matrix((20, 20), 17.0, 2.5, -3.0, 8.0, 0.9, 1.1), atol=1e-5)


def test_affine_matrix_matches_keras_legacy_transform_on_square_images():
    keras_image = pytest.importorskip("keras.src.legacy.preprocessing.image")
    x = np.random.default_rng(0).random((16, 16, 3)).astype(np.float32)
    params = dict(theta=23.0, tx=1.5, ty=-2.0, shear=11.0, zx=0.85, zy=1.2)
    ref = keras_image.apply_affine_transform(x, **params, row_axis=0, col_axis=1, channel_axis=2,
                                             fill_mode="nearest", order=1)
    # Keras 3 applies tx to columns and zx to columns (its own (x, y) convention).
    m = jaxaug.affine_matrix(x.shape, rotation=23.0, shift=(2.0, -1.5), shear=11.0, zoom=(1.2, 0.85))
    np.testing.assert_allclose(jaxaug.affine_warp(x, m), ref, atol=1e-4)


def test_rotation_is_counter_clockwise_like_scipy_rotate():
    import scipy.ndimage as ndi

    x = np.random.default_rng(1).random((15, 15, 1)).astype(np.float32)
    ours = jaxaug.affine_warp(x, jaxaug.centered(jaxaug.rotation_matrix(30.0), x.shape), fill_mode="constant")
    ref = ndi.rotate(x[..., 0], 30.0, reshape=False, order=1, mode="constant")
    inner = (slice(3, -3), slice(3, -3))
    np.testing.assert_allclose(np.asarray(ours)[..., 0][inner], ref[inner], atol=1e-4)


def test_compose_applies_first_motion_first():
    a, b = jaxaug.shift_matrix(1.0, 2.0), jaxaug.rotation_matrix(90.0)
    np.testing.assert_allclose(jaxaug.compose(a, b), np.asarray(a) @ np.asarray(b))
    point = np.array([0.0, 0.0, 1.0])  # input pixel at the origin: where does it land?
    landed = np.linalg.solve(np.asarray(jaxaug.compose(a, b)), point)
    # shifted to (1, 2), then rotated 90 degrees counter-clockwise about the origin -> (-2, 1)
    np.testing.assert_allclose(landed[:2], [-2.0, 1.0], atol=1e-6)


def test_exact_trig_at_quarter_turns():
    for k in range(-4, 5):
        m = np.asarray(jaxaug.rotation_matrix(90.0 * k))
        assert set(np.unique(m[:2, :2])) <= {-1.0, 0.0, 1.0}


@given(angle=st.floats(-720, 720), dy=st.floats(-50, 50), dx=st.floats(-50, 50))
def test_builders_invert_and_agree_with_numpy(angle, dy, dx):
    r = np.asarray(jaxaug.rotation_matrix(angle), np.float64)
    t = np.deg2rad(angle)
    np.testing.assert_allclose(r[:2, :2], [[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]], atol=1e-5)
    m = np.asarray(jaxaug.compose(jaxaug.rotation_matrix(angle), jaxaug.shift_matrix(dy, dx)), np.float64)
    back = np.asarray(jaxaug.compose(jaxaug.shift_matrix(-dy, -dx), jaxaug.rotation_matrix(-angle)), np.float64)
    np.testing.assert_allclose(m @ back, np.eye(3), atol=1e-4)


def test_random_affine_with_zero_ranges_is_identity():
    for key in (jax.random.key(0), jax.random.PRNGKey(3)):
        m = jax.jit(lambda k: jaxaug.random_affine_matrix(k, (32, 32)))(key)
        np.testing.assert_array_equal(m, np.eye(3, dtype=np.float32))


def draw(n=4000, shape=(32, 32), **kw):
    keys = jax.random.split(jax.random.key(42), n)
    return np.asarray(jax.vmap(lambda k: jaxaug.random_affine_matrix(k, shape, **kw))(keys), np.float64)


def decompose_rotation_shift(ms, shape):
    """Angle (degrees) and content shift (dy, dx) of centred rotation+shift matrices."""
    h, w = shape
    c = np.array([h / 2 - 0.5, w / 2 - 0.5])
    a = ms[:, :2, :2]
    angle = np.rad2deg(np.arctan2(a[:, 0, 1], a[:, 0, 0]))
    # m = C R S C^-1: translation = c - R c - R d
    rest = ms[:, :2, 2] - c + np.einsum("nij,j->ni", a, c)
    d = -np.linalg.solve(a, rest[..., None])[..., 0]
    return angle, d[:, 0], d[:, 1]


def test_rotation_and_shifts_are_uniform_and_independent():
    ms = draw(rotation_range=25.0, width_shift_range=0.2, height_shift_range=0.1, shape=(40, 30))
    angle, dy, dx = decompose_rotation_shift(ms, (40, 30))
    assert stats.kstest(angle, stats.uniform(-25, 50).cdf).pvalue > 1e-3
    assert stats.kstest(dy, stats.uniform(-4, 8).cdf).pvalue > 1e-3  # 0.1 * H = 4 px
    assert stats.kstest(dx, stats.uniform(-6, 12).cdf).pvalue > 1e-3  # 0.2 * W = 6 px
    corr = np.corrcoef([angle, dy, dx])
    assert np.abs(corr[np.triu_indices(3, 1)]).max() < 0.08  # a reused key would give |r| ~ 1


def test_zoom_factors_are_independent_and_uniform():
    ms = draw(zoom_range=0.3)
    zy, zx = ms[:, 0, 0], ms[:, 1, 1]
    for z in (zy, zx):
        assert stats.kstest(z, stats.uniform(0.7, 0.6).cdf).pvalue > 1e-3
    assert abs(np.corrcoef(zy, zx)[0, 1]) < 0.08
    ms = draw(zoom_range=[0.5, 0.8])
    assert stats.kstest(ms[:, 0, 0], stats.uniform(0.5, 0.3).cdf).pvalue > 1e-3


def test_shear_is_uniform():
    ms = draw(shear_range=30.0)
    shear = np.rad2deg(np.arcsin(-ms[:, 1, 0]))
    assert stats.kstest(shear, stats.uniform(-30, 60).cdf).pvalue > 1e-3


def test_flips_are_fair_coins_and_independent():
    ms = draw(horizontal_flip=True, vertical_flip=True)
    h, v = ms[:, 1, 1] < 0, ms[:, 0, 0] < 0
    for flip in (h, v):
        assert abs(flip.mean() - 0.5) < 0.04
    assert abs(np.corrcoef(h, v)[0, 1]) < 0.08


def test_integer_and_sequence_shifts_follow_keras_choice():
    _, dy, _ = decompose_rotation_shift(draw(height_shift_range=3), (32, 32))
    values, counts = np.unique(np.round(dy, 4), return_counts=True)
    np.testing.assert_array_equal(values, [-2, -1, 0, 1, 2])
    # Keras: choice(range(3)) * random sign, so P(0) = 1/3 and P(+-k) = 1/6.
    np.testing.assert_allclose(counts / counts.sum(), [1 / 6, 1 / 6, 1 / 3, 1 / 6, 1 / 6], atol=0.03)
    _, _, dx = decompose_rotation_shift(draw(width_shift_range=[0.25, 0.5]), (32, 32))
    np.testing.assert_array_equal(np.unique(np.round(dx, 4)), [-16, -8, 8, 16])
    _, _, dx = decompose_rotation_shift(draw(width_shift_range=2.5), (32, 32))
    assert dx.min() >= -2.5 and dx.max() <= 2.5 and np.abs(dx).max() > 2.4  # pixels, not a fraction


def test_vmap_gives_one_matrix_per_key_and_jit_agrees():
    keys = jax.random.split(jax.random.key(1), 5)
    f = lambda k: jaxaug.random_affine_matrix(k, (8, 8), rotation_range=90)  # noqa: E731
    ms = jax.vmap(f)(keys)
    assert ms.shape == (5, 3, 3) and len({float(m[0, 1]) for m in ms}) == 5
    # Compiled, XLA may fuse the 3x3 products' multiply-adds into FMAs: 1-ulp differences.
    np.testing.assert_allclose(jax.jit(jax.vmap(f))(keys), ms, rtol=0, atol=2e-6)
    np.testing.assert_array_equal(f(keys[2]), ms[2])
    # Within compiled code an image's matrix does not depend on how many are computed with it.
    np.testing.assert_array_equal(jax.jit(jax.vmap(f))(keys)[:2], jax.jit(jax.vmap(f))(keys[:2]))


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(rotation_range=-1.0), ValueError, ["rotation_range", "-1.0"]),
        (dict(shear_range=float("nan")), ValueError, ["shear_range"]),
        (dict(width_shift_range=-0.1), ValueError, ["width_shift_range", "-0.1"]),
        (dict(height_shift_range=-2), ValueError, ["height_shift_range", "-2"]),
        (dict(height_shift_range=[]), ValueError, ["height_shift_range", "[]"]),
        (dict(width_shift_range=True), TypeError, ["width_shift_range", "True"]),
        (dict(zoom_range=1.5), ValueError, ["zoom_range", "1.5"]),
        (dict(zoom_range=[1.2, 0.8]), ValueError, ["zoom_range", "[1.2, 0.8]"]),
        (dict(zoom_range=[0.5, 1.0, 2.0]), ValueError, ["zoom_range"]),
        (dict(rotation_range="10"), TypeError, ["rotation_range", "'10'"]),
        (dict(horizontal_flip=1), TypeError, ["horizontal_flip", "1"]),
    ],
)
def test_random_affine_bad_options(kwargs, error, words):
    with pytest.raises(error) as info:
        jaxaug.random_affine_matrix(jax.random.key(0), (8, 8), **kwargs)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("key", [0, np.zeros(3, np.uint32), jax.random.split(jax.random.key(0), 2), "seed"])
def test_random_affine_rejects_non_keys(key):
    with pytest.raises(TypeError, match="key must be a single jax.random key"):
        jaxaug.random_affine_matrix(key, (8, 8))


@pytest.mark.parametrize("shape", [(8,), (0, 8), (8, 8, 3, 1), "8x8"])
def test_bad_shapes(shape):
    with pytest.raises((TypeError, ValueError), match="shape"):
        jaxaug.random_affine_matrix(jax.random.key(0), shape)


def test_traced_range_is_rejected_with_a_clear_message():
    with pytest.raises(TypeError, match="rotation_range must be a static real number"):
        jax.jit(lambda r: jaxaug.random_affine_matrix(jax.random.key(0), (8, 8), rotation_range=r))(10.0)


def test_compose_needs_a_matrix():
    with pytest.raises(ValueError, match="compose"):
        jaxaug.compose()
    with pytest.raises(ValueError, match=r"matrices\[1\].shape=\(2, 3\)"):
        jaxaug.compose(np.eye(3), np.zeros((2, 3)))


def test_matrix_is_differentiable_in_its_parameters():
    g = jax.grad(lambda a: jaxaug.affine_matrix((9, 9), rotation=a, zoom=(a / 30, 1.0)).sum())(30.0)
    assert np.isfinite(g)
    assert jnp.asarray(jaxaug.affine_matrix((9, 9), rotation=30.0)).dtype == jnp.float32


def test_switching_an_option_does_not_change_other_draws():
    keys = jax.random.split(jax.random.key(9), 50)
    alone = draw_with(keys, rotation_range=30.0)
    with_shift = draw_with(keys, rotation_range=30.0, width_shift_range=0.1, height_shift_range=2)
    a1, _, _ = decompose_rotation_shift(alone, (32, 32))
    a2, _, _ = decompose_rotation_shift(with_shift, (32, 32))
    np.testing.assert_allclose(a1, a2, atol=1e-4)


def draw_with(keys, **kw):
    return np.asarray(jax.vmap(lambda k: jaxaug.random_affine_matrix(k, (32, 32), **kw))(keys), np.float64)
