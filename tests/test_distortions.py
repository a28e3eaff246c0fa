"""Grid and optical distortion (`jaxaug.ops.grid_distortion`, `jaxaug.ops.optical_distortion`).

References: albumentations' definitions written out here in float64 numpy (its grid's positions
at every band start, OpenCV's `initUndistortRectifyMap` for the camera lens), checked against
albumentations itself where it is installed; the warp against `scipy.ndimage.map_coordinates`
at the coordinates pixel + field; keypoints and boxes against the field and warped masks.
"""

import cv2
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.ndimage as ndi
from _compiled import image_gathers, jitted
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import SCIPY_MODE
from test_elastic import rectangles_masks, smooth_image

import jaxaug
from jaxaug import dense, pipeline
from jaxaug.ops import grid_distortion as G
from jaxaug.ops import optical_distortion as O


def albumentations_band_starts(n, stretches, normalized=True):
    """albumentations 2.0's grid along one axis, in float64: {pixel: position} at each band's first pixel.

    `normalize_grid_distortion_steps` then `generate_grid`: band i starts at pixel i * step and
    reads prev_i, the sum of step * s_j over the bands before it.
    """
    k = len(stretches) - 1
    step = n // k
    s = np.array(stretches, np.float64)
    last = min(n, (k + 1) * step) - k * step
    if n - k * step > step:  # the one documented difference: our last band takes the pixels theirs leaves at 0
        last = n - k * step
    if normalized:
        s[-1] *= last / step
        s = s * ((n / np.floor(n / k)) / s.sum())
    prev = np.concatenate([[0.0], np.cumsum(step * s)])
    # The virtual pixel n reads the end of the last band that has pixels.
    return {i * step: prev[i] for i in range(k + 1) if i * step < n}, prev[k + 1] if last else prev[k]


def our_reads(n, stretches, normalized=True):
    field = G.grid_distortion_field((n, n), jnp.stack([jnp.asarray(stretches), jnp.ones(len(stretches))]),
                                    normalized=normalized)
    return np.asarray(field[:, 0, 0], np.float64) + np.arange(n)


SIZES = [(32, 5), (37, 4), (224, 5), (10, 7), (50, 1), (31, 10)]


@pytest.mark.parametrize(("n", "num_steps"), SIZES)
@pytest.mark.parametrize("normalized", [True, False])
def test_grid_positions_are_albumentations_at_band_starts_and_linear_between(n, num_steps, normalized):
    stretches = 1 + np.random.default_rng(n).uniform(-0.3, 0.3, num_steps + 1)
    starts, end = albumentations_band_starts(n, stretches, normalized)
    reads = our_reads(n, np.float32(stretches), normalized)
    # float32 sums of at most 11 stretches of up to 224 pixels: rounding ~3e-5 px. Allowed 5e-4.
    for pixel, position in starts.items():
        assert abs(reads[pixel] - position) < 5e-4
    # Between band starts (and up to the virtual pixel n, which would read the last ramp's end): linear.
    xs = np.array(sorted(starts) + [n], np.float64)
    want = np.interp(np.arange(n), xs, [starts[x] for x in xs[:-1]] + [end])
    assert np.abs(reads - want).max() < 5e-4


def test_the_band_starts_written_here_are_albumentations_own():
    F = pytest.importorskip("albumentations.augmentations.geometric.functional")
    for n, k in [(32, 5), (37, 4), (224, 5)]:
        sx = list(1 + np.random.default_rng(k).uniform(-0.3, 0.3, k + 1))
        sy = list(1 + np.random.default_rng(n).uniform(-0.3, 0.3, k + 1))
        norm = F.normalize_grid_distortion_steps((n, n), k, list(sx), list(sy))
        map_x, _ = F.generate_grid((n, n), list(norm["steps_x"]), list(norm["steps_y"]), k)
        starts, _ = albumentations_band_starts(n, sx)
        for pixel, position in starts.items():
            assert abs(map_x[0, pixel] - position) < 1e-4  # their float32 map


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 300), num_steps=st.integers(1, 12), seed=st.integers(0, 2**31 - 1),
       limit=st.floats(0.0, 1.0))
def test_normalized_grids_stay_inside_and_never_fold(n, num_steps, seed, limit):
    num_steps = min(num_steps, n)
    stretches = 1 + np.random.default_rng(seed).uniform(-limit, limit, num_steps + 1).astype(np.float32)
    reads = our_reads(n, stretches)
    assert reads[0] == 0.0
    # The ramps end at n (the virtual pixel n); float32 rounding: 1e-4 of a pixel at 300.
    assert reads.max() < n + 1e-4
    assert np.all(np.diff(reads) >= -1e-4)  # stretches >= 0: positions never go back


