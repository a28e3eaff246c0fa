"""jaxaug.policies: torchvision's magnitude tables, PIL's operations, per-image draws, AugMix."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _compiled import jitted
from PIL import Image, ImageEnhance, ImageOps

import jaxaug
from jaxaug import augmix as augmix_module
from jaxaug import pipeline as jp
from jaxaug import policies as P

PHOTO = np.asarray(jaxaug.example_image(size=48)[6:38, 4:44])  # (32, 40, 3) uint8, H != W
RNG = np.random.default_rng(17)
BATCH = np.stack([PHOTO, PHOTO[::-1], PHOTO[:, ::-1], RNG.integers(0, 256, PHOTO.shape, dtype=np.uint8)])


def op(name):
    return P.OPS.index(name)


# --- magnitude tables: torchvision's _augmentation_space, written out -------------------------


def linspace(top, bins):
    return [top * i / (bins - 1) for i in range(bins)]


@pytest.mark.parametrize("space, bins, shear, rotate, enhance, translate_x, translate_y", [
    ("standard", 31, 0.3, 30.0, 0.9, 150 / 331 * 40, 150 / 331 * 32),
    ("standard", 10, 0.3, 30.0, 0.9, 150 / 331 * 40, 150 / 331 * 32),
    ("wide", 31, 0.99, 135.0, 0.99, 32.0, 32.0),
    ("augmix", 11, 0.3, 30.0, 0.9, 40 / 3, 32 / 3),
])
def test_linear_magnitudes_match_torchvision(space, bins, shear, rotate, enhance, translate_x, translate_y):
    table = P.magnitudes(space, bins, (32, 40, 3))
    assert table.shape == (len(P.OPS), bins) and table.dtype == np.float32
    expected = {"shear_x": shear, "shear_y": shear, "rotation": rotate, "shift_x": translate_x,
                "shift_y": translate_y, "brightness": enhance, "color": enhance, "contrast": enhance,
                "sharpness": enhance}
    for name, top in expected.items():
        np.testing.assert_allclose(table[op(name)], linspace(top, bins), rtol=1e-6, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(table[op("solarize")], [255 - v for v in linspace(255.0, bins)], atol=1e-4)
    for name in ("identity", "autocontrast", "equalize", "invert"):
        assert not table[op(name)].any()


def test_posterize_bits_match_torchvision():
    # 8 - round(arange(31) / (30 / 4)), 8 - round(arange(31) / (30 / 6)), 4 - round(arange(11) / (10 / 4))
    standard = [8] * 4 + [7] * 8 + [6] * 7 + [5] * 8 + [4] * 4
    wide = [8] * 3 + [7] * 5 + [6] * 5 + [5] * 5 + [4] * 5 + [3] * 5 + [2] * 3
    augmix = [4, 4, 3, 3, 2, 2, 2, 1, 1, 0, 0]
    assert P.magnitudes("standard", 31, (8, 8, 3))[op("posterize")].tolist() == standard
    assert P.magnitudes("wide", 31, (8, 8, 3))[op("posterize")].tolist() == wide
    assert P.magnitudes("augmix", 11, (8, 8, 3))[op("posterize")].tolist() == augmix


def test_auto_augment_policies_have_25_two_step_sub_policies():
    for name, steps in P.AUTO_AUGMENT_POLICIES.items():
        assert len(steps) == 25, name
        for sub in steps:
            assert len(sub) == 2
            for op_name, p, level in sub:
                assert op_name in P.OPS and 0.0 <= p <= 1.0
                assert (level is None) == (op_name in ("autocontrast", "equalize", "invert")), (name, sub)
    # First and last sub-policies of the CIFAR-10 policy, as in the paper's appendix.
    assert P.AUTO_AUGMENT_POLICIES["cifar10"][0] == (("invert", 0.1, None), ("contrast", 0.2, 6))
    assert P.AUTO_AUGMENT_POLICIES["cifar10"][-1] == (("shift_y", 0.7, 9), ("autocontrast", 0.9, None))


# --- pixel operations against PIL ------------------------------------------------------------

PIL_OPS = {
    "identity": lambda im, m: im,
    "brightness": lambda im, m: ImageEnhance.Brightness(im).enhance(1 + m),
    "color": lambda im, m: ImageEnhance.Color(im).enhance(1 + m),
    "contrast": lambda im, m: ImageEnhance.Contrast(im).enhance(1 + m),
    "sharpness": lambda im, m: ImageEnhance.Sharpness(im).enhance(1 + m),
    "posterize": lambda im, m: ImageOps.posterize(im, int(m)),
    "solarize": lambda im, m: ImageOps.solarize(im, m),
    "autocontrast": lambda im, m: ImageOps.autocontrast(im),
    "equalize": lambda im, m: ImageOps.equalize(im),
    "invert": lambda im, m: ImageOps.invert(im),
}
PIXEL_CASES = [("identity", 0.0), ("brightness", -0.6), ("brightness", 0.7), ("color", -0.9), ("color", 0.5),
               ("contrast", -0.5), ("contrast", 0.9), ("sharpness", -0.99), ("sharpness", 0.8), ("posterize", 3.0),
               ("posterize", 6.0), ("solarize", 110.0), ("solarize", 246.5), ("autocontrast", 0.0),
               ("equalize", 0.0), ("invert", 0.0)]


# The vmap variant runs compiled, once for every case (the op and magnitude are data): an eager
# vmap of the operation switch traces and compiles it anew at each call (~1 s), and what the
# variant checks, vmap's batching of the switch, is the same under jit; the eager path is the
# "eager" variant's.
_VMAPPED_OPS_PIXELS = jax.jit(jax.vmap(P.ops_pixels))


@pytest.mark.parametrize("variant", ["eager", "jit", "vmap"])
@pytest.mark.parametrize("name, magnitude", PIXEL_CASES, ids=lambda v: str(v))
def test_pixel_operations_match_pil(variant, name, magnitude):
    ops, mags = np.asarray([op(name)], np.int32), np.asarray([magnitude], np.float32)
    fn = P.ops_pixels
    if variant == "jit":
        got = jax.jit(fn)(PHOTO, ops, mags)
    elif variant == "vmap":
        got = _VMAPPED_OPS_PIXELS(PHOTO[None], ops[None], mags[None])[0]
    else:
        got = fn(PHOTO, ops, mags)
    # The reference receives the float32 magnitude (torchvision's tables are float32 tensors).
    want = np.asarray(PIL_OPS[name](Image.fromarray(PHOTO), float(np.float32(magnitude))))
    diff = np.abs(np.asarray(got).astype(int) - want.astype(int))
    # The enhancers blend in float and truncate like PIL; a product landing a hair off an exact
    # level in one float evaluation (fused multiply-add or not) moves that pixel one level.
    # autocontrast divides exactly where PIL's float64 scale lands just below an integer.
    assert diff.max() <= 1, name
    assert np.mean(diff > 0) < 0.02, name


def test_two_pixel_slots_run_in_order():
    got = P.ops_pixels(PHOTO, jnp.array([op("solarize"), op("equalize")]), jnp.array([128.0, 0.0]))
    want = ImageOps.equalize(ImageOps.solarize(Image.fromarray(PHOTO), 128.0))
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def test_float_images_are_quantized_to_their_range():
    x = PHOTO.astype(np.float32) / 255.0
    ops, mags = jnp.array([op("posterize")]), jnp.array([3.0])
    got = np.asarray(P.ops_pixels(x, ops, mags))
    np.testing.assert_allclose(got * 255.0, np.asarray(P.ops_pixels(PHOTO, ops, mags)), atol=1e-3)
    scaled = np.asarray(P.ops_pixels(x * 2.0 - 1.0, ops, mags, value_range=(-1.0, 1.0)))
    np.testing.assert_allclose((scaled + 1.0) / 2.0, got, atol=1e-6)


# --- geometric operations against PIL (nearest, black fill) ----------------------------------


def pil_geometry(name, m):
    im = Image.fromarray(PHOTO)
    if name == "rotation":
        return np.asarray(im.rotate(m, Image.NEAREST, fillcolor=(0, 0, 0)))
    t = int(m)
    data = {"shear_x": (1, m, 0, 0, 1, 0), "shear_y": (1, 0, 0, m, 1, 0),
            "shift_x": (1, 0, -t, 0, 1, 0), "shift_y": (1, 0, 0, 0, 1, -t)}[name]
    return np.asarray(im.transform(im.size, Image.AFFINE, data, Image.NEAREST, fillcolor=(0, 0, 0)))


@pytest.mark.parametrize("name, m", [("shear_x", 0.3), ("shear_x", -0.61), ("shear_y", 0.45), ("shear_y", -0.2),
                                     ("shift_x", 7.9), ("shift_x", -12.0), ("shift_y", 5.0),
                                     ("rotation", 30.0), ("rotation", -17.5), ("rotation", 135.0)])
def test_geometry_matches_pil(name, m):
    # Compiled once for the ten cases (the op and magnitude are data); eager runs are test_pixel_operations_match_pil's.
    got = np.asarray(jitted(P.apply_ops)(PHOTO, jnp.array([op(name)]), jnp.array([m], jnp.float32)))
    want = pil_geometry(name, m)
    if name.startswith("translate"):  # whole pixels: exact
        np.testing.assert_array_equal(got, want)
        return
    # Two known differences. The border: PIL reads a sample in [-0.5, size - 0.5), the warp
    # (scipy's "constant") fills one outside [0, size - 1], so along the edge of the content
    # one of the two has the black fill. Inside: nearest picks differ where a sample falls
    # within float rounding of a pixel edge (PIL steps in float64; the warp rounds float32).
    differ = np.any(got != want, axis=-1)
    border = np.all(got == 0, axis=-1) | np.all(want == 0, axis=-1)
    assert np.mean(differ & ~border) < 0.02, name  # shear_y -0.2: 0.9 % (m·col + m/2 at x.5 ties)
    assert np.mean(differ) < 0.08, name


def test_a_draw_is_one_matrix_composed_in_slot_order():
    ops, mags = jnp.array([op("rotation"), op("brightness"), op("shear_x")]), jnp.array([20.0, 0.5, 0.2])
    m = P.ops_matrix(PHOTO.shape, ops, mags)
    rot = P.ops_matrix(PHOTO.shape, ops[:1], mags[:1])
    shear = P.ops_matrix(PHOTO.shape, ops[2:], mags[2:])
    np.testing.assert_allclose(np.asarray(m), np.asarray(jaxaug.compose(rot, shear)), atol=1e-6)


# --- draws ------------------------------------------------------------------------------------


def draws(sampler, n=4000, **options):
    keys = jax.vmap(lambda i: jax.random.fold_in(jax.random.key(5), i))(jnp.arange(n))
    out = jax.jit(jax.vmap(lambda k: sampler(k, (32, 40, 3), **options)))(keys)
    return jax.tree.map(np.asarray, out)


def test_trivial_augment_draws_ops_levels_and_signs_uniformly():
    d = draws(P.sample_trivial_augment)
    n = d["ops"].shape[0]
    counts = np.bincount(d["ops"][:, 0], minlength=len(P.OPS))
    chosen = [op(name) for name in P.RAND_AUGMENT_OPS]
    p = 1 / len(chosen)
    assert np.all(np.abs(counts[chosen] - n * p) < 5 * np.sqrt(n * p * (1 - p)))
    assert counts[op("invert")] == 0
    rotations = d["magnitudes"][d["ops"][:, 0] == op("rotation"), 0]
    table = P.magnitudes("wide", 31, (32, 40, 3))[op("rotation")]
    assert set(np.round(np.abs(rotations), 4)) <= set(np.round(table, 4))
    assert (rotations > 0).any() and (rotations < 0).any()


def test_rand_augment_uses_its_level_and_magnitude_noise():
    d = draws(P.sample_rand_augment, num_ops=3, magnitude=9)
    assert d["ops"].shape == (4000, 3)
    rot = d["magnitudes"][d["ops"] == op("rotation")]
    np.testing.assert_allclose(np.abs(rot), 9.0, rtol=1e-6)  # level 9 of 31: 30 * 9 / 30 degrees
    noisy = draws(P.sample_rand_augment, magnitude=9, magnitude_std=2.0)
    rot = np.abs(noisy["magnitudes"][noisy["ops"] == op("rotation")])
    assert 8.0 < rot.mean() < 10.0 and rot.std() > 1.0 and rot.max() <= 30.0
    only = draws(P.sample_rand_augment, n=200, ops=("equalize", "rotation"))
    assert set(np.unique(only["ops"])) == {op("equalize"), op("rotation")}


def test_auto_augment_applies_each_step_with_its_probability():
    d = draws(P.sample_auto_augment, n=20000, policy="svhn")
    steps = P.AUTO_AUGMENT_POLICIES["svhn"]
    # Expected frequency of each operation over both steps: sum of p / 25.
    expected = np.zeros(len(P.OPS))
    for sub in steps:
        for op_name, p, _ in sub:
            expected[op(op_name)] += p / 25
    counts = np.bincount(d["ops"].reshape(-1), minlength=len(P.OPS)) / d["ops"].shape[0]
    for name in ("shear_x", "shear_y", "invert", "equalize"):
        sigma = np.sqrt(expected[op(name)] / d["ops"].shape[0])
        assert abs(counts[op(name)] - expected[op(name)]) < 5 * sigma + 1e-3, name


@pytest.mark.parametrize("maker", [jp.trivial_augment, lambda: jp.rand_augment(num_ops=2, magnitude=15),
                                   lambda: jp.auto_augment(policy="imagenet")])
def test_policy_pieces_are_per_image_and_independent_of_the_batch(maker):
    augment = jaxaug.Augmenter(jp.chain(jp.crop(4), jp.flip(), maker()), order=0, fill_mode="constant")
    key, indices = jax.random.key(11), jnp.arange(10, 14)
    whole = np.asarray(jax.jit(augment)(key, BATCH, indices=indices))
    # One example per call, at its global index: the same image, bit for bit.
    alone = np.concatenate([np.asarray(jax.jit(augment)(key, BATCH[i:i + 1], indices=indices[i:i + 1]))
                            for i in range(len(BATCH))])
    np.testing.assert_array_equal(whole, alone)


def test_policy_params_replay():
    augment = jaxaug.Augmenter(jp.rand_augment(num_ops=2, magnitude=15), order=0, fill_mode="constant")
    key = jax.random.key(11)
    params = jax.jit(augment.sample)(key, BATCH)
    np.testing.assert_array_equal(np.asarray(jax.jit(augment.apply)(params, BATCH)),
                                  np.asarray(jax.jit(augment)(key, BATCH)))


def test_the_piece_equals_the_twin_on_each_image():
    augment = jaxaug.Augmenter(jp.rand_augment(num_ops=2, magnitude=20), order=0, fill_mode="constant")
    key = jax.random.key(2)
    out = np.asarray(jax.jit(augment)(key, BATCH))
    params = jax.jit(augment.sample)(key, BATCH)
    for i in range(len(BATCH)):
        want = jitted(P.apply_ops)(BATCH[i], params["ops"][i], params["magnitudes"][i])
        np.testing.assert_array_equal(out[i], np.asarray(want))


@pytest.mark.parametrize("maker", [jp.trivial_augment, lambda: jp.rand_augment(num_ops=3, magnitude=25),
                                   lambda: jp.auto_augment(policy="svhn")])
def test_the_batch_path_equals_the_per_image_twin(maker):
    piece = maker()
    images = np.concatenate([BATCH] * 6)  # 24 images: every operation drawn a few times
    params = jax.vmap(lambda k: piece.sample(k, images.shape[1:]))(
        jax.random.split(jax.random.key(4), images.shape[0]))
    batch = np.asarray(jax.jit(piece.apply_batch, static_argnums=2)(params, images, (0.0, 255.0)))
    per_image = np.asarray(jax.jit(jax.vmap(lambda p, x: piece.apply(p, x, (0.0, 255.0))))(params, images))
    # Term for term the same arithmetic (bitwise on the CPUs tried); a fused multiply-add in
    # one fusion and not the other could move an enhancer's blend by one level.
    assert np.abs(batch.astype(int) - per_image.astype(int)).max() <= 1
    assert np.mean(batch != per_image) < 0.01


def test_random_ops_are_the_twin_of_the_draw():
    key = jax.random.key(9)
    for random_op, sampler, options in [(P.random_rand_augment, P.sample_rand_augment, dict(magnitude=12)),
                                        (P.random_trivial_augment, P.sample_trivial_augment, {}),
                                        (P.random_auto_augment, P.sample_auto_augment, dict(policy="svhn"))]:
        got = jax.jit(functools.partial(random_op, **options))(key, PHOTO)
        draw = jitted(sampler, shape=PHOTO.shape, **options)(key)
        np.testing.assert_array_equal(np.asarray(got), np.asarray(jitted(P.apply_ops)(PHOTO, **draw)))


def test_augmenter_option_policy_is_the_piece():
    key = jax.random.key(1)
    a = jaxaug.augmenter(policy="auto_augment_cifar10", order=0, fill_mode="constant")
    b = jaxaug.Augmenter(jp.combine((jp.auto_augment(policy="cifar10"),), (16,)), order=0, fill_mode="constant")
    np.testing.assert_array_equal(np.asarray(jax.jit(a)(key, BATCH)), np.asarray(jax.jit(b)(key, BATCH)))


# --- AugMix -----------------------------------------------------------------------------------

# One AugMix with a base, and its views compiled once for the tests that look at them (a
# compilation of the three views costs about as much as the rest of such a test).
AUGMIX_BASE = jp.chain(jp.crop(4), jp.flip())
AUGMIX = augmix_module.AugMix(base=AUGMIX_BASE)
AUGMIX_VIEWS = jax.jit(AUGMIX.views, static_argnums=2)


def test_augmix_draws_chains_of_one_to_three_operations_and_weights_summing_to_one():
    d = draws(P.sample_augmix, n=2000)
    assert d["ops"].shape == (2000, 3, 3)
    active = (d["ops"] != op("identity")).sum(-1)
    assert set(np.unique(active)) == {1, 2, 3}
    allowed = {op(n) for n in P.AUGMIX_OPS + ("brightness", "color", "contrast", "sharpness", "identity")}
    assert set(np.unique(d["ops"])) <= allowed
    np.testing.assert_allclose(d["weights"].sum(-1) + d["original"], 1.0, atol=1e-5)
    assert 0.45 < d["original"].mean() < 0.55  # Beta(1, 1)
    few = draws(P.sample_augmix, n=500, all_ops=False, depth=2)
    assert (few["ops"][..., 2] == op("identity")).all() and (few["ops"][..., :2] != op("identity")).all()
    assert not set(np.unique(few["ops"])) & {op("brightness"), op("color"), op("contrast"), op("sharpness")}


def test_augmix_is_the_weighted_sum_of_its_chains():
    augmix = augmix_module.AugMix()
    key = jax.random.key(6)
    mixed = np.asarray(jax.jit(augmix)(key, BATCH)).astype(np.float32)
    sample, apply_ops = jitted(P.sample_augmix, shape=BATCH.shape[1:]), jitted(P.apply_ops)
    for i in range(len(BATCH)):
        d = sample(jax.random.fold_in(jax.random.fold_in(key, i), 1))
        want = float(d["original"]) * BATCH[i].astype(np.float32)
        for c in range(3):
            chain = apply_ops(BATCH[i], d["ops"][c], d["magnitudes"][c])
            want = want + float(d["weights"][c]) * np.asarray(chain, np.float32)
        # The mixture is rounded once to uint8.
        assert np.abs(mixed[i] - want).max() <= 0.5 + 1e-3


def test_augmix_views_share_the_base_and_differ_from_each_other():
    augmix = AUGMIX  # base: crop(4), flip()
    key = jax.random.key(8)
    views = np.asarray(AUGMIX_VIEWS(key, BATCH, 2))
    assert views.shape == (3,) + BATCH.shape and views.dtype == np.uint8
    np.testing.assert_array_equal(views[1], np.asarray(jax.jit(augmix)(key, BATCH)))
    assert not np.array_equal(views[1], views[2]) and not np.array_equal(views[0], views[1])
    # The clean view is the base alone: whole-pixel crops and flips of the original pixels.
    assert set(np.unique(views[0][0])) <= set(np.unique(BATCH[0])) | {0}
    alone = np.asarray(AUGMIX_VIEWS(key, BATCH[2:3], 2, indices=jnp.array([2])))
    np.testing.assert_array_equal(alone[:, 0], views[:, 2])


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("call, words", [
    (lambda: P.magnitudes("huge", 31, (8, 8, 3)), ["space", "'huge'"]),
    (lambda: P.magnitudes("wide", 1, (8, 8, 3)), ["bins", "1"]),
    (lambda: P.sample_rand_augment(jax.random.key(0), (8, 8, 3), magnitude=31), ["magnitude", "31"]),
    (lambda: P.sample_rand_augment(jax.random.key(0), (8, 8, 3), magnitude_std=-1.0), ["magnitude_std", "-1.0"]),
    (lambda: P.sample_rand_augment(jax.random.key(0), (8, 8, 3), ops=("rotation", "zoom")), ["ops", "'zoom'"]),
    (lambda: P.sample_trivial_augment(jax.random.key(0), (8, 8, 3), ops="rotation"), ["ops", "'rotation'"]),
    (lambda: P.sample_auto_augment(jax.random.key(0), (8, 8, 3), policy="cifar100"), ["policy", "'cifar100'"]),
    (lambda: P.sample_augmix(jax.random.key(0), (8, 8, 3), depth=4), ["depth", "4"]),
    (lambda: augmix_module.AugMix(alpha=0.0), ["alpha", "0.0"]),
    (lambda: augmix_module.AugMix(base="crop"), ["base", "'crop'"]),
    (lambda: jp.policy("randaugment"), ["policy", "'randaugment'"]),
    (lambda: jaxaug.augmenter(policy="rand_augment", policy_num_ops=-1), ["policy_num_ops", "-1"]),
])
def test_bad_input_names_the_argument(call, words):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    for word in words:
        assert word in str(info.value)


def test_augmix_is_a_piece_run_by_augmenter():
    # AugMix's views are the piece `augmix(view=v)` run by Augmenter, which alone derives the example keys.
    base = AUGMIX_BASE  # crop(4), flip(): AUGMIX's
    key = jax.random.key(5)
    views = AUGMIX_VIEWS(key, BATCH, 2)
    for v in range(3):
        augment = jaxaug.Augmenter(jp.augmix(base=base, view=v), order=0, fill_mode="constant")
        np.testing.assert_array_equal(np.asarray(views[v]), np.asarray(jax.jit(augment)(key, BATCH)))


@pytest.mark.parametrize("call, match", [
    (lambda: jp.chain(jp.flip(), jp.augmix()), "runs alone in an Augmenter"),
    (lambda: jp.random_apply(jp.augmix(), 0.5), "runs alone in an Augmenter"),
    (lambda: jp.augmix(base=jp.resize(8)), "base must keep the image size"),
    (lambda: jp.augmix(view=-1), "view"),
    # Traced, not run: the error is raised while the call is traced (the same Python check as an
    # eager call makes, after the draw), so nothing is compiled or run op by op to reach it.
    (lambda: jax.jit(jaxaug.Augmenter(jp.augmix()))(jax.random.key(0), BATCH, masks=jnp.zeros(BATCH.shape[:3])),
     "masks, keypoints and boxes cannot follow"),
])
def test_augmix_piece_misuse_is_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()
