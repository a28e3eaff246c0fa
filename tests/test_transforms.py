"""Geometric twins, their samplers and keypoint mapping, against numpy / scipy references."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given
from hypothesis import strategies as st
from reference import scipy_warp
from scipy import stats

import jaxaug
from jaxaug import transforms

VARIANTS = ["eager", "jit", "vmap"]


def image(shape=(12, 12, 3), seed=0):
    return np.random.default_rng(seed).random(shape).astype(np.float32)


def run(variant, fn, x, *args):
    if variant == "eager":
        return fn(x, *args)
    if variant == "jit":
        return jax.jit(fn)(x, *args)
    batched = jax.vmap(fn)(jnp.stack([x, x]), *(jnp.stack([a, a]) for a in args))
    np.testing.assert_array_equal(batched[0], batched[1])
    return batched[0]


@pytest.mark.parametrize("variant", VARIANTS)
def test_rotate_quarter_turn_is_rot90(variant):
    x = image((9, 9, 3))
    out = run(variant, lambda i, a: jaxaug.transforms.rotation(i, a), x, jnp.float32(90.0))
    np.testing.assert_array_equal(out, np.rot90(x, 1, axes=(0, 1)))


@pytest.mark.parametrize("variant", VARIANTS)
def test_translate_whole_pixels_moves_content(variant):
    x = image((8, 10, 2))
    out = run(variant, lambda i, dy, dx: jaxaug.transforms.shift(i, dy, dx, fill_mode="constant", cval=-1.0), x,
              jnp.float32(2.0), jnp.float32(-3.0))
    ref = np.full_like(x, -1.0)
    ref[2:, :7] = x[:-2, 3:]
    np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("variant", VARIANTS)
def test_zoom_matches_scipy_scaling_about_the_centre(variant):
    x = image((11, 13, 1))
    zy, zx = 1.3, 0.8
    out = run(variant, lambda i, a, b: jaxaug.transforms.zoom(i, a, zx=b, fill_mode="reflect"), x, jnp.float32(zy),
              jnp.float32(zx))
    c = np.array([11 / 2 - 0.5, 13 / 2 - 0.5])
    ref = ndi.affine_transform(x[..., 0].astype(np.float64), np.diag([zy, zx]), offset=c - np.array([zy, zx]) * c,
                               order=1, mode="reflect")
    np.testing.assert_allclose(out[..., 0], ref, atol=1e-5)


def test_shear_matches_keras_legacy_transform():
    keras_image = pytest.importorskip("keras.src.legacy.preprocessing.image")
    x = image((16, 16, 3), seed=3)
    ref = keras_image.apply_affine_transform(x, shear=14.0, row_axis=0, col_axis=1, channel_axis=2,
                                             fill_mode="nearest", order=1)
    np.testing.assert_allclose(jaxaug.transforms.shear(x, 14.0), ref, atol=1e-4)


def test_flip_is_exact_and_accepts_traced_flags():
    x = image((5, 7, 3))
    np.testing.assert_array_equal(jaxaug.transforms.flip(x, horizontal=True), x[:, ::-1])
    np.testing.assert_array_equal(jaxaug.transforms.flip(x, vertical=True), x[::-1])
    flip = jax.jit(lambda i, h, v: jaxaug.transforms.flip(i, horizontal=h, vertical=v))
    out = flip(x, jnp.bool_(True), jnp.bool_(True))
    np.testing.assert_array_equal(out, x[::-1, ::-1])


def test_flip_matrix_agrees_with_exact_flip():
    x = image((6, 9, 2))
    m = transforms.flip_matrix_centered(x.shape, True, False)
    np.testing.assert_array_equal(jaxaug.affine_warp(x, m), x[:, ::-1])


@pytest.mark.parametrize("fill_mode", ["constant", "reflect", "wrap"])
def test_random_crop_equals_pad_and_crop(fill_mode):
    x = image((10, 10, 3), seed=4)
    key = jax.random.key(5)
    params = transforms.sample_crop(key, (8, 8, 3), 3)
    out = jaxaug.transforms.random_crop(key, x, 3, fill_mode=fill_mode)
    pad_mode = {"constant": "constant", "reflect": "symmetric", "wrap": "wrap"}[fill_mode]
    padded = np.pad(x, ((3, 3), (3, 3), (0, 0)), mode=pad_mode)
    dy, dx = int(params["dy"]), int(params["dx"])
    np.testing.assert_array_equal(out, padded[3 - dy:13 - dy, 3 - dx:13 - dx])


@pytest.mark.parametrize("op,args", [
    (jaxaug.transforms.random_rotation, (30.0,)), (jaxaug.transforms.random_shear, (20.0,)),
    (jaxaug.transforms.random_zoom, ((0.7, 1.3),)),
    (lambda k, i: jaxaug.transforms.random_shift(k, i, height_shift_range=0.2, width_shift_range=0.3), ()),
    (lambda k, i: jaxaug.transforms.random_flip(k, i, horizontal=True, vertical=True), ()),
    (jaxaug.transforms.random_crop, (4,)),
])
def test_random_ops_are_functions_of_the_key(op, args):
    x = image((16, 16, 3), seed=2)
    a = op(jax.random.key(1), x, *args)
    # XLA may fuse the float32 arithmetic differently under jit: equal to rounding.
    np.testing.assert_allclose(a, jax.jit(lambda k, i: op(k, i, *args))(jax.random.key(1), x), atol=1e-5)
    outs = [np.asarray(op(jax.random.key(s), x, *args)) for s in range(2, 8)]
    assert any(not np.array_equal(a, o) for o in outs)


def draws(sampler, n=2000):
    keys = jax.random.split(jax.random.key(0), n)
    return jax.tree.map(np.asarray, jax.vmap(sampler)(keys))


def test_samplers_cover_their_ranges():
    assert stats.kstest(draws(lambda k: transforms.sample_rotation(k, (8, 8, 3), 25.0))["angle"], "uniform",
                        args=(-25, 50)).pvalue > 1e-3
    z = draws(lambda k: transforms.sample_zoom(k, (8, 8, 3), 0.2))
    for v in z.values():
        assert stats.kstest(v, "uniform", args=(0.8, 0.4)).pvalue > 1e-3
    assert abs(np.corrcoef(z["zy"], z["zx"])[0, 1]) < 0.08
    iso = draws(lambda k: transforms.sample_zoom(k, (8, 8, 3), (0.5, 2.0), isotropic=True))
    np.testing.assert_array_equal(iso["zy"], iso["zx"])
    crop = draws(lambda k: transforms.sample_crop(k, (8, 8, 3), 2))
    for v in crop.values():
        assert set(np.unique(v)) == {-2.0, -1.0, 0.0, 1.0, 2.0}
    assert abs(np.corrcoef(crop["dy"], crop["dx"])[0, 1]) < 0.08
    flips = draws(lambda k: transforms.sample_flip(k, (8, 8, 3), horizontal=True, vertical=True))
    assert 0.45 < flips["horizontal"].mean() < 0.55 and 0.45 < flips["vertical"].mean() < 0.55
    assert abs(np.corrcoef(flips["horizontal"], flips["vertical"])[0, 1]) < 0.08


def test_sample_shift_follows_keras_rules():
    frac = draws(lambda k: transforms.sample_shift(k, (20, 40, 3), height_shift_range=0.1, width_shift_range=0.25))
    assert stats.kstest(frac["dy"], "uniform", args=(-2, 4)).pvalue > 1e-3
    assert stats.kstest(frac["dx"], "uniform", args=(-10, 20)).pvalue > 1e-3
    assert abs(np.corrcoef(frac["dy"], frac["dx"])[0, 1]) < 0.08
    ints = draws(lambda k: transforms.sample_shift(k, (20, 40, 3), height_shift_range=3, width_shift_range=[2.0, 5.0]))
    assert set(np.unique(ints["dy"])) == {-2.0, -1.0, 0.0, 1.0, 2.0}
    assert set(np.unique(ints["dx"])) == {-5.0, -2.0, 2.0, 5.0}


@pytest.mark.parametrize("call,match", [
    (lambda: transforms.sample_rotation(jax.random.key(0), (8, 8, 3), -1.0), "max_angle"),
    (lambda: transforms.sample_zoom(jax.random.key(0), (8, 8, 3), (1.2, 0.8)), "zoom_range"),
    (lambda: transforms.sample_crop(jax.random.key(0), (8, 8, 3), 1.5), "padding"),
    (lambda: transforms.sample_flip(jax.random.key(0), (8, 8, 3), horizontal="yes"), "horizontal"),
    (lambda: transforms.sample_shift(jax.random.key(0), (8, 8), height_shift_range=-0.1), "height_shift_range"),
    (lambda: jaxaug.transforms.rotation(np.zeros((4, 4)), 10.0), "image"),
    (lambda: jaxaug.transforms.random_rotation(np.zeros(2, np.int32), np.zeros((4, 4, 1)), 10.0), "key"),
])
def test_bad_inputs_name_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_keypoints_follow_the_pixels_under_them():
    h, w = 21, 17
    m = jaxaug.affine_matrix((h, w), rotation=90.0, shift=(2.0, -1.0))
    points, visible = jaxaug.warp_keypoints(jnp.array([[4.0, 6.0], [0.0, 0.0]]), m, (h, w))
    x = np.zeros((h, w, 1), np.float32)
    x[4, 6] = 1.0
    hot = np.unravel_index(np.argmax(scipy_warp(x, m, order=0, fill_mode="constant")[..., 0]), (h, w))
    np.testing.assert_allclose(points[0], hot, atol=1e-4)
    assert bool(visible[0])
    np.testing.assert_allclose(np.asarray(m) @ np.r_[points[1], 1.0], [0.0, 0.0, 1.0], atol=1e-4)


def _box_of_warped_mask(box, m, hw):
    """Reference: paint the box's pixels, warp with scipy (order 0), bound the painted output pixels (edges)."""
    x = np.zeros((*hw, 1), np.float32)
    x[box[0]:box[2], box[1]:box[3]] = 1.0
    rows, cols = np.nonzero(scipy_warp(x, m, order=0, fill_mode="constant")[..., 0] > 0.5)
    return np.array([rows.min(), cols.min(), rows.max() + 1, cols.max() + 1], np.float32)


