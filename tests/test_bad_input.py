"""Bad input, tried as a new user would: every case raises TypeError/ValueError naming the argument.

The cases come from a probe that fed bad values to every public function (issue 14): numbers
that overflow float32, NaN, strings and bools where numbers go, non-integer sizes, complex
arrays, out-of-range indices, options ignored while their main option is off, and sizes that
would make the work explode. Image *values* are data and are not checked (see the README).
"""

import hypothesis.extra.numpy as hnp
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given, settings
from hypothesis import strategies as st

import jaxaug
from jaxaug import filters, geometry, mixing, noise, normalize, transforms
from jaxaug import pipeline as jp

KEY = jax.random.key(0)
IMG = np.zeros((8, 8, 3), np.float32)
IMGS = np.zeros((4, 8, 8, 3), np.uint8)
EYE = np.eye(3, dtype=np.float32)
NAN = float("nan")
CLASSES = np.array([0, 1, 2, 3])

CASES = {
    # numbers that are finite in Python but inf in float32, and NaN
    "rotation 1e39": (lambda: transforms.random_rotation(KEY, IMG, 1e39), ValueError, ["max_angle", "float32"]),
    "augmenter rotation 1e39": (lambda: jaxaug.augmenter(rotation_range=1e39), ValueError, ["rotation_range"]),
    "piece rotation 1e39": (lambda: jp.rotation(1e39), ValueError, ["max_angle", "1e+39"]),
    "rotate nan": (lambda: transforms.rotation(IMG, NAN), ValueError, ["angle", "nan"]),
    "warp nan matrix": (lambda: jaxaug.affine_warp(IMGS, np.full((3, 3), NAN)), ValueError, ["matrices", "finite"]),
    "warp nan cval": (lambda: jaxaug.affine_warp(IMG, EYE, cval=NAN), ValueError, ["cval", "nan"]),
    "augmenter nan cval": (lambda: jaxaug.augmenter(rotation_range=10, cval=NAN), ValueError, ["cval"]),
    "nan keypoints": (lambda: jaxaug.warp_keypoints(np.full((1, 2), NAN), EYE, (8, 8)), ValueError, ["keypoints"]),
    "nan statistics": (lambda: normalize.standardize(IMG, statistics=normalize.Statistics(mean=np.full((1, 1, 3), NAN)),
                                                     featurewise_center=True), ValueError, ["statistics.mean"]),
    "nan soft labels": (lambda: mixing.mix(IMGS, np.full((4, 2), NAN), CLASSES, 0.5), ValueError, ["labels"]),
    "truncate 1e39": (lambda: filters.gaussian_blur(IMG, 1.0, truncate=1e39), ValueError, ["truncate"]),
    "blur piece 1e39": (lambda: jp.blur(1e39), ValueError, ["sigma_range"]),
    "blur 1e6": (lambda: filters.gaussian_blur(IMG, 1e6), ValueError, ["sigma * truncate", "1000000.0"]),
    # strings, bools and None are not numbers
    "rotate string": (lambda: transforms.rotation(IMG, "20"), TypeError, ["angle", "'20'"]),
    "cval string": (lambda: jaxaug.affine_warp(IMG, EYE, cval="0"), TypeError, ["cval", "'0'"]),
    "rotation_matrix None": (lambda: geometry.rotation_matrix(None), TypeError, ["angle", "None"]),
    "rotation_matrix complex": (lambda: geometry.rotation_matrix(1 + 2j), TypeError, ["angle"]),
    "rotation_matrix vector": (lambda: geometry.rotation_matrix(np.zeros(2)), ValueError, ["angle", "(2,)"]),
    "shift string": (lambda: geometry.shift_matrix("1", 0), TypeError, ["dy"]),
    "brightness string": (lambda: jaxaug.color.brightness(IMG, "2"), TypeError, ["factor"]),
    "flip int": (lambda: transforms.flip(IMG, horizontal=2), TypeError, ["horizontal", "2"]),
    "flip_matrix string": (lambda: geometry.flip_matrix(horizontal="yes"), TypeError, ["horizontal"]),
    "isotropic string": (lambda: transforms.sample_zoom(KEY, (8, 8, 3), 0.2, isotropic="no"), TypeError,
                         ["isotropic", "'no'"]),
    # sizes are integers
    "centered 8.5": (lambda: geometry.centered(EYE, (8.5, 8)), TypeError, ["shape", "8.5"]),
    "shift_matrix_centered shape": (lambda: transforms.shift_matrix_centered("abc", 1.0, 2.0), TypeError, ["shape"]),
    "crop_matrix shape": (lambda: transforms.crop_matrix(None, 1.0, 2.0), TypeError, ["shape", "None"]),
    "mixup shape float": (lambda: mixing.sample_mixup(KEY, (4.5, 8, 8, 3)), TypeError, ["shape"]),
    # options checked while their main option is off
    "salt_vs_pepper off": (lambda: jaxaug.augmenter(salt_vs_pepper=-1), ValueError, ["salt_vs_pepper", "-1"]),
    "cutout_probability off": (lambda: jaxaug.augmenter(cutout_probability=2.0), ValueError, ["cutout_probability"]),
    "isotropic_zoom off": (lambda: jaxaug.augmenter(isotropic_zoom="yes"), TypeError, ["isotropic_zoom", "'yes'"]),
    # complex arrays are not silently made real
    "compose complex": (lambda: jaxaug.compose(EYE.astype(np.complex64)), TypeError, ["matrices[0]", "complex"]),
    "centered complex": (lambda: jaxaug.centered(EYE.astype(np.complex64), (8, 8)), TypeError, ["matrix"]),
    "warp complex matrix": (lambda: jaxaug.affine_warp(IMG, EYE.astype(np.complex64)), TypeError, ["matrices"]),
    "keypoints complex": (lambda: jaxaug.warp_keypoints(np.zeros((1, 2), np.complex64), EYE, (8, 8)), TypeError,
                          ["keypoints"]),
    "image complex": (lambda: jaxaug.affine_warp(IMG.astype(np.complex64), EYE), TypeError, ["images", "complex"]),
    "noise complex": (lambda: noise.gaussian_noise(IMG, np.zeros((8, 8, 3), np.complex64)), TypeError, ["noise"]),
    "fit complex": (lambda: normalize.fit(IMGS.astype(np.complex64), featurewise_center=True), TypeError,
                    ["images"]),
    "image strings": (lambda: jaxaug.affine_warp(np.full((8, 8, 3), "a"), EYE), TypeError, ["images"]),
    "image objects": (lambda: jaxaug.transforms.rotation(np.full((8, 8, 3), None), 1.0), TypeError, ["image"]),
    "image None": (lambda: jaxaug.transforms.rotation(None, 1.0), TypeError, ["image", "None"]),
    "augmenter dtype int8": (lambda: jaxaug.Augmenter(jp.flip(), dtype="int8"), TypeError, ["dtype", "int8"]),
    "augmenter dtype bool": (lambda: jaxaug.Augmenter(jp.flip(), dtype=bool), TypeError, ["dtype"]),
    # indices, partners and labels do not wrap or clamp
    "indices negative": (lambda: jaxaug.augmenter(horizontal_flip=True)(KEY, IMGS, indices=[-1, 0, 1, 2]),
                         ValueError, ["indices", "-1"]),
    "indices 2**32": (lambda: jaxaug.augmenter(horizontal_flip=True)(KEY, IMGS, indices=[2**32 + 1, 0, 1, 2]),
                      ValueError, ["indices", "4294967297"]),
    "partner too large": (lambda: mixing.mix(IMGS, CLASSES, [9, 0, 1, 2], 0.5, num_classes=4), ValueError,
                          ["partner", "9"]),
    "partner negative": (lambda: mixing.mix(IMGS, CLASSES, [-1, 0, 1, 2], 0.5, num_classes=4), ValueError,
                         ["partner", "-1"]),
    "label out of range": (lambda: mixing.mix(IMGS, [0, 1, 0, 0], CLASSES, 0.5, num_classes=1), ValueError,
                           ["labels", "num_classes=1"]),
    "mask too large": (lambda: jaxaug.augmenter(horizontal_flip=True)(
        KEY, IMGS, masks=np.full((4, 8, 8), 2**40 + 3, np.int64)), ValueError, ["masks", str(2**40 + 3)]),
    # unclear errors before: the key, traced static options, replayed params
    "raw int key": (lambda: jaxaug.augmenter(horizontal_flip=True)(0, IMGS), TypeError, ["key", "jax.random.key"]),
    "traced option": (lambda: jax.jit(lambda r: jaxaug.augmenter(rotation_range=r))(10.0), TypeError,
                      ["static"]),
    "traced max_angle": (lambda: jax.jit(lambda r: transforms.random_rotation(KEY, IMG, r))(10.0), TypeError,
                           ["max_angle", "static"]),
    "apply wrong params": (lambda: jaxaug.augmenter(horizontal_flip=True).apply({"brightness": 1.0}, IMGS),
                           ValueError, ["params", "sample()"]),
    "apply string params": (lambda: jaxaug.augmenter(horizontal_flip=True).apply("abc", IMGS), ValueError,
                            ["params"]),
    # the second probe: Python ints beyond int32 must not wrap to small values
    "erase top 2**40": (lambda: jaxaug.occlusion.erase(IMG, 2**40, 0, 2, 2), ValueError, ["top", "32-bit"]),
    "erase value 2**40": (lambda: jaxaug.occlusion.erase(IMG, 0, 0, 2, 2, value=2**40), ValueError, ["value"]),
    "noise 2**40": (lambda: noise.gaussian_noise(IMG, 2**40), ValueError, ["noise"]),
    "lam 2**40": (lambda: mixing.mix(IMGS, CLASSES, CLASSES, 2**40, num_classes=4), ValueError, ["lam"]),
    "mean 2**40": (lambda: normalize.standardize(IMG, statistics=normalize.Statistics(mean=2**40),
                                                 featurewise_center=True),
                   ValueError, ["statistics.mean"]),
    "shift range 2**40": (lambda: geometry.sample_affine(KEY, (8, 8), width_shift_range=2**40), ValueError,
                          ["width_shift_range", str(2**40)]),
    "padding 2**40": (lambda: transforms.sample_crop(KEY, (8, 8, 3), 2**40), ValueError, ["padding"]),
    "cutout 2**40": (lambda: jp.cutout(2**40), ValueError, ["size"]),
    "num_classes 2**40": (lambda: mixing.mixup(KEY, IMGS, CLASSES, num_classes=2**40), ValueError, ["num_classes"]),
    "blur range 2**40": (lambda: filters.random_gaussian_blur(KEY, IMG, 2**40), ValueError, ["sigma_range"]),
    # documented ranges of values that may be traced, checked when concrete
    "brightness -1": (lambda: jaxaug.color.brightness(IMG, -1.0), ValueError, ["factor", "-1.0"]),
    "grayscale weight 8.5": (lambda: jaxaug.color.grayscale(IMG, 8.5), ValueError, ["weight", "8.5"]),
    "hsv exponent 0": (lambda: jaxaug.color.hsv_contrast(IMG, 0.0, 1.0), ValueError, ["saturation_exponent"]),
    "noise nan": (lambda: noise.gaussian_noise(IMG, NAN), ValueError, ["noise", "finite"]),
    "zoom 0": (lambda: transforms.zoom(IMG, 0.0), ValueError, ["zy", "> 0"]),
    "affine zoom 0": (lambda: geometry.affine_matrix((8, 8), zoom=np.zeros(2)), ValueError, ["zoom[0]"]),
    "std -1": (lambda: normalize.standardize(IMG, statistics=normalize.Statistics(std=-1.0),
                                             featurewise_std_normalization=True), ValueError, ["statistics.std"]),
    "salt number": (lambda: noise.salt_and_pepper(IMG, -1.0, False), TypeError, ["salt", "bool"]),
    # options that were silently "off" or named another argument
    "statistics string": (lambda: jaxaug.augmenter(statistics="abc"), TypeError, ["statistics", "'abc'"]),
    "flip 0": (lambda: jaxaug.augmenter(horizontal_flip=0), TypeError, ["horizontal_flip", "0"]),
    "rotation None": (lambda: jaxaug.augmenter(rotation_range=None), TypeError, ["rotation_range", "None"]),
    "normalisation flag array": (lambda: jaxaug.augmenter(zca_whitening=np.zeros(2)), TypeError, ["zca_whitening"]),
    "dtype number": (lambda: jaxaug.Augmenter(jp.flip(), dtype=np.float64(1e39)), TypeError, ["dtype"]),
    "fill_mode array": (lambda: jaxaug.affine_warp(IMG, EYE, fill_mode=np.zeros(2)), ValueError, ["fill_mode"]),
    "piece not callable": (lambda: jaxaug.Augmenter(jp.Augmentation(sample="x")), TypeError,
                           ["augmentation.sample"]),
    "random_shift image": (lambda: transforms.random_shift(KEY, None, width_shift_range=0.1), TypeError,
                           ["image", "None"]),
    "affine rotation string": (lambda: geometry.affine_matrix((8, 8), rotation="x"), TypeError, ["rotation"]),
    "affine flip string": (lambda: geometry.affine_matrix((8, 8), horizontal_flip="x"), TypeError,
                           ["horizontal_flip"]),
    "traced option named": (lambda: jax.jit(lambda r: jaxaug.augmenter(shear_range=r))(10.0), TypeError,
                            ["shear_range"]),
    "rgb_to_hsv None": (lambda: jaxaug.hsv.rgb_to_hsv(None), TypeError, ["rgb", "None"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_names_the_argument_and_value(case):
    call, error, words = CASES[case]
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_angles_beyond_a_turn_are_reduced_before_float32():
    # 2**40 degrees is 16 degrees past a whole number of turns, but float32 rounds it to a multiple
    # of 2**17, which rotated by nothing; reduced in float64 first, it turns by 16 degrees.
    np.testing.assert_array_equal(geometry.rotation_matrix(2**40), geometry.rotation_matrix(16.0))
    np.testing.assert_array_equal(geometry.rotation_matrix(-(2**31) - 16), geometry.rotation_matrix(-144.0))


def test_traced_values_are_checked_for_dtype_not_value():
    # Under jit the values are data: a traced NaN angle is not an error, a traced string cannot exist.
    out = jax.jit(lambda a: transforms.rotation(IMG, a))(jnp.float32(NAN))
    assert out.shape == IMG.shape
    with pytest.raises(TypeError, match="angle"):
        jax.jit(lambda a: transforms.rotation(IMG, a))(jnp.complex64(1))


# --- sizes that would make the work explode are bounded ---------------------------------------


@pytest.mark.parametrize("shape, sigma", [((8, 8, 3), 1000.0), ((3, 5, 2), 40.0), ((32, 32, 3), 8.0)])
def test_blur_wider_than_the_image_is_folded_and_still_scipy(shape, sigma):
    # An 8,001-tap kernel used to be unrolled (242 s, 23.6 GB for sigma 1000 on 8 x 8); folded onto
    # the 2n-periodic reflect extension it is an (n, n) product. Tolerance: float32 sums of at most
    # a few thousand positive weights, relative error ~1e-6 of values in [0, 1].
    image = np.random.default_rng(0).random(shape, dtype=np.float32)
    expected = ndi.gaussian_filter(image.astype(np.float64), (sigma, sigma, 0), mode="reflect", truncate=4.0)
    np.testing.assert_allclose(np.asarray(filters.gaussian_blur(image, sigma)), expected, atol=2e-6)


def test_augmenter_with_a_huge_blur_is_cheap_and_exact():
    # blur_sigma_range=300 on 8 x 8 took 17.5 s and 2.6 GB before the fold.
    images = np.random.default_rng(1).random((4, 8, 8, 3), dtype=np.float32)
    augment = jaxaug.augmenter(blur_sigma_range=300.0)
    out = np.asarray(jax.jit(augment)(KEY, images))
    for image, got in zip(images, out, strict=True):
        expected = ndi.gaussian_filter(image.astype(np.float64), (300.0, 300.0, 0), mode="reflect", truncate=4.0)
        np.testing.assert_allclose(got, np.clip(expected, 0, 1), atol=2e-6)


# --- a property: any options, any image: a valid output or a named error ----------------------

OPTION_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 40), st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([1e39, -1e39, "0.2", "yes", 0.5, 0.999, 1.0, 2.0]),
    st.tuples(st.floats(-2, 5), st.floats(-2, 5)),
)
OPTIONS = ["rotation_range", "width_shift_range", "height_shift_range", "shear_range", "zoom_range", "isotropic_zoom",
           "horizontal_flip", "vertical_flip", "crop_padding", "channel_shift_range", "brightness_range",
           "contrast_range", "saturation_range", "hue_range", "hsv_contrast_range", "grayscale_probability",
           "blur_sigma_range", "gaussian_noise", "salt_and_pepper", "salt_vs_pepper", "cutout_size",
           "cutout_probability", "random_erasing_probability", "cval", "order", "fill_mode"]


def _named(err: Exception) -> bool:
    """The message names an augmenter option (or the value range it checks against)."""
    return any(name in str(err) for name in OPTIONS + ["value_range", "max_sigma", "sigma", "size", "padding"])


@settings(max_examples=60, deadline=None)
@given(options=st.dictionaries(st.sampled_from(OPTIONS), OPTION_VALUES, max_size=4),
       shape=st.tuples(st.integers(1, 3), st.integers(1, 12), st.integers(1, 12), st.sampled_from([1, 3])),
       dtype=st.sampled_from([np.uint8, np.float32]), data=st.data())
def test_any_options_give_a_valid_batch_or_a_named_error(options, shape, dtype, data):
    try:
        augment = jaxaug.augmenter(**options)
    except (TypeError, ValueError) as err:
        assert _named(err), err
        return
    high = 255 if dtype == np.uint8 else 1
    images = data.draw(hnp.arrays(dtype, shape, elements=st.integers(0, 255) if dtype == np.uint8
                                  else st.floats(0, 1, width=32)))
    try:
        out = np.asarray(jax.jit(augment)(KEY, images))
    except (TypeError, ValueError) as err:  # a check that needs the image (e.g. RGB-only ops on 1 channel)
        assert _named(err) or "image" in str(err), err
        return
    assert out.shape == images.shape and out.dtype == images.dtype
    assert np.all(np.isfinite(out.astype(np.float32)))
    # Pixels stay in the value range, or take the fill value under fill_mode="constant".
    cval = float(options.get("cval") or 0.0)
    assert min(0.0, cval) <= out.min() and out.max() <= max(high, cval)


@pytest.mark.parametrize("fill_mode", jaxaug.FILL_MODES)
@pytest.mark.parametrize("order", [0, 1])
def test_a_traced_nan_matrix_stays_in_bounds_and_leaves_the_other_images_alone(fill_mode, order):
    # The warp gathers with indices it promises are in range; a NaN coordinate's integer is
    # arbitrary, so _tap_index must bring it into range too (else the gather reads out of bounds).
    images = np.random.default_rng(2).integers(0, 256, (3, 8, 8, 3)).astype(np.uint8)
    ms = np.stack([np.full((3, 3), np.nan, np.float32), EYE, np.asarray(geometry.rotation_matrix(30.0))])
    warp = jax.jit(lambda x, m: jaxaug.affine_warp(x, m, order=order, fill_mode=fill_mode))
    out = np.asarray(warp(images, ms))
    for i in (1, 2):
        np.testing.assert_array_equal(out[i], np.asarray(warp(images[i:i + 1], ms[i:i + 1]))[0])
