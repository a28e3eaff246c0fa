import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

from jaxaug import mixing

BOX = ("top", "left", "height", "width")
SHAPE = (6, 7, 5, 3)  # for the deterministic twins
# The random ops are run eagerly on one batch shape: jax.random.beta takes seconds to compile,
# and eager calls reuse its compiled code for every alpha and key as long as the shape stays.
BIG = (1000, 5, 4, 3)


def batch(shape=SHAPE, seed=0, dtype=np.float32):
    x = np.random.default_rng(seed).random(shape)
    return (x * 255).astype(dtype) if dtype == np.uint8 else x.astype(dtype)


def soft_labels(n, k, seed=0):
    return np.random.default_rng(seed).dirichlet(np.ones(k), n).astype(np.float32)


def numpy_mix(x, y, partner, lam):
    x = np.asarray(x, np.float64)
    lam = np.broadcast_to(lam, (len(x),)).astype(np.float64)
    w = lam[:, None, None, None]
    return w * x + (1 - w) * x[partner], lam[:, None] * y + (1 - lam[:, None]) * y[partner]


def numpy_paste(x, y, partner, top, left, height, width):
    """Reference: slice assignment with each box clipped by hand; weights from the clipped size."""
    n, h, w, _ = x.shape
    out, labels = np.array(x), np.array(y, np.float64)
    for i in range(n):
        r0, r1 = np.clip([top[i], top[i] + max(height[i], 0)], 0, h)
        c0, c1 = np.clip([left[i], left[i] + max(width[i], 0)], 0, w)
        out[i, r0:r1, c0:c1] = x[partner[i], r0:r1, c0:c1]
        a = (r1 - r0) * (c1 - c0) / (h * w)
        labels[i] = (1 - a) * y[i] + a * y[partner[i]]
    return out, labels


def restore(out, dtype):
    return np.clip(np.round(out), 0, 255).astype(np.uint8) if dtype == np.uint8 else out.astype(dtype)


def call(variant, fn, *args, **kw):
    return fn(*args, **kw) if variant == "eager" else jax.jit(lambda *a: fn(*a, **kw))(*args)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("variant", ["eager", "jit"])
def test_mix_matches_numpy(dtype, variant):
    x = batch(dtype=dtype)
    classes = np.array([0, 3, 1, 1, 2, 3])
    partner = np.array([5, 0, 2, 4, 1, 3], np.int32)
    lam = np.array([0.0, 0.25, 0.5, 0.9, 1.0, 0.6], np.float32)
    out, labels = call(variant, mixing.mix, x, classes, partner, lam, num_classes=4)
    ref_x, ref_y = numpy_mix(x, np.eye(4)[classes], partner, lam)
    assert out.dtype == x.dtype and labels.dtype == jnp.float32 and labels.shape == (6, 4)
    if dtype == np.uint8:
        assert np.abs(np.asarray(out, float) - ref_x).max() <= 0.5 + 1e-4
    else:
        np.testing.assert_allclose(out, ref_x, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(labels, ref_y, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.uint8, jnp.bfloat16, np.float32])
@pytest.mark.parametrize("variant", ["eager", "jit"])
def test_paste_matches_numpy(dtype, variant):
    x = batch(dtype=dtype)
    y = soft_labels(6, 5)
    partner = np.array([1, 2, 0, 3, 5, 4], np.int32)
    # inside, sticking out on every side, empty, negative size, covering everything
    boxes = np.array([[1, 2, 3, 2], [-2, 4, 4, 5], [5, -3, 4, 4], [0, 0, 0, 3], [2, 2, -1, 3], [-1, -1, 9, 9]],
                     np.int32)
    params = dict(zip(BOX, boxes.T, strict=True))
    out, labels = call(variant, mixing.paste, x, y, partner, **params)
    ref_x, ref_y = numpy_paste(x, y, partner, *boxes.T)
    assert out.dtype == x.dtype
    np.testing.assert_array_equal(np.asarray(out), ref_x)
    np.testing.assert_allclose(labels, ref_y, atol=1e-6)


def test_lam_one_and_empty_boxes_are_identities():
    x, y = batch(dtype=np.uint8), soft_labels(6, 4)
    partner = np.array([1, 2, 3, 4, 5, 0], np.int32)
    out, labels = mixing.mix(x, y, partner, np.ones(6, np.float32))
    np.testing.assert_array_equal(np.asarray(out), x)
    np.testing.assert_array_equal(np.asarray(labels), y)
    zero = np.zeros(6, np.int32)
    out, labels = mixing.paste(x, y, partner, zero + 2, zero + 1, zero, zero + 3)
    np.testing.assert_array_equal(np.asarray(out), x)
    np.testing.assert_array_equal(np.asarray(labels), y)
    # Pasting an image into itself changes nothing either, whatever the box.
    out, labels = mixing.paste(x, y, np.arange(6, dtype=np.int32), zero, zero, zero + 9, zero + 9)
    np.testing.assert_array_equal(np.asarray(out), x)
    np.testing.assert_allclose(labels, y, atol=1e-7)