@pytest.mark.parametrize("n", [30, 31, 32, 37, 224])
def test_grid_stretches_of_one_are_the_identity(n):
    # Rescaled by (n / step) / sum: within float32 rounding of 1, so positions within 1e-4 px.
    reads = our_reads(n, np.ones(6, np.float32))
    assert np.abs(reads - np.arange(n)).max() < 1e-4


def test_grid_sampler_draws_the_limits_range():
    s = np.asarray(jax.vmap(lambda k: G.sample_grid_distortion(k, (64, 64), num_steps=4, distort_limit=(-0.2, 0.5))
                            ["stretches"])(jax.random.split(jax.random.key(0), 2000)))
    assert s.shape == (2000, 2, 5) and s.min() >= 0.8 and s.max() <= 1.5
    # 20,000 uniform draws: the mean's standard error is 0.002. Allowed 0.01.
    assert abs(s.mean() - 1.15) < 0.01


@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "reflect", "mirror", "wrap"])
@pytest.mark.parametrize("op", ["grid", "optical"])
def test_the_warp_reads_at_pixel_plus_field_like_map_coordinates(fill_mode, op):
    image = smooth_image().astype(np.float32) / 255
    if op == "grid":
        params = G.sample_grid_distortion(jax.random.key(3), image.shape, num_steps=4, distort_limit=0.5)
        field = G.grid_distortion_field(image.shape, **params)
        out = jitted(G.grid_distortion, fill_mode=fill_mode, cval=0.5)(jnp.asarray(image), **params)
    else:
        field = O.optical_distortion_field(image.shape, 0.6, mode="camera")
        out = jitted(O.optical_distortion, fill_mode=fill_mode, cval=0.5)(jnp.asarray(image), 0.6)
    rows, cols = np.meshgrid(np.arange(48.0), np.arange(40.0), indexing="ij")
    field = np.asarray(field)
    coords = [rows + field[..., 0], cols + field[..., 1]]
    want = np.stack([ndi.map_coordinates(image[..., c], coords, order=1, mode=SCIPY_MODE[fill_mode], cval=0.5)
                     for c in range(3)], -1)
    # float32 coordinates and weights against scipy's float64 (as tests/test_elastic.py): measured
    # below 2e-6. Allowed 1e-5.
    assert np.abs(np.asarray(out) - want).max() < 1e-5


@pytest.mark.parametrize(("h", "w"), [(32, 32), (31, 48)])
def test_the_camera_map_is_opencvs_minus_half_a_pixel(h, w):
    # albumentations' camera model: OpenCV's undistortion map for the camera matrix of focal lengths
    # (W, H) and centre (W / 2, H / 2), distortion k1 = k2 = k.
    for k in (-0.4, 0.05, 0.7):
        camera = np.array([[w, 0, w / 2], [0, h, h / 2], [0, 0, 1]], np.float32)
        map_x, map_y = cv2.initUndistortRectifyMap(camera, np.array([k, k, 0, 0, 0], np.float32), None, None, (w, h),
                                                   cv2.CV_32FC1)
        field = np.asarray(O.optical_distortion_field((h, w), k, mode="camera"))
        rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
        # OpenCV computes in float64 and stores float32 maps; ours is float32: ~1e-5 px. Allowed 1e-3.
        assert np.abs(rows + field[..., 0] - (map_y - 0.5)).max() < 1e-3
        assert np.abs(cols + field[..., 1] - (map_x - 0.5)).max() < 1e-3


def test_the_fisheye_map_is_the_radial_formula_about_the_centre():
    h, w, k = 30, 44, -0.25
    field = np.asarray(O.optical_distortion_field((h, w), k, mode="fisheye"))
    rows, cols = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    dy, dx = rows - (h - 1) / 2, cols - (w - 1) / 2
    scale = 1 + k * (dy**2 + dx**2) / ((w / 2) ** 2 + (h / 2) ** 2)
    np.testing.assert_allclose(rows + field[..., 0], (h - 1) / 2 + dy * scale, atol=1e-4)
    np.testing.assert_allclose(cols + field[..., 1], (w - 1) / 2 + dx * scale, atol=1e-4)


@pytest.mark.parametrize("mode", ["camera", "fisheye"])
def test_k_zero_is_the_identity_bit_for_bit(mode):
    for image in (jnp.asarray(smooth_image()), jnp.asarray(smooth_image(), jnp.float32) / 255):
        assert np.array_equal(O.optical_distortion(image, 0.0, mode=mode), image)


