"""Output sizes: resized crops, resizes and centre crops, antialiasing, ragged batches.

References: scipy.ndimage.affine_transform (with output_shape) for the matrices, PIL's
`Image.resize` (antialiased bilinear, also with `box=`) and OpenCV's `INTER_LINEAR` (bilinear
without antialiasing) for the resampling, numpy slicing for centre crops, and a plain-Python
transcription of torchvision's `RandomResizedCrop.get_params` for the box distribution.
"""

import functools
import math

import cv2
import hypothesis.extra.numpy as hnp
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _compiled import jitted
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from reference import scipy_warp

import jaxaug
from jaxaug import pipeline as jp
from jaxaug import transforms as T

PHOTO = np.asarray(jaxaug.example_image())  # 128 x 128 x 3 uint8, a natural picture


def photo(h, w):
    """A natural picture of any size: the sample photo resized by PIL (LANCZOS), then cropped."""
    big = Image.fromarray(PHOTO).resize((max(w, 128) + 7, max(h, 128) + 5), Image.LANCZOS)
    return np.asarray(big)[3:3 + h, 2:2 + w]


def pil_resize(image, size, box=None):
    """PIL's antialiased bilinear resize of an (H, W, 3) uint8 image to size (h, w); box in PIL's (l, t, r, b)."""
    return np.asarray(Image.fromarray(image).resize(size[::-1], Image.BILINEAR, box=box, reducing_gap=None))


# --- the box of RandomResizedCrop -----------------------------------------------------------


def torchvision_box(rng, h, w, scale, ratio):
    """torchvision.transforms.RandomResizedCrop.get_params, transcribed (float64, Python round)."""
    area = h * w
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target_area = area * rng.uniform(scale[0], scale[1])
        aspect = math.exp(rng.uniform(*log_ratio))
        bw = int(round(math.sqrt(target_area * aspect)))
        bh = int(round(math.sqrt(target_area / aspect)))
        if 0 < bw <= w and 0 < bh <= h:
            return rng.integers(0, h - bh + 1), rng.integers(0, w - bw + 1), bh, bw
    in_ratio = w / h
    if in_ratio < min(ratio):
        bw, bh = w, int(round(w / min(ratio)))
    elif in_ratio > max(ratio):
        bh, bw = h, int(round(h * max(ratio)))
    else:
        bw, bh = w, h
    return (h - bh) // 2, (w - bw) // 2, bh, bw


MAX_DRAWS = 4000


@functools.cache
def box_sampler(options):
    """sample_resized_crop over MAX_DRAWS keys, compiled once per option set: the image's (H, W) is data.

    A traced (H, W) is the sampler's path for a padded image (see its docstring); static and
    traced sizes give the same float32 arithmetic, and each new static size would compile anew.
    """
    keys = jax.random.split(jax.random.key(7), MAX_DRAWS)
    draw = jax.vmap(lambda k, hw: T.sample_resized_crop(k, (hw[0], hw[1], 3), **dict(options)), in_axes=(0, None))
    return functools.partial(jax.jit(draw), keys)


def draw_boxes(shape, n, **kw):
    boxes = box_sampler(tuple(sorted(kw.items())))(jnp.asarray(shape[:2], jnp.int32))
    return {k: np.asarray(v)[:n] for k, v in boxes.items()}


@pytest.mark.parametrize("hw, kw", [((60, 90), {}), ((33, 33), {}),
                                    ((90, 60), {"scale": (0.5, 1.0), "ratio": (0.5, 2.0)})],
                         ids=["wide-image", "square", "tall-image-wide-options"])
def test_box_distribution_matches_torchvision(hw, kw):
    n = 4000
    ours = draw_boxes(hw + (3,), n, **kw)
    rng = np.random.default_rng(0)
    ref = np.array([torchvision_box(rng, *hw, kw.get("scale", (0.08, 1.0)), kw.get("ratio", (3 / 4, 4 / 3)))
                    for _ in range(n)], np.float64)
    h, w = hw
    for name, ours_v, ref_v in [("area", ours["height"] * ours["width"] / (h * w), ref[:, 2] * ref[:, 3] / (h * w)),
                                ("log ratio", np.log(ours["width"] / ours["height"]), np.log(ref[:, 3] / ref[:, 2])),
                                ("centre row", ours["top"] + ours["height"] / 2, ref[:, 0] + ref[:, 2] / 2),
                                ("centre col", ours["left"] + ours["width"] / 2, ref[:, 1] + ref[:, 3] / 2)]:
        # Two independent samples of n: their means differ by < 5 standard errors but for 1 in 10^6.
        se = math.sqrt(ours_v.var() / n + ref_v.var() / n)
        assert abs(ours_v.mean() - ref_v.mean()) < 5 * se + 1e-9, (name, ours_v.mean(), ref_v.mean())
        # And their spreads and quartiles agree to a few percent of the range.
        spread = ref_v.max() - ref_v.min() + 1e-9
        q_ours, q_ref = np.quantile(ours_v, [0.25, 0.5, 0.75]), np.quantile(ref_v, [0.25, 0.5, 0.75])
        assert np.abs(q_ours - q_ref).max() <= 0.05 * spread, (name, q_ours, q_ref)