def test_scalar_lam_is_shared_and_may_be_traced():
    x, y = batch(), soft_labels(6, 3)
    partner = np.array([1, 0, 3, 2, 5, 4], np.int32)
    out, labels = jax.jit(lambda lam: mixing.mix(x, y, partner, lam))(0.3)
    ref_x, ref_y = numpy_mix(x, y, partner, 0.3)
    np.testing.assert_allclose(out, ref_x, atol=1e-6)
    np.testing.assert_allclose(labels, ref_y, atol=1e-6)


@given(seed=st.integers(0, 2**31 - 1), alpha=st.floats(0.05, 5.0), op=st.sampled_from(["mixup", "cutmix"]),
       integer_labels=st.booleans())
def test_label_mass_is_one_and_images_come_from_the_pair(seed, alpha, op, integer_labels):
    n = BIG[0]
    x = batch(BIG, seed=seed % 100)
    labels = np.arange(n) % 4 if integer_labels else soft_labels(n, 4, seed % 100)
    key = jax.random.key(seed)
    out, mixed = getattr(mixing, op)(key, x, labels, alpha=alpha, num_classes=4)
    mixed = np.asarray(mixed)
    assert mixed.shape == (n, 4) and (mixed >= -1e-6).all()
    np.testing.assert_allclose(mixed.sum(1), 1.0, atol=1e-5)
    onehot = np.eye(4)[labels] if integer_labels else labels
    if op == "mixup":
        p = mixing.sample_mixup(key, x.shape, alpha=alpha)
        partner, lam = np.asarray(p["partner"]), np.asarray(p["lam"])
        assert ((lam >= 0) & (lam <= 1)).all()
        ref_x, ref_y = numpy_mix(x, onehot, partner, lam)
        np.testing.assert_allclose(out, ref_x, atol=1e-5)
    else:
        p = {k: np.asarray(v) for k, v in mixing.sample_cutmix(key, x.shape, alpha=alpha).items()}
        ref_x, ref_y = numpy_paste(x, onehot, p["partner"], *(p[k] for k in BOX))
        np.testing.assert_array_equal(np.asarray(out), ref_x)
    np.testing.assert_allclose(mixed, ref_y, atol=1e-5)


def test_cutmix_label_weight_is_the_pasted_pixel_fraction():
    # Image i is filled with the value i, so counting pixels shows what was pasted.
    n, h, w, _ = BIG
    x = np.broadcast_to(np.arange(n, dtype=np.float32)[:, None, None, None], BIG)
    out, labels = mixing.cutmix(jax.random.key(1), x, np.arange(n), alpha=0.7, num_classes=n)
    out, labels = np.asarray(out), np.asarray(labels)
    others = np.where(np.eye(n, dtype=bool), 0.0, labels)
    mixed = others.max(1) > 0
    partner = np.where(mixed, others.argmax(1), np.arange(n))
    pasted = (out != np.arange(n)[:, None, None, None]).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(pasted[mixed], labels[mixed, partner[mixed]], atol=1e-6)
    np.testing.assert_array_equal(pasted[~mixed], 0.0)
    from_partner = (out == np.arange(n)[:, None, None, None]) | (out == partner[:, None, None, None])
    assert from_partner.all()
    assert mixed.mean() > 0.5 and (pasted[mixed] > 0).mean() > 0.5, "too little was pasted for this to be a test"


def test_sample_mixup_lam_is_beta_per_example_and_partner_a_shuffle():
    for alpha in (0.2, 1.0, 3.0):
        p = mixing.sample_mixup(jax.random.key(int(alpha * 10)), BIG, alpha=alpha)
        lam, partner = np.asarray(p["lam"]), np.asarray(p["partner"])
        assert scipy.stats.kstest(lam, scipy.stats.beta(alpha, alpha).cdf).pvalue > 1e-4, alpha
        np.testing.assert_array_equal(np.sort(partner), np.arange(BIG[0]))
        # A uniform shuffle: no trend, about one fixed point (Poisson(1)).
        assert abs(scipy.stats.spearmanr(partner, np.arange(BIG[0])).statistic) < 0.15
        assert (partner == np.arange(BIG[0])).sum() < 8
        # lam and partner come from different keys, and each example has its own lam.
        assert abs(scipy.stats.spearmanr(lam, partner).statistic) < 0.15
        assert abs(scipy.stats.spearmanr(lam[:-1], lam[1:]).statistic) < 0.15