@settings(max_examples=10, deadline=None)
@given(k=st.floats(-1.0, 1.0), mode=st.sampled_from(["camera", "fisheye"]))
def test_optical_distortion_commutes_with_flips(k, mode):
    image = jnp.asarray(smooth_image(24, 30), jnp.float32) / 255
    warp = jitted(O.optical_distortion, mode=mode)
    # About the image's centre: mirrored coordinates, whose bilinear weights round apart by a few ulp.
    for axis in (0, 1):
        np.testing.assert_allclose(warp(jnp.flip(image, axis), k), jnp.flip(warp(image, k), axis), atol=1e-5)


@pytest.mark.parametrize("piece", [pipeline.grid_distortion(num_steps=5, distort_limit=0.4),
                                   pipeline.optical_distortion(distort_limit=(-0.3, 0.5))])
def test_keypoints_land_where_their_pixel_reads_them(piece):
    h, w = 64, 64
    augment = jaxaug.Augmenter(pipeline.chain(pipeline.rotation(10.0), piece))
    q = jnp.asarray(np.random.default_rng(0).uniform(10, 54, (2, 40, 2)), jnp.float32)
    key = jax.random.key(4)
    out = augment(key, jnp.zeros((2, h, w, 1), jnp.uint8), keypoints=q)
    params = augment.sample(key, jnp.zeros((2, h, w, 1), jnp.uint8))
    for i in range(2):
        one = jax.tree.map(lambda a, i=i: a[i], params)
        m = augment.augmentation.matrix(one, (h, w, 1))
        field = augment.augmentation.field(one, (h, w, 1), (h, w))
        p = np.asarray(out.keypoints[i])
        reads = (np.asarray(m[:2, :2]) @ p.T).T + np.asarray(m[:2, 2]) + np.asarray(dense._sample(field, p))
        # 6 Newton steps on a smooth (optical) or piecewise-linear (grid) map: measured under 1e-3 px.
        visible = np.asarray(out.visible[i])
        assert visible.sum() > 30 and np.abs(reads - np.asarray(q[i]))[visible].max() < 0.01


@pytest.mark.parametrize("piece", [pipeline.grid_distortion(num_steps=4, distort_limit=0.5),
                                   pipeline.optical_distortion(distort_limit=0.3, mode="fisheye")])
def test_boxes_are_the_boxes_of_the_warped_masks(piece):
    h, w = 64, 64
    boxes = np.array([[8, 8, 30, 40], [20, 30, 50, 60], [35, 5, 60, 25]], np.float32)
    augment = jax.jit(jaxaug.Augmenter(pipeline.chain(pipeline.rotation(15.0), piece), fill_mode="constant"))
    worst = 0.0
    for seed in range(3):
        out = augment(jax.random.key(seed), jnp.zeros((3, h, w, 1), jnp.uint8),
                      masks=jnp.asarray(rectangles_masks(boxes, h, w)),
                      boxes=jnp.asarray(np.broadcast_to(boxes, (3, 3, 4)).copy()))
        for i in range(3):
            rows, cols = np.nonzero(np.asarray(out.masks[i]))
            from_mask = np.array([rows.min(), cols.min(), rows.max() + 1, cols.max() + 1])
            worst = max(worst, np.abs(np.asarray(out.boxes[i, i]) - from_mask).max())
    # A mask's edge is whole pixels (order 0), a box's exact: up to one pixel apart, plus the
    # outline's sampling (as for the elastic field). Allowed 1.5.
    assert worst < 1.5


def test_chains_with_the_distortions_resample_once():
    x = jnp.zeros((2, 32, 32, 3), jnp.uint8)
    affine = image_gathers(pipeline.chain(pipeline.rotation(20.0), pipeline.zoom(0.2)), x)
    both = pipeline.chain(pipeline.rotation(20.0), pipeline.grid_distortion(distort_limit=0.3), pipeline.zoom(0.2),
                          pipeline.optical_distortion(distort_limit=0.2))
    assert affine > 0 and image_gathers(both, x) == affine


def test_the_augmenter_options_are_the_pieces():
    images = jnp.asarray(np.stack([smooth_image(32, 32, s) for s in range(2)]))
    key = jax.random.key(5)
    options = dict(grid_distortion_limit=0.3, grid_distortion_steps=4, optical_distortion_limit=(-0.3, 0.5),
                   optical_distortion_mode="fisheye")
    augment = jaxaug.augmenter(**options)
    out, params = augment(key, images), augment.sample(key, images)
    for i in range(2):
        field = (G.grid_distortion_field((32, 32), params["grid_distortion"]["stretches"][i])
                 + O.optical_distortion_field((32, 32), params["optical_distortion"]["k"][i], mode="fisheye"))
        want = dense.dense_warp(images[i], field)
        # The pipeline's program against this one: one level where a coordinate rounds apart.
        assert np.abs(np.asarray(out[i], int) - np.asarray(want)).max() <= 1
    assert np.asarray(params["grid_distortion"]["stretches"]).shape == (2, 2, 5)