def test_boxes_are_whole_pixels_inside_the_image():
    boxes = draw_boxes((37, 53, 3), 2000)
    for v in boxes.values():
        assert np.array_equal(v, np.round(v))
    assert (boxes["top"] >= 0).all() and (boxes["left"] >= 0).all()
    assert (boxes["top"] + boxes["height"] <= 37).all() and (boxes["left"] + boxes["width"] <= 53).all()
    assert (boxes["height"] >= 1).all() and (boxes["width"] >= 1).all()


def test_fixed_box_places_uniformly():
    boxes = draw_boxes((40, 40, 3), 3000, scale=(0.25, 0.25), ratio=(1.0, 1.0))
    assert (boxes["height"] == 20).all() and (boxes["width"] == 20).all()
    counts = np.bincount(boxes["top"].astype(int), minlength=21)
    assert len(counts) == 21 and counts.min() > 0  # every offset 0..20 is drawn
    # 21 equally likely offsets: each count is within 5 sigma of 3000 / 21.
    assert np.abs(counts - 3000 / 21).max() < 5 * math.sqrt(3000 / 21)


@pytest.mark.parametrize("hw, ratio, expected", [
    ((40, 40), (2.0, 3.0), (10, 0, 20, 40)),    # too tall for the ratios: full width, round(40 / 2) rows
    ((30, 100), (0.5, 1.5), (0, 27, 30, 45)),   # too wide: full height, round(30 * 1.5) columns
    ((40, 50), (1.0, 1.1), (0, 3, 40, 44)),     # too wide: full height, round(40 * 1.1) columns
    # The image's own ratio is allowed: a try fits only as the whole image, and so does the fallback.
    ((40, 40), (0.5, 2.0), (0, 0, 40, 40)),
])
def test_fallback_is_torchvision_centre_crop(hw, ratio, expected):
    # scale (1, 1) with a ratio the image does not have: no try fits, so every draw falls back.
    # Eager draws: each ratio would compile the sampler anew, while eager primitives are shared.
    draws = [T.sample_resized_crop(k, hw + (3,), scale=(1.0, 1.0), ratio=ratio)
             for k in jax.random.split(jax.random.key(7), 8)]
    rng = np.random.default_rng(0)
    assert torchvision_box(rng, *hw, (1.0, 1.0), ratio) == expected
    got = np.array([[int(d[k]) for k in ("top", "left", "height", "width")] for d in draws])
    assert (got == np.array(expected)).all()


@pytest.mark.parametrize("kw, match", [
    ({"scale": (0.0, 1.0)}, "scale"), ({"scale": (0.5, 1.2)}, "scale"), ({"scale": (0.9, 0.5)}, "scale"),
    ({"ratio": (0.0, 1.0)}, "ratio"), ({"ratio": 1.0}, "ratio"),
])
def test_bad_box_options(kw, match):
    with pytest.raises(ValueError, match=match):
        T.sample_resized_crop(jax.random.key(0), (32, 32, 3), **kw)
    with pytest.raises(ValueError, match=match):
        jp.random_resized_crop(16, **kw)


# --- the matrices and the resampling --------------------------------------------------------


@pytest.mark.parametrize("fill_mode", jaxaug.FILL_MODES)
def test_resized_crop_matrix_matches_scipy(fill_mode):
    image = np.random.default_rng(1).random((30, 41, 2)).astype(np.float32)
    # The box reaches past the image on two sides, so the fill mode matters.
    m = np.asarray(T.resized_crop_matrix(image.shape, (17, 23), -3.0, 5.0, 37.0, 44.0))
    ours = np.asarray(T.resized_crop(image, -3.0, 5.0, 37.0, 44.0, (17, 23), fill_mode=fill_mode, cval=0.5))
    ref = scipy_warp(image, m, order=1, fill_mode=fill_mode, cval=0.5, output_shape=(17, 23))
    assert np.abs(ours - ref).max() <= 1e-5  # float32 against float64 arithmetic of the same bilinear sums


