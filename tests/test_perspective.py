"""Perspective (issue 29): projective matrices in the one warp, and the `perspective` op.

References: OpenCV (`getPerspectiveTransform`, `warpPerspective`), PIL (`Image.transform(PERSPECTIVE)`),
scipy (`ndimage.map_coordinates` at the projective formula's coordinates, computed in float64), and
torchvision's corner rule reimplemented in numpy. Every tolerance says why it is what it is.
"""

import cv2
import hypothesis.extra.numpy as hnp
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.ndimage as ndi
from _compiled import image_gathers, jitted
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from reference import SCIPY_MODE
from scipy.stats import chi2

import jaxaug
from jaxaug import geometry, pipeline
from jaxaug.ops import perspective as P

MODES = jaxaug.FILL_MODES
# (row, col) <-> OpenCV's and PIL's (x, y): the same matrix with its two axes swapped.
SWAP = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
CV2_BORDER = {"constant": cv2.BORDER_CONSTANT, "nearest": cv2.BORDER_REPLICATE, "reflect": cv2.BORDER_REFLECT,
              "mirror": cv2.BORDER_REFLECT_101, "wrap": cv2.BORDER_WRAP}


def photo(h=224, w=160):
    """A real-looking picture: the built-in sample photo, cropped to a non-square shape."""
    return np.asarray(jaxaug.example_image(size=max(h, w)))[:h, :w]


def smooth_noise(shape, seed=0):
    rng = np.random.default_rng(seed)
    x = ndi.gaussian_filter(rng.random(shape), sigma=(2, 2, 0))
    return ((x - x.min()) / (x.max() - x.min())).astype(np.float32)


def drawn_corners(seed, shape, scale=0.6):
    return P.sample_perspective(jax.random.key(seed), shape, distortion_scale=scale)["corners"]


def pull_coordinates(m, out_hw):
    """The input (row, col) of every output pixel by the projective formula, in float64, and z."""
    m = np.asarray(m, np.float64)
    rows, cols = np.meshgrid(np.arange(out_hw[0]), np.arange(out_hw[1]), indexing="ij")
    u = np.einsum("ij,jhw->ihw", m, np.stack([rows, cols, np.ones_like(rows)]).astype(np.float64))
    return u[0] / u[2], u[1] / u[2], u[2]


def on_the_border(m, hw, eps=1e-3):
    """Output pixels whose sample lies within `eps` of the input's border lines, in float64.

    Whole-pixel corners put samples exactly on the border: "constant" then gives the pixel or
    `cval` by the last bit of float32 arithmetic, which two compiled programs may round apart.
    """
    y, x, _ = pull_coordinates(m, hw)
    out = np.zeros(hw, bool)
    for v, n in ((y, hw[0]), (x, hw[1])):
        out |= (np.abs(v) < eps) | (np.abs(v - (n - 1)) < eps)
    return out


def torchvision_corners(rng, h, w, scale):
    """torchvision v2's RandomPerspective.make_params, in numpy: the endpoints, as (row, col)."""
    half_h, half_w = h // 2, w // 2
    bh, bw = int(scale * half_h) + 1, int(scale * half_w) + 1
    top_left = [rng.integers(0, bw), rng.integers(0, bh)]
    top_right = [rng.integers(w - bw, w), rng.integers(0, bh)]
    bottom_right = [rng.integers(w - bw, w), rng.integers(h - bh, h)]
    bottom_left = [rng.integers(0, bw), rng.integers(h - bh, h)]
    return np.array([[y, x] for x, y in (top_left, top_right, bottom_right, bottom_left)], np.float64)


# --- the four-point solve ---------------------------------------------------------------------


def _cv2_matrix(output_points, input_points):
    """OpenCV's float64 solve, as a pull matrix in (row, col)."""
    src = np.ascontiguousarray(np.asarray(output_points, np.float32)[:, ::-1])
    dst = np.ascontiguousarray(np.asarray(input_points, np.float32)[:, ::-1])
    return SWAP @ cv2.getPerspectiveTransform(src, dst) @ SWAP


