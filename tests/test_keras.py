"""jaxaug.keras.ImageDataGenerator against Keras' own legacy ImageDataGenerator (JAX backend)."""

import os
import re
import threading
import warnings

import jax
import numpy as np
import pytest
from _unwritable import deny_os_open
from PIL import Image
from scipy import stats

from jaxaug.keras import ImageDataGenerator

K = pytest.importorskip("keras.src.legacy.preprocessing.image")

RNG = np.random.default_rng(0)
UNIT = RNG.random((16, 16, 3)).astype(np.float32)  # the parity tests: float32 images in [0, 1]
SQUARE = UNIT * 255


def keras_apply(x, params, data_format="channels_last", **options):
    gen = K.ImageDataGenerator(data_format=data_format, **options)
    return gen.apply_transform(x.copy(), params)


GEOMETRY = [
    dict(theta=23.0),
    dict(tx=1.5, ty=-2.0),
    dict(shear=11.0),
    dict(zx=0.85, zy=1.2),
    dict(theta=-17.0, tx=2.0, ty=1.0, shear=8.0, zx=1.1, zy=0.9),
    dict(flip_horizontal=True, theta=10.0),
    dict(flip_vertical=True, tx=3.0),
    dict(channel_shift_intensity=0.15),
    dict(channel_shift_intensity=-0.12, theta=5.0),
]


@pytest.mark.parametrize("params", GEOMETRY)
@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "reflect"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_apply_transform_matches_keras(params, fill_mode, data_format):
    x = UNIT if data_format == "channels_last" else np.moveaxis(UNIT, -1, 0)
    options = dict(fill_mode=fill_mode, cval=0.3, data_format=data_format)
    ours = ImageDataGenerator(**options).apply_transform(x, params)
    ref = keras_apply(x, params, **options)
    assert ours.shape == x.shape and ours.dtype == np.float32
    np.testing.assert_allclose(ours, ref, atol=1e-4, rtol=1e-6)


@pytest.mark.parametrize("order", [0, 1])
def test_interpolation_order_matches_keras(order):
    params = dict(theta=31.0, zx=0.8, zy=1.15)
    ours = ImageDataGenerator(interpolation_order=order).apply_transform(UNIT, params)
    np.testing.assert_allclose(ours, keras_apply(UNIT, params, interpolation_order=order), atol=1e-4)


def test_non_square_images_turn_about_their_true_centre_unlike_keras():
    x = np.zeros((9, 13, 1), np.float32)
    x[4, 6] = 255.0  # the true centre pixel of a 9 x 13 image
    ours = ImageDataGenerator(fill_mode="constant").apply_transform(x, {"theta": 90.0})
    ref = keras_apply(x, {"theta": 90.0}, fill_mode="constant")
    assert ours[4, 6, 0] == pytest.approx(255.0, abs=1e-3)
    assert ref[4, 6, 0] < 1.0  # Keras centres on a transposed (6, 4)
    # Pure translations do not depend on the centre: there Keras and jaxaug agree.
    shift = {"tx": 2.0, "ty": -1.0}
    np.testing.assert_allclose(ImageDataGenerator().apply_transform(x, shift), keras_apply(x, shift), atol=1e-4)


def test_brightness_scales_without_keras_uint8_rounding():
    full = np.round(SQUARE).astype(np.float32)
    full[0, 0], full[0, 1] = 0.0, 255.0  # min 0, max 255: Keras' stretch is then the identity
    ours = ImageDataGenerator().apply_transform(full, {"brightness": 0.7})
    np.testing.assert_allclose(ours, full * 0.7, atol=1e-4)
    # Keras rounds through uint8 (PIL); on a full-range integer image that is all it changes.
    assert np.abs(ours - keras_apply(full, {"brightness": 0.7})).max() <= 1.0
    # On images in [0, 1] Keras' uint8 rounding leaves only 0 and 1; jaxaug scales them.
    assert len(np.unique(keras_apply(UNIT, {"brightness": 1.2}))) <= 2
    np.testing.assert_allclose(ImageDataGenerator().apply_transform(UNIT, {"brightness": 1.2}), UNIT * 1.2, atol=1e-6)


def test_width_shift_moves_columns_and_height_shift_rows_unlike_keras():
    shape = (20, 40, 3)
    ours = ImageDataGenerator(width_shift_range=0.25, seed=0)
    draws = [ours.get_random_transform(shape) for _ in range(200)]
    tx, ty = np.array([d["tx"] for d in draws]), np.array([d["ty"] for d in draws])
    assert np.all(ty == 0) and np.abs(tx).max() <= 0.25 * 40 and np.abs(tx).max() > 0.2 * 40
    np.random.seed(0)
    keras = [K.ImageDataGenerator(width_shift_range=0.25).get_random_transform(shape) for _ in range(200)]
    # Keras draws ty (its row offset) from width_shift_range * W: the picture moves vertically.
    assert all(d["tx"] == 0 for d in keras) and max(abs(d["ty"]) for d in keras) > 0.2 * 40


DISTRIBUTION_OPTIONS = dict(rotation_range=25, width_shift_range=0.15, height_shift_range=0.15, shear_range=12,
                            zoom_range=[0.7, 1.2], channel_shift_range=30.0, brightness_range=(0.6, 1.3),
                            horizontal_flip=True, vertical_flip=True)


def test_get_random_transform_draws_from_keras_distributions():
    shape, n = (24, 24, 3), 600
    ours = ImageDataGenerator(**DISTRIBUTION_OPTIONS, seed=3)
    mine = [ours.get_random_transform(shape) for _ in range(n)]
    np.random.seed(3)
    gen = K.ImageDataGenerator(**DISTRIBUTION_OPTIONS)
    theirs = [gen.get_random_transform(shape) for _ in range(n)]
    for name in ("theta", "tx", "ty", "shear", "zx", "zy", "channel_shift_intensity", "brightness"):
        a, b = np.array([d[name] for d in mine], float), np.array([d[name] for d in theirs], float)
        assert stats.ks_2samp(a, b).pvalue > 1e-3, name
    for name in ("flip_horizontal", "flip_vertical"):
        assert abs(np.mean([d[name] for d in mine]) - 0.5) < 0.08
    # Independent parameters: no two drawn from the same number.
    table = np.array([[d[k] for k in ("theta", "tx", "ty", "shear", "zx", "zy")] for d in mine], float)
    assert np.abs(np.corrcoef(table.T) - np.eye(6)).max() < 0.15


