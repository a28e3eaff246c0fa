"""Median blur (`jaxaug.ops.median_blur`) against OpenCV's `cv2.medianBlur` and numpy.

References: `cv2.medianBlur(image, k)` (what albumentations' MedianBlur calls; BORDER_REPLICATE),
bit for bit; numpy's median over the edge-padded windows where OpenCV has no such case (float
k = 7, two channels at k = 7); the selection networks against every column-sorted 0-1 block
(the 0-1 principle); the sampler against albumentations' rule (odd sizes of [lo, hi] alike).
"""

import collections

import cv2
import hypothesis
import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxaug
from jaxaug.ops import median_blur as M

RNG = np.random.default_rng(0)
PICTURE = np.asarray(jaxaug.example_image(size=40))[:33]  # 33 x 40: not square
NOISE = RNG.integers(0, 256, (23, 31, 3), dtype=np.uint8)
TINY = RNG.integers(0, 256, (2, 3, 3), dtype=np.uint8)  # smaller than every window
DOT = np.zeros((1, 1, 3), np.uint8) + np.uint8(200)
IMAGES = {"picture": PICTURE, "tiny": TINY, "one pixel": DOT,
          "one channel": NOISE[..., :1], "four channels": RNG.integers(0, 256, (9, 12, 4), dtype=np.uint8)}