@pytest.mark.parametrize("hw, size", [((128, 128), (40, 50)), ((97, 61), (224, 200)), ((300, 420), (224, 224))])
def test_resize_without_antialias_matches_opencv(hw, size):
    image = photo(*hw)
    ours = np.asarray(jitted(T.resize, size=size)(image)).astype(int)
    ref = cv2.resize(image, size[::-1], interpolation=cv2.INTER_LINEAR).astype(int)
    # OpenCV rounds its bilinear weights to 11 bits for uint8: at most 1 level apart.
    assert np.abs(ours - ref).max() <= 1


@pytest.mark.parametrize("hw, size", [((128, 128), (40, 50)), ((500, 375), (224, 224)), ((97, 61), (224, 200)),
                                      ((64, 64), (7, 5))])
def test_antialiased_resize_matches_pil(hw, size):
    image = photo(*hw)
    ours = np.asarray(jitted(T.resize, size=size, antialias=True)(image)).astype(int)
    err = np.abs(ours - pil_resize(image, size))
    # PIL computes in fixed point (22-bit weights) and rounds once: we are within a level.
    assert err.mean() <= 0.1 and err.max() <= 1, (err.mean(), err.max())
    if 2 * size[0] < hw[0] <= 128:  # without the filter, a > 2x downscale of the photo is far from PIL
        plain = np.abs(np.asarray(jitted(T.resize, size=size)(image)).astype(int) - pil_resize(image, size))
        assert plain.mean() > 10 * max(err.mean(), 0.05)


@pytest.mark.parametrize("box", [(10, 20, 90, 70), (0, 0, 128, 128), (50, 3, 7, 100)])
def test_antialiased_resized_crop_matches_pil_box(box):
    top, left, height, width = box
    # The box is data (as in the random_resized_crop piece): one compiled program for every box.
    crop = jitted(T.resized_crop, size=(33, 29), antialias=True)
    ours = np.asarray(crop(PHOTO, *map(np.float32, box))).astype(int)
    ref = pil_resize(PHOTO, (33, 29), box=(left, top, left + width, top + height))
    err = np.abs(ours - ref)
    assert err.mean() <= 0.1 and err.max() <= 1


def test_antialias_is_bilinear_when_upscaling():
    image = np.random.default_rng(2).random((2, 9, 13, 3)).astype(np.float32)
    m = np.asarray(T.resize_matrix((9, 13), (20, 31)))
    plain = np.asarray(jitted(jaxaug.affine_warp, output_shape=(20, 31))(image, m))
    smooth = np.asarray(jitted(jaxaug.affine_warp, output_shape=(20, 31), antialias=True)(image, m))
    # The same bilinear weights, summed in another order and divided by their sum (1 up to rounding).
    assert np.abs(plain - smooth).max() <= 1e-6


@pytest.mark.parametrize("fill_mode", jaxaug.FILL_MODES)
def test_antialias_fill_modes_follow_the_plain_warp_for_unit_scale(fill_mode):
    # A shift at scale 1: the filter is bilinear, and the sample points outside the image
    # are folded by the fill mode exactly as the plain warp folds them.
    image = np.random.default_rng(3).random((11, 14, 2)).astype(np.float32)
    m = np.array([[1, 0, -4.3], [0, 1, 6.6], [0, 0, 1]], np.float32)
    plain = np.asarray(jitted(jaxaug.affine_warp, fill_mode=fill_mode, cval=0.3)(image, m))
    smooth = np.asarray(jitted(jaxaug.affine_warp, fill_mode=fill_mode, cval=0.3, antialias=True)(image, m))
    assert np.abs(plain - smooth).max() <= 1e-6


def test_antialias_falls_back_to_bilinear_under_rotation():
    images = np.random.default_rng(4).random((2, 24, 24, 3)).astype(np.float32)
    rot = np.asarray(jaxaug.centered(jaxaug.rotation_matrix(30.0), (24, 24)))
    down = np.asarray(T.resize_matrix((24, 24), (8, 8)))
    ms = np.stack([rot, down])
    out = np.asarray(jaxaug.affine_warp(images, ms, antialias=True, output_shape=(8, 8)))
    plain = np.asarray(jaxaug.affine_warp(images, ms, output_shape=(8, 8)))
    one = np.asarray(jaxaug.affine_warp(images[1], down, antialias=True, output_shape=(8, 8)))
    assert np.array_equal(out[0], plain[0])  # the rotated image takes the plain warp's very pixels
    assert np.array_equal(out[1], one) and not np.allclose(out[1], plain[1], atol=1e-3)