def test_seeded_draws_are_reproducible_and_unseeded_ones_advance():
    gen = ImageDataGenerator(rotation_range=30, seed=1)
    assert gen.get_random_transform((8, 8, 3), seed=5) == gen.get_random_transform((8, 8, 3), seed=5)
    assert gen.get_random_transform((8, 8, 3))["theta"] != gen.get_random_transform((8, 8, 3))["theta"]
    runs = [[ImageDataGenerator(rotation_range=30, seed=1).get_random_transform((8, 8, 3))["theta"]]
            for _ in range(2)]
    gen_a, gen_b = ImageDataGenerator(rotation_range=30, seed=1), ImageDataGenerator(rotation_range=30, seed=1)
    seq_a = [gen_a.get_random_transform((8, 8, 3))["theta"] for _ in range(3)]
    seq_b = [gen_b.get_random_transform((8, 8, 3))["theta"] for _ in range(3)]
    assert seq_a == seq_b and len(set(seq_a)) == 3 and runs[0] == runs[1] == seq_a[:1]


def test_random_transform_is_apply_of_get():
    gen = ImageDataGenerator(rotation_range=30, zoom_range=0.2, channel_shift_range=20.0, seed=2)
    out = gen.random_transform(SQUARE, seed=9)
    np.testing.assert_array_equal(out, gen.apply_transform(SQUARE, gen.get_random_transform(SQUARE.shape, seed=9)))


NORMALISATION = [
    dict(featurewise_center=True),
    dict(featurewise_center=True, featurewise_std_normalization=True),
    dict(samplewise_center=True, samplewise_std_normalization=True),
    dict(zca_whitening=True),
    dict(rescale=1 / 255.0, featurewise_center=True, featurewise_std_normalization=True),
]


@pytest.mark.parametrize("options", NORMALISATION)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_fit_and_standardize_match_keras(options, data_format):
    x = RNG.random((40, 4, 5, 3)).astype(np.float32) * 255
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = (G(data_format=data_format, **options) for G in (ImageDataGenerator, K.ImageDataGenerator))
    ours.fit(x)
    theirs.fit(x)
    for name in ("mean", "std"):
        if getattr(theirs, name) is not None:
            np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-4, atol=1e-4)
    if options.get("zca_whitening"):
        np.testing.assert_allclose(ours.zca_whitening_matrix, theirs.zca_whitening_matrix, atol=2e-3)
    for image in x[:3]:
        np.testing.assert_allclose(ours.standardize(image), theirs.standardize(image.copy()), atol=1e-3, rtol=1e-4)


def test_featurewise_without_fit_raises_instead_of_skipping():
    gen = ImageDataGenerator(featurewise_center=True)
    with pytest.raises(ValueError, match="featurewise_center"):
        gen.standardize(SQUARE)


def test_normalisation_flags_resolve_with_keras_warnings():
    with pytest.warns(UserWarning, match="featurewise_std_normalization"):
        gen = ImageDataGenerator(zca_whitening=True, featurewise_std_normalization=True)
    assert gen.featurewise_center and not gen.featurewise_std_normalization


def test_preprocessing_function_runs_after_augmentation_and_before_rescale():
    seen = []

    def record(image):
        seen.append(image.copy())
        return image + 1.0

    gen = ImageDataGenerator(preprocessing_function=record, rescale=0.5, horizontal_flip=True, seed=0)
    out = gen.standardize(SQUARE)
    np.testing.assert_allclose(out, (SQUARE + 1.0) * 0.5, rtol=1e-6)
    batch = next(gen.flow(SQUARE[None], batch_size=1, shuffle=False))
    flipped = seen[-1]
    assert np.allclose(flipped, SQUARE) or np.allclose(flipped, SQUARE[:, ::-1])
    np.testing.assert_allclose(batch[0], (flipped + 1.0) * 0.5, rtol=1e-6)


# --- flow ----------------------------------------------------------------------------------------

X = RNG.integers(0, 256, (50, 12, 12, 3)).astype(np.uint8)
Y = np.arange(50) % 5
IDG = dict(rotation_range=20, width_shift_range=0.2, height_shift_range=0.2, zoom_range=0.2)


def collect(iterator, steps):
    return [next(iterator) for _ in range(steps)]


def test_flow_behaves_like_a_keras_iterator():
    it = ImageDataGenerator(**IDG).flow(X, Y, batch_size=16, seed=0)
    assert len(it) == 4 and it.n == 50
    sizes = [len(b[0]) for b in collect(it, 9)]
    assert sizes == [16, 16, 16, 2, 16, 16, 16, 2, 16]  # endless, the partial batch ends each epoch
    bx, by = it[1]
    assert bx.shape == (16, 12, 12, 3) and bx.dtype == np.float32 and isinstance(bx, np.ndarray)
    np.testing.assert_array_equal(it[1][0], bx)  # the same batch all epoch long
    it.on_epoch_end()
    assert not np.array_equal(it[1][1], by) or not np.array_equal(it[1][0], bx)  # reshuffled, redrawn


def test_same_seed_same_batches_other_seed_other_batches():
    a = collect(ImageDataGenerator(**IDG).flow(X, Y, batch_size=16, seed=4), 5)
    b = collect(ImageDataGenerator(**IDG).flow(X, Y, batch_size=16, seed=4), 5)
    c = collect(ImageDataGenerator(**IDG).flow(X, Y, batch_size=16, seed=5), 5)
    for (ax, ay), (bx, by) in zip(a, b, strict=True):
        np.testing.assert_array_equal(ax, bx)
        np.testing.assert_array_equal(ay, by)
    assert not np.array_equal(a[0][0], c[0][0])
    assert ImageDataGenerator().flow(X, seed=None).seed != ImageDataGenerator().flow(X, seed=None).seed


def test_unseeded_runs_follow_numpys_global_seed_like_keras():
    # keras.utils.set_random_seed(s) seeds numpy's global generator; Keras' IDG draws from it, so do we.
    keras = pytest.importorskip("keras")

    def run(seed, draw=np.random.seed):
        draw(seed)
        gen = ImageDataGenerator(**IDG)
        it = gen.flow(X, Y, batch_size=16)
        return it.seed, collect(it, 3), gen.get_random_transform((12, 12, 3))

    seed_a, a, ta = run(0)
    seed_b, b, tb = run(0)
    seed_k, k, tk = run(0, keras.utils.set_random_seed)
    seed_c, c, tc = run(1)
    assert seed_a == seed_b == seed_k != seed_c
    for (ax, ay), (bx, by), (kx, _) in zip(a, b, k, strict=True):
        np.testing.assert_array_equal(ax, bx)
        np.testing.assert_array_equal(ay, by)
        np.testing.assert_array_equal(ax, kx)
    assert ta == tb == tk and ta != tc
    assert not np.array_equal(a[0][0], c[0][0])
    # The seed drawn replays the run.
    np.testing.assert_array_equal(collect(ImageDataGenerator(**IDG).flow(X, Y, batch_size=16, seed=seed_a), 1)[0][0],
                                  a[0][0])