@pytest.mark.parametrize("size", [8, 224, 1000])
@pytest.mark.parametrize("seed", range(4))
def test_four_point_solve_matches_cv2(size, seed):
    rng = np.random.default_rng(seed)
    h, w = size, size + 13
    corners = torchvision_corners(rng, h, w, rng.uniform(0.1, 0.9))
    image_corners = np.array([[0, 0], [0, w - 1], [h - 1, w - 1], [h - 1, 0]], np.float64)
    # And a general pair of quadrilaterals: each corner moved anywhere within a quarter of the size.
    moved = image_corners + rng.uniform(-0.25, 0.25, (4, 2)) * size
    for out_pts, in_pts in ((corners, image_corners), (moved, corners)):
        ours = np.asarray(geometry.projective_matrix(out_pts, in_pts), np.float64)
        want = _cv2_matrix(out_pts, in_pts)
        # OpenCV scales to M[2, 2] = 1; ours has the sign that puts the output points in front.
        centre = np.append(out_pts.mean(0), 1.0)
        assert abs(abs(ours[2, 2]) - 1) < 1e-6 and ours[2] @ centre > 0  # x / x may be x * (1 / x) in XLA
        ours = ours / ours[2, 2]
        # float32 solve of a normalised system: about 1e-6 relative per entry, times the system's
        # condition (1 to 30 here): 1e-4 of the largest entry leaves a margin of 3-100.
        np.testing.assert_allclose(ours, want, atol=1e-4 * np.abs(want).max(), rtol=0)
        # The four pairs themselves: float32 coordinates of up to 1000 pixels hold 6e-5 px;
        # 1e-3 px bounds the solve's error where it matters.
        mapped = ours @ np.concatenate([out_pts, np.ones((4, 1))], axis=1).T
        np.testing.assert_allclose((mapped[:2] / mapped[2]).T, in_pts, atol=1e-3 * max(1.0, size / 224))


def test_equal_points_give_the_identity_exactly_and_matrices_batch():
    pts = np.array([[3.0, 1.0], [2.0, 40.0], [30.0, 37.5], [29.0, 0.5]])
    assert np.array_equal(np.asarray(geometry.projective_matrix(pts, pts)), np.eye(3))
    a = np.stack([pts, pts + 1.5, pts[::-1]])
    b = np.stack([pts[[1, 2, 3, 0]], pts * 1.1, pts])
    batched = np.asarray(geometry.projective_matrix(a, b))
    for variant in (jax.jit(geometry.projective_matrix), jax.vmap(geometry.projective_matrix)):
        # One 8x8 LU per matrix whatever the batching: the same to a few float32 ulps.
        np.testing.assert_allclose(np.asarray(variant(a, b)), batched, rtol=1e-5, atol=1e-5)
    for i in range(3):
        np.testing.assert_allclose(batched[i], np.asarray(geometry.projective_matrix(a[i], b[i])), rtol=1e-5,
                                   atol=1e-5)


# --- the twin against OpenCV, PIL and scipy ------------------------------------------------------