@pytest.mark.parametrize("variant", ["eager", "jit", "vmap"])
def test_resize_variants_agree(variant):
    images = np.stack([photo(60, 80), photo(60, 80)[::-1]])
    ref = np.stack([pil_resize(x, (21, 34)) for x in images]).astype(int)
    fn = lambda x: T.resize(x, (21, 34), antialias=True)  # noqa: E731
    out = {"eager": fn, "jit": jax.jit(fn), "vmap": jax.vmap(fn)}[variant](images)
    assert out.shape == (2, 21, 34, 3) and out.dtype == jnp.uint8
    assert np.abs(np.asarray(out).astype(int) - ref).max() <= 1


# Shapes from small sets: each new shape compiles (about 1 s), values are what varies.
@settings(max_examples=12)
@given(hnp.arrays(np.float32, st.sampled_from([(1, 1, 2), (5, 12, 2), (12, 7, 2)]),
                  elements=st.floats(0, 1, width=32, allow_subnormal=False)),  # XLA CPU flushes subnormals
       st.sampled_from([(1, 1), (3, 30), (17, 5)]), st.booleans())
def test_resize_properties(image, size, antialias):
    out = np.asarray(jitted(T.resize, size=size, antialias=antialias)(image))
    assert out.shape == size + (2,)
    # Bilinear and the normalised triangle filter are convex combinations of the input.
    assert (out >= image.min(axis=(0, 1)) - 1e-6).all() and (out <= image.max(axis=(0, 1)) + 1e-6).all()
    # A resize to the same size samples every pixel centre exactly: the identity, bit for bit.
    same = np.asarray(jitted(T.resize, size=image.shape[:2], antialias=antialias)(image))
    assert np.array_equal(same, image)


@pytest.mark.parametrize("hw, size", [((5, 6), (8, 3)), ((7, 7), (4, 4)), ((6, 9), (3, 9)), ((4, 4), (4, 4)),
                                      ((10, 3), (5, 6))])
