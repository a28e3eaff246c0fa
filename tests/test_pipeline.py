"""augment(key, batch): determinism, per-example keys, one warp, masks/keypoints, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _compiled import jitted
from scipy import stats

import jaxaug
from jaxaug import color, transforms
from jaxaug import pipeline as jp

IDG = dict(rotation_range=20, width_shift_range=0.2, height_shift_range=0.2, zoom_range=0.2, shear_range=10,
           horizontal_flip=True, brightness_range=(0.7, 1.3), channel_shift_range=30.0)
EVERYTHING = dict(IDG, crop_padding=2, contrast_range=(0.8, 1.2), saturation_range=(0.7, 1.3), hue_range=0.05,
                  hsv_contrast_range=(0.25, 4.0), grayscale_probability=0.2, blur_sigma_range=(0.0, 1.0),
                  gaussian_noise_sigma=(0.0, 0.05), salt_and_pepper_amount=(0.0, 0.02), cutout_size=6,
                  random_erasing_probability=0.5)


def batch(n=8, hw=(24, 24), dtype=np.uint8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, *hw, 3))
    return jnp.asarray(x.astype(dtype) if dtype == np.uint8 else (x / 255.0).astype(dtype))


SOME = dict(IDG, hsv_contrast_range=(0.5, 2.0), gaussian_noise_sigma=0.02, cutout_size=6)

# One augmenter per option set for the whole module: jax.jit caches its programs per augmenter
# object (an equal one built again would compile again), and compilation is most of the time here.
IDG_AUGMENT = jaxaug.augmenter(**IDG)
EVERYTHING_AUGMENT = jaxaug.augmenter(**EVERYTHING)


def test_same_key_same_output_under_jit_eager_and_vmap():
    augment = jaxaug.augmenter(**SOME)
    x, key = batch(4, (16, 16)), jax.random.key(0)
    jitted = jax.jit(augment)(key, x)
    np.testing.assert_array_equal(jitted, jax.jit(augment)(key, x))
    # Eager runs op by op, so XLA may round float32 differently than in the fused
    # program: uint8 outputs agree to one level.
    eager = augment(key, x)
    singles = jax.jit(jax.vmap(lambda i, img: augment(key, img[None], indices=i[None])[0]))(jnp.arange(4), x)
    np.testing.assert_array_equal(singles, jitted)
    assert np.abs(np.asarray(eager, int) - np.asarray(jitted, int)).max() <= 1
    assert not np.array_equal(jitted, jax.jit(augment)(jax.random.key(1), x))


@pytest.mark.parametrize("size", [1, 7, 128])
def test_an_example_does_not_depend_on_its_batch(size):
    augment = jax.jit(EVERYTHING_AUGMENT)  # the size-1 reference compiles once for the three sizes
    pool = batch(130, (12, 12), seed=1)
    key = jax.random.key(3)
    reference = np.asarray(augment(key, pool[5:6], indices=jnp.array([5])))[0]
    start = 5 - min(size - 1, 3)
    idx = jnp.arange(start, start + size)
    out = augment(key, pool[idx], indices=idx)
    np.testing.assert_array_equal(out[5 - start], reference)


def test_default_indices_are_positions_and_single_image_is_example_zero():
    augment = jax.jit(IDG_AUGMENT)
    x, key = batch(4), jax.random.key(2)
    np.testing.assert_array_equal(augment(key, x), augment(key, x, indices=jnp.arange(4)))
    np.testing.assert_array_equal(augment(key, x[0]), augment(key, x[:1])[0])


def test_sample_then_apply_replays_the_call():
    augment = EVERYTHING_AUGMENT
    x, key = batch(), jax.random.key(4)
    params = jax.jit(augment.sample)(key, x)
    assert set(params) >= {"affine", "brightness", "channel_shift", "cutout"}
    assert params["affine"]["rotation"].shape == (8,)
    np.testing.assert_array_equal(jax.jit(augment.apply)(params, x), jax.jit(augment)(key, x))


def test_chain_composes_geometry_into_one_warp_then_pixel_ops():
    x = batch(3, (20, 20), np.float32)
    piece = jp.chain(jp.rotation(30.0), jp.brightness((0.5, 1.5)),
                     jp.shift(height_shift_range=0.1, width_shift_range=0.2), jp.zoom(0.3))
    augment = jaxaug.Augmenter(piece, order=1, fill_mode="reflect")
    key = jax.random.key(7)
    params = jax.jit(augment.sample)(key, x)
    out = jax.jit(augment.apply)(params, x)

    @jax.jit
    def reference(image, p):  # one image, its own parameters as data: one program for the three
        m = jaxaug.compose(transforms.rotation_matrix_centered((20, 20), **p[0]),
                           transforms.shift_matrix_centered((20, 20), **p[2]),
                           transforms.zoom_matrix_centered((20, 20), **p[3]))
        return color.brightness(jaxaug.affine_warp(image, m, fill_mode="reflect"), **p[1])

    for i in range(3):
        np.testing.assert_allclose(out[i], reference(x[i], jax.tree.map(lambda a, i=i: a[i], params)), atol=1e-5)
    # piece j of a chain draws from fold_in(image_key, j)
    image_key = jax.random.fold_in(key, 2)
    expected = transforms.sample_rotation(jax.random.fold_in(image_key, 0), x.shape[1:], 30.0)["angle"]
    np.testing.assert_allclose(params[0]["angle"][2], expected)


def test_switching_an_option_does_not_change_the_other_draws():
    x, key = batch(), jax.random.key(5)
    plain = jax.jit(IDG_AUGMENT.sample)(key, x)
    more = jax.jit(EVERYTHING_AUGMENT.sample)(key, x)
    for name in ("affine", "brightness", "channel_shift"):
        jax.tree.map(np.testing.assert_array_equal, plain[name], more[name])


def test_geometry_matches_random_affine_per_example():
    x, key = batch(5, (16, 16)), jax.random.key(9)
    out = jax.jit(jaxaug.augmenter(rotation_range=20, width_shift_range=0.2, height_shift_range=0.2, zoom_range=0.2,
                               order=0))(key, x)

    @jax.jit
    def reference(image_key, image):
        m = jaxaug.random_affine_matrix(jax.random.fold_in(image_key, 0), (16, 16), rotation_range=20,
                                        width_shift_range=0.2, height_shift_range=0.2, zoom_range=0.2)
        return jaxaug.affine_warp(image, m, order=0)

    for i in range(5):
        expected = reference(jax.random.fold_in(key, i), x[i])
        assert np.abs(np.asarray(out[i], int) - np.asarray(expected, int)).max() <= 1


def test_parameters_cover_their_ranges_and_are_independent():
    augment = jaxaug.augmenter(rotation_range=30, width_shift_range=0.25, height_shift_range=0.125, shear_range=15,
                           zoom_range=(0.7, 1.4), horizontal_flip=True, vertical_flip=True, crop_padding=3,
                           brightness_range=(0.5, 1.5), channel_shift_range=20.0, contrast_range=(0.6, 1.2),
                           saturation_range=(0.2, 1.8), hue_range=0.2, hsv_contrast_range=(0.25, 4.0),
                           grayscale_probability=0.3, blur_sigma_range=(0.0, 2.0))
    x = jnp.zeros((2000, 8, 16, 3), jnp.uint8)
    p = jax.tree.map(np.asarray, jax.jit(augment.sample)(jax.random.key(11), x))
    a = p["affine"]
    draws = {
        "rotation": (a["rotation"], (-30, 60)),
        "dy": (a["shift"][:, 0], (-1, 2)),
        "dx": (a["shift"][:, 1], (-4, 8)),
        "shear": (a["shear"], (-15, 30)),
        "zy": (a["zoom"][:, 0], (0.7, 0.7)),
        "zx": (a["zoom"][:, 1], (0.7, 0.7)),
        "brightness": (p["brightness"]["factor"], (0.5, 1.0)),
        "shift": (p["channel_shift"]["shift"], (-20, 40)),
        "contrast": (p["contrast"]["factor"], (0.6, 0.6)),
        "saturation": (p["saturation"]["factor"], (0.2, 1.6)),
        "hue": (p["hue"]["delta"], (-0.2, 0.4)),
        "log s_exp": (np.log(p["hsv_contrast"]["saturation_exponent"]), (np.log(0.25), np.log(16))),
        "log v_exp": (np.log(p["hsv_contrast"]["value_exponent"]), (np.log(0.25), np.log(16))),
        "sigma": (p["blur"]["sigma"], (0.0, 2.0)),
    }
    for name, (values, args) in draws.items():
        assert stats.kstest(values, "uniform", args=args).pvalue > 1e-3, name
    discrete = {
        "hflip": a["horizontal_flip"], "vflip": a["vertical_flip"], "gray": p["grayscale"]["weight"] > 0.5,
        "crop dy": p["crop"]["dy"], "crop dx": p["crop"]["dx"],
    }
    assert 0.45 < discrete["hflip"].mean() < 0.55 and 0.45 < discrete["vflip"].mean() < 0.55
    assert 0.26 < discrete["gray"].mean() < 0.34
    for name in ("crop dy", "crop dx"):
        assert set(np.unique(discrete[name])) == {-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0}
    columns = [v for v, _ in draws.values()] + [np.asarray(v, float) for v in discrete.values()]
    corr = np.corrcoef(np.stack(columns))
    assert np.abs(corr - np.eye(len(columns))).max() < 0.1


def test_jitted_augment_compiles_once():
    augment = IDG_AUGMENT
    traces = []

    def counted(key, images):
        traces.append(1)
        return augment(key, images)

    fn = jax.jit(counted)
    x = batch()
    for seed in range(5):
        fn(jax.random.key(seed), x)
    assert len(traces) == 1


def test_masks_get_the_geometry_with_order_zero_and_their_own_fill():
    labels = np.random.default_rng(0).integers(0, 5, (4, 20, 20)).astype(np.int32)
    images = jnp.asarray(labels[..., None].repeat(3, -1) * 10, jnp.float32)
    augment = jaxaug.augmenter(rotation_range=40, zoom_range=0.3, brightness_range=(0.5, 1.5), fill_mode="constant",
                           cval=0.0, mask_cval=255, order=1)
    run = jax.jit(augment)
    out = run(jax.random.key(1), images, masks=labels)
    bools = run(jax.random.key(1), images, masks=labels > 2).masks
    assert bools.dtype == np.bool_
    np.testing.assert_array_equal(bools, np.asarray(out.masks) > 2)  # mask_cval 255 reads as True
    stacked = run(jax.random.key(1), images, masks=np.stack([labels, labels], -1)).masks
    np.testing.assert_array_equal(stacked[..., 1], out.masks)
    assert out.masks.dtype == np.int32 and out.masks.shape == labels.shape
    assert set(np.unique(out.masks)) <= {0, 1, 2, 3, 4, 255}
    geometry_only = jaxaug.augmenter(rotation_range=40, zoom_range=0.3, fill_mode="constant", order=0)
    plain = jax.jit(geometry_only)(jax.random.key(1), images)
    inside = np.asarray(out.masks) != 255
    np.testing.assert_array_equal(np.asarray(plain)[..., 0][inside], np.asarray(out.masks)[inside] * 10)
    assert (np.asarray(plain)[..., 0][~inside] == 0).all()


def sampled_matrices(augment, key, x):
    """Each example's pull matrix, rebuilt from the affine parameters `augment` samples for it."""
    params = jax.jit(augment.sample)(key, x)["affine"]
    return jax.jit(jax.vmap(lambda p: jaxaug.affine_matrix(x.shape[1:3], **p)))(params)


