"""The bad inputs of issue 27 (item 7) and issue 33 that still got through: each now a named error.

Every case asserts the error type and that the message names the argument (the user's name for
it) and, where it helps, the value received. Beside them: the limits that are legitimately
accepted (the largest finite range, the largest output side, the smallest alpha), and what
traced values do (they are data: checked for dtype and shape, clipped where documented).

Cases that need a call from a module owned elsewhere (`augmenter`'s option table, `combine`,
`pipeline.policy`) test the check function here directly, and the end-to-end call too: until the
check is wired in, that end-to-end test reports an expected failure saying what is missing.
"""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxaug
from jaxaug import _checks, augmix, color, geometry, mixing, noise, normalize, policies, transforms
from jaxaug import pipeline as jp

KEY = jax.random.key(0)
IMG = np.zeros((8, 8, 3), np.float32)
IMGU = np.arange(8 * 8 * 3, dtype=np.uint8).reshape(8, 8, 3)
IMGS = np.zeros((4, 8, 8, 3), np.uint8)
EYE = np.eye(3, dtype=np.float32)
EYES = np.broadcast_to(EYE, (4, 3, 3))
NAN = float("nan")
NAN_MATRIX = np.full((3, 3), NAN, np.float32)

CASES = {
    # --- issue 27, item 7 -------------------------------------------------------------------------
    # output sizes have a bound (2**15 per side), refused by name
    "resize 10**6": (lambda: transforms.resize(IMG, 10**6), ValueError, r"size must be at most 32768.*size=1000000"),
    "center_crop 2**31": (lambda: transforms.center_crop(IMG, 2**31), ValueError, r"size=2147483648"),
    "affine_warp output_shape 10**6": (lambda: jaxaug.affine_warp(IMG, EYE, output_shape=(10**6, 10**6)), ValueError,
                                       r"output_shape must be at most 32768.*output_shape=\(1000000, 1000000\)"),
    "augmenter random_resized_crop 10**6": (lambda: jaxaug.augmenter(random_resized_crop=10**6), ValueError,
                                            r"random_resized_crop must be at most 32768.*random_resized_crop=1000000"),
    "piece resize 10**6": (lambda: jp.resize(10**6), ValueError, r"size must be at most 32768"),
    "piece center_crop (8, 10**6)": (lambda: jp.center_crop((8, 10**6)), ValueError, r"size=\(8, 1000000\)"),
    "piece random_resized_crop 10**6": (lambda: jp.random_resized_crop(10**6), ValueError, r"size=1000000"),
    "random_resized_crop 10**6": (lambda: transforms.random_resized_crop(KEY, IMG, 10**6), ValueError, r"size="),
    "resized_crop size 2**15 + 1": (lambda: transforms.resized_crop(IMG, 0, 0, 8, 8, 2**15 + 1), ValueError,
                                    r"size=32769"),
    # the policy twins check their draws (both issues)
    "apply_ops 99": (lambda: policies.apply_ops(IMGU, [99], [0.0]), ValueError,
                     r"ops must hold indices in \[0, 15\).*99"),
    "apply_ops -1": (lambda: policies.apply_ops(IMGU, [-1], [0.0]), ValueError, r"ops .*-1"),
    "apply_ops 1.5": (lambda: policies.apply_ops(IMGU, [1.5], [0.0]), TypeError, r"ops must hold integer.*float"),
    "apply_ops nan magnitude": (lambda: policies.apply_ops(IMGU, [5], [NAN]), ValueError, r"magnitudes must be finite"),
    "apply_ops 'rotation'": (lambda: policies.apply_ops(IMGU, ["rotation"], [1.0]), TypeError,
                           r"ops must be integer indices into OPS \(e.g. OPS.index\('rotation'\) = 5\).*'rotation'"),
    "apply_ops ops string": (lambda: policies.apply_ops(IMGU, "rotation", [1.0]), TypeError, r"ops=.rotation."),
    "apply_ops three ops, one magnitude": (lambda: policies.apply_ops(IMGU, [5, 6, 7], [1.0]), ValueError,
                                           r"magnitudes must have the shape of ops, \(3,\).*\(1,\)"),
    "apply_ops scalar magnitude": (lambda: policies.apply_ops(IMGU, [5, 6], 1.0), ValueError,
                                   r"magnitudes.shape=\(\)"),
    "apply_ops bool ops": (lambda: policies.apply_ops(IMGU, [True], [1.0]), TypeError, r"ops"),
    "ops_pixels 99": (lambda: policies.ops_pixels(IMGU, [99], [0.0]), ValueError, r"ops .*99"),
    "ops_pixels -1": (lambda: policies.ops_pixels(IMGU, np.array([-1]), [0.0]), ValueError, r"ops .*-1"),
    "ops_pixels 1.5": (lambda: policies.ops_pixels(IMGU, [1.5], [0.0]), TypeError, r"ops"),
    "ops_pixels nan": (lambda: policies.ops_pixels(IMGU, [6], [NAN]), ValueError, r"magnitudes"),
    "ops_pixels 'rotation'": (lambda: policies.ops_pixels(IMGU, ["rotation"], [0.0]), TypeError, r"OPS.index"),
    "ops_matrix 99": (lambda: policies.ops_matrix((8, 8), [99], [0.0]), ValueError, r"ops .*99"),
    "ops_matrix -1": (lambda: policies.ops_matrix((8, 8), [-1], [0.0]), ValueError, r"ops .*-1"),
    "ops_matrix 1.5": (lambda: policies.ops_matrix((8, 8), [1.5], [0.0]), TypeError, r"ops"),
    "ops_matrix nan": (lambda: policies.ops_matrix((8, 8), [5], [NAN]), ValueError, r"magnitudes must be finite"),
    "ops_matrix reused magnitude": (lambda: policies.ops_matrix((8, 8), [5, 5, 5], [30.0]), ValueError,
                                    r"magnitudes must have the shape of ops"),
    "ops_matrix 2-d ops": (lambda: policies.ops_matrix((8, 8), [[5]], [[30.0]]), ValueError,
                           r"ops must have shape \(S,\).*\(1, 1\)"),
    "ops_pixels_batch batch sizes": (lambda: policies.ops_pixels_batch(IMGS, np.zeros((3, 2), np.int32),
                                                                       np.zeros((3, 2))), ValueError,
                                     r"ops must have shape \(4, S\).*\(3, 2\)"),
    "ops_pixels_batch magnitudes batch": (lambda: policies.ops_pixels_batch(IMGS, np.zeros((4, 2), np.int32),
                                                                            np.zeros((3, 2))), ValueError,
                                          r"magnitudes must have the shape of ops, \(4, 2\)"),
    "ops_pixels_batch 99": (lambda: policies.ops_pixels_batch(IMGS, np.full((4, 1), 99), np.zeros((4, 1))),
                            ValueError, r"ops .*99"),
    "ops_pixels_batch nan": (lambda: policies.ops_pixels_batch(IMGS, np.full((4, 1), 6), np.full((4, 1), NAN)),
                             ValueError, r"magnitudes must be finite"),
    "check_policy num_ops 100": (lambda: policies.check_policy("trivial_augment", 100, 9), ValueError,
                                 r"num_ops must be an integer in \[0, 64\]. Received: num_ops=100"),
    "check_policy magnitude 31": (lambda: policies.check_policy("auto_augment_cifar10", 2, 31), ValueError,
                                  r"magnitude must be in \[0, 30\].*magnitude=31"),
    "check_policy magnitude nan": (lambda: policies.check_policy("trivial_augment", 2, NAN), ValueError,
                                   r"magnitude"),
    # options that refine an op are checked by the op's rule, whatever calls it
    "check scale (1.0, 0.08)": (lambda: transforms.check_resized_crop_scale((1.0, 0.08), "resized_crop_scale"),
                                ValueError, r"resized_crop_scale must have lo <= hi"),
    "check scale (0.5, 1.5)": (lambda: transforms.check_resized_crop_scale((0.5, 1.5), "resized_crop_scale"),
                               ValueError, r"resized_crop_scale must lie in \(0, 1\]"),
    "check scale (nan, 1.0)": (lambda: transforms.check_resized_crop_scale((NAN, 1.0), "resized_crop_scale"),
                               ValueError, r"resized_crop_scale.*nan"),
    "check ratio (1.33, 0.75)": (lambda: transforms.check_resized_crop_ratio((1.33, 0.75), "resized_crop_ratio"),
                                 ValueError, r"resized_crop_ratio must have lo <= hi"),
    "sample_resized_crop scale (0.5, 1.5)": (lambda: transforms.sample_resized_crop(KEY, (8, 8, 3), scale=(0.5, 1.5)),
                                             ValueError, r"scale must lie in \(0, 1\]"),
    "piece random_resized_crop ratio": (lambda: jp.random_resized_crop(8, ratio=(1.33, 0.75)), ValueError,
                                        r"ratio must have lo <= hi"),
    # tiny concentrations: refused below a stated bound
    "sample_mixup alpha 1e-46": (lambda: mixing.sample_mixup(KEY, IMGS.shape, alpha=1e-46), ValueError,
                                 r"alpha must be >= 1e-30.*alpha=1e-46"),
    "mixup alpha 1e-46": (lambda: mixing.mixup(KEY, IMGS, np.arange(4), alpha=1e-46, num_classes=4), ValueError,
                          r"alpha must be >= 1e-30"),
    "cutmix alpha 1e-46": (lambda: mixing.cutmix(KEY, IMGS, np.arange(4), alpha=1e-46, num_classes=4), ValueError,
                           r"alpha must be >= 1e-30.*alpha=1e-46"),
    "sample_cutmix alpha 0": (lambda: mixing.sample_cutmix(KEY, IMGS.shape, alpha=0.0), ValueError, r"alpha=0.0"),
    "sample_augmix alpha 1e-30": (lambda: policies.sample_augmix(KEY, (8, 8, 3), alpha=1e-30), ValueError,
                                  r"alpha must be >= 0.4.*alpha=1e-30"),
    "AugMix alpha 1e-30": (lambda: augmix.AugMix(alpha=1e-30), ValueError, r"alpha must be >= 0.4"),
    "AugMix alpha 0.1": (lambda: augmix.AugMix(alpha=0.1), ValueError, r"alpha=0.1"),
    "fit zca_epsilon 0": (lambda: normalize.fit(np.zeros((4, 4, 4, 3), np.uint8), zca_whitening=True,
                                                zca_epsilon=0.0), ValueError,
                          r"zca_epsilon gives a ZCA matrix with inf or NaN.*zca_epsilon=0.0"),
    "fit zca_epsilon 1e-45": (lambda: normalize.fit(np.full((2, 2, 2, 1), 7, np.uint8), zca_whitening=True,
                                                    featurewise_center=True, zca_epsilon=1e-45), ValueError,
                              r"zca_epsilon"),
    # box sizes of a crop are positive numbers
    "resized_crop height 0": (lambda: transforms.resized_crop(IMG, 2, 2, 0, 8, 8), ValueError,
                              r"height must be > 0. Received: height=0"),
    "resized_crop height -8": (lambda: transforms.resized_crop(IMG, 2, 2, -8, 8, 8), ValueError, r"height=-8"),
    "resized_crop height '8'": (lambda: transforms.resized_crop(IMG, 2, 2, "8", 8, 8), TypeError,
                                r"height must be a real number. Received: height='8'"),
    "resized_crop width 0": (lambda: transforms.resized_crop(IMG, 2, 2, 8, 0, 8), ValueError, r"width=0"),
    "resized_crop top string": (lambda: transforms.resized_crop(IMG, "2", 2, 8, 8, 8), TypeError, r"top='2'"),
    "resized_crop_matrix nan": (lambda: transforms.resized_crop_matrix((8, 8), 4, 0, NAN, 8, 8), ValueError,
                                r"left"),
    # a traced range: named, must be concrete (pieces and samplers; the augmenter: see below)
    "piece brightness traced": (lambda: jax.jit(lambda a: jp.brightness((a, 1.2)))(0.8), TypeError,
                                r"brightness_range must be a pair \(lo, hi\) of concrete Python numbers"),
    "sample_contrast traced": (lambda: jax.jit(lambda a: color.sample_contrast(KEY, (8, 8, 3), (a, 1.2)))(0.8),
                               TypeError, r"contrast_range .*not traced"),
    "sample_saturation traced": (lambda: jax.jit(lambda a: color.sample_saturation(KEY, (8, 8, 3), (a, 1.2)))(0.8),
                                 TypeError, r"saturation_range"),
    "sample_hsv_contrast traced": (lambda: jax.jit(lambda a: color.sample_hsv_contrast(KEY, (8, 8, 3),
                                                                                         exponent_range=(a, 4.0)))(0.5),
                                   TypeError, r"exponent_range"),
    "piece blur traced": (lambda: jax.jit(lambda a: jp.blur((a, 1.2)))(0.8), TypeError,
                          r"sigma_range must be a number or a pair"),
    "piece blur traced scalar": (lambda: jax.jit(lambda a: jp.blur(a))(0.8), TypeError, r"sigma_range"),

    # --- issue 33 ---------------------------------------------------------------------------------
    # a range whose width overflows float32 is refused by the argument's name
    "augmenter rotation_range 3e38": (lambda: jaxaug.augmenter(rotation_range=3e38), ValueError,
                                      r"rotation_range spans .*not finite in float32.*rotation_range=3e\+38"),
    "augmenter shear_range 3e38": (lambda: jaxaug.augmenter(shear_range=3e38), ValueError, r"shear_range=3e\+38"),
    "augmenter height_shift_range 3e38": (lambda: jaxaug.augmenter(height_shift_range=3e38), ValueError,
                                          r"height_shift_range=3e\+38"),
    "augmenter channel_shift_range 3e38": (lambda: jaxaug.augmenter(channel_shift_range=3e38), ValueError,
                                           r"channel_shift_range.*not finite"),
    "piece rotation 3e38": (lambda: jp.rotation(3e38), ValueError, r"max_angle spans .*max_angle=3e\+38"),
    "piece shear 3e38": (lambda: jp.shear(3e38), ValueError, r"max_angle=3e\+38"),
    "sample_channel_shift 3e38": (lambda: color.sample_channel_shift(KEY, (8, 8, 3), 3e38), ValueError,
                                  r"intensity spans .*intensity=3e\+38"),
    "random_rotation 3e38": (lambda: transforms.random_rotation(KEY, IMG, 3e38), ValueError,
                             r"max_angle spans .*max_angle=3e\+38"),
    "random_shear 3e38": (lambda: transforms.random_shear(KEY, IMG, 3e38), ValueError, r"max_angle=3e\+38"),
    "random_channel_shift 3e38": (lambda: color.random_channel_shift(KEY, IMG, 3e38), ValueError,
                                  r"intensity=3e\+38"),
    "random_affine_matrix width_shift_range 3e38": (
        lambda: geometry.random_affine_matrix(KEY, (8, 8), width_shift_range=3e38),
                                             ValueError, r"width_shift_range spans .*width_shift_range=3e\+38"),
    "sample_shift height 3e38": (lambda: transforms.sample_shift(KEY, (8, 8), height_shift_range=3e38), ValueError,
                                 r"height_shift_range"),
    "random_gaussian_noise 3e38": (lambda: noise.random_gaussian_noise(KEY, IMG, 3e38), ValueError,
                                   r"sigma_range must keep its draws finite.*sigma_range=3e\+38"),
    "sample_gaussian_noise (0, 1e38)": (lambda: noise.sample_gaussian_noise(KEY, (8, 8, 3), (0.0, 1e38)), ValueError,
                                        r"sigma_range"),
    "value_range width": (lambda: color.brightness(IMG, 1.0, value_range=(-3e38, 3e38)), ValueError,
                          r"value_range spans"),
    # matrices: concrete NaN refused by name, batch shapes that do not broadcast named
    "centered nan": (lambda: geometry.centered(NAN_MATRIX, (8, 8)), ValueError, r"matrix must be finite"),
    "centered inf": (lambda: jaxaug.centered(np.diag([1.0, np.inf, 1.0]), (8, 8)), ValueError, r"matrix must be"),
    "compose nan": (lambda: geometry.compose(EYE, NAN_MATRIX), ValueError, r"matrices\[1\] must be finite"),
    "compose nan bottom row": (lambda: geometry.compose(np.array([[1, 0, 0], [0, 1, 0], [NAN, 0, 1]]), EYE),
                               ValueError, r"matrices\[0\]"),
    "warp_keypoints nan": (lambda: jaxaug.warp_keypoints(np.zeros((1, 2)), NAN_MATRIX, (8, 8)), ValueError,
                           r"matrices must be finite"),
    "warp_boxes nan": (lambda: jaxaug.warp_boxes(np.array([[0.0, 0.0, 4.0, 4.0]]), NAN_MATRIX, (8, 8)), ValueError,
                       r"matrices must be finite"),
    "compose eyes eyes[:3]": (lambda: geometry.compose(EYES, EYES[:3]), ValueError,
                              r"broadcast together.*matrices\[0\].shape=\(4, 3, 3\), matrices\[1\].shape=\(3, 3, 3\)"),
    # combine's slots: the check (the call from combine is wired by its owner, see below)
    "check_slots too few": (lambda: _checks.check_slots([jp.flip(), jp.rotation(10)], [0]), ValueError,
                            r"slots must have one entry per piece \(2 pieces\).*slots=\[0\]"),
    "check_slots repeated": (lambda: _checks.check_slots([jp.flip(), jp.rotation(10)], [3, 3]), ValueError,
                             r"slots must be distinct"),
    "check_slots negative": (lambda: _checks.check_slots([jp.flip()], [-1]), ValueError, r"slots\[0\]"),
    "check_slots names": (lambda: _checks.check_slots([jp.flip()], [0], ["a", "b"]), ValueError, r"names"),
    "check_slots not a sequence": (lambda: _checks.check_slots([jp.flip()], 0), TypeError, r"slots must be a tuple"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_a_named_error(case):
    call, error, pattern = CASES[case]
    with pytest.raises(error, match=pattern):
        call()


# --- cases that pass through a module owned elsewhere: checked end to end once wired -------------

WIRED = {  # (call, error, pattern, what must call which check)
    "augmenter resized_crop_scale (1.0, 0.08) while off": (
        lambda: jaxaug.augmenter(resized_crop_scale=(1.0, 0.08)), ValueError, r"resized_crop_scale",
        "Option resized_crop_scale: check=transforms.check_resized_crop_scale"),
    "augmenter resized_crop_scale (0.5, 1.5) while off": (
        lambda: jaxaug.augmenter(resized_crop_scale=(0.5, 1.5)), ValueError, r"resized_crop_scale",
        "Option resized_crop_scale: check=transforms.check_resized_crop_scale"),
    "augmenter resized_crop_scale (nan, 1.0) while off": (
        lambda: jaxaug.augmenter(resized_crop_scale=(NAN, 1.0)), ValueError, r"resized_crop_scale",
        "Option resized_crop_scale: check=transforms.check_resized_crop_scale"),
    "augmenter resized_crop_ratio (1.33, 0.75) while off": (
        lambda: jaxaug.augmenter(resized_crop_ratio=(1.33, 0.75)), ValueError, r"resized_crop_ratio",
        "Option resized_crop_ratio: check=transforms.check_resized_crop_ratio"),
    "policy trivial_augment num_ops=100": (
        lambda: jp.policy("trivial_augment", num_ops=100), ValueError, r"num_ops.*100",
        "pipeline.policy: policies.check_policy(name, num_ops, magnitude)"),
    "combine([flip, rotation], [0])": (
        lambda: jp.combine([jp.flip(), jp.rotation(10)], [0]), ValueError, r"slots must have one entry per piece",
        "combine: _checks.check_slots(pieces, slots, names)"),
}


@pytest.mark.parametrize("case", sorted(WIRED))
def test_bad_input_through_the_options_is_a_named_error_once_wired(case):
    call, error, pattern, wiring = WIRED[case]
    try:
        call()
    except (TypeError, ValueError) as err:
        assert isinstance(err, error), err
        assert re.search(pattern, str(err)), str(err)
        return
    pytest.xfail(f"accepted until wired: {wiring}")


@pytest.mark.parametrize("option, value", [("brightness_range", (None, 1.2)), ("contrast_range", (None, 1.2)),
                                           ("saturation_range", (None, 1.2)), ("hsv_contrast_range", (None, 4.0)),
                                           ("blur_sigma_range", (None, 1.2))])
def test_a_traced_range_given_to_augmenter_names_the_option(option, value):
    # Issue 27: these died in TracerArrayConversionError. A range sets the computation (it is read
    # when the pipeline is built), so it must be concrete: the error names the option.
    def build(a):
        return jaxaug.augmenter(**{option: (a, value[1])})(KEY, IMGS)

    with pytest.raises(TypeError, match=rf"augmenter option {option} must be a static Python value"):
        jax.jit(build)(0.8)


# --- what is legitimately accepted -----------------------------------------------------------------


def test_the_largest_output_side_is_accepted():
    assert transforms.check_size(2**15, "size") == (2**15, 2**15)
    assert jaxaug.warp.check_output_shape((1, 2**15)) == (1, 2**15)
    out = jax.eval_shape(lambda x: transforms.resize(x, (2**15, 1)), jax.ShapeDtypeStruct((8, 8, 3), jnp.uint8))
    assert out.shape == (2**15, 1, 3)


def test_the_largest_finite_half_range_is_accepted_and_draws_finite_values():
    # [-1.7e38, 1.7e38] has a width of 3.4e38 < float32's 3.4028e38: finite draws (useless as angles, but valid).
    angle = transforms.sample_rotation(KEY, (8, 8, 3), 1.7e38)["angle"]
    shift = color.sample_channel_shift(KEY, (8, 8, 3), 1.7e38)["shift"]
    assert np.isfinite(angle) and np.isfinite(shift)
    assert np.isfinite(noise.sample_gaussian_noise(KEY, (4, 4, 3), 6e37)["noise"]).all()


def test_the_smallest_alphas_are_accepted_and_give_no_nan():
    lam = mixing.sample_mixup(KEY, (64, 8, 8, 3), alpha=1e-30)["lam"]
    assert np.isfinite(lam).all() and set(np.unique(np.asarray(lam))) <= {0.0, 1.0}
    boxes = mixing.sample_cutmix(KEY, (64, 8, 8, 3), alpha=1e-30)
    assert set(np.unique(np.asarray(boxes["height"]))) <= {0, 8}
    draws = jax.vmap(lambda k: policies.sample_augmix(k, (8, 8, 3), alpha=0.4, width=1))(
        jax.random.split(KEY, 2000))
    assert np.isfinite(draws["weights"]).all() and np.isfinite(draws["original"]).all()


def test_zca_epsilon_zero_is_accepted_for_full_rank_data_and_traced_fits_are_data():
    images = np.random.default_rng(0).random((16, 2, 2, 1)).astype(np.float32)  # N > D = 4: full rank
    stats = normalize.fit(images, zca_whitening=True, zca_epsilon=0.0)
    assert np.isfinite(stats.principal_components).all()
    # Under jit the images are data: no error, the matrix as computed (standardize refuses it when concrete).
    traced = jax.jit(lambda x: normalize.fit(x, zca_whitening=True, zca_epsilon=0.0))(np.zeros((2, 2, 2, 1)))
    assert not np.isfinite(traced.principal_components).all()


def test_traced_matrices_are_data():
    out = jax.jit(lambda m: geometry.compose(m, EYE))(NAN_MATRIX)
    assert np.isnan(out).all()
    jax.jit(lambda m: geometry.centered(m, (8, 8)))(NAN_MATRIX)
    pts, visible = jax.jit(lambda m: jaxaug.warp_keypoints(np.zeros((1, 2)), m, (8, 8)))(NAN_MATRIX)
    assert not bool(visible[0])


def test_traced_crop_boxes_are_data():
    out = jax.jit(lambda h: transforms.resized_crop(IMG, 0, 0, h, 8, 4))(0.0)
    assert out.shape == (4, 4, 3)


@pytest.mark.parametrize("index, same_as", [(-1, 0), (-40, 0), (99, len(policies.OPS) - 1), (15, 14)])
def test_traced_op_indices_are_clipped_the_same_way_by_every_twin(index, same_as):
    # Documented: traced indices are data, clipped into [0, len(OPS) - 1] (-1 is identity, 99 invert).
    ops, expected_ops = jnp.array([index]), jnp.array([same_as])
    mags = jnp.array([0.0])
    one = jax.jit(policies.ops_pixels)(IMGU, ops, mags)
    np.testing.assert_array_equal(one, policies.ops_pixels(IMGU, expected_ops, mags))
    batch = jax.jit(policies.ops_pixels_batch)(IMGU[None], ops[None], mags[None])
    np.testing.assert_array_equal(batch[0], one)
    np.testing.assert_array_equal(jax.jit(lambda o: policies.ops_matrix((8, 8), o, mags))(ops),
                                  policies.ops_matrix((8, 8), expected_ops, mags))


def test_valid_draws_still_run_and_lists_are_accepted():
    out = policies.apply_ops(IMGU, [5, 13], [30.0, 0.0])
    assert out.shape == IMGU.shape and out.dtype == np.uint8
    assert policies.ops_matrix((8, 8), [], []).shape == (3, 3)  # no slot: the identity
    policies.check_policy("rand_augment", 0, 30)
    _checks.check_slots((jp.flip(), jp.rotation(10)), (0, 2**32 - 1), ("flip", "rotation"))
