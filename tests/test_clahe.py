"""CLAHE in pure JAX (`jaxaug.ops.clahe`) against OpenCV, as albumentations' CLAHE calls it.

References: `cv2.createCLAHE(clipLimit, tileGridSize).apply` on one channel, and on RGB
albumentations' recipe (`cv2.cvtColor` to L*a*b*, CLAHE on L*, back), plus albumentations'
own `clahe` function when it is installed; OpenCV's 8-bit L*a*b* conversions on their own,
both ways. Pictures: the built-in sample and smoothed noise of a size no tile grid divides.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.ndimage as ndi
from _compiled import jitted

import jaxaug
from jaxaug.ops import clahe as C

cv2 = pytest.importorskip("cv2")

SAMPLE = np.asarray(jaxaug.example_image(size=48))


def smoothed_noise(h, w, seed=0):
    noise = ndi.gaussian_filter(np.random.default_rng(seed).random((h, w, 3)), (1.5, 1.5, 0))
    return ((noise - noise.min()) / (noise.max() - noise.min()) * 255).round().astype(np.uint8)


NOISE = smoothed_noise(37, 53)  # 37 x 53: OpenCV extends it to whole tiles (BORDER_REFLECT_101)


def opencv_gray(plane, clip_limit, grid):
    # OpenCV's tileGridSize is (width, height): (cols, rows).
    return cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=(grid[1], grid[0])).apply(plane)


def opencv_rgb(image, clip_limit, grid):
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)
    lab[:, :, 0] = opencv_gray(lab[:, :, 0], clip_limit, grid)
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


@pytest.mark.parametrize("grid", [(8, 8), (3, 5)])
def test_one_channel_is_opencvs_clahe_exactly(grid):
    equalize = jitted(C.clahe, tile_grid=grid)
    for image in (SAMPLE, NOISE):
        plane = np.ascontiguousarray(image[..., 1])
        for clip_limit in (1.0, 2.5, 4.0, 0.0, 40.0):  # 0: no clip; 40: no bin reaches the limit
            ours = np.asarray(equalize(jnp.asarray(plane[..., None]), jnp.float32(clip_limit)))[..., 0]
            # Exact: the same integer histograms, clips and float32 steps (each product rounded alone).
            np.testing.assert_array_equal(ours, opencv_gray(plane, clip_limit, grid))


def test_rgb_is_albumentations_recipe_exactly():
    equalize = jitted(C.clahe, tile_grid=(8, 8))
    for image in (SAMPLE, NOISE):
        for clip_limit in (1.0, 3.3):
            ours = np.asarray(equalize(jnp.asarray(image), jnp.float32(clip_limit)))
            # Exact: OpenCV's fixed-point L*a*b* tables rebuilt, its CLAHE on L*. Measured on 29 pictures
            # (sample, noise, CIFAR-10), 3 grids and 6 limits: every pixel equal.
            np.testing.assert_array_equal(ours, opencv_rgb(image, float(np.float32(clip_limit)), (8, 8)))


def test_albumentations_own_clahe_gives_the_same_pixels():
    functional = pytest.importorskip("albumentations.augmentations.pixel.functional")
    ours = np.asarray(jitted(C.clahe, tile_grid=(8, 8))(jnp.asarray(NOISE), jnp.float32(2.0)))
    np.testing.assert_array_equal(ours, functional.clahe(NOISE, 2.0, (8, 8)))


def test_the_lab_conversions_are_opencvs_both_ways():
    # Every 5th level of each channel (52**3 colours) one way, as many random L*a*b* triples back.
    levels = np.arange(0, 256, 5)
    rgb = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(52 * 26, 104, 3).astype(np.uint8)
    to_lab = jax.jit(lambda x: jnp.stack(C._rgb_to_lab(*(x[..., k].astype(jnp.int32) for k in range(3))), -1))
    np.testing.assert_array_equal(np.asarray(to_lab(rgb)), cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB))
    lab = np.random.default_rng(0).integers(0, 256, (512, 256, 3)).astype(np.uint8)
    to_rgb = jax.jit(lambda x: jnp.stack(C._lab_to_rgb(*(x[..., k].astype(jnp.int32) for k in range(3))), -1))
    np.testing.assert_array_equal(np.asarray(to_rgb(lab)), cv2.cvtColor(lab, cv2.COLOR_LAB2RGB))


def test_eager_jit_and_vmap_agree():
    images = jnp.asarray(np.stack([SAMPLE[:16, :20], NOISE[:16, :20]]))
    limits = jnp.array([1.3, 4.0])
    eager = np.stack([np.asarray(C.clahe(images[i], float(limits[i]), tile_grid=(2, 2))) for i in range(2)])
    mapped = np.asarray(jax.jit(jax.vmap(lambda x, c: C.clahe(x, c, tile_grid=(2, 2))))(images, limits))
    # Exact: a static limit's clip count is computed in Python doubles, a traced one exactly in float32.
    np.testing.assert_array_equal(mapped, eager)


def test_the_traced_clip_count_is_opencvs_integer():
    areas = np.array([784, 36, 5887, 4096, 1])
    rng = np.random.default_rng(0)
    limits = rng.uniform(0.5, 50, 400).astype(np.float32)
    # Limits next to c * area / 256 = integer, where float32 products round onto the integer.
    edges = np.array([np.nextafter(np.float32(k * 256 / a), d, dtype=np.float32)
                      for a in areas for k in (1, 3, 7) for d in (0, 100)])
    limits = np.concatenate([limits, edges, np.float32([0.0, 1e-6])])
    count = jax.jit(jax.vmap(C._clip_count, in_axes=(0, None)), static_argnums=1)
    for area in areas:
        want = [max(int(float(c) * area / 256), 1) if c > 0 else area + 1 for c in limits]
        np.testing.assert_array_equal(np.asarray(count(jnp.asarray(limits), int(area))), want)


def test_floats_take_the_same_levels_as_uint8():
    equalize = jitted(C.clahe, tile_grid=(8, 8))
    as_uint8 = np.asarray(equalize(jnp.asarray(SAMPLE), jnp.float32(2.0)))
    as_float = np.asarray(equalize(jnp.asarray(SAMPLE, jnp.float32) / 255, jnp.float32(2.0)))
    # Levels of [0, 1] are v / 255: the same levels come back, float32 division apart.
    assert as_float.dtype == np.float32 and np.abs(as_float * 255 - as_uint8).max() < 1e-3


def test_the_sampler_draws_uniformly_or_the_fixed_number():
    draws = np.asarray(jax.jit(jax.vmap(lambda k: C.sample_clahe(k, (8, 8, 3), clip_limit=(1.0, 4.0))["clip_limit"]))(
        jax.random.split(jax.random.key(0), 2000)))
    # U(1, 4): mean 2.5, standard deviation 3 / sqrt(12) = 0.87; 2000 draws give the mean within 0.06.
    assert draws.min() >= 1.0 and draws.max() <= 4.0 and abs(draws.mean() - 2.5) < 0.06
    assert abs(draws.std() - 3 / np.sqrt(12)) < 0.05
    fixed = C.sample_clahe(jax.random.key(1), (8, 8, 3), clip_limit=2.0)["clip_limit"]
    assert float(fixed) == 2.0


def test_the_augmenter_option_is_the_twin_of_its_draw():
    images = jnp.asarray(np.stack([NOISE[:24, :24], SAMPLE[:24, :24], NOISE[5:29, 7:31], SAMPLE[20:44, 10:34]]))
    augment = jaxaug.augmenter(clahe_clip_limit=(1.0, 4.0), clahe_tile_grid=(2, 3))
    key = jax.random.key(3)
    out, params = jax.jit(augment)(key, images), augment.sample(key, images)
    limits = params["clahe"]["clip_limit"]
    assert len(set(np.asarray(limits).tolist())) == 4  # one draw per image
    twin = jitted(C.clahe, tile_grid=(2, 3))  # the grid reaches the twin
    for i in range(4):
        # Exact: the augmenter hands the twin float32 levels of (0, 255), which it reads back exactly.
        np.testing.assert_array_equal(np.asarray(out[i]), np.asarray(twin(images[i], limits[i])))


@pytest.mark.parametrize(("call", "message"), [
    (lambda: C.clahe(jnp.zeros((8, 8, 3), jnp.uint8), -1.0), "clip_limit"),
    (lambda: C.clahe(jnp.zeros((8, 8, 3), jnp.uint8), "2"), "clip_limit"),
    (lambda: C.clahe(jnp.zeros((8, 8, 2), jnp.uint8), 2.0), "3 \\(RGB\\) or 1 channels"),
    (lambda: C.clahe(jnp.zeros((8, 8, 3), jnp.uint8), 2.0, tile_grid=(0, 8)), "tile_grid"),
    (lambda: C.clahe(jnp.zeros((8, 8, 3), jnp.uint8), 2.0, tile_grid=8), "tile_grid"),
    (lambda: C.clahe(jnp.zeros((8, 8, 3), jnp.uint8), 2.0, tile_grid=(2.5, 2)), "tile_grid"),
    (lambda: C.sample_clahe(jax.random.key(0), (8, 8, 3), clip_limit=(4.0, 1.0)), "clip_limit"),
    (lambda: C.sample_clahe(jax.random.key(0), (8, 8, 3), clip_limit=-2.0), "clip_limit"),
    (lambda: jaxaug.augmenter(clahe_clip_limit=(-1.0, 2.0)), "clahe_clip_limit"),
    (lambda: jaxaug.augmenter(clahe_clip_limit=2.0, clahe_tile_grid=(0, 1)), "clahe_tile_grid"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