def test_keypoints_follow_the_geometry_and_ignore_colour():
    x = jnp.zeros((3, 16, 16, 3), jnp.float32)
    points = jnp.tile(jnp.array([[[3.0, 4.0], [15.0, 15.0]]]), (3, 1, 1))
    augment = jaxaug.augmenter(rotation_range=90, width_shift_range=0.3, brightness_range=(0.5, 1.5))
    key = jax.random.key(2)
    out = jax.jit(augment)(key, x, keypoints=points)
    warp_keypoints = jitted(jaxaug.warp_keypoints, shape=(16, 16))
    for i, m in enumerate(sampled_matrices(augment, key, x)):
        expected, visible = warp_keypoints(points[i], m)
        np.testing.assert_allclose(out.keypoints[i], expected, atol=1e-4)
        np.testing.assert_array_equal(out.visible[i], visible)
    assert out.masks is None


def test_boxes_follow_the_geometry_like_warp_boxes():
    x = jnp.zeros((3, 16, 20, 3), jnp.uint8)
    boxes = jnp.tile(jnp.array([[[2.0, 3.0, 8.0, 12.0], [0.0, 0.0, 16.0, 20.0]]]), (3, 1, 1))
    augment = jaxaug.augmenter(rotation_range=30, zoom_range=0.2, horizontal_flip=True, brightness_range=(0.5, 1.5))
    key = jax.random.key(4)
    out = jax.jit(augment)(key, x, boxes=boxes)
    warp_boxes = jitted(jaxaug.warp_boxes, shape=(16, 20))
    for i, m in enumerate(sampled_matrices(augment, key, x)):
        expected, kept = warp_boxes(boxes[i], m)
        np.testing.assert_allclose(out.boxes[i], expected, atol=1e-4)
        np.testing.assert_array_equal(out.boxes_kept[i], kept)
    assert out.masks is None and out.keypoints is None and out.visible is None
    one = jax.jit(augment)(key, x[0], boxes=boxes[0])  # one image: example 0 of the batch
    np.testing.assert_allclose(one.boxes, out.boxes[0], atol=1e-5)
    np.testing.assert_array_equal(one.boxes_kept, out.boxes_kept[0])
    with pytest.raises(ValueError, match=r"boxes must have shape \(3, B, 4\).*Received: boxes.shape=\(3, 2, 2\)"):
        augment(key, x, boxes=boxes[..., :2])


