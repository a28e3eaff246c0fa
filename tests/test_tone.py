"""jaxaug.tone against PIL's ImageOps on uint8 images, eager, jitted and vmapped."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image, ImageOps

import jaxaug
from jaxaug import tone

RNG = np.random.default_rng(5)
# Natural-looking content (the built-in picture), noise, and a low-contrast image (autocontrast's case).
IMAGES = {
    "photo": jaxaug.example_image(size=48)[5:37, 3:43],
    "noise": RNG.integers(0, 256, (17, 23, 3), dtype=np.uint8),
    "dim": (RNG.integers(60, 140, (16, 16, 3))).astype(np.uint8),
    "flat channel": np.dstack([np.full((8, 9), 77, np.uint8), RNG.integers(0, 256, (8, 9, 2), dtype=np.uint8)]),
}


def run(variant, fn, image, *args):
    if variant == "jit":
        return np.asarray(jax.jit(fn)(image, *args))
    if variant == "vmap":
        batched = [jnp.asarray(a)[None] for a in args]
        return np.asarray(jax.vmap(fn)(jnp.asarray(image)[None], *batched)[0])
    return np.asarray(fn(image, *args))


def pil(op, image, *args):
    return np.asarray(op(Image.fromarray(image), *args))


@pytest.mark.parametrize("variant", ["eager", "jit", "vmap"])
@pytest.mark.parametrize("name", sorted(IMAGES))
@pytest.mark.parametrize("bits", [1, 4, 7, 8])
def test_posterize_is_pils(variant, name, bits):
    image = IMAGES[name]
    np.testing.assert_array_equal(run(variant, tone.posterize, image, bits), pil(ImageOps.posterize, image, bits))


@pytest.mark.parametrize("variant", ["eager", "jit", "vmap"])
@pytest.mark.parametrize("name", sorted(IMAGES))
@pytest.mark.parametrize("threshold", [0, 1, 128, 255, 256])
def test_solarize_is_pils(variant, name, threshold):
    image = IMAGES[name]
    np.testing.assert_array_equal(run(variant, tone.solarize, image, float(threshold)),
                                  pil(ImageOps.solarize, image, threshold))


@pytest.mark.parametrize("variant", ["eager", "jit", "vmap"])
@pytest.mark.parametrize("name", sorted(IMAGES))
def test_equalize_is_pils(variant, name):
    image = IMAGES[name]
    np.testing.assert_array_equal(run(variant, tone.equalize, image), pil(ImageOps.equalize, image))


@pytest.mark.parametrize("variant", ["eager", "jit", "vmap"])
@pytest.mark.parametrize("name", sorted(IMAGES))
def test_autocontrast_is_pils_within_one_level(variant, name):
    image = IMAGES[name]
    got, want = run(variant, tone.autocontrast, image).astype(int), pil(ImageOps.autocontrast, image).astype(int)
    # PIL truncates x * scale + offset computed in float64, which can fall a hair below an exact
    # integer: PIL is then one level lower than the exact quotient computed here.
    assert np.all((got - want == 0) | (got - want == 1)), np.abs(got - want).max()
    assert np.mean(got != want) < 0.05


def test_solarize_add_is_the_reference_code():
    image = IMAGES["noise"]
    x = image.astype(np.int64)
    want = np.where(x < 128, np.clip(x + 40, 0, 255), x)
    np.testing.assert_array_equal(np.asarray(tone.solarize_add(image, 40.0)), want)
    want = np.where(x < 200, np.clip(x - 30, 0, 255), x)
    np.testing.assert_array_equal(np.asarray(tone.solarize_add(image, -30.0, threshold=200.0)), want)


@pytest.mark.parametrize("op, args", [(tone.posterize, (3,)), (tone.solarize, (100.0,)), (tone.solarize_add, (30.0,)),
                                      (tone.autocontrast, ()), (tone.equalize, ())])
def test_floats_follow_their_value_range(op, args):
    image = IMAGES["photo"]
    as_uint8 = np.asarray(op(image, *args)).astype(np.float32)
    for lo, hi in ((0.0, 1.0), (-1.0, 1.0)):
        x = image.astype(np.float32) / 255.0 * (hi - lo) + lo
        got = np.asarray(op(x, *args, value_range=(lo, hi)))
        # Same levels on the 0..255 scale, up to the float32 rounding of the two rescalings.
        np.testing.assert_allclose((got - lo) / (hi - lo) * 255.0, as_uint8, atol=2e-3)


@pytest.mark.parametrize("call, words", [
    (lambda: tone.posterize(IMAGES["noise"], 0), ["bits", "0"]),
    (lambda: tone.posterize(IMAGES["noise"], 9), ["bits", "9"]),
    (lambda: tone.solarize(IMAGES["noise"], "a"), ["threshold", "'a'"]),
    (lambda: tone.solarize_add(IMAGES["noise"], float("nan")), ["addition", "nan"]),
    (lambda: tone.equalize(np.zeros((4, 4), np.uint8)), ["image", "(4, 4)"]),
])
def test_bad_input_names_the_argument(call, words):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    for word in words:
        assert word in str(info.value)