@pytest.mark.parametrize("fill_mode", MODES)
@pytest.mark.parametrize("seed", [0, 1])
def test_twin_matches_cv2_warp_perspective(fill_mode, seed):
    image = photo()
    corners = drawn_corners(seed, image.shape)
    m = np.asarray(P.perspective_matrix(image.shape, corners), np.float64)
    ours = np.asarray(P.perspective(image, corners, fill_mode=fill_mode, cval=64))
    # WARP_INVERSE_MAP: the matrix is the pull map, as ours; OpenCV's pixel centres are integers too.
    want = cv2.warpPerspective(image, SWAP @ m @ SWAP, image.shape[1::-1],
                               flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=CV2_BORDER[fill_mode],
                               borderValue=(64, 64, 64))
    y, x, _ = pull_coordinates(m, image.shape[:2])
    keep = np.ones(image.shape[:2], bool)
    if fill_mode == "constant":
        # OpenCV blends cval into the pixels whose sample lies within one pixel outside the image; scipy's
        # and our "constant" give cval to every point outside [0, size - 1]: that band is left out.
        for v, n in ((y, image.shape[0]), (x, image.shape[1])):
            keep &= ~(((v > -1) & (v < 0)) | ((v > n - 1) & (v < n)))
    diff = np.abs(ours.astype(int) - want.astype(int))[keep]
    # OpenCV quantises coordinates to 1/32 pixel and weights to 15 bits, then rounds; we round
    # float32: one level either way where the exact value sits near a half (measured: 1e-5 of pixels).
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_twin_matches_pil_transform_perspective(seed):
    image = photo()
    h, w = image.shape[:2]
    corners = drawn_corners(seed, image.shape)
    m = np.asarray(P.perspective_matrix(image.shape, corners), np.float64)
    # PIL applies the coefficients to pixel-edge coordinates (x + 0.5) in (x, y) order.
    to_edges = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
    pil_m = to_edges @ SWAP @ m @ SWAP @ np.linalg.inv(to_edges)
    coeffs = tuple((pil_m / pil_m[2, 2]).ravel()[:8])
    want = np.asarray(Image.fromarray(image).transform((w, h), Image.Transform.PERSPECTIVE, coeffs,
                                                       resample=Image.Resampling.BILINEAR, fillcolor=(64, 64, 64)))
    ours = np.asarray(P.perspective(image, corners, fill_mode="constant", cval=64))
    y, x, _ = pull_coordinates(m, (h, w))
    # PIL has only a fill colour, so "constant" is the mode to compare. It takes a point as inside
    # when its pixel-centre coordinate lies in [-0.5, size - 0.5) and clamps the taps; ours (scipy's
    # "constant") in [0, size - 1]: the half-pixel band between is left out.
    band = np.zeros((h, w), bool)
    for v, n in ((y, h), (x, w)):
        band |= ((v >= -0.5 - 1e-3) & (v <= 1e-3)) | ((v >= n - 1 - 1e-3) & (v <= n - 0.5 + 1e-3))
    assert band.mean() < 0.02
    diff = np.abs(ours.astype(int) - want.astype(int))[~band]
    # PIL rounds its bilinear result its own way (measured: 5 % of the pixels one level off, none more).
    assert diff.max() <= 1 and (diff > 0).mean() < 0.1


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("fill_mode", MODES)
@pytest.mark.parametrize("shape", [(224, 224, 3), (37, 50, 1)], ids=lambda s: "x".join(map(str, s)))
def test_twin_matches_scipy_at_the_projective_formula(shape, fill_mode, order):
    image = smooth_noise(shape, seed=shape[0])
    corners = drawn_corners(shape[1], shape, scale=0.8)
    m = P.perspective_matrix(shape, corners)
    ours = np.asarray(P.perspective(image, corners, order=order, fill_mode=fill_mode, cval=0.25))
    y, x, z = pull_coordinates(m, shape[:2])
    assert (z > 0).all()  # the op's corners move inward: every output pixel sees the input
    want = np.stack([ndi.map_coordinates(image[..., c].astype(np.float64), [y, x], order=order,
                                         mode=SCIPY_MODE[fill_mode], cval=0.25) for c in range(shape[2])], axis=-1)
    # Where float32 and float64 coordinates may fall on either side of a discontinuity: the
    # rounding ties of order 0, and the border of "constant".
    skip = np.zeros(shape[:2], bool)
    for v, n in ((y, shape[0]), (x, shape[1])):
        if order == 0:
            skip |= np.abs(np.mod(v, 1.0) - 0.5) < 1e-3
        if fill_mode == "constant":
            skip |= (np.abs(v) < 1e-3) | (np.abs(v - (n - 1)) < 1e-3)
    # Whole-pixel corners put a whole row or column of samples on the border line of a 37-pixel
    # image (3 % of it); at 224, 0.5 %.
    assert skip.mean() < 0.05, "the reference excluded too many pixels to be a test"
    # float32 coordinates of up to 224 pixels, divided once: about 2e-5 px off the float64 ones,
    # times a gradient below 1 per pixel (measured: 5e-5 at most).
    assert np.abs(ours - want)[~skip].max(initial=0) <= 2e-4


# --- keypoints, boxes, masks -----------------------------------------------------------------------