@pytest.mark.parametrize("kwargs", [
    dict(rotation=90.0), dict(rotation=-90.0, shift=(3.0, -2.0)), dict(rotation=180.0), dict(shift=(-4.0, 5.0)),
    dict(horizontal_flip=True), dict(vertical_flip=True, shift=(1.0, 1.0)),
])
def test_boxes_match_the_warped_pixels_for_axis_aligned_moves(kwargs):
    h, w = 24, 30  # not square: a 90-degree turn about the centre moves boxes across the aspect ratio
    m = np.asarray(jaxaug.affine_matrix((h, w), **kwargs))
    box = (5, 7, 11, 19)
    out, kept = jaxaug.warp_boxes(jnp.array([box], jnp.float32), m, (h, w))
    np.testing.assert_allclose(out[0], np.clip(_box_of_warped_mask(box, m, (h, w)), 0, [h, w, h, w]), atol=1e-4)
    assert bool(kept[0])


def _supersampled_box(box, m, hw, s: int = 8):
    """Reference at 1/s pixel: the box painted on an s-times finer grid, warped there by scipy, its extent."""
    # Pixel-centre coordinates on the fine grid: c_fine = s * c + (s - 1) / 2.
    t = np.array([[s, 0, (s - 1) / 2], [0, s, (s - 1) / 2], [0, 0, 1]])
    x = np.zeros((hw[0] * s, hw[1] * s, 1), np.float32)
    x[box[0] * s:box[2] * s, box[1] * s:box[3] * s] = 1.0
    out = scipy_warp(x, t @ np.asarray(m, np.float64) @ np.linalg.inv(t), order=0, fill_mode="constant")
    rows, cols = np.nonzero(out[..., 0] > 0.5)
    return np.array([rows.min(), cols.min(), rows.max() + 1, cols.max() + 1], np.float32) / s