def test_the_generators_seed_is_the_default_seed_of_flow():
    a = collect(ImageDataGenerator(**IDG, seed=9).flow(X, batch_size=8), 2)
    b = collect(ImageDataGenerator(**IDG).flow(X, batch_size=8, seed=9), 2)
    np.testing.assert_array_equal(np.stack(a), np.stack(b))
    assert ImageDataGenerator(seed=9).flow(X).seed == 9 and ImageDataGenerator(seed=9).flow(X, seed=2).seed == 2


def test_float64_dtype_gives_float64_batches():
    batch = next(ImageDataGenerator(rotation_range=10, dtype="float64").flow(X, batch_size=4, seed=0))
    assert batch.dtype == np.float64
    np.testing.assert_array_equal(batch, next(ImageDataGenerator(rotation_range=10).flow(X, batch_size=4, seed=0)))


def test_an_examples_augmentation_does_not_depend_on_the_batch_size():
    small = np.concatenate(collect(ImageDataGenerator(**IDG).flow(X, batch_size=5, shuffle=False, seed=1), 10))
    large = np.concatenate(collect(ImageDataGenerator(**IDG).flow(X, batch_size=25, shuffle=False, seed=1), 2))
    np.testing.assert_allclose(small, large, atol=1e-4)


def test_batches_equal_apply_transform_of_their_parameters():
    gen = ImageDataGenerator(**IDG, channel_shift_range=20.0, brightness_range=(0.8, 1.2))
    it = gen.flow(X, batch_size=10, shuffle=False, seed=3)
    batch = it[0]
    key = jax.random.fold_in(jax.random.fold_in(jax.random.key(3), 0), 0)  # stream AUGMENT, epoch 0
    from jaxaug.keras import _compiled, _parameters

    for j in (0, 7):
        params = _parameters.to_keras(jax.tree.map(np.asarray, _compiled.sample_one(
            gen._augmenter.augmentation, jax.random.fold_in(key, j), X.shape[1:])))
        np.testing.assert_allclose(batch[j], gen.apply_transform(X[j], params), atol=1e-3)


def test_images_and_masks_from_two_generators_with_one_seed_stay_aligned():
    labels = np.zeros((8, 16, 16), np.uint8)
    labels[:, 4:12, 2:9], labels[:, 9:15, 8:14] = 1, 2
    images = np.eye(3, dtype=np.float32)[labels] * 255.0
    options = dict(rotation_range=30, width_shift_range=0.2, zoom_range=0.2, horizontal_flip=True)
    img = next(ImageDataGenerator(**options).flow(images, batch_size=8, seed=7))
    mask = next(ImageDataGenerator(**options, interpolation_order=0).flow(labels[..., None], batch_size=8, seed=7))
    agree = np.mean(img.argmax(-1) == mask[..., 0])
    assert agree > 0.95
    shuffled = next(ImageDataGenerator(**options, interpolation_order=0).flow(labels[..., None], batch_size=8, seed=8))
    assert np.mean(img.argmax(-1) == shuffled[..., 0]) < agree


def test_flow_without_augmentation_matches_keras_flow():
    x = X.astype(np.float32)
    options = dict(samplewise_center=True, rescale=1 / 255.0)
    ours = next(ImageDataGenerator(**options).flow(x, Y, batch_size=20, shuffle=False))
    theirs = next(K.ImageDataGenerator(**options).flow(x, Y, batch_size=20, shuffle=False))
    np.testing.assert_allclose(ours[0], theirs[0], atol=1e-5)
    np.testing.assert_array_equal(ours[1], theirs[1])


def test_flow_returns_misc_arrays_sample_weights_and_jax_arrays():
    w = np.linspace(0, 1, 50)
    bx, by, bw = next(ImageDataGenerator().flow(X, Y, sample_weight=w, batch_size=8, shuffle=False))
    np.testing.assert_array_equal(bw, w[:8])
    (images, extra), labels = next(ImageDataGenerator().flow((X, Y * 10), Y, batch_size=8, shuffle=False))
    np.testing.assert_array_equal(extra, Y[:8] * 10)
    on_device = next(ImageDataGenerator().flow(X, batch_size=8, as_jax=True))
    assert isinstance(on_device, jax.Array) and on_device.shape == (8, 12, 12, 3)


def test_validation_split_and_subset_follow_keras():
    gen = ImageDataGenerator(validation_split=0.2)
    train, val = gen.flow(X, Y, subset="training", shuffle=False), gen.flow(X, Y, subset="validation", shuffle=False)
    assert (train.n, val.n) == (40, 10)
    np.testing.assert_array_equal(val[0][1], Y[:10])
    with pytest.raises(ValueError, match="different classes"):
        gen.flow(X, np.sort(Y), subset="training")
    assert gen.flow(X, np.sort(Y), subset="training", ignore_class_split=True).n == 40
    with pytest.raises(ValueError, match="validation_split"):
        ImageDataGenerator().flow(X, Y, subset="training")
    with pytest.raises(ValueError, match="subset"):
        gen.flow(X, Y, subset="test")


def test_save_to_dir_writes_keras_named_files(tmp_path):
    it = ImageDataGenerator(rotation_range=10).flow(X, batch_size=6, shuffle=False, seed=0, save_to_dir=str(tmp_path),
                                                    save_prefix="aug", save_format="png")
    next(it)
    names = sorted(os.listdir(tmp_path))
    assert len(names) == 6 and all(re.fullmatch(r"aug_\d+_\d+\.png", n) for n in names)
    assert sorted(int(n.split("_")[1]) for n in names) == list(range(6))
    assert Image.open(tmp_path / names[0]).size == (12, 12)
    again = tmp_path / "again"
    again.mkdir()
    next(ImageDataGenerator(rotation_range=10).flow(X, batch_size=6, shuffle=False, seed=0, save_to_dir=str(again),
                                                    save_prefix="aug"))
    assert sorted(os.listdir(again)) == names  # deterministic names