def test_keypoints_follow_the_projective_formula():
    shape = (96, 128)
    m = np.asarray(P.perspective_matrix(shape, drawn_corners(3, shape, 0.7)), np.float64)
    rng = np.random.default_rng(0)
    points = rng.uniform([-10, -10], [106, 138], (50, 2))
    moved, visible = jaxaug.warp_keypoints(points, m, shape, projective=True)
    push = np.linalg.inv(m)
    u = push @ np.concatenate([points, np.ones((50, 1))], axis=1).T
    want = (u[:2] / u[2]).T
    # float32 inverse and division, coordinates up to 140 pixels: 1e-3 px.
    np.testing.assert_allclose(np.asarray(moved), want, atol=1e-3)
    inside = np.all((want >= -0.5) & (want <= np.array(shape) - 0.5), axis=1)
    np.testing.assert_array_equal(np.asarray(visible), inside & (u[2] > 0))
    # And back: the pull matrix takes each moved point to where it came from.
    back = m @ np.concatenate([np.asarray(moved, np.float64), np.ones((50, 1))], axis=1).T
    np.testing.assert_allclose((back[:2] / back[2]).T, points, atol=2e-3)


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_a_keypoint_lands_where_the_warped_image_shows_it(seed):
    # A round blob (a single pixel could fall between the samples of a shrinking perspective).
    rows, cols = np.meshgrid(np.arange(64), np.arange(80), indexing="ij")
    image = np.exp(-((rows - 20.0) ** 2 + (cols - 50.0) ** 2) / 8.0)[..., None].astype(np.float32)
    corners = drawn_corners(seed, image.shape, 0.5)
    m = P.perspective_matrix(image.shape, corners)
    moved, visible = jaxaug.warp_keypoints(np.array([[20.0, 50.0]]), m, image.shape, projective=True)
    warped = np.asarray(P.perspective(image, corners, fill_mode="constant"))[..., 0]
    peak = np.unravel_index(np.argmax(warped), warped.shape)
    # The brightest output pixel is the one nearest the moved centre: within half a pixel on each axis.
    assert bool(visible[0]) and np.all(np.abs(np.array(peak) - np.asarray(moved[0])) <= 0.5 + 1e-3)


def test_boxes_are_the_box_around_the_moved_corners():
    shape = (96, 128)
    m = np.asarray(P.perspective_matrix(shape, drawn_corners(4, shape, 0.9)), np.float64)
    boxes = np.array([[10.0, 20.0, 40.0, 70.0], [0.0, 0.0, 96.0, 128.0], [50.0, 100.0, 90.0, 127.0]])
    out, kept = jaxaug.warp_boxes(boxes, m, shape, projective=True)
    push = np.linalg.inv(m)
    for box, got in zip(boxes, np.asarray(out), strict=True):
        t, left, b, r = box - np.array([0.5, 0.5, 0.5, 0.5])  # pixel edges -> centres, the points' convention
        corners = np.array([[t, left, 1], [t, r, 1], [b, left, 1], [b, r, 1]]).T
        u = push @ corners
        moved = (u[:2] / u[2]).T + 0.5
        want = np.concatenate([moved.min(0), moved.max(0)])
        want = np.clip(want, 0, np.array([*shape, *shape]))
        np.testing.assert_allclose(got, want, atol=1e-3)  # float32 inverse and division, as the keypoints
    assert np.asarray(kept).all()


def test_boxes_and_keypoints_behind_the_camera():
    # z = 1 - col / 10: output columns beyond 10 see nothing; input points map to w = 1 / z.
    m = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, -0.1, 1.0]])
    # Column 5 of the input is seen at output column 3.33; input column -20 is behind the camera.
    pts, visible = jaxaug.warp_keypoints(np.array([[2.0, 5.0], [2.0, -20.0]]), m, (8, 16), projective=True)
    assert np.isfinite(np.asarray(pts)).all()
    np.testing.assert_allclose(np.asarray(pts[0]), [2.0 / 1.5, 5.0 / 1.5], atol=1e-5)
    assert visible.tolist() == [True, False]
    boxes = np.array([[0.0, 0.0, 4.0, 4.0], [0.0, -30.0, 4.0, 2.0], [0.0, -40.0, 4.0, -20.0]])
    out, kept = jaxaug.warp_boxes(boxes, m, (8, 16), projective=True)
    assert kept.tolist() == [True, True, False]
    # Straddling the horizon, the box reaches to infinity: the whole image. All behind: not kept, zeros.
    np.testing.assert_array_equal(np.asarray(out[1:]), [[0.0, 0.0, 8.0, 16.0], [0.0, 0.0, 0.0, 0.0]])


