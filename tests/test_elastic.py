"""Elastic deformation (`jaxaug.ops.elastic`) and dense warps (`jaxaug.dense`).

References: the field against its full-resolution definition (uniform noise per pixel,
`scipy.ndimage.gaussian_filter`, times alpha: albumentations' ElasticTransform with uniform
noise), compared in distribution; the warp against `scipy.ndimage.map_coordinates` at the
coordinates pixel + field; keypoints and boxes against the warped field and warped masks.
"""


import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.ndimage as ndi
from _compiled import image_gathers
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import SCIPY_MODE

import jaxaug
from jaxaug import dense, pipeline
from jaxaug.ops import elastic as E


def smooth_image(h=48, w=40, seed=0):
    """A real-looking picture: smoothed noise in three channels, uint8."""
    rng = np.random.default_rng(seed)
    x = ndi.gaussian_filter(rng.random((h, w, 3)), (3, 3, 0))
    x = (x - x.min()) / (x.max() - x.min())
    return (x * 255).round().astype(np.uint8)


def autocorrelation(field, lag):
    """Mean correlation of a (..., H, W) field with itself `lag` pixels along rows and columns."""
    f = field - field.mean()
    var = (f * f).mean()
    return ((f[..., lag:, :] * f[..., :-lag, :]).mean() + (f[..., :, lag:] * f[..., :, :-lag]).mean()) / (2 * var)


@pytest.mark.parametrize("sigma", [3.0, 5.0, 8.0])
def test_the_coarse_field_has_the_full_resolution_fields_spread_and_smoothness(sigma):
    # The full-resolution definition, 40 draws of 96 x 96: U(-1, 1) per pixel, smoothed (scipy,
    # reflect), times alpha. Ours on the coarse grid. The interior only (the borders reflect).
    alpha, n, size = 10.0, 40, 96
    rng = np.random.default_rng(0)
    full = np.stack([alpha * ndi.gaussian_filter(rng.uniform(-1, 1, (size, size)), sigma, mode="reflect")
                     for _ in range(n)])
    keys = jax.random.split(jax.random.key(0), n)
    ours = jax.vmap(lambda k: E.elastic_field((size, size), **E.sample_elastic(k, (size, size), sigma=sigma),
                                              alpha=alpha, sigma=sigma))(keys)
    ours = np.asarray(ours)[..., 0]
    cut = int(2 * sigma)
    full, ours = full[:, cut:-cut, cut:-cut], ours[:, cut:-cut, cut:-cut]
    # Spread: 40 draws of a field with a correlation length of ~sigma leave a sampling error of
    # a few percent on the standard deviation, and the interpolation lowers it a little;
    # measured -0.5 %, -2.3 %, -4.0 % (sigma 3, 5, 8). Allowed 12 %.
    assert abs(ours.std() / full.std() - 1) < 0.12
    # Smoothness: the correlation at a lag of sigma (0.78 for a Gaussian-smoothed white noise,
    # exp(-1/4)); the linear interpolation between grid points moves it by a hair. Measured
    # within 0.014 (full resolution 0.78-0.79). Allowed 0.06.
    lag = int(sigma)
    assert abs(autocorrelation(ours, lag) - autocorrelation(full, lag)) < 0.06


@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "reflect", "mirror", "wrap"])
@pytest.mark.parametrize("order", [0, 1])
def test_the_warp_reads_at_pixel_plus_field_like_map_coordinates(fill_mode, order):
    image = smooth_image().astype(np.float32) / 255
    params = E.sample_elastic(jax.random.key(3), image.shape, sigma=4.0)
    field = np.asarray(E.elastic_field(image.shape, **params, alpha=6.0, sigma=4.0))
    out = np.asarray(E.elastic(jnp.asarray(image), **params, alpha=6.0, sigma=4.0, order=order,
                               fill_mode=fill_mode, cval=0.5))
    rows, cols = np.meshgrid(np.arange(48.0), np.arange(40.0), indexing="ij")
    coords = [rows + field[..., 0], cols + field[..., 1]]
    want = np.stack([ndi.map_coordinates(image[..., c], coords, order=order, mode=SCIPY_MODE[fill_mode], cval=0.5)
                     for c in range(3)], -1)
    err = np.abs(out - want)
    if order == 0:
        # A coordinate within float32 rounding of a half pixel may round the other way (float32 here,
        # float64 in scipy): a pixel of the neighbour. Allowed in 0.5 % of the values, measured 0.
        assert np.mean(err > 1e-6) < 0.005
    else:
        # float32 coordinates and weights against scipy's float64: measured 2.4e-7, and 1.3e-6 in
        # "wrap" (its coordinates taken modulo the size in float32).
        assert err.max() < 1e-5