def numpy_median(image, k):
    """The median of each k x k window per channel, the border repeated (cv2's BORDER_REPLICATE)."""
    r = k // 2
    padded = np.pad(image, ((r, r), (r, r), (0, 0)), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(0, 1))
    # An odd count: the middle element itself, no mean of two, so the dtype's values come back exactly.
    return np.sort(windows.reshape(*image.shape, k * k), axis=-1)[..., k * k // 2]


@pytest.mark.parametrize("k", sorted(M.NETWORKS))
def test_each_network_selects_the_median_of_every_column_sorted_01_block(k):
    # Column c of the window sorted holds `ones[c]` ones at its top ranks; all (k + 1)^k such blocks.
    n = (k + 1) ** k
    ones = (np.arange(n)[:, None] // (k + 1) ** np.arange(k)) % (k + 1)
    wires = [ones[:, c] >= k - r for c in range(k) for r in range(k)]
    out, network = M.NETWORKS[k]
    for i, j, _, _ in network:
        wires[i], wires[j] = wires[i] & wires[j], wires[i] | wires[j]
    # The median of k^2 zeros and ones is 1 when the ones are a majority.
    np.testing.assert_array_equal(wires[out], ones.sum(axis=1) > k * k // 2)
    # Each comparator whose result is dropped is never read afterwards.
    live = {out}
    for i, j, keep_min, keep_max in reversed(network):
        assert (i in live, j in live) == (keep_min, keep_max)
        live |= {i, j}


@pytest.mark.parametrize("k", [1, 3, 5, 7])
def test_uint8_is_cv2_median_blur_bit_for_bit(k):
    for name, image in IMAGES.items():
        want = cv2.medianBlur(image, k).reshape(image.shape) if k < 7 or image.shape[-1] in (1, 3, 4) else None
        got = np.asarray(M.median_blur(jnp.asarray(image), k))
        np.testing.assert_array_equal(got, want, err_msg=name)
        np.testing.assert_array_equal(got, numpy_median(image, k), err_msg=name)


@pytest.mark.parametrize("k", [3, 5, 7])
def test_floats_are_cv2_median_blur_bit_for_bit(k):
    for image in (PICTURE.astype(np.float32) / 255, RNG.random((2, 2, 3), np.float32) * 2 - 1):
        got = np.asarray(M.median_blur(jnp.asarray(image), k))
        # OpenCV takes float32 up to k = 5 only; numpy's median of an odd count is exact as well.
        want = cv2.medianBlur(image, k) if k <= 5 else numpy_median(image, k)
        np.testing.assert_array_equal(got, want)
    if k == 3:  # any floating dtype: the median of bfloat16 values (exact in bfloat16) is one of them
        half = jnp.asarray(NOISE[:8, :9], jnp.bfloat16)
        np.testing.assert_array_equal(np.asarray(M.median_blur(half, k), np.float32), numpy_median(NOISE[:8, :9], k))


def test_eager_jit_and_vmap_agree_and_each_drawn_size_is_its_own_median():
    noise = RNG.integers(0, 256, (2, 24, 24, 3), dtype=np.uint8)
    images = jnp.asarray(np.stack([PICTURE[:24, :24], noise[0], PICTURE[9:, 16:], noise[1]]))
    sizes = jnp.array([1, 3, 5, 7])
    drawn = jax.jit(jax.vmap(lambda x, s: M.median_blur(x, s, size_range=(1, 7))))(images, sizes)
    narrower = jax.vmap(lambda x, s: M.median_blur(x, s, size_range=(3, 5)))(images[1:3], sizes[1:3])
    for i, k in enumerate(sizes.tolist()):
        eager = np.asarray(M.median_blur(images[i], k))
        np.testing.assert_array_equal(eager, cv2.medianBlur(np.asarray(images[i]), k))
        np.testing.assert_array_equal(np.asarray(jax.jit(M.median_blur, static_argnums=1)(images[i], k)), eager)
        np.testing.assert_array_equal(np.asarray(drawn[i]), eager)
    np.testing.assert_array_equal(np.asarray(narrower), np.asarray(drawn[1:3]))
    fixed = jax.jit(jax.vmap(lambda x: M.median_blur(x, 5)))(images)
    np.testing.assert_array_equal(np.asarray(fixed[2]), np.asarray(drawn[2]))


def test_the_sampler_draws_the_odd_sizes_of_the_range_alike():
    def draws(size_range, n):
        keys = jax.random.split(jax.random.key(0), n)
        return np.asarray(jax.vmap(lambda k: M.sample_median_blur(k, (8, 8, 3), size_range=size_range)["size"])(keys))

    counts = collections.Counter(draws((3, 7), 3000).tolist())
    # Three sizes, 1000 expected each; a binomial standard deviation of 26: all within 110.
    assert set(counts) == {3, 5, 7} and all(abs(c - 1000) < 110 for c in counts.values())
    assert set(draws((1, 7), 400).tolist()) == {1, 3, 5, 7}
    for i in range(3):
        assert int(M.sample_median_blur(jax.random.key(i), (8, 8, 3), size_range=5)["size"]) == 5
    assert M.sample_median_blur(jax.random.key(0), (8, 8, 3))["size"].dtype == jnp.int32


@pytest.mark.parametrize("size", [(3, 7), 5])
def test_the_augmenter_option_is_the_twin_of_its_draw(size):
    images = jnp.asarray(np.stack([PICTURE[:20, :20], NOISE[:20, :20], PICTURE[-20:, -20:], NOISE[-20:, -20:]]))
    augment = jaxaug.augmenter(median_blur_size=size)
    key = jax.random.key(3)
    out, params = jax.jit(augment)(key, images), augment.sample(key, images)
    drawn = np.asarray(params["median_blur"]["size"])
    assert set(drawn.tolist()) <= ({3, 5, 7} if size != 5 else {5})
    for i in range(4):
        np.testing.assert_array_equal(np.asarray(out[i]), np.asarray(M.median_blur(images[i], int(drawn[i]))))


@hypothesis.given(image=hnp.arrays(np.uint8, (6, 7, 2), elements=st.integers(0, 255)),
                  k=st.sampled_from([3, 5, 7]), level=st.integers(0, 255))
def test_a_median_lies_within_its_window_and_leaves_flat_images_alone(image, k, level):
    got = np.asarray(M.median_blur(image, k))
    np.testing.assert_array_equal(got, numpy_median(image, k))
    r = k // 2
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(image, ((r, r), (r, r), (0, 0)), mode="edge"),
                                                       (k, k), axis=(0, 1))
    assert np.all(got >= windows.min(axis=(-2, -1))) and np.all(got <= windows.max(axis=(-2, -1)))
    flat = np.full_like(image, level)
    np.testing.assert_array_equal(np.asarray(M.median_blur(flat, k)), flat)


def _traced_without_range():
    return jax.jit(lambda s: M.median_blur(jnp.zeros((8, 8, 3), jnp.uint8), s))(jnp.int32(3))


@pytest.mark.parametrize(("call", "message"), [
    (lambda: M.median_blur(jnp.zeros((8, 8, 3), jnp.uint8), 4), "size must be an odd integer.*size=4"),
    (lambda: M.median_blur(jnp.zeros((8, 8, 3), jnp.uint8), 0), "size must be an odd integer.*size=0"),
    (lambda: M.median_blur(jnp.zeros((8, 8, 3), jnp.uint8), 9), "size must be an odd integer in \\[1, 7\\]"),
    (lambda: M.median_blur(jnp.zeros((8, 8, 3), jnp.uint8), 3.0), "size=3.0"),
    (lambda: M.median_blur(jnp.zeros((8, 8, 3), jnp.uint8), True), "size=True"),
    (lambda: M.median_blur(jnp.zeros((8, 8, 3), jnp.uint8), 7, size_range=(3, 5)), "size must lie in size_range"),
    (lambda: M.median_blur(jnp.zeros((8, 8, 3), jnp.int32), 3), "image"),
    (lambda: M.median_blur(jnp.zeros((8, 8, 3), jnp.uint8), 3, value_range=(1, 1)), "value_range"),
    (_traced_without_range, "size_range must be given"),
    (lambda: jax.jit(lambda s: M.median_blur(jnp.zeros((8, 8, 3)), s, size_range=(3, 5)))(3.0), "integer scalar"),
    (lambda: M.sample_median_blur(jax.random.key(0), (8, 8, 3), size_range=(5, 3)), "size_range.*\\(5, 3\\)"),
    (lambda: M.sample_median_blur(jax.random.key(0), (8, 8, 3), size_range=(2, 6)), "size_range=2"),
    (lambda: M.sample_median_blur(jax.random.key(0), (8, 8, 3), size_range=(3, 9)), "size_range=9"),
    (lambda: M.sample_median_blur(jax.random.key(0), (8, 8, 3), size_range=(3, 5, 7)), "pair"),
    (lambda: M.sample_median_blur(jax.random.key(0), (8, 8, 3), size_range="3"), "size_range='3'"),
    (lambda: jaxaug.augmenter(median_blur_size=4), "median_blur_size"),
    (lambda: jaxaug.augmenter(median_blur_size=(3, 8)), "median_blur_size"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


@pytest.mark.parametrize("k", [3, 5, 7])
def test_tall_images_run_in_strips_and_match_numpy(k, monkeypatch):
    # Strips of the smallest size (16 rows), whatever the image's width: the first, middle and
    # last strips and their seams; heights whose last strip is shortest (r rows) and longest.
    monkeypatch.setattr(M, "_STRIP_BYTES", 0)
    for h in (33 + k, 16 * 5 + k // 2, 16 * 6 - 1):
        image = RNG.integers(0, 256, (h, 5, 3), dtype=np.uint8)
        want = numpy_median(image, k)
        np.testing.assert_array_equal(np.asarray(M.median_blur(jnp.asarray(image), k)), want, err_msg=str(h))
        got = M.median_blur(jnp.asarray(image, jnp.float32) - 127.5, k)
        np.testing.assert_array_equal(np.asarray(got), want.astype(np.float32) - 127.5, err_msg=str(h))
    drawn = jax.vmap(lambda x, s: M.median_blur(x, s, size_range=(1, 7)))(jnp.asarray(np.stack([image] * 2)),
                                                                          jnp.array([k, 1]))
    np.testing.assert_array_equal(np.asarray(drawn[0]), want)
    np.testing.assert_array_equal(np.asarray(drawn[1]), image)
