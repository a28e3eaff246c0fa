"""Box blur and motion blur (`jaxaug.ops.box_blur`, `jaxaug.ops.motion_blur`) against OpenCV and albumentations.

References: `cv2.blur` (albumentations' Blur) and `cv2.filter2D` with albumentations 2.0's own
motion kernel (`create_motion_kernel`, normalised as `MotionBlur.get_params` does), both with
OpenCV's default BORDER_REFLECT_101, on the built-in picture, smoothed noise of odd size and
images smaller than the kernel.
"""

import cv2
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.ndimage as ndi

import jaxaug
from jaxaug.ops import box_blur as B
from jaxaug.ops import motion_blur as M


def noise_picture(h=37, w=45, seed=0):
    noise = ndi.gaussian_filter(np.random.default_rng(seed).random((h, w, 3)), (1.5, 1.5, 0))
    return ((noise - noise.min()) / (noise.max() - noise.min()) * 255).round().astype(np.uint8)


PICTURES = [np.asarray(jaxaug.example_image(size=40)), noise_picture(), noise_picture(3, 2, 1), noise_picture(1, 5, 2)]


class _Draws:
    """A `random.Random` stand-in that gives albumentations' kernel builder the shift we choose."""

    def __init__(self, *values):
        self.values = list(values)

    def uniform(self, lo, hi):
        return self.values.pop(0)


def albumentations_kernel(size, angle, direction, unit_shift):
    """albumentations' own kernel for a shift of unit_shift * (size // 2) / 2 (columns, rows).

    albumentations is a benchmark extra, not a test dependency: without it these checks skip.
    """
    albu_blur = pytest.importorskip("albumentations.augmentations.blur.functional")
    kernel = albu_blur.create_motion_kernel(size, angle, direction, True, _Draws(*unit_shift))
    return kernel.astype(np.float32) / np.sum(kernel)


def test_albumentations_is_the_version_whose_rules_are_followed():
    assert pytest.importorskip("albumentations").__version__ == "2.0.8"


@pytest.mark.parametrize("k", [1, 3, 5, 7, 9, 15])
def test_box_blur_is_cv2_blur(k):
    blur = jax.jit(B.box_blur, static_argnums=1)
    for picture in PICTURES:
        # uint8 bit for bit: the window sums are integers, exact in float32, and k^2 is odd, so the
        # mean is never a tie; cv2 rounds it as exactly (checked for k up to 25 on random images).
        np.testing.assert_array_equal(np.asarray(blur(jnp.asarray(picture), k)), cv2.blur(picture, (k, k)))
        floats = picture.astype(np.float32) / 255
        # float32: cv2 sums in double; ours adds 2k float32 values below 1: within a few ulps of 1.
        np.testing.assert_allclose(np.asarray(blur(jnp.asarray(floats), k)), cv2.blur(floats, (k, k)), atol=3e-7)