def test_alpha_zero_and_a_zero_field_change_nothing():
    image = jnp.asarray(smooth_image())
    params = E.sample_elastic(jax.random.key(0), image.shape, sigma=5.0)
    assert np.array_equal(E.elastic(image, **params, alpha=0.0, sigma=5.0), image)
    # A zero field adds exact zeros to the coordinates: the affine warp's result, bit for bit.
    m = jaxaug.rotation_matrix(0.3)
    want = jaxaug.affine_warp(image, jaxaug.geometry.centered(m, image.shape))
    got = dense.dense_warp(image, jnp.zeros((48, 40, 2)), matrices=jaxaug.geometry.centered(m, image.shape))
    assert np.array_equal(got, want)


def test_jit_eager_and_vmap_agree():
    images = jnp.asarray(np.stack([smooth_image(seed=s) for s in range(3)]))
    keys = jax.random.split(jax.random.key(1), 3)
    fn = lambda k, x: E.random_elastic(k, x, alpha=12.0, sigma=4.0)  # noqa: E731
    eager = np.stack([np.asarray(fn(k, x)) for k, x in zip(keys, images, strict=True)])
    jitted = np.stack([np.asarray(jax.jit(fn)(k, x)) for k, x in zip(keys, images, strict=True)])
    mapped = np.asarray(jax.jit(jax.vmap(fn))(keys, images))
    # Separately compiled programs may round a coordinate differently: one level, rarely.
    for other in (jitted, mapped):
        d = np.abs(eager.astype(int) - other)
        assert d.max() <= 1 and np.mean(d > 0) < 0.01


def test_keypoints_invert_the_displacement():
    h, w = 64, 64
    params = E.sample_elastic(jax.random.key(2), (h, w), sigma=5.0)
    field = E.elastic_field((h, w), **params, alpha=50.0, sigma=5.0)
    m = jaxaug.geometry.centered(jaxaug.rotation_matrix(0.2), (h, w))
    q = jnp.asarray(np.random.default_rng(0).uniform(8, 56, (50, 2)), jnp.float32)
    p, visible = dense.dense_keypoints(q, field, (h, w), matrices=m)
    # Where the output pixel p reads: M p + field(p), the field read bilinearly at p.
    reads = np.asarray(jaxaug.geometry.compose(m)[:2, :2] @ np.asarray(p).T).T + np.asarray(m[:2, 2])
    reads = reads + np.asarray(dense._sample(field, p))
    # 6 Newton steps: measured under 1e-4 pixel (6 seeds x 200 points). Allowed 0.01.
    inside = np.asarray(visible)
    assert inside.sum() > 40 and np.abs(reads - np.asarray(q))[inside].max() < 0.01


def rectangles_masks(boxes, h, w):
    masks = np.zeros((len(boxes), h, w), np.uint8)
    for i, (top, left, bottom, right) in enumerate(boxes):
        masks[i, int(top):int(bottom), int(left):int(right)] = 1
    return masks