def test_pixels_behind_the_camera_get_cval_in_every_mode_and_never_nan():
    image = smooth_noise((8, 16, 2))
    m = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, -0.1, 1.0]])  # z <= 0 from output column 10 on
    for mode in MODES:
        for order in (0, 1):
            for cval in (0.5, jnp.float32(0.5)):  # a static cval (the fill row) and a traced one (the select)
                out = jax.jit(lambda x, c, mode=mode, order=order: jaxaug.affine_warp(
                    x, m, fill_mode=mode, order=order, cval=c, projective=True))(image, cval)
                out = np.asarray(out)
                assert np.isfinite(out).all()
                np.testing.assert_array_equal(out[:, 10:], 0.5)
                assert (out[:, :10] != 0.5).any()


def test_augmenter_masks_keypoints_and_boxes_follow_the_perspective():
    images = jnp.asarray(np.stack([photo(64, 48)] * 3))
    masks = jnp.asarray((np.arange(64)[:, None] // 8 + np.arange(48)[None, :] // 6) % 5, jnp.int32)
    masks = jnp.broadcast_to(masks, (3, 64, 48))
    keypoints = jnp.array([[[10.0, 12.0], [40.0, 30.0]]] * 3)
    boxes = jnp.array([[[5.0, 5.0, 30.0, 20.0]]] * 3)
    augment = jaxaug.augmenter(perspective_distortion_scale=0.6, fill_mode="constant", mask_cval=255)
    out = jax.jit(augment)(jax.random.key(7), images, masks=masks, keypoints=keypoints, boxes=boxes)
    corners = augment.sample(jax.random.key(7), images)["perspective"]["corners"]
    for i in range(3):
        m = P.perspective_matrix(images.shape[1:], corners[i])
        keep = ~on_the_border(m, (64, 48))
        # Compiled in another program (one jit over the batch, one eager call): one level where a
        # float32 value sits at a half, as tests/reference.py's assert_uint8_rounds_float32 says.
        want = np.asarray(P.perspective(images[i], corners[i], fill_mode="constant"))
        assert np.abs(np.asarray(out.images[i]).astype(int) - want)[keep].max() <= 1
        mask = np.asarray(jaxaug.affine_warp(masks[i][..., None].astype(jnp.float32), m, order=0,
                                             fill_mode="constant", cval=255, projective=True))[..., 0]
        np.testing.assert_array_equal(np.asarray(out.masks[i])[keep], mask.astype(np.int32)[keep])
        pts, vis = jaxaug.warp_keypoints(keypoints[i], m, (64, 48), projective=True)
        np.testing.assert_allclose(np.asarray(out.keypoints[i]), np.asarray(pts), atol=1e-4)
        np.testing.assert_array_equal(np.asarray(out.visible[i]), np.asarray(vis))
        bx, kept = jaxaug.warp_boxes(boxes[i], m, (64, 48), projective=True)
        np.testing.assert_allclose(np.asarray(out.boxes[i]), np.asarray(bx), atol=1e-4)
        np.testing.assert_array_equal(np.asarray(out.boxes_kept[i]), np.asarray(kept))
    assert (np.asarray(out.masks) == 255).any()  # the border is filled with mask_cval


# --- the sampler against torchvision's rule ------------------------------------------------------


@pytest.mark.parametrize("shape, scale", [((224, 224), 0.5), ((37, 50), 0.3), ((8, 9), 1.0), ((64, 48), 0.0),
                                          ((100, 100), 0.7)])
def test_sampler_draws_torchvision_corner_distribution(shape, scale):
    n = 4000
    keys = jax.random.split(jax.random.key(11), n)
    ours = np.asarray(jax.vmap(lambda k: P.sample_perspective(k, shape, distortion_scale=scale))(keys)["corners"])
    rng = np.random.default_rng(11)
    theirs = np.stack([torchvision_corners(rng, *shape, scale) for _ in range(n)])
    assert np.array_equal(ours, np.round(ours))  # whole pixels, as torchvision's randint
    for corner in range(4):
        for axis in range(2):
            a, b = ours[:, corner, axis], theirs[:, corner, axis]
            lo, hi = int(b.min()), int(b.max())
            # The same support: every integer between torchvision's bounds, and no other.
            bound = int(scale * (shape[axis] // 2)) + 1
            assert hi - lo + 1 == bound and a.min() == lo and a.max() == hi, (corner, axis)
            # Uniform on it: a chi-square test at the 1e-4 level (false alarms 1 in 10,000 per cell).
            counts = np.array([(a == v).sum() for v in range(lo, hi + 1)])
            if bound > 1:
                expected = n / bound
                statistic = ((counts - expected) ** 2 / expected).sum()
                assert chi2.sf(statistic, bound - 1) > 1e-4, (corner, axis, counts)
    # The corners are independent of each other: correlations within 4.5 / sqrt(n).
    flat = ours.reshape(n, 8)
    varying = flat.std(0) > 0
    if varying.sum() > 1:
        corr = np.corrcoef(flat[:, varying].T)
        assert np.abs(corr - np.eye(len(corr))).max() < 4.5 / np.sqrt(n)


def test_sampler_on_a_traced_size_matches_the_static_one():
    # A ragged batch hands the sampler its image's true extent as traced integers.
    key = jax.random.key(3)
    static = P.sample_perspective(key, (50, 37), distortion_scale=0.4)["corners"]
    traced = jax.jit(lambda h, w: P.sample_perspective(key, (h, w), distortion_scale=0.4)["corners"])(
        jnp.int32(50), jnp.int32(37))
    np.testing.assert_array_equal(np.asarray(static), np.asarray(traced))


# --- variants, composition, properties -------------------------------------------------------


def test_eager_jit_and_vmap_agree():
    images = jnp.asarray(np.stack([photo(48, 40), photo(48, 40)[::-1]]))
    keys = jax.random.split(jax.random.key(0), 2)
    one = lambda k, x: P.random_perspective(k, x, distortion_scale=0.5)  # noqa: E731
    eager = np.stack([np.asarray(one(k, x)) for k, x in zip(keys, images, strict=True)])
    jitted = np.asarray(jax.jit(jax.vmap(one))(keys, images))
    mapped = np.asarray(jax.vmap(one)(keys, images))
    # Separately compiled programs may round a float32 value at a half the other way: one level.
    for other in (jitted, mapped):
        diff = np.abs(eager.astype(int) - other)
        assert diff.max() <= 1 and (diff > 0).mean() < 0.01


def test_perspective_composes_with_the_other_geometry_into_one_warp():
    images = jnp.asarray(np.stack([photo(64, 64)] * 2))
    piece = pipeline.chain(pipeline.rotation(20.0), pipeline.perspective(distortion_scale=0.5), pipeline.zoom(0.2))
    augment = jaxaug.Augmenter(piece, fill_mode="reflect")
    assert piece.projective and not pipeline.chain(pipeline.rotation(20.0), pipeline.zoom(0.2)).projective
    params = augment.sample(jax.random.key(1), images)
    out = np.asarray(jax.jit(augment.apply)(params, images))
    for i in range(2):
        p = jax.tree.map(lambda a, i=i: a[i], params)
        m = piece.matrix(p, images.shape[1:])
        want = np.asarray(jaxaug.affine_warp(images[i], m, fill_mode="reflect", projective=True))
        assert np.abs(out[i].astype(int) - want).max() <= 1  # one level: another program's rounding
    # One resample: the compiled program gathers as often as the affine one does (4 taps, one pass).
    x = jnp.zeros((2, 32, 32, 3), jnp.uint8)
    affine = image_gathers(pipeline.chain(pipeline.rotation(20.0), pipeline.zoom(0.2)), x)
    assert affine > 0 and image_gathers(piece, x) == affine


def test_identity_distortion_is_exact_and_affine_programs_do_not_divide():
    x = jnp.asarray(photo(40, 30))
    for mode in MODES:
        np.testing.assert_array_equal(np.asarray(P.random_perspective(jax.random.key(0), x, distortion_scale=0.0,
                                                                      fill_mode=mode)), np.asarray(x))
    # The affine warp's program is the one it was: no division. The projective one divides.
    m = jnp.eye(3)
    affine = jax.jit(lambda i, m: jaxaug.affine_warp(i, m)).lower(x, m).as_text()
    projective = jax.jit(lambda i, m: jaxaug.affine_warp(i, m, projective=True)).lower(x, m).as_text()
    assert "divide" not in affine and "divide" in projective


@settings(max_examples=25, deadline=None)
@given(image=hnp.arrays(np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 12), st.integers(1, 3))),
       seed=st.integers(0, 2**31 - 1), order=st.sampled_from([0, 1]), fill_mode=st.sampled_from(MODES))
def test_hypothesis_identity_distortion_gives_the_input_back_bitwise(image, seed, order, fill_mode):
    out = P.random_perspective(jax.random.key(seed), image, distortion_scale=0.0, order=order, fill_mode=fill_mode)
    np.testing.assert_array_equal(np.asarray(out), image)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), scale=st.floats(0.0, 0.9), fill_mode=st.sampled_from(MODES))