def test_other_output_sizes_read_the_field_at_each_output_pixels_place():
    image = jnp.asarray(smooth_image(40, 40))
    for piece in (pipeline.grid_distortion(distort_limit=0.3), pipeline.optical_distortion(distort_limit=0.3)):
        out = jaxaug.Augmenter(pipeline.chain(piece, pipeline.resize((20, 30))))(jax.random.key(0), image[None])
        assert out.shape == (1, 20, 30, 3)
    # Output pixel (r, c) of a half-size output sits at input (2r + 0.5, 2c + 0.5).
    field = np.asarray(O.optical_distortion_field((40, 40), 0.5, mode="fisheye", output_shape=(20, 20)))
    dy, dx = np.meshgrid(2 * np.arange(20) + 0.5 - 19.5, 2 * np.arange(20) + 0.5 - 19.5, indexing="ij")
    scale = 0.5 * (dy**2 + dx**2) / (20.0**2 + 20.0**2)
    np.testing.assert_allclose(field[..., 0], dy * scale, atol=1e-4)
    np.testing.assert_allclose(field[..., 1], dx * scale, atol=1e-4)


@pytest.mark.parametrize("base", [pipeline.grid_distortion(distort_limit=0.4),
                                  pipeline.perspective(distortion_scale=0.5),
                                  pipeline.chain(pipeline.elastic(alpha=20.0, sigma=4.0), pipeline.rotation(20.0))])
def test_augmix_views_warp_through_a_dense_or_projective_base(base):
    images = jnp.asarray(np.stack([smooth_image(32, 32, s) for s in range(2)]))
    key = jax.random.key(0)
    clean = np.asarray(jaxaug.augmix.AugMix(base=base).views(key, images, 1)[0])
    # The clean view is the base alone, its draw from fold_in(example_key, 0), warped as AugMix warps
    # (nearest, constant fill): the matrix, the field, and the division of a projective matrix.
    for i in range(2):
        params = base.sample(jax.random.fold_in(jax.random.fold_in(key, i), 0), images.shape[1:])
        matrix = base.matrix(params, images.shape[1:])
        field = base.field(params, images.shape[1:], (32, 32)) if base.field is not None else jnp.zeros((32, 32, 2))
        want = dense.dense_warp(images[i], field, matrices=matrix, order=0, fill_mode="constant",
                                projective=base.projective)
        # Separately compiled programs may round a coordinate apart: a neighbour's value, rarely.
        assert np.mean(clean[i] != np.asarray(want)) < 0.01
        assert np.mean(clean[i] != np.asarray(images[i])) > 0.2  # the base did move the picture


@pytest.mark.parametrize(("call", "message"), [
    (lambda: G.sample_grid_distortion(jax.random.key(0), (8, 8), num_steps=9), "num_steps"),
    (lambda: G.sample_grid_distortion(jax.random.key(0), (8, 8), num_steps=0), "num_steps"),
    (lambda: G.sample_grid_distortion(jax.random.key(0), (8, 8), distort_limit=1.5), "distort_limit"),
    (lambda: G.sample_grid_distortion(jax.random.key(0), (8, 8), distort_limit=-0.1), "distort_limit"),
    (lambda: G.sample_grid_distortion(jax.random.key(0), (8, 8), distort_limit=(0.2, 0.1)), "distort_limit"),
    (lambda: G.grid_distortion_field((8, 8), jnp.ones((3, 4))), "stretches must have shape"),
    (lambda: O.sample_optical_distortion(jax.random.key(0), (8, 8), mode="barrel"), "mode"),
    (lambda: O.sample_optical_distortion(jax.random.key(0), (8, 8), distort_limit=(-2.0, 0.0)), "distort_limit"),
    (lambda: O.sample_optical_distortion(jax.random.key(0), (8, 8), distort_limit=0.35, mode="fisheye"), "folds"),
    (lambda: jaxaug.augmenter(optical_distortion_limit=0.4), "optical_distortion_limit"),
    (lambda: O.optical_distortion_field((8, 8), jnp.ones(2)), "k must be a scalar"),
    (lambda: O.optical_distortion_field((8, 8), float("nan")), "k"),
    (lambda: jaxaug.augmenter(grid_distortion_limit=2.0), "grid_distortion_limit"),
    (lambda: jaxaug.augmenter(grid_distortion_limit=0.2, grid_distortion_steps=0), "grid_distortion_steps"),
    (lambda: jaxaug.augmenter(optical_distortion_limit=0.2, optical_distortion_mode="x"), "optical_distortion_mode"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