def test_the_motion_kernel_is_albumentations_own():
    # One program for every size: the kernel in the centre of an 11 x 11 array, zeros around it.
    build = jax.jit(lambda size, angle, direction, shift: M.motion_kernel(size, angle, direction, shift=shift,
                                                                         max_size=11))
    rng = np.random.default_rng(0)
    for trial in range(300):
        size = int(rng.choice([1, 3, 5, 7, 9, 11]))
        angle, direction = (float(v) for v in np.float32(rng.uniform((0, -1), (360, 1))))
        if trial % 3 == 0:  # exact halves and axis-aligned lines, where rounding ties show
            angle, direction = float(rng.choice([0, 45, 90, 180, 270])), float(rng.choice([-1, -0.5, 0, 0.5, 1]))
        unit = [float(u) for u in np.float32(rng.uniform(-1, 1, 2))] if trial % 4 else [0.0, 0.0]
        theirs = albumentations_kernel(size, angle, direction, unit)
        shift = np.float32([unit[1] * (size // 2) / 2, unit[0] * (size // 2) / 2])  # (rows, columns)
        ours = np.asarray(build(size, np.float32(angle), np.float32(direction), shift))
        r = 5 - size // 2
        # Equal, including every structural tie (measured: 0 of 2,000 random cases differ; float32 and
        # albumentations' float64 line points could only round apart within ~1e-6 of a half).
        np.testing.assert_array_equal(ours[r:11 - r, r:11 - r], theirs, err_msg=f"{size} {angle} {direction} {unit}")
        assert np.count_nonzero(ours) == np.count_nonzero(theirs)
    small = np.asarray(M.motion_kernel(3, 0.0, 0.0))  # eager, its own size
    np.testing.assert_array_equal(small, albumentations_kernel(3, 0.0, 0.0, [0.0, 0.0]))


def test_motion_blur_is_cv2_filter2d_with_that_kernel():
    rng = np.random.default_rng(1)
    # One program per picture and dtype (max_size 9; the taps past the drawn size weigh 0, bit for bit).
    blur = jax.jit(lambda image, size, angle, direction, shift: M.motion_blur(image, size, angle, direction,
                                                                           shift=shift, max_size=9))
    differing = total = 0
    for _ in range(12):
        size = int(rng.choice([3, 5, 7, 9]))
        angle, direction = float(rng.uniform(0, 360)), float(rng.uniform(-1, 1))
        shift = rng.uniform(-1, 1, 2).astype(np.float32) * (size // 2) / 2
        kernel = np.asarray(M.motion_kernel(size, angle, direction, shift=shift))
        for picture in PICTURES:
            want = cv2.filter2D(picture, -1, kernel, borderType=cv2.BORDER_REFLECT_101)
            got = np.asarray(blur(jnp.asarray(picture), size, angle, direction, shift))
            # OpenCV accumulates the taps with fused multiply-adds (an FMA chain in numpy reproduces
            # it exactly); XLA multiplies and adds apart: values within float32 rounding of a .5 tie
            # (n taps even) round to the other neighbour. Measured: 137 of 207,360 values, 1 level.
            d = np.abs(got.astype(int) - want)
            assert d.max() <= 1
            differing, total = differing + np.count_nonzero(d), total + d.size
            floats = picture.astype(np.float32) / 255
            want = cv2.filter2D(floats, -1, kernel, borderType=cv2.BORDER_REFLECT_101)
            # float32: the same sum in the same order, the FMA's single rounding apart: an ulp or two.
            np.testing.assert_allclose(np.asarray(blur(jnp.asarray(floats), size, angle, direction, shift)), want,
                                       atol=3e-7)
    assert differing < 0.005 * total


def test_jit_eager_and_vmap_agree_bit_for_bit():
    images = jnp.asarray(np.stack([PICTURES[0][:37, :40], noise_picture(37, 40, 3), noise_picture(37, 40, 4)]))
    sizes = jnp.array([3, 7, 5])
    eager = [np.asarray(B.box_blur(images[i], int(sizes[i]))) for i in range(3)]
    mapped = np.asarray(jax.jit(jax.vmap(lambda x, k: B.box_blur(x, k, max_size=9)))(images, sizes))
    np.testing.assert_array_equal(mapped, np.stack(eager))
    params = jax.vmap(lambda k: M.sample_motion_blur(k, (37, 40, 3), size_range=(3, 9)))(
        jax.random.split(jax.random.key(0), 3))
    eager = [np.asarray(M.motion_blur(images[i], **jax.tree.map(lambda a, i=i: a[i], params))) for i in range(3)]
    mapped = np.asarray(jax.jit(jax.vmap(lambda x, p: M.motion_blur(x, **p, max_size=9)))(images, params))
    # The taps past the drawn size weigh 0 and add exact zeros: the larger program gives the same bits.
    np.testing.assert_array_equal(mapped, np.stack(eager))


def test_the_samplers_draw_albumentations_rules():
    keys = jax.random.split(jax.random.key(0), 3000)  # one vmapped draw per sampler and option set
    sizes = np.asarray(jax.vmap(lambda k: B.sample_box_blur(k, (8, 8, 3), size_range=(3, 7))["size"])(keys))
    # Odd sizes uniform in [3, 7]: 1000 each expected, binomial sd 26.
    assert set(sizes.tolist()) == {3, 5, 7} and all(abs(np.sum(sizes == k) - 1000) < 110 for k in (3, 5, 7))
    assert set(np.asarray(jax.vmap(lambda k: B.sample_box_blur(k, (8, 8, 3), size_range=5)["size"])(keys[:50]))
               .tolist()) == {5}
    draws = jax.vmap(lambda k: M.sample_motion_blur(k, (8, 8, 3), size_range=(3, 9), angle_range=(10.0, 50.0),
                                                    direction_range=(-0.5, 1.0)))(keys)
    size, angle, direction, shift = (np.asarray(draws[n]) for n in ("size", "angle", "direction", "shift"))
    assert set(size.tolist()) == {3, 5, 7, 9}
    assert angle.min() >= 10 and angle.max() <= 50 and abs(angle.mean() - 30) < 1.0  # sd of the mean 0.21
    assert direction.min() >= -0.5 and direction.max() <= 1 and abs(direction.mean() - 0.25) < 0.03  # sd 0.008
    # Shift per axis U(-1, 1) * (size // 2) / 2: within +-L / 2, and reaching near it.
    bound = (size // 2)[:, None] / 2
    assert np.all(np.abs(shift) <= bound) and np.all(np.abs(shift / bound).max(axis=0) > 0.99)
    still = jax.vmap(lambda k: M.sample_motion_blur(k, (8, 8, 3), allow_shifted=False)["shift"])(keys[:20])
    assert not np.any(np.asarray(still))


@pytest.mark.parametrize("options", [dict(box_blur_size=(3, 7)),
                                     dict(motion_blur_size=(3, 9), motion_blur_angle=(0.0, 90.0))])
def test_the_augmenter_option_is_the_twin_of_its_draw(options):
    images = jnp.asarray(np.stack([PICTURES[0][:32, :32]] * 2 + [noise_picture(32, 32, 5)] * 2))
    augment = jaxaug.augmenter(**options)
    key = jax.random.key(3)
    out, params = jax.jit(augment)(key, images), augment.sample(key, images)
    (name, draw), = params.items()
    twin = {"box_blur": B.box_blur, "motion_blur": M.motion_blur}[name]
    for i in range(4):  # one program for the four draws: sized for the range's top, bit for bit the same
        want = np.asarray(twin(images[i], **{k: v[i] for k, v in draw.items()}, max_size=9))
        np.testing.assert_array_equal(np.asarray(out[i]), want)


def test_the_random_ops_are_the_twins_of_their_draws():
    image = jnp.asarray(PICTURES[1])
    key = jax.random.key(5)
    size = B.sample_box_blur(key, image.shape, size_range=(3, 9))["size"]
    np.testing.assert_array_equal(B.random_box_blur(key, image, size_range=(3, 9)), B.box_blur(image, int(size)))
    params = M.sample_motion_blur(key, image.shape, size_range=(3, 9))
    np.testing.assert_array_equal(M.random_motion_blur(key, image, size_range=(3, 9)), M.motion_blur(image, **params))


@pytest.mark.parametrize(("call", "message"), [
    (lambda: B.box_blur(jnp.zeros((8, 8, 3), jnp.uint8), 4), "size"),
    (lambda: B.box_blur(jnp.zeros((8, 8, 3), jnp.uint8), 3.0), "size"),
    (lambda: B.box_blur(jnp.zeros((8, 8, 3), jnp.uint8), 65), "size"),
    (lambda: B.box_blur(jnp.zeros((8, 8, 3), jnp.uint8), 7, max_size=5), "max_size"),
    (lambda: jax.jit(B.box_blur)(jnp.zeros((8, 8, 3), jnp.uint8), 3), "max_size"),
    (lambda: B.box_blur(jnp.zeros((8, 8), jnp.uint8), 3), "image"),
    (lambda: B.sample_box_blur(jax.random.key(0), (8, 8, 3), size_range=(3, 6)), "size_range"),
    (lambda: B.sample_box_blur(jax.random.key(0), (8, 8, 3), size_range=(7, 3)), "size_range"),
    (lambda: M.motion_blur(jnp.zeros((8, 8, 3), jnp.uint8), 3, 0.0, 1.5), "direction"),
    (lambda: M.motion_blur(jnp.zeros((8, 8, 3), jnp.uint8), 3, 0.0, 0.0, shift=(1.0,)), "shift"),
    (lambda: M.motion_kernel(2, 0.0, 0.0), "size"),
    (lambda: M.sample_motion_blur(jax.random.key(0), (8, 8, 3), direction_range=(-2.0, 0.0)), "direction_range"),
    (lambda: M.sample_motion_blur(jax.random.key(0), (8, 8, 3), angle_range=(90.0, 0.0)), "angle_range"),
    (lambda: M.sample_motion_blur(jax.random.key(0), (8, 8, 3), allow_shifted=1), "allow_shifted"),
    (lambda: jaxaug.augmenter(box_blur_size=(3, 8)), "box_blur_size"),
    (lambda: jaxaug.augmenter(motion_blur_size=0), "motion_blur_size"),
    (lambda: jaxaug.augmenter(motion_blur_direction=(0.0, 3.0)), "motion_blur_direction"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