def test_float_images_keep_dtype_and_normalisation_gives_float32():
    x = batch(4, dtype=np.float32)
    assert jaxaug.augmenter(**IDG, value_range=(0, 1))(jax.random.key(0), x).dtype == jnp.float32
    out = jaxaug.augmenter(rotation_range=10, rescale=1 / 255.0, samplewise_center=True)(jax.random.key(0), batch(4))
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(out).mean(axis=(1, 2, 3)), 0.0, atol=1e-5)


@pytest.mark.parametrize("kwargs,match", [
    (dict(rotaton_range=10), "rotation_range"),
    (dict(rotation_range=-1), "rotation_range"),
    (dict(brightness_range=(1.3, 0.7)), "brightness_range"),
    (dict(hsv_contrast_range=(0.0, 4.0)), "hsv_contrast_range"),
    (dict(contrast_range=(-0.5, 1.0)), "contrast_range"),
    (dict(saturation_range=(1.5, 0.5)), "saturation_range"),
    (dict(blur_sigma_range=(2.0, 1.0)), "blur_sigma_range"),
    (dict(gaussian_noise_sigma=-0.1), "gaussian_noise_sigma"),
    (dict(salt_and_pepper_amount=0.1, salt_vs_pepper=1.5), "salt_vs_pepper"),
    (dict(featurewise_center=True), "statistics"),
    (dict(interpolation_order=0), "order=0"),
    (dict(fill_mode="edge"), "fill_mode"),
    (dict(order=3), "order"),
    (dict(zoom_range=1.5), "zoom_range"),
    (dict(cutout_size=-2), "cutout_size"),
])
def test_bad_options_fail_when_the_augmenter_is_built(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        jaxaug.augmenter(**kwargs)


@pytest.mark.parametrize("kwargs,match", [
    (dict(masks=jnp.zeros((4, 10, 10))), "masks"),
    (dict(keypoints=jnp.zeros((4, 3))), "keypoints"),
    (dict(indices=jnp.arange(3)), "indices"),
])
def test_bad_call_arguments_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        jaxaug.augmenter(**IDG)(jax.random.key(0), batch(4), **kwargs)


def test_bad_key_and_pieces():
    with pytest.raises(TypeError, match="key"):
        jaxaug.augmenter(**IDG)(0, batch(2))
    with pytest.raises(TypeError, match="pieces"):
        jp.chain(jp.rotation(3), "flip")


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_consecutive_hsv_ops_share_one_round_trip_and_match_the_ops_one_by_one(dtype):
    # saturation, hue and HSV contrast are consecutive in augmenter's order: one RGB -> HSV -> RGB.
    options = dict(saturation_range=(0.5, 1.5), hue_range=0.2, hsv_contrast_range=(0.25, 4.0))
    augment = jaxaug.augmenter(**options)
    x, key = batch(6, (12, 12), dtype), jax.random.key(9)
    params = jax.jit(augment.sample)(key, x)
    out = np.asarray(jax.jit(augment)(key, x), np.float64)
    vr = (0.0, 255.0) if dtype == np.uint8 else (0.0, 1.0)
    one_by_one = x.astype(np.float32)
    for name, op in (("saturation", color.saturation), ("hue", color.hue),
                     ("hsv_contrast", color.hsv_contrast)):
        one_by_one = jax.vmap(lambda img, p, op=op: op(img, **p, value_range=vr))(one_by_one, params[name])
    expected = np.asarray(one_by_one, np.float64)
    # The skipped HSV -> RGB -> HSV trips are identities up to float32 rounding (a few ulps of
    # values in [0, 1], amplified by exponents up to 4): 1e-4 of the range; uint8 rounds either way.
    if dtype == np.uint8:
        assert np.abs(out - np.clip(np.round(expected), 0, 255)).max() <= 1
    else:
        np.testing.assert_allclose(out, expected, atol=1e-4)
