"""JPEG artifacts in pure JAX (`jaxaug.ops.jpeg`) against PIL's libjpeg round trip.

References: PIL's JPEG encoder and decoder (quality q, its default 4:2:0 subsampling): the
quantisation tables it writes, and the PSNR of its round trip to the original on real
pictures (the built-in sample picture, a smoothed-noise photo stand-in of odd size, and CIFAR-10
images upsampled 4x when the shared copy is present).
"""

import io
import pathlib
import zipfile

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.ndimage as ndi
from _compiled import jitted
from PIL import Image

import jaxaug
from jaxaug.ops import jpeg as J

QUALITIES = (10, 30, 50, 75, 95)
CIFAR = pathlib.Path(__file__).parents[2] / "shared" / "data" / "cifar10-jpeg.zip"


def pil_round_trip(image, quality):
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def psnr(image, other):
    return 10 * np.log10(255.0**2 / np.mean((image.astype(np.float64) - other) ** 2))


def pictures():
    noise = ndi.gaussian_filter(np.random.default_rng(0).random((90, 118, 3)), (1.5, 1.5, 0))
    noise = ((noise - noise.min()) / (noise.max() - noise.min()) * 255).round().astype(np.uint8)
    found = [("sample", np.asarray(jaxaug.example_image(size=128))), ("noise 90x118", noise)]
    if CIFAR.exists():
        with zipfile.ZipFile(CIFAR) as archive:
            # Spread over the classes.
            names = sorted(n for n in archive.namelist() if n.lower().endswith((".jpg", ".jpeg")))[::1500][:4]
            for name in names:
                small = Image.open(io.BytesIO(archive.read(name))).convert("RGB")
                found.append((name, np.asarray(small.resize((128, 128), Image.BICUBIC))))
    return found


@pytest.mark.parametrize("quality", [1, 10, 25, 50, 75, 95, 100])
def test_the_tables_are_the_ones_pil_writes(quality):
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(buffer, "JPEG", quality=quality)
    written = Image.open(buffer).quantization
    ours = np.asarray(J.quantization_tables(quality))
    np.testing.assert_array_equal(ours[0], np.reshape(written[0], (8, 8)))
    np.testing.assert_array_equal(ours[1], np.reshape(written[1], (8, 8)))


def test_the_psnr_is_pils_within_half_a_decibel():
    compress = jitted(J.jpeg)
    worst_psnr, worst_mean = 0.0, 0.0
    for _, image in pictures():
        for quality in QUALITIES:
            ours = np.asarray(compress(jnp.asarray(image), quality))
            theirs = pil_round_trip(image, quality)
            worst_psnr = max(worst_psnr, abs(psnr(image, ours) - psnr(image, theirs)))
            worst_mean = max(worst_mean, np.abs(ours.astype(int) - theirs).mean())
    # Measured: PSNR within 0.07 dB of PIL's on these pictures and qualities; mean absolute
    # difference to PIL's output at most 0.9 level (libjpeg's integer DCT against float32).
    assert worst_psnr < 0.5
    assert worst_mean < 2.0


def test_flat_colours_give_pils_pixels_and_quality_raises_the_psnr():
    compress = jitted(J.jpeg)
    colours = np.random.default_rng(0).integers(0, 256, (30, 3)).astype(np.uint8)
    same = sum(np.array_equal(pil_round_trip(np.broadcast_to(c, (16, 16, 3)).copy(), q),
                              np.asarray(compress(jnp.broadcast_to(jnp.asarray(c), (16, 16, 3)), q)))
               for c in colours for q in (1, 10, 30, 50, 75, 95))
    # Measured 168 of 180: libjpeg's fixed-point colour tables round a few flat colours apart.
    assert same >= 160
    image = np.asarray(jaxaug.example_image(size=64))
    scores = [psnr(image, np.asarray(compress(jnp.asarray(image), q))) for q in (5, 30, 90)]
    assert scores[0] < scores[1] < scores[2]


def test_floats_take_the_same_levels_as_uint8():
    image = np.asarray(jaxaug.example_image(size=48))
    as_uint8 = np.asarray(J.jpeg(jnp.asarray(image), 40))
    as_float = np.asarray(J.jpeg(jnp.asarray(image, jnp.float32) / 255, 40))
    # Float images are taken to the 256 levels of their range: the same levels, then scaled back.
    assert np.abs(as_float * 255 - as_uint8).max() < 1e-3


def test_eager_jit_and_vmap_agree():
    images = jnp.asarray(np.stack([np.asarray(jaxaug.example_image(size=32))] * 3))
    qualities = jnp.array([10, 50, 90])
    eager = np.stack([np.asarray(J.jpeg(images[i], int(qualities[i]))) for i in range(3)])
    mapped = np.asarray(jax.jit(jax.vmap(J.jpeg))(images, qualities))
    # Separately compiled programs may round a level apart where a value sits at .5: rarely.
    d = np.abs(eager.astype(int) - mapped)
    assert d.max() <= 1 and np.mean(d > 0) < 0.01


def test_the_augmenter_option_draws_integer_qualities_per_image():
    images = jnp.asarray(np.stack([np.asarray(jaxaug.example_image(size=32))] * 4))
    augment = jaxaug.augmenter(jpeg_quality=(5, 40))
    key = jax.random.key(2)
    out, params = augment(key, images), augment.sample(key, images)
    qualities = np.asarray(params["jpeg"]["quality"])
    assert qualities.dtype == np.int32 and qualities.min() >= 5 and qualities.max() <= 40
    for i in range(4):
        want = np.asarray(J.jpeg(images[i], int(qualities[i])))
        assert np.abs(np.asarray(out[i], int) - want).max() <= 1


def test_the_sampler_covers_both_ends():
    draws = jax.vmap(lambda k: J.sample_jpeg(k, (8, 8, 3), quality_range=(10, 12))["quality"])(
        jax.random.split(jax.random.key(0), 300))
    assert set(np.asarray(draws).tolist()) == {10, 11, 12}


@pytest.mark.parametrize(("call", "message"), [
    (lambda: J.jpeg(jnp.zeros((8, 8, 3), jnp.uint8), 0), "quality"),
    (lambda: J.jpeg(jnp.zeros((8, 8, 3), jnp.uint8), 101), "quality"),
    (lambda: J.jpeg(jnp.zeros((8, 8, 3), jnp.uint8), 50.5), "quality"),
    (lambda: J.jpeg(jnp.zeros((8, 8, 1), jnp.uint8), 50), "3 \\(RGB\\) channels"),
    (lambda: J.sample_jpeg(jax.random.key(0), (8, 8, 3), quality_range=(50, 10)), "quality_range"),
    (lambda: J.sample_jpeg(jax.random.key(0), (8, 8, 3), quality_range=(0, 10)), "quality_range"),
    (lambda: J.sample_jpeg(jax.random.key(0), (8, 8, 3), quality_range=(10.5, 20)), "quality_range"),
    (lambda: jaxaug.augmenter(jpeg_quality=(10, 200)), "jpeg_quality"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