def test_threads_crossing_epochs_never_lose_an_epochs_order():
    # Threads finishing one epoch and starting the next once replaced the cached order while
    # another thread read it (KeyError in 5 of 40 such runs); every batch must come back.
    x = np.random.default_rng(0).random((50, 8, 8, 3)).astype(np.float32) * 255
    errors = []
    for trial in range(20):
        it = ImageDataGenerator(rotation_range=10).flow(x, np.arange(50), batch_size=10, seed=trial)

        def work(it=it):
            try:
                for _ in range(12):
                    next(it)
            except Exception as err:  # collected, and reported by the assert below
                errors.append(repr(err))

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors


def test_iteration_is_thread_safe():
    it = ImageDataGenerator(**IDG).flow(X, Y, batch_size=10, seed=2)
    got, lock = [], threading.Lock()

    def work():
        for _ in range(5):
            batch = next(it)
            with lock:
                got.append(batch)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sequential = collect(ImageDataGenerator(**IDG).flow(X, Y, batch_size=10, seed=2), 20)
    key = lambda b: b[0].tobytes()  # noqa: E731
    assert sorted(map(key, got)) == sorted(map(key, sequential))


@pytest.mark.parametrize("make, match", [
    (lambda: ImageDataGenerator().flow(X[0]), "rank 4"),
    (lambda: ImageDataGenerator().flow(X, save_to_dir="/nonexistent/folder"), "save_to_dir does not exist"),
    (lambda: ImageDataGenerator().flow(X, Y[:3]), "same length"),
    (lambda: ImageDataGenerator(fill_mode="foo"), "fill_mode"),
    (lambda: ImageDataGenerator(interpolation_order=3), "interpolation_order"),
    (lambda: ImageDataGenerator(validation_split=1.0), "validation_split"),
    (lambda: ImageDataGenerator(data_format="channels_middle"), "data_format"),
    (lambda: ImageDataGenerator(zoom_range="big"), "zoom_range"),
    (lambda: ImageDataGenerator(brightness_range=0.5), "brightness_range"),
    (lambda: ImageDataGenerator(rotation_rang=10), "rotation_rang"),
    (lambda: ImageDataGenerator().flow(X, batch_size=0), "batch_size"),
    (lambda: ImageDataGenerator().apply_transform(SQUARE, {"thetta": 1.0}), "thetta"),
    (lambda: ImageDataGenerator().fit(X[0]), "rank 4"),
])
def test_bad_input_raises_naming_the_argument(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


NAN, INF = float("nan"), float("inf")
P = "Received: "  # every message ends with the argument and the value received


def _fitted(**options):
    gen = ImageDataGenerator(**options)
    gen.fit(X[:8])
    return gen


# (case, call, error, message): each was silent, or raised an error naming neither the argument nor the value.
BAD_CALLS = [
    # constructor: options are checked even while the option they tune is off
    ("zca_epsilon=-1", lambda: ImageDataGenerator(zca_epsilon=-1), ValueError, "zca_epsilon must be >= 0. " + P),
    ("zca_epsilon str", lambda: ImageDataGenerator(zca_epsilon="1e-6"), TypeError, P + "zca_epsilon='1e-6'"),
    ("zca_epsilon nan", lambda: ImageDataGenerator(zca_epsilon=NAN), ValueError, P + "zca_epsilon=nan"),
    ("flag str", lambda: ImageDataGenerator(horizontal_flip="no"), TypeError, P + "horizontal_flip='no'"),
    ("flag int", lambda: ImageDataGenerator(vertical_flip=2), TypeError, P + "vertical_flip=2"),
    ("flag None", lambda: ImageDataGenerator(samplewise_center=None), TypeError, P + "samplewise_center=None"),
    ("flag nan", lambda: ImageDataGenerator(zca_whitening=NAN), TypeError, P + "zca_whitening=nan"),
    ("flag array", lambda: ImageDataGenerator(featurewise_center=np.ones((2, 2))), TypeError,
     "featurewise_center must be a bool"),
    ("rotation bool", lambda: ImageDataGenerator(rotation_range=True), TypeError, P + "rotation_range=True"),
    ("shift bool", lambda: ImageDataGenerator(width_shift_range=False), TypeError, P + "width_shift_range=False"),
    ("rotation 1e39", lambda: ImageDataGenerator(rotation_range=1e39), ValueError, r"rotation_range=1e\+39"),
    # ranges whose draws cannot be finite in float32 (the width 2r of U(-r, r) overflows): inf angles, NaN images
    ("rotation 3e38", lambda: ImageDataGenerator(rotation_range=3e38), ValueError,
     "rotation_range .*not finite in float32.*" + P + r"rotation_range=3e\+38"),
    ("shear 3e38", lambda: ImageDataGenerator(shear_range=3e38), ValueError, P + r"shear_range=3e\+38"),
    ("width shift 3e38", lambda: ImageDataGenerator(width_shift_range=3e38), ValueError,
     P + r"width_shift_range=3e\+38"),
    ("height shift 2e38", lambda: ImageDataGenerator(height_shift_range=2e38), ValueError,
     P + r"height_shift_range=2e\+38"),
    ("channel shift 3e38", lambda: ImageDataGenerator(channel_shift_range=3e38), ValueError,
     r"channel_shift_range.*Received: .*3e\+38"),
    ("zoom strs", lambda: ImageDataGenerator(zoom_range=["0.8", "1.2"]), TypeError, P + "zoom_range='0.8'"),
    ("zoom 2-d", lambda: ImageDataGenerator(zoom_range=np.ones((2, 2))), ValueError, "zoom_range=<array"),
    ("zoom_range 3e38", lambda: ImageDataGenerator(zoom_range=(0.5, 3e38)), ValueError,  # NaN images before
     r"zoom factors <= 16777216.*" + P + r"zoom_range=\(0.5, 3e\+38\)"),
    ("cval str", lambda: ImageDataGenerator(cval="0"), TypeError, P + "cval='0'"),
    ("cval complex", lambda: ImageDataGenerator(cval=1j), TypeError, P + "cval=1j"),
    ("cval None", lambda: ImageDataGenerator(cval=None), TypeError, P + "cval=None"),
    ("cval 1e39", lambda: ImageDataGenerator(cval=1e39), ValueError, r"cval=1e\+39"),
    ("rescale list", lambda: ImageDataGenerator(rescale=[1, 2, 3]), TypeError, P + r"rescale=\[1, 2, 3\]"),
    ("rescale bool", lambda: ImageDataGenerator(rescale=True), TypeError, P + "rescale=True"),
    ("fill_mode array", lambda: ImageDataGenerator(fill_mode=np.ones((2, 2))), ValueError, "fill_mode=<array"),
    ("data_format array", lambda: ImageDataGenerator(data_format=np.ones(2)), ValueError, "data_format=<array"),
    ("interpolation_order bool", lambda: ImageDataGenerator(interpolation_order=True), ValueError,
     P + "interpolation_order=True"),
    ("dtype int", lambda: ImageDataGenerator(dtype="int8"), TypeError, P + "dtype='int8'"),
    ("dtype nonsense", lambda: ImageDataGenerator(dtype=""), TypeError, P + "dtype=''"),
    ("dtype bool", lambda: ImageDataGenerator(dtype=True), TypeError, P + "dtype=True"),
    ("seed 2**32", lambda: ImageDataGenerator(seed=2**32), ValueError, P + "seed=4294967296"),  # = seed 0 in jax
    ("seed str", lambda: ImageDataGenerator(seed="1"), TypeError, P + "seed='1'"),
    ("value_range scalar", lambda: ImageDataGenerator(value_range=255), ValueError, P + "value_range=255"),
    ("value_range str", lambda: ImageDataGenerator(value_range="ab"), ValueError, P + "value_range='ab'"),
    ("value_range strs", lambda: ImageDataGenerator(value_range=("0", "1")), TypeError, P + "value_range='0'"),
    ("value_range empty", lambda: ImageDataGenerator(value_range=(1, 1)), ValueError, "lo < hi. " + P),
    ("value_range nan", lambda: ImageDataGenerator(value_range=(0, NAN)), ValueError, P + "value_range=nan"),
    ("value_range array", lambda: ImageDataGenerator(value_range=np.ones((2, 2))), ValueError, "value_range=<array"),
    # flow
    ("flow complex", lambda: ImageDataGenerator().flow(X.astype(np.complex64)), TypeError,
     P + "x.dtype=complex64"),
    ("flow empty", lambda: ImageDataGenerator().flow(X[:0]), ValueError,
     "no examples.*" + P + r"x.shape=\(0, 12, 12, 3\)"),
    ("flow empty subset", lambda: ImageDataGenerator(validation_split=0.01).flow(X, subset="validation"), ValueError,
     "no examples in subset='validation'.*validation_split=0.01"),
    ("flow zero channels", lambda: ImageDataGenerator().flow(np.zeros((2, 4, 4, 0))), ValueError,
     P + r"x.shape=\(2, 4, 4, 0\)"),
    ("flow y scalar", lambda: ImageDataGenerator().flow(X, 3), TypeError, P + "y=3"),
    ("flow y string", lambda: ImageDataGenerator().flow(X[:6], "abcdef"), TypeError, P + "y='abcdef'"),
    ("flow weights scalar", lambda: ImageDataGenerator().flow(X, Y, sample_weight=1.0), TypeError,
     P + "sample_weight=1.0"),
    ("flow weights complex", lambda: ImageDataGenerator().flow(X, Y, sample_weight=Y + 1j), TypeError,
     P + "sample_weight.dtype=complex128"),
    ("flow weights nan", lambda: ImageDataGenerator().flow(X, Y, sample_weight=Y * NAN), ValueError,
     "sample_weight must be finite"),
    ("flow shuffle str", lambda: ImageDataGenerator().flow(X, shuffle="no"), TypeError, P + "shuffle='no'"),
    ("flow as_jax int", lambda: ImageDataGenerator().flow(X, as_jax=1), TypeError, P + "as_jax=1"),
    ("flow ignore_class_split None", lambda: ImageDataGenerator().flow(X, ignore_class_split=None), TypeError,
     P + "ignore_class_split=None"),
    ("flow seed 2**64", lambda: ImageDataGenerator().flow(X, seed=2**64), ValueError, P + "seed=18446744073709551616"),
    ("flow seed float", lambda: ImageDataGenerator().flow(X, seed=1.0), TypeError, P + "seed=1.0"),
    ("flow save_format", lambda: ImageDataGenerator().flow(X, save_format="xyz"), ValueError,
     P + "save_format='xyz'"),
    ("flow save_format None", lambda: ImageDataGenerator().flow(X, save_format=None), ValueError,
     P + "save_format=None"),
    ("flow save_prefix int", lambda: ImageDataGenerator().flow(X, save_prefix=3), ValueError, P + "save_prefix=3"),
    ("flow save_prefix path", lambda: ImageDataGenerator().flow(X, save_prefix="a/b"), ValueError,
     P + "save_prefix='a/b'"),
    ("flow save_to_dir file", lambda: ImageDataGenerator().flow(X, save_to_dir=__file__), ValueError,
     "save_to_dir must be a folder; it is a file"),
    ("flow save_to_dir int", lambda: ImageDataGenerator().flow(X, save_to_dir=3), TypeError, P + "save_to_dir=3"),
    ("flow subset array", lambda: ImageDataGenerator(validation_split=0.2).flow(X, subset=np.ones(2)), ValueError,
     "subset=<array"),
    ("flow float64 as_jax", lambda: ImageDataGenerator(dtype="float64").flow(X, as_jax=True), ValueError,
     P + "dtype=float64"),
    # fit and standardize
    ("fit complex", lambda: ImageDataGenerator(featurewise_center=True).fit(X.astype(np.complex64)), TypeError,
     P + "x.dtype=complex64"),
    ("fit strings", lambda: ImageDataGenerator(featurewise_center=True).fit(X.astype(str)), TypeError,
     P + "x.dtype=<U"),
    ("fit empty", lambda: ImageDataGenerator(featurewise_center=True).fit(X[:0]), ValueError,
     P + r"x.shape=\(0, 12, 12, 3\)"),
    ("fit augment str", lambda: ImageDataGenerator(featurewise_center=True).fit(X, augment="yes"), TypeError,
     P + "augment='yes'"),
    ("fit seed unused", lambda: ImageDataGenerator(featurewise_center=True).fit(X, seed=-1), ValueError,
     P + "seed=-1"),
    ("fit rounds huge", lambda: ImageDataGenerator(featurewise_center=True).fit(X, augment=True, rounds=10**9),
     ValueError, P + "rounds=1000000000"),
    ("standardize complex", lambda: ImageDataGenerator(samplewise_center=True).standardize(SQUARE + 1j), TypeError,
     P + "x.dtype=complex"),
    ("standardize rank 2", lambda: ImageDataGenerator(samplewise_center=True).standardize(SQUARE[0]), ValueError,
     P + r"x.shape=\(16, 3\)"),
    ("mean set to nan", lambda: setattr(g := _fitted(featurewise_center=True), "mean", g.mean * NAN)
     or g.standardize(SQUARE), ValueError, "mean must be finite"),
    ("mean set to str", lambda: setattr(g := _fitted(featurewise_center=True), "mean", "abc")
     or g.standardize(SQUARE), TypeError, P + "mean='abc'"),
    # single-image API: strings and bools are not numbers
    ("theta str", lambda: ImageDataGenerator().apply_transform(SQUARE, {"theta": "20"}), TypeError,
     P + r"transform_parameters\['theta'\]='20'"),
    ("theta bool", lambda: ImageDataGenerator().apply_transform(SQUARE, {"theta": True}), TypeError,
     P + r"transform_parameters\['theta'\]=True"),
    ("theta nan", lambda: ImageDataGenerator().apply_transform(SQUARE, {"theta": NAN}), ValueError,
     P + r"transform_parameters\['theta'\]=nan"),
    ("theta 1e39", lambda: ImageDataGenerator().apply_transform(SQUARE, {"theta": 1e39}), ValueError,
     r"transform_parameters\['theta'\]=1e\+39"),
    ("theta None", lambda: ImageDataGenerator().apply_transform(SQUARE, {"theta": None}), TypeError,
     P + r"transform_parameters\['theta'\]=None"),
    ("tx str", lambda: ImageDataGenerator().apply_transform(SQUARE, {"tx": "1"}), TypeError,
     P + r"transform_parameters\['tx'\]='1'"),
    ("zx list", lambda: ImageDataGenerator().apply_transform(SQUARE, {"zx": [1, 2]}), TypeError,
     P + r"transform_parameters\['zx'\]=\[1, 2\]"),
    ("zy inf", lambda: ImageDataGenerator().apply_transform(SQUARE, {"zy": INF}), ValueError,
     P + r"transform_parameters\['zy'\]=inf"),
    ("shear complex", lambda: ImageDataGenerator().apply_transform(SQUARE, {"shear": 1j}), TypeError,
     P + r"transform_parameters\['shear'\]=1j"),
    ("flip str", lambda: ImageDataGenerator().apply_transform(SQUARE, {"flip_horizontal": "no"}), TypeError,
     P + r"transform_parameters\['flip_horizontal'\]='no'"),
    ("flip 2", lambda: ImageDataGenerator().apply_transform(SQUARE, {"flip_vertical": 2}), TypeError,
     P + r"transform_parameters\['flip_vertical'\]=2"),
    ("brightness str", lambda: ImageDataGenerator().apply_transform(SQUARE, {"brightness": "1.2"}), TypeError,
     P + r"transform_parameters\['brightness'\]='1.2'"),
    ("channel shift nan", lambda: ImageDataGenerator().apply_transform(SQUARE, {"channel_shift_intensity": NAN}),
     ValueError, P + r"transform_parameters\['channel_shift_intensity'\]=nan"),
    # zoom factors are in (0, 2**24], brightness factors >= 0: 0, negatives and 3e38 ran (black, mirrored, NaN images)
    ("zoom 0", lambda: ImageDataGenerator().apply_transform(SQUARE, {"zx": 0}), ValueError,
     r"transform_parameters\['zx'\] must be a zoom factor in \(0, 16777216\].*"
     + P + r"transform_parameters\['zx'\]=0"),
    ("zoom negative", lambda: ImageDataGenerator().apply_transform(SQUARE, {"zy": -1.5}), ValueError,
     P + r"transform_parameters\['zy'\]=-1.5"),
    ("zoom 0 in float32", lambda: ImageDataGenerator().apply_transform(SQUARE, {"zx": 1e-46}), ValueError,
     P + r"transform_parameters\['zx'\]=1e-46"),
    ("zoom 3e38", lambda: ImageDataGenerator().apply_transform(SQUARE, {"zy": 3e38}), ValueError,
     P + r"transform_parameters\['zy'\]=3e\+38"),
    ("brightness negative", lambda: ImageDataGenerator().apply_transform(SQUARE, {"brightness": -1}), ValueError,
     r"transform_parameters\['brightness'\] must be a brightness factor >= 0.*"
     + P + r"transform_parameters\['brightness'\]=-1"),
    ("extra wrong type",
     lambda: ImageDataGenerator(gaussian_noise_sigma=0.1).apply_transform(SQUARE, {"gaussian_noise": 3}),
     ValueError, r"transform_parameters\['gaussian_noise'\] must be what get_random_transform gives.*"
                 r"seed: uint32\[2\], sigma: float32\[\]"),
    ("extra wrong keys", lambda: ImageDataGenerator(hsv_contrast_range=(0.5, 2)).apply_transform(
        SQUARE, {"hsv_contrast": {"x": 1.0}}), ValueError, r"transform_parameters\['hsv_contrast'\].*value_exponent"),
    ("extra nan", lambda: ImageDataGenerator(gaussian_noise_sigma=0.1).apply_transform(
        SQUARE, {"gaussian_noise": {"sigma": np.float32(NAN), "seed": np.zeros(2, np.uint32)}}), ValueError,
     r"transform_parameters\['gaussian_noise'\] must be finite"),
    ("apply complex image", lambda: ImageDataGenerator().apply_transform(SQUARE + 1j, {}), TypeError,
     P + "x.dtype=complex"),
    ("apply string image", lambda: ImageDataGenerator().apply_transform(SQUARE.astype(str), {}), TypeError,
     P + "x.dtype=<U"),
    ("img_shape str", lambda: ImageDataGenerator().get_random_transform("8,8,3"), TypeError, P + "img_shape='8,8,3'"),
    ("img_shape floats", lambda: ImageDataGenerator().get_random_transform((8.5, 8, 3)), TypeError,
     P + r"img_shape=\(8.5, 8, 3\)"),
    ("img_shape bools", lambda: ImageDataGenerator().get_random_transform((True, 8, 3)), TypeError,
     P + r"img_shape=\(True, 8, 3\)"),
    ("img_shape None", lambda: ImageDataGenerator().get_random_transform(None), TypeError, P + "img_shape=None"),
    ("img_shape huge", lambda: ImageDataGenerator(gaussian_noise_sigma=0.1).get_random_transform((10**6, 10**6, 3)),
     ValueError, "too large.*" + P + r"img_shape=\(1000000, 1000000, 3\)"),
    ("draw seed 2**32", lambda: ImageDataGenerator().get_random_transform((8, 8, 3), seed=2**32), ValueError,
     P + "seed=4294967296"),
    # iterators
    ("batch index str", lambda: ImageDataGenerator().flow(X)["1"], TypeError, P + "idx='1'"),
    ("batch index float", lambda: ImageDataGenerator().flow(X)[1.5], TypeError, P + "idx=1.5"),
    ("generator None", lambda: __import__("jaxaug.keras").keras.NumpyArrayIterator(X, None, None), TypeError,
     P + "image_data_generator=None"),
]


@pytest.mark.parametrize("call, error, message", [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS])
def test_bad_input_gets_one_clear_error_naming_the_argument_and_value(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_a_missing_save_to_dir_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="save_to_dir does not exist") as info:
        ImageDataGenerator().flow(X, save_to_dir=str(tmp_path / "nope"))
    assert isinstance(info.value, ValueError)  # as before


def test_an_unwritable_save_to_dir_fails_before_any_batch(tmp_path, monkeypatch):
    deny_os_open(monkeypatch, tmp_path)
    with pytest.raises(ValueError, match="save_to_dir cannot be written: Permission denied.*save_to_dir="):
        ImageDataGenerator().flow(X, save_to_dir=str(tmp_path))


def test_a_brightness_factor_of_zero_gives_the_bottom_of_the_value_range():
    np.testing.assert_array_equal(ImageDataGenerator().apply_transform(SQUARE, {"brightness": 0}), 0.0)
    out = ImageDataGenerator(value_range=(-1, 1)).apply_transform(SQUARE / 255, {"brightness": 0.0})
    np.testing.assert_array_equal(out, -1.0)


def test_keras_own_transform_dicts_apply():
    # Keras' get_random_transform gives its flips as 0/1 ints: they are accepted, other ints are not.
    np.random.seed(0)
    params = K.ImageDataGenerator(rotation_range=30, horizontal_flip=True, vertical_flip=True).get_random_transform(
        SQUARE.shape)
    assert params["flip_horizontal"] in (0, 1)
    ours = ImageDataGenerator().apply_transform(SQUARE, params)
    np.testing.assert_allclose(ours, keras_apply(SQUARE, params), atol=1e-3)


def test_unusual_channel_counts_warn_like_keras():
    with pytest.warns(UserWarning, match="channels"):
        ImageDataGenerator().flow(np.zeros((4, 8, 8, 5), np.float32))


def test_jaxaug_extras_by_keyword():
    gen = ImageDataGenerator(hsv_contrast_range=(0.25, 4.0), gaussian_noise_sigma=0.02, seed=0)
    params = gen.get_random_transform((12, 12, 3))
    assert {"hsv_contrast", "gaussian_noise"} <= set(params)
    out = next(gen.flow(X, batch_size=4))
    assert out.shape == (4, 12, 12, 3) and np.isfinite(out).all() and not np.allclose(out, X[:4])


# --- files ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(1)
    for c, name in enumerate(["cats", "dogs", "fish"]):
        (root / name).mkdir()
        for i in range(3 + c):
            size = (10 + 3 * i, 8 + 2 * c)
            Image.fromarray(rng.integers(0, 256, size + (3,), dtype=np.uint8)).save(
                root / name / f"img{i}.{'png' if i % 2 else 'jpg'}")
    return root


@pytest.mark.parametrize("class_mode", ["categorical", "binary", "sparse", "input", None])
def test_flow_from_directory_matches_keras(image_dir, class_mode):
    options = dict(target_size=(9, 7), class_mode=class_mode, batch_size=5, shuffle=False)
    ours = ImageDataGenerator(rescale=1 / 255.0).flow_from_directory(str(image_dir), **options)
    theirs = K.ImageDataGenerator(rescale=1 / 255.0).flow_from_directory(str(image_dir), **options)
    assert ours.filenames == theirs.filenames and ours.class_indices == theirs.class_indices
    np.testing.assert_array_equal(ours.classes, theirs.classes)
    for b in range(len(theirs)):
        a, t = ours[b], theirs[b]
        for u, v in zip(a if isinstance(a, tuple) else (a,), t if isinstance(t, tuple) else (t,), strict=True):
            np.testing.assert_allclose(u, v, atol=1e-6)


@pytest.mark.parametrize("color_mode, interpolation", [("grayscale", "bilinear"), ("rgba", "bicubic"),
                                                       ("rgb", "lanczos")])
def test_flow_from_directory_modes_and_resizing_match_keras(image_dir, color_mode, interpolation):
    options = dict(target_size=(11, 6), color_mode=color_mode, interpolation=interpolation, batch_size=4,
                   shuffle=False, data_format="channels_first")
    ours = ImageDataGenerator(data_format="channels_first").flow_from_directory(str(image_dir), **{
        k: v for k, v in options.items() if k != "data_format"})
    theirs = K.ImageDataGenerator(data_format="channels_first").flow_from_directory(str(image_dir), **{
        k: v for k, v in options.items() if k != "data_format"})
    np.testing.assert_allclose(ours[0][0], theirs[0][0], atol=1e-6)
    assert ours.image_shape == theirs.image_shape


def test_flow_from_directory_split_augmentation_and_errors(image_dir, tmp_path):
    gen = ImageDataGenerator(rotation_range=20, validation_split=0.34)
    train = gen.flow_from_directory(str(image_dir), target_size=(8, 8), subset="training", seed=0)
    val = gen.flow_from_directory(str(image_dir), target_size=(8, 8), subset="validation", seed=0)
    keras_val = K.ImageDataGenerator(validation_split=0.34).flow_from_directory(
        str(image_dir), target_size=(8, 8), subset="validation")
    assert val.filenames == keras_val.filenames and train.n + val.n == 12
    first = next(train)[0]
    np.testing.assert_array_equal(first, next(gen.flow_from_directory(str(image_dir), target_size=(8, 8),
                                                                      subset="training", seed=0))[0])
    with pytest.raises(ValueError, match="directory"):
        gen.flow_from_directory(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="class_mode"):
        gen.flow_from_directory(str(image_dir), class_mode="raw")
    with pytest.raises(ValueError, match="interpolation"):
        gen.flow_from_directory(str(image_dir), interpolation="cubic")


def test_unreadable_files_name_the_file_or_are_skipped(image_dir, tmp_path):
    broken = tmp_path / "broken"
    (broken / "a").mkdir(parents=True)
    for i in range(2):
        Image.new("RGB", (6, 6), (i * 100, 0, 0)).save(broken / "a" / f"ok{i}.png")
    data = (image_dir / "cats" / "img1.png").read_bytes()
    (broken / "a" / "truncated.png").write_bytes(data[: len(data) // 2])
    it = ImageDataGenerator().flow_from_directory(str(broken), target_size=(6, 6), batch_size=3, shuffle=False)
    with pytest.raises(ValueError, match="truncated.png"):
        it[0]
    skip = ImageDataGenerator().flow_from_directory(str(broken), target_size=(6, 6), batch_size=3, shuffle=False,
                                                    on_error="skip")
    with pytest.warns(UserWarning, match="truncated.png"):
        images, labels = skip[0]
    assert len(images) == len(labels) == 2


@pytest.mark.parametrize("target_size, match", [
    ("32", "target_size='32'"),  # was read as (3, 2)
    (("8", "8"), r"target_size=\('8', '8'\)"),
    ((True, True), r"target_size=\(True, True\)"),
    ((8.5, 8), r"target_size=\(8.5, 8\)"),
    (None, "target_size=None"),
    ((10**6, 10**6), "too large"),
])
def test_target_size_is_a_pair_of_positive_integers(image_dir, target_size, match, capsys):
    with pytest.raises(ValueError, match=match):
        ImageDataGenerator().flow_from_directory(str(image_dir), target_size=target_size)
    assert "Found" not in capsys.readouterr().out  # refused before listing the folder
    it = ImageDataGenerator().flow_from_directory(str(image_dir), target_size=(np.int64(5), np.int32(4)))
    assert it.target_size == (5, 4) and next(it)[0].shape[1:] == (5, 4, 3)


@pytest.mark.parametrize("option, value", [("color_mode", np.ones(2)), ("keep_aspect_ratio", "yes"),
                                           ("follow_links", 1), ("on_error", "ignore"), ("class_mode", ["sparse"]),
                                           ("shuffle", None), ("save_format", "xyz"), ("interpolation", 0)])
def test_flow_from_directory_checks_every_option_first(image_dir, option, value, capsys):
    with pytest.raises((TypeError, ValueError), match=f"{option}="):
        ImageDataGenerator().flow_from_directory(str(image_dir), target_size=(8, 8), **{option: value})


def test_empty_folders_and_frames_fail_when_the_iterator_is_made(tmp_path, image_dir):
    (tmp_path / "empty" / "a").mkdir(parents=True)
    (tmp_path / "empty" / "b").mkdir()
    (tmp_path / "empty" / "b" / "notes.txt").write_text("not an image")
    with pytest.raises(ValueError, match=r"Found no images in the class folders \['a', 'b'\] of directory.*"
                                         r"Received: directory=.*empty"):
        ImageDataGenerator().flow_from_directory(str(tmp_path / "empty"))
    with pytest.raises(ValueError, match="for subset='validation'"):
        ImageDataGenerator(validation_split=0.1).flow_from_directory(str(image_dir), subset="validation")
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"filename": ["missing.png"], "class": ["a"]})
    with pytest.warns(UserWarning, match="invalid image filename"), \
            pytest.raises(ValueError, match="Found no images in dataframe: none of its 1 rows"):
        ImageDataGenerator().flow_from_dataframe(frame, str(tmp_path))
    with pytest.raises(FileNotFoundError, match="directory does not exist"):
        ImageDataGenerator().flow_from_dataframe(frame, str(tmp_path / "nope"))


@pytest.mark.parametrize("name, cut, problem", [
    ("a/cut.png", 0.75, "the image data is truncated"),
    ("a/cut.jpg", 0.75, "the image data is truncated"),
    ("a/empty.png", 0.0, "the file is empty"),
    ("a/text.jpg", None, "not an image file Pillow recognises"),
])
def test_corrupt_images_in_class_folders_name_the_file_and_the_problem(image_dir, tmp_path, name, cut, problem):
    path = tmp_path / name
    path.parent.mkdir()
    if cut is None:
        path.write_text("hello")
    else:
        Image.fromarray(RNG.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(path)
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * cut)])
    it = ImageDataGenerator().flow_from_directory(str(tmp_path), target_size=(8, 8))
    with pytest.raises(ValueError) as info:
        next(it)
    message = str(info.value)
    assert message.startswith(f"Could not read an image from file {str(path)!r}: ") and problem in message
    assert "\n" not in message