def test_center_crop_matches_torchvision_rule(hw, size):
    image = np.arange(np.prod(hw) * 2, dtype=np.float32).reshape(hw + (2,)) + 1
    ours = np.asarray(jitted(T.center_crop, size=size)(image))
    # torchvision.transforms.functional.center_crop: pad (with 0) where larger, then crop at round(d / 2).
    pad = [((max(s - d, 0)) // 2, (max(s - d, 0) + 1) // 2) for s, d in zip(size, hw, strict=True)]
    padded = np.pad(image, pad + [(0, 0)])
    tops = [int(round((p - s) / 2.0)) for p, s in zip(padded.shape[:2], size, strict=True)]
    ref = padded[tops[0]:tops[0] + size[0], tops[1]:tops[1] + size[1]]
    assert np.array_equal(ours, ref)


def test_bad_sizes_and_options():
    for size in [0, (3,), (2, 0), (2.0, 3), "224", (True, 3)]:
        with pytest.raises(ValueError, match="size"):
            T.resize(PHOTO, size)
        with pytest.raises(ValueError, match="size"):
            jp.random_resized_crop(size)
    with pytest.raises(ValueError, match="order=1"):
        jaxaug.affine_warp(PHOTO, np.eye(3), order=0, antialias=True)
    with pytest.raises(TypeError, match="antialias"):
        jaxaug.affine_warp(PHOTO, np.eye(3), antialias="yes")


# --- in pipelines -------------------------------------------------------------------------


def test_pieces_after_a_resize_act_at_the_output_size():
    images = np.stack([photo(50, 70)] * 2).astype(np.float32)
    out = jax.jit(jaxaug.Augmenter(jp.chain(jp.resize((40, 60)), jp.center_crop((20, 30)))))(jax.random.key(0), images)
    direct = jax.jit(lambda x: T.center_crop(T.resize(x, (40, 60)), (20, 30)))(images)
    # One resample of the composed matrix against two: equal up to float32 rounding of the matrix.
    assert out.shape == (2, 20, 30, 3)
    assert np.abs(np.asarray(out) - np.asarray(direct)).max() <= 1e-3
    # A flip after the crop mirrors about the output's centre: the sample draws at the output size.
    flipped = jaxaug.Augmenter(jp.chain(jp.center_crop((20, 30)), jp.flip()))
    params = jax.jit(flipped.sample)(jax.random.key(3), images)
    mirrored = np.asarray(jax.jit(flipped.apply)(params, images))
    crop = np.asarray(jitted(T.center_crop, size=(20, 30))(images))
    for i, h in enumerate(np.asarray(params[1]["horizontal"])):
        assert np.array_equal(mirrored[i], crop[i][:, ::-1] if h else crop[i])


def test_random_resized_crop_piece_is_the_twin():
    images = np.stack([photo(64, 96), photo(64, 96)[:, ::-1]])
    augment = jaxaug.Augmenter(jp.random_resized_crop((24, 32)), antialias=True)
    params = jax.jit(augment.sample)(jax.random.key(5), images)
    out = np.asarray(jax.jit(augment)(jax.random.key(5), images))
    twin_of = jitted(T.resized_crop, size=(24, 32), antialias=True)  # the box is data: one program
    for i in range(2):
        box = {k: params[k][i] for k in params}
        twin = np.asarray(twin_of(images[i], **box))
        assert np.array_equal(out[i], twin)
        pil = pil_resize(images[i], (24, 32), box=(int(box["left"]), int(box["top"]),
                                                   int(box["left"] + box["width"]), int(box["top"] + box["height"])))
        assert np.abs(out[i].astype(int) - pil).max() <= 1


def test_output_size_rules():
    assert jp.chain(jp.flip(), jp.resize(8), jp.brightness((0.9, 1.1))).output_size == (8, 8)
    assert jp.chain(jp.resize(8), jp.center_crop((4, 6))).output_size == (4, 6)
    assert jp.chain(jp.flip(), jp.crop(2)).output_size is None
    assert jp.chain(jp.random_resized_crop(8), jp.flip(), jp.zoom(0.2)).axis_aligned
    assert not jp.chain(jp.random_resized_crop(8), jp.rotation(10)).axis_aligned
    for combinator in (lambda p: jp.one_of(p, jp.flip()), lambda p: jp.random_apply(p, 0.5)):
        with pytest.raises(ValueError, match="output size"):
            combinator(jp.resize(8))
    with pytest.raises(ValueError, match="axis-aligned"):
        jaxaug.Augmenter(jp.chain(jp.rotation(10), jp.resize(8)), antialias=True)
    with pytest.raises(ValueError, match="order=1"):
        jaxaug.Augmenter(jp.resize(8), order=0, antialias=True)


def test_masks_keypoints_and_boxes_follow_to_the_output_size():
    h, w = 40, 60
    image = np.zeros((1, h, w, 3), np.float32)
    image[0, 10:20, 30:45] = 1.0  # a bright block, also the mask and the box
    mask = (image[..., 0] > 0).astype(np.int32) * 3
    augment = jaxaug.Augmenter(jp.chain(jp.random_resized_crop((30, 30), scale=(0.6, 1.0)), jp.flip()), order=0)
    out = jax.jit(augment)(jax.random.key(2), image, masks=mask, keypoints=np.array([[[14.5, 37.0]]], np.float32),
                           boxes=np.array([[[10.0, 30.0, 20.0, 45.0]]], np.float32))
    assert out.images.shape == (1, 30, 30, 3) and out.masks.shape == (1, 30, 30)
    # Masks take the images' geometry with nearest sampling: the block and the mask coincide.
    assert np.array_equal(np.asarray(out.masks[0]) == 3, np.asarray(out.images[0, ..., 0]) > 0)
    rows, cols = np.nonzero(np.asarray(out.masks[0]))
    if rows.size:  # the block's box, in output pixels, holds the moved block (to within a pixel)
        r0, c0, r1, c1 = np.asarray(out.boxes[0, 0])
        assert r0 - 1 <= rows.min() and rows.max() + 1 <= r1 + 1 and c0 - 1 <= cols.min() and cols.max() <= c1
        kr, kc = np.asarray(out.keypoints[0, 0])
        assert r0 <= kr <= r1 and c0 <= kc <= c1 and bool(out.visible[0, 0])
    assert (np.asarray(out.boxes) <= 30).all()


# --- ragged batches -------------------------------------------------------------------------


def padded(images, fill):
    hmax, wmax = max(x.shape[0] for x in images), max(x.shape[1] for x in images)
    batch = np.full((len(images), hmax, wmax, images[0].shape[-1]), fill, images[0].dtype)
    for i, x in enumerate(images):
        batch[i, :x.shape[0], :x.shape[1]] = x
    return batch, np.array([x.shape[:2] for x in images])


RAGGED_PIECES = {
    "rrc-antialias": (jp.chain(jp.random_resized_crop((24, 28)), jp.flip(), jp.brightness((0.8, 1.2))),
                      {"antialias": True}),
    "rotate-then-crop": (jp.chain(jp.rotation(25), jp.zoom(0.2), jp.center_crop((30, 30))), {"fill_mode": "reflect"}),
    "resize-constant": (jp.chain(jp.shift(width_shift_range=0.2), jp.resize((16, 20))), {"fill_mode": "constant",
                                                                                          "cval": 0.5}),
}


@pytest.mark.parametrize("name", RAGGED_PIECES)
def test_ragged_batch_equals_per_image_runs(name):
    piece, options = RAGGED_PIECES[name]
    augment = jaxaug.Augmenter(piece, **options)
    images = [photo(50, 37), photo(61, 80), photo(20, 90)]
    images = [x.astype(np.float32) / 255 for x in images]
    batch, sizes = padded(images, 0.0)
    out = np.asarray(jax.jit(augment)(jax.random.key(9), batch, sizes=sizes))
    for i, x in enumerate(images):
        # Eager: compiling the augmenter for each image's shape costs more than its primitives.
        one = np.asarray(augment(jax.random.key(9), x[None], indices=np.array([i])))[0]
        # Another compiled program of the same float32 formula: rounding may differ in the last bits.
        assert np.abs(out[i] - one).max() <= 1e-5, (i, np.abs(out[i] - one).max())


@pytest.mark.parametrize("name", RAGGED_PIECES)
def test_ragged_batch_never_reads_the_padding(name):
    piece, options = RAGGED_PIECES[name]
    augment = jax.jit(jaxaug.Augmenter(piece, **options))
    images = [photo(50, 37).astype(np.float32), photo(33, 80).astype(np.float32)]
    zeros, sizes = padded(images, 0.0)
    nans, _ = padded(images, np.nan)
    a = np.asarray(augment(jax.random.key(1), zeros, sizes=sizes))
    b = np.asarray(augment(jax.random.key(1), nans, sizes=sizes))
    assert np.array_equal(a, b)  # the same program on the same pixels: bit for bit, and no NaN


def test_ragged_masks_and_errors():
    augment = jaxaug.Augmenter(jp.random_resized_crop(12), antialias=True)
    images, sizes = padded([photo(30, 20), photo(16, 40)], 0)
    masks = (images[..., 0] > 100).astype(np.int32)
    out = jax.jit(augment)(jax.random.key(0), images, sizes=sizes, masks=masks)
    assert out.images.shape == (2, 12, 12, 3) and out.masks.shape == (2, 12, 12)
    for sizes_bad, error in [(np.array([[30, 20]]), ValueError), (np.array([[31, 20], [16, 40]]), ValueError),
                             (np.array([[0, 20], [16, 40]]), ValueError), (sizes.astype(float), TypeError)]:
        with pytest.raises(error, match="sizes"):
            augment(jax.random.key(0), images, sizes=sizes_bad)
    with pytest.raises(ValueError, match="output size"):
        jaxaug.Augmenter(jp.flip())(jax.random.key(0), images, sizes=sizes)
    with pytest.raises(ValueError, match="sizes is only for a batch"):
        augment(jax.random.key(0), images[0], sizes=sizes[:1])


def test_augmenter_options():
    images = np.stack([photo(40, 50)] * 2)
    augment = jaxaug.augmenter(random_resized_crop=(24, 32), resized_crop_scale=(0.5, 1.0), horizontal_flip=True,
                               zoom_range=0.1, antialias=True)
    out = jax.jit(augment)(jax.random.key(0), images)
    assert out.shape == (2, 24, 32, 3) and out.dtype == jnp.uint8
    # The crop comes first: the IDG geometry acts on the crop, about the output's centre.
    assert list(augment.augmentation.sample(jax.random.key(0), images.shape[1:])) == ["random_resized_crop", "affine"]
    with pytest.raises(ValueError, match="axis-aligned"):
        jaxaug.augmenter(random_resized_crop=16, rotation_range=10, antialias=True)
    with pytest.raises(ValueError, match="random_resized_crop"):
        jaxaug.augmenter(random_resized_crop=(16, 0))
    # Keras' generators keep the input's size: the option is no jaxaug.keras extra.
    assert "random_resized_crop" not in jaxaug.ops.EXTRAS