@given(st.floats(-45, 45), st.floats(-6, 6), st.floats(0.7, 1.4), st.floats(-15, 15))
def test_boxes_enclose_the_moved_box_tightly(angle, dy, z, shear):
    h, w = 32, 40
    m = np.asarray(jaxaug.affine_matrix((h, w), rotation=angle, shift=(dy, -dy), zoom=(z, 1 / z), shear=shear))
    box = (8, 10, 20, 26)
    out, kept = jaxaug.warp_boxes(jnp.array([box], jnp.float32), m, (h, w))
    assert bool(kept[0])
    ref = _supersampled_box(box, m, (h, w))
    # The moved box is a parallelogram: the result is its axis-aligned extent, clipped, which the
    # fine grid resolves to within its cell size (1/8 pixel).
    np.testing.assert_allclose(out[0], np.clip(ref, 0, [h, w, h, w]), atol=0.2)


def test_boxes_without_area_or_under_a_singular_matrix_are_zeros_and_not_kept():
    boxes = jnp.array([[10.0, 10.0, 5.0, 5.0], [2.0, 3.0, 2.0, 9.0], [1.0, 1.0, 4.0, 4.0]])
    out, kept = jaxaug.warp_boxes(boxes, jnp.eye(3), (16, 16))
    np.testing.assert_array_equal(kept, [False, False, True])
    np.testing.assert_array_equal(out[:2], 0.0)
    np.testing.assert_allclose(out[2], [1.0, 1.0, 4.0, 4.0])
    singular = jnp.array([[0.0, 0.0, 7.5], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # zoom 0 on rows (refused by zoom=)
    out, kept = jaxaug.warp_boxes(boxes[2:], singular, (16, 16))
    assert not bool(kept[0]) and np.isfinite(np.asarray(out)).all()


def test_one_matrix_moves_every_image_s_boxes():
    boxes = jnp.asarray(np.random.default_rng(3).uniform(0, 8, (3, 2, 4)).cumsum(-1) % 16, jnp.float32)
    boxes = jnp.concatenate([boxes[..., :2], boxes[..., :2] + 3.0], axis=-1)
    m = jnp.asarray(jaxaug.affine_matrix((16, 16), rotation=30.0, shift=(1.0, 2.0)))
    out, kept = jaxaug.warp_boxes(boxes, m, (16, 16))
    for i in range(3):
        one, one_kept = jaxaug.warp_boxes(boxes[i], m, (16, 16))
        np.testing.assert_allclose(out[i], one, atol=1e-5)
        np.testing.assert_array_equal(kept[i], one_kept)


def test_boxes_are_clipped_and_flagged_when_they_leave_the_image():
    h, w = 16, 16
    boxes = jnp.array([[[2.0, 2.0, 6.0, 6.0], [10.0, 10.0, 14.0, 14.0]]])
    m = jnp.asarray(jaxaug.affine_matrix((h, w), shift=(8.0, 0.0)))[None]  # content moves 8 rows down
    out, kept = jaxaug.warp_boxes(boxes, m, (h, w, 3))
    np.testing.assert_allclose(out[0], [[10.0, 2.0, 14.0, 6.0], [0.0, 0.0, 0.0, 0.0]], atol=1e-5)
    np.testing.assert_array_equal(kept, [[True, False]])
    out, kept = jax.jit(jaxaug.warp_boxes, static_argnums=2)(boxes, m, (h, w))
    np.testing.assert_allclose(out[0, 0], [10.0, 2.0, 14.0, 6.0], atol=1e-5)
    vmapped, _ = jax.vmap(jaxaug.warp_boxes, in_axes=(0, 0, None))(boxes, m, (h, w))
    np.testing.assert_allclose(vmapped, out, atol=1e-6)


@pytest.mark.parametrize("boxes, matrices, match", [
    (np.zeros((2, 3)), np.eye(3), r"boxes must have shape \(B, 4\).*Received: boxes.shape=\(2, 3\)"),
    (np.zeros((2, 5, 4)), np.zeros((3, 3, 3)), r"matrices must have shape.*Received: matrices.shape=\(3, 3, 3\)"),
    (np.zeros((5, 4)), np.zeros((2, 3, 3)), "matrices must have shape"),
])
def test_bad_boxes_name_the_argument(boxes, matrices, match):
    with pytest.raises(ValueError, match=match):
        jaxaug.warp_boxes(boxes, matrices, (8, 8))


@given(st.floats(-180, 180), st.floats(-10, 10), st.floats(0.5, 2.0))
def test_keypoints_invert_the_pull_matrix(angle, dy, z):
    m = np.asarray(jaxaug.affine_matrix((32, 24), rotation=angle, shift=(dy, -dy), zoom=(z, 1 / z)))
    pts = np.random.default_rng(0).uniform(0, 20, (5, 2)).astype(np.float32)
    out, visible = jaxaug.warp_keypoints(pts, m, (32, 24))
    back = (m[:2, :2] @ np.asarray(out).T).T + m[:2, 2]
    np.testing.assert_allclose(back, pts, atol=1e-3)
    inside = (np.asarray(out) >= -0.5).all(1) & (np.asarray(out) <= np.array([31.5, 23.5])).all(1)
    np.testing.assert_array_equal(visible, inside)