def test_hypothesis_a_perspective_composed_with_its_inverse_is_the_identity(seed, scale, fill_mode):
    shape = (24, 20, 3)
    corners = drawn_corners(seed, shape, scale)
    image_corners = P._image_corners(24, 20)
    forward = geometry.projective_matrix(corners, image_corners)
    backward = geometry.projective_matrix(image_corners, corners)
    both = np.asarray(geometry.compose(forward, backward), np.float64)
    # Two float32 solves, each about 1e-6 relative: the product is the identity up to its scale,
    # which is positive: each matrix has its output points in front of the camera.
    assert both[2, 2] > 0
    np.testing.assert_allclose(both / both[2, 2], np.eye(3), atol=1e-4)
    x = smooth_noise(shape, seed % 100)
    out = np.asarray(jaxaug.affine_warp(x, both, fill_mode=fill_mode, projective=True))
    # The composed matrix reads each pixel within 1e-4 * 24 px of its centre: bilinear weights
    # that far from (1, 0) change a smooth image by less than 1e-3. Under "constant", the border
    # pixels sample within that distance of the border, inside or out: they are left out.
    inner = (slice(1, -1), slice(1, -1)) if fill_mode == "constant" else (slice(None), slice(None))
    np.testing.assert_allclose(out[inner], x[inner], atol=1e-3)