def test_boxes_are_the_boxes_of_the_warped_masks():
    # Render each box as a mask, warp masks (order 0) and boxes with the same draw, and compare
    # the warped box with the box of the warped mask.
    h, w = 64, 64
    boxes = np.array([[8, 8, 30, 40], [20, 30, 50, 60], [35, 5, 60, 25]], np.float32)
    augment = jaxaug.Augmenter(pipeline.chain(pipeline.rotation(15.0), pipeline.elastic(alpha=30.0, sigma=5.0)),
                               fill_mode="constant")
    worst = 0.0
    for seed in range(4):
        images = jnp.zeros((3, h, w, 1), jnp.uint8)
        out = jax.jit(augment)(jax.random.key(seed), images, masks=jnp.asarray(rectangles_masks(boxes, h, w)),
                               boxes=jnp.asarray(np.broadcast_to(boxes, (3, 3, 4)).copy()))
        for i in range(3):
            rows, cols = np.nonzero(np.asarray(out.masks[i]))
            from_mask = np.array([rows.min(), cols.min(), rows.max() + 1, cols.max() + 1])
            got = np.asarray(out.boxes[i, i])
            worst = max(worst, np.abs(got - from_mask).max())
    # A mask's edge is whole pixels (order 0 rounds each coordinate), a box's is exact: up to one
    # pixel apart, plus the outline's sampling. Measured 0.85. Allowed 1.5.
    assert worst < 1.5


def test_a_chain_with_elastic_resamples_once():
    x = jnp.zeros((2, 32, 32, 3), jnp.uint8)
    affine = image_gathers(pipeline.chain(pipeline.rotation(20.0), pipeline.zoom(0.2)), x)
    dense_chain = pipeline.chain(pipeline.rotation(20.0), pipeline.elastic(alpha=10.0, sigma=4.0), pipeline.zoom(0.2))
    assert affine > 0 and image_gathers(dense_chain, x) == affine


def test_the_augmenter_option_is_the_piece():
    images = jnp.asarray(np.stack([smooth_image(32, 32, s) for s in range(2)]))
    key = jax.random.key(5)
    by_option = jaxaug.augmenter(elastic_alpha=15.0, elastic_sigma=4.0)(key, images)
    params = jaxaug.augmenter(elastic_alpha=15.0, elastic_sigma=4.0).sample(key, images)
    for i in range(2):
        noise = params["elastic"]["noise"][i]
        want = E.elastic(images[i], noise, alpha=15.0, sigma=4.0)
        # The pipeline's program against the twin's: one level where a coordinate rounds apart.
        assert np.abs(np.asarray(by_option[i], int) - np.asarray(want)).max() <= 1


@settings(max_examples=20, deadline=None)
@given(alpha=st.floats(0.0, 200.0), sigma=st.floats(0.0, 12.0), seed=st.integers(0, 2**31 - 1))
def test_fields_are_finite_and_scale_with_alpha(alpha, sigma, seed):
    params = E.sample_elastic(jax.random.key(seed), (24, 20), sigma=sigma)
    field = np.asarray(E.elastic_field((24, 20), **params, alpha=alpha, sigma=sigma))
    unit = np.asarray(E.elastic_field((24, 20), **params, alpha=1.0, sigma=sigma))
    assert field.shape == (24, 20, 2) and np.isfinite(field).all()
    # The field is linear in alpha: float32 rounding of one product; products below float32's
    # smallest normal number (1.2e-38) are flushed to zero by XLA's CPU backend.
    np.testing.assert_allclose(field, alpha * unit, rtol=1e-6, atol=max(1e-6 * alpha, np.finfo(np.float32).tiny))
    # Smoothed noise in [-1, 1] stays in [-alpha, alpha] (the weights sum to 1; 1 / step <= 1).
    assert np.abs(field).max() <= alpha * (1 + 1e-6)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: E.sample_elastic(jax.random.key(0), (8, 8), sigma=-1.0), "sigma"),
    (lambda: E.sample_elastic(jax.random.key(0), (8, 8), alpha=-1.0), "alpha"),
    (lambda: E.elastic_field((8, 8), jnp.zeros((3, 3, 2)), sigma=5.0), "noise must have shape"),
    (lambda: jaxaug.augmenter(elastic_alpha=-2.0), "elastic_alpha"),
    (lambda: jaxaug.augmenter(elastic_alpha=5.0, elastic_sigma=float("nan")), "elastic_sigma"),
    (lambda: dense.dense_warp(jnp.zeros((8, 8, 3)), jnp.zeros((8, 7, 2))), "fields must have shape"),
    (lambda: dense.dense_warp(jnp.zeros((8, 8, 3)), jnp.full((8, 8, 2), jnp.nan)), "fields"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