@pytest.mark.parametrize("class_mode, y_col", [("categorical", "class"), ("sparse", "class"), ("raw", "score"),
                                               ("multi_output", ["score", "w"]), (None, "class")])
def test_flow_from_dataframe_matches_keras(image_dir, class_mode, y_col):
    pd = pytest.importorskip("pandas")
    files = sorted(str(p.relative_to(image_dir)) for p in image_dir.rglob("*.*"))
    frame = pd.DataFrame({"filename": files, "class": [f.split(os.sep)[0] for f in files],
                          "score": np.arange(len(files)) / 7.0, "w": np.linspace(1, 2, len(files))})
    options = dict(directory=str(image_dir), target_size=(8, 8), batch_size=4, shuffle=False, class_mode=class_mode,
                   y_col=y_col, weight_col="w" if class_mode == "categorical" else None)
    ours = ImageDataGenerator().flow_from_dataframe(frame, **options)
    theirs = K.ImageDataGenerator().flow_from_dataframe(frame, **options)
    assert ours.filenames == theirs.filenames
    assert ours.class_indices == getattr(theirs, "class_indices", None)
    a, t = ours[0], theirs[0]
    a, t = (a, t) if isinstance(t, tuple) else ((a,), (t,))
    for u, v in zip(a, t, strict=True):
        np.testing.assert_allclose(np.asarray(u, float), np.asarray(v, float), atol=1e-6)


def test_keras_model_fit_takes_the_iterator_like_keras_own():
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((12, 12, 3)), keras.layers.Flatten(), keras.layers.Dense(5)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    it = ImageDataGenerator(**IDG).flow(X.astype(np.float32) / 255, Y, batch_size=16, seed=0)
    assert isinstance(it, keras.utils.PyDataset)
    history = model.fit(it, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    assert it.epoch >= 2  # Keras called on_epoch_end: a new shuffle and new draws each epoch