@settings(max_examples=30, deadline=None)
@given(entries=hnp.arrays(np.float32, (3, 3), elements=st.floats(-3, 3, width=32)),
       fill_mode=st.sampled_from(MODES), order=st.sampled_from([0, 1]))
def test_hypothesis_no_projective_matrix_puts_nan_in_the_output(entries, fill_mode, order):
    # Traced, so not checked: any matrix at all, singular ones too, gives finite pixels within the
    # range of the input and cval.
    x = smooth_noise((9, 7, 2))
    # One compiled warp per (fill_mode, order), the matrix an argument (a new jitted lambda per
    # example would compile 30 programs for at most 10 distinct ones).
    warp = jitted(jaxaug.affine_warp, fill_mode=fill_mode, order=order, cval=2.0, projective=True)
    out = np.asarray(warp(x, entries))
    assert np.isfinite(out).all()
    assert out.min() >= x.min() - 1e-6 and out.max() <= 2.0


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("call, error, words", [
    (lambda: P.sample_perspective(jax.random.key(0), (8, 8), distortion_scale=1.5), ValueError,
     ["distortion_scale", "1.5"]),
    (lambda: P.sample_perspective(jax.random.key(0), (8, 8), distortion_scale=-0.1), ValueError,
     ["distortion_scale", "-0.1"]),
    (lambda: P.sample_perspective(jax.random.key(0), (8, 8), distortion_scale="0.5"), TypeError,
     ["distortion_scale", "'0.5'"]),
    (lambda: P.random_perspective(jax.random.key(0), np.zeros((8, 8, 3)), distortion_scale=2), ValueError,
     ["distortion_scale", "2"]),
    (lambda: pipeline.perspective(distortion_scale=1.01), ValueError, ["distortion_scale", "1.01"]),
    (lambda: jaxaug.augmenter(perspective_distortion_scale=3.0), ValueError,
     ["perspective_distortion_scale", "3.0"]),
    (lambda: jaxaug.augmenter(perspective_distortion_scale=-1.0), ValueError,
     ["perspective_distortion_scale", "-1.0"]),
    (lambda: jaxaug.affine_warp(np.zeros((8, 8, 1)), np.array([[1, 2, 3], [2, 4, 6], [0.01, 0, 1.0]]),
                                projective=True), ValueError, ["matrices", "singular"]),
    (lambda: jaxaug.affine_warp(np.zeros((8, 8, 1)), np.array([[1, 0, 0], [0, 0, 0], [0, 0.1, 1.0]]),
                                projective=True), ValueError, ["matrices", "singular"]),
    (lambda: jaxaug.affine_warp(np.zeros((8, 8, 1)), np.array([[1, 0, 0], [0, 1, 0], [0, np.inf, 1.0]]),
                                projective=True), ValueError, ["matrices", "finite"]),
    (lambda: jaxaug.affine_warp(np.zeros((8, 8, 1)), np.array([[1, 0, 0], [0, 1, 0], [0, 0.1, 1.0]])),
     ValueError, ["matrices", "bottom row", "projective=True"]),
    (lambda: jaxaug.affine_warp(np.zeros((8, 8, 1)), np.eye(3), projective=1), TypeError, ["projective", "1"]),
    (lambda: jaxaug.warp_keypoints(np.zeros((1, 2)), np.array([[1, 0, 0], [0, 1, 0], [0, 0.1, 1.0]]), (8, 8)),
     ValueError, ["matrices", "bottom row"]),
    (lambda: jaxaug.warp_boxes(np.ones((1, 4)), np.zeros((3, 3)), (8, 8), projective=True), ValueError,
     ["matrices", "singular"]),
    (lambda: geometry.projective_matrix(np.array([[0, 0], [1, 1], [2, 2], [0, 5.0]]), np.eye(4, 2)), ValueError,
     ["output_points", "three points on one line"]),
    (lambda: geometry.projective_matrix(np.zeros((3, 2)), np.zeros((3, 2))), ValueError,
     ["output_points", "(3, 2)"]),
    (lambda: geometry.projective_matrix(np.full((4, 2), np.nan), np.zeros((4, 2))), ValueError,
     ["output_points", "finite"]),
    (lambda: P.perspective(np.zeros((8, 8, 3)), np.array([[0, 0], [0, 7], [7, 7], [7, 7.0]])), ValueError,
     ["corners", "one line"]),
    (lambda: P.perspective(np.zeros((8, 8, 3)), np.zeros((3, 2))), ValueError, ["corners", "(3, 2)"]),
    (lambda: jaxaug.Augmenter(pipeline.perspective(distortion_scale=0.3), antialias=True), ValueError,
     ["antialias", "axis-aligned"]),
])
def test_bad_input_is_named(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def _convex(quad):
    """Whether the (4, 2) corners, in order, make a convex quadrilateral (not a folded one)."""
    edges = [quad[(i + 1) % 4] - quad[i] for i in range(4)]
    turns = [edges[i][0] * edges[(i + 1) % 4][1] - edges[i][1] * edges[(i + 1) % 4][0] for i in range(4)]
    return all(t > 0 for t in turns) or all(t < 0 for t in turns)


def test_strong_distortions_keep_the_picture_in_front_of_the_camera():
    # At distortion_scale 0.8-1, 5-19 % of torchvision's draws put the output's top-left corner beyond the
    # horizon; with M[2, 2] = 1 those warps gave cval everywhere. The middle of the drawn corners must show
    # the picture (here all ones) whenever they make a convex quadrilateral. (At distortion_scale near 1
    # torchvision's rule also draws folded ones, 13 % here at 1.0, whose middle need not show it.)
    keys = jax.random.split(jax.random.key(2), 300)
    ones = jnp.ones((40, 56, 1))
    warp = jax.jit(jax.vmap(lambda k: P.random_perspective(k, ones, distortion_scale=1.0, fill_mode="constant")))
    out = np.asarray(warp(keys))[..., 0]
    corners = np.asarray(jax.vmap(lambda k: P.sample_perspective(k, ones.shape, distortion_scale=1.0))(keys)["corners"])
    convex = np.array([_convex(c) for c in corners.astype(np.float64)])
    middle = np.round(corners.mean(1)).astype(int)
    assert convex.mean() > 0.8
    np.testing.assert_array_equal(out[np.arange(300), middle[:, 0], middle[:, 1]][convex], 1.0)
    assert np.isfinite(out).all()