def test_sample_cutmix_box_size_follows_beta_and_centre_is_uniform():
    # Sampling only needs the shape: a huge image makes the pixel rounding negligible.
    side = 2**20
    alpha = 0.5
    p = mixing.sample_cutmix(jax.random.key(3), (BIG[0], side, side, 3), alpha=alpha)
    p = {k: np.asarray(v) for k, v in p.items()}
    lam_h = 1 - (p["height"] / side) ** 2
    assert scipy.stats.kstest(lam_h, scipy.stats.beta(alpha, alpha).cdf).pvalue > 1e-4
    np.testing.assert_array_equal(p["height"], p["width"])  # square image: same side ratio
    centre_row = (p["top"] + p["height"] // 2 + 0.5) / side
    centre_col = (p["left"] + p["width"] // 2 + 0.5) / side
    assert scipy.stats.kstest(centre_row, "uniform").pvalue > 1e-4
    assert scipy.stats.kstest(centre_col, "uniform").pvalue > 1e-4
    # Box size, row, column and partner come from different keys.
    for a, b in ((lam_h, centre_row), (lam_h, centre_col), (centre_row, centre_col), (lam_h, p["partner"])):
        assert abs(scipy.stats.spearmanr(a, b).statistic) < 0.15


def test_sample_cutmix_covers_every_centre_pixel_of_a_small_image():
    _, h, w, _ = BIG
    p = {k: np.asarray(v) for k, v in mixing.sample_cutmix(jax.random.key(4), BIG).items()}
    rows, cols = p["top"] + p["height"] // 2, p["left"] + p["width"] // 2
    assert scipy.stats.chisquare(np.bincount(rows, minlength=h)).pvalue > 1e-4
    assert scipy.stats.chisquare(np.bincount(cols, minlength=w)).pvalue > 1e-4
    # height = floor(H * s) and width = floor(W * s) for one side ratio s in [0, 1].
    assert ((p["height"] >= 0) & (p["height"] <= h) & (p["width"] >= 0) & (p["width"] <= w)).all()
    assert (np.maximum(p["height"] / h, p["width"] / w) < np.minimum((p["height"] + 1) / h, (p["width"] + 1) / w)).all()


def test_jit_matches_eager_and_keeps_dtype():
    x, classes = batch(BIG, dtype=np.uint8), np.arange(BIG[0]) % 3
    key = jax.random.key(7)
    ops = (mixing.mixup, mixing.cutmix)
    eager = [op(key, x, classes, num_classes=3) for op in ops]
    jitted = jax.jit(lambda k, a, b: [op(k, a, b, num_classes=3) for op in ops])(key, x, classes)
    for (e_x, e_y), (j_x, j_y) in zip(eager, jitted, strict=True):
        assert e_x.dtype == j_x.dtype == np.uint8
        np.testing.assert_array_equal(np.asarray(e_x), np.asarray(j_x))
        np.testing.assert_allclose(e_y, j_y, atol=1e-6)


K = jax.random.key(0)
X = np.zeros(SHAPE, np.float32)
Y = np.zeros((6, 4), np.float32)
P = np.arange(6, dtype=np.int32)
Z = np.zeros(6, np.int32)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: mixing.mixup(K, X, Y, alpha=0.0), ValueError, ["alpha", "0.0"]),
        (lambda: mixing.cutmix(K, X, Y, alpha=-1.0), ValueError, ["alpha", "-1.0"]),
        (lambda: mixing.sample_mixup(K, SHAPE, alpha=0), ValueError, ["alpha", "0"]),
        (lambda: mixing.sample_cutmix(K, SHAPE, alpha=float("nan")), ValueError, ["alpha", "nan"]),
        (lambda: mixing.mixup(K, X, Y[:5]), ValueError, ["labels", "(5, 4)", "(6, 7, 5, 3)"]),
        (lambda: mixing.cutmix(K, X, np.arange(5), num_classes=4), ValueError, ["labels", "(5,)"]),
        (lambda: mixing.mixup(K, X, np.arange(6)), ValueError, ["num_classes", "None"]),
        (lambda: mixing.mixup(K, X, np.zeros(6, np.float32), num_classes=4), TypeError, ["labels", "float32"]),
        (lambda: mixing.mixup(K, X, Y, num_classes=3), ValueError, ["num_classes", "3"]),
        (lambda: mixing.mixup(K, X, np.arange(6), num_classes=0), ValueError, ["num_classes", "0"]),
        (lambda: mixing.mixup(K, X[0], Y), ValueError, ["images", "(7, 5, 3)"]),
        (lambda: mixing.mixup(K, X.astype(np.int32), Y), TypeError, ["images", "int32"]),
        (lambda: mixing.mixup(jax.random.split(K), X, Y), TypeError, ["key"]),
        (lambda: mixing.mix(X, Y, P[:5], np.ones(6)), ValueError, ["partner", "(5,)"]),
        (lambda: mixing.mix(X, Y, P.astype(np.float32), np.ones(6)), TypeError, ["partner", "float32"]),
        (lambda: mixing.mix(X, Y, P, np.ones(5)), ValueError, ["lam", "(5,)"]),
        (lambda: mixing.paste(X, Y, P, Z, Z, Z[:5], Z), ValueError, ["height", "(5,)"]),
        (lambda: mixing.paste(X, Y, P, Z, Z + 0.5, Z, Z), TypeError, ["left", "float"]),
        (lambda: mixing.sample_cutmix(K, (7, 5, 3)), ValueError, ["shape", "(7, 5, 3)"]),
    ],
)
def test_bad_input_names_argument_and_value(call, error, words):
    with pytest.raises(error, match=words[0]) as info:
        call()
    for word in words:
        assert word in str(info.value)
