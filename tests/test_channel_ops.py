"""Channel ops (`jaxaug.ops.rgb_shift`, `channel_shuffle`, `channel_dropout`) against numpy.

References: numpy's own arithmetic and indexing on the same draws; the samplers' distributions
against their rules (albumentations' RGBShift, ChannelShuffle, ChannelDropout).
"""

import collections

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxaug
from jaxaug.ops import channel_dropout as D
from jaxaug.ops import channel_shuffle as S
from jaxaug.ops import rgb_shift as R

IMAGE = np.asarray(jaxaug.example_image(size=24))


def test_rgb_shift_adds_levels_and_clips_like_numpy():
    shifts = np.array([-30.0, 12.5, 200.0], np.float32)
    got = np.asarray(R.rgb_shift(jnp.asarray(IMAGE), shifts))
    want = np.clip(np.round(IMAGE + shifts), 0, 255)
    np.testing.assert_array_equal(got, want)
    floats = np.asarray(R.rgb_shift(jnp.asarray(IMAGE, jnp.float32) / 255, shifts))
    # Levels are 1/255 of the range: the same shift on [0, 1] images, float32 rounding apart.
    np.testing.assert_allclose(floats, np.clip(IMAGE / 255 + shifts / 255, 0, 1), atol=1e-6)


def test_rgb_shift_sampler_keeps_each_channels_limit():
    draws = np.asarray(jax.vmap(lambda k: R.sample_rgb_shift(k, (8, 8, 3), limits=(10.0, 0.0, 30.0))["shifts"])(
        jax.random.split(jax.random.key(0), 2000)))
    assert np.abs(draws[:, 0]).max() <= 10 and np.all(draws[:, 1] == 0) and np.abs(draws[:, 2]).max() <= 30
    # Uniform on [-30, 30]: standard deviation 30 / sqrt(3) = 17.3; 2000 draws give it within 3 %.
    assert abs(draws[:, 2].std() - 30 / np.sqrt(3)) < 0.05 * 30 / np.sqrt(3)


def test_channel_shuffle_is_numpy_indexing_and_every_order_is_drawn_alike():
    for order in ([2, 0, 1], [1, 2, 0], [0, 1, 2]):
        np.testing.assert_array_equal(S.channel_shuffle(jnp.asarray(IMAGE), jnp.array(order)), IMAGE[..., order])
    draws = np.asarray(jax.vmap(lambda k: S.sample_channel_shuffle(k, (8, 8, 3))["permutation"])(
        jax.random.split(jax.random.key(1), 1200)))
    counts = collections.Counter(map(tuple, draws.tolist()))
    # 6 orders, 200 expected each; a binomial standard deviation of 13: all within 60.
    assert len(counts) == 6 and all(abs(c - 200) < 60 for c in counts.values())
    never = jax.vmap(lambda k: S.sample_channel_shuffle(k, (8, 8, 3), probability=0.0)["permutation"])(
        jax.random.split(jax.random.key(1), 50))
    assert np.all(np.asarray(never) == [0, 1, 2])


def test_channel_dropout_sets_the_chosen_channels_to_fill():
    got = np.asarray(D.channel_dropout(jnp.asarray(IMAGE), jnp.array([True, False, True]), fill=7.0))
    want = IMAGE.copy()
    want[..., [0, 2]] = 7
    np.testing.assert_array_equal(got, want)
    draws = np.asarray(jax.vmap(lambda k: D.sample_channel_dropout(k, (8, 8, 4), channel_drop_range=(1, 3))["dropped"])(
        jax.random.split(jax.random.key(2), 3000)))
    counts = draws.sum(axis=1)
    # k uniform in {1, 2, 3}: 1000 each expected (binomial sd 26); each channel dropped half the time.
    assert set(counts.tolist()) == {1, 2, 3} and all(abs(np.sum(counts == k) - 1000) < 110 for k in (1, 2, 3))
    assert np.all(np.abs(draws.mean(axis=0) - 0.5) < 0.04)


@pytest.mark.parametrize("options", [dict(rgb_shift_limit=25.0), dict(channel_shuffle_probability=1.0),
                                     dict(channel_dropout_probability=0.7)])
def test_the_augmenter_option_is_the_twin_of_its_draw(options):
    images = jnp.asarray(np.stack([IMAGE] * 4))
    augment = jaxaug.augmenter(**options)
    key = jax.random.key(3)
    out, params = jax.jit(augment)(key, images), augment.sample(key, images)
    (name, draw), = params.items()
    twin = {"rgb_shift": R.rgb_shift, "channel_shuffle": S.channel_shuffle, "channel_dropout": D.channel_dropout}[name]
    for i in range(4):
        want = np.asarray(twin(images[i], **{k: v[i] for k, v in draw.items()}))
        np.testing.assert_array_equal(np.asarray(out[i]), want)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: R.rgb_shift(jnp.asarray(IMAGE), jnp.zeros(2)), "shifts"),
    (lambda: R.sample_rgb_shift(jax.random.key(0), (8, 8, 3), limits=(1.0, 2.0)), "limits"),
    (lambda: R.sample_rgb_shift(jax.random.key(0), (8, 8, 3), limits=-1.0), "limits"),
    (lambda: S.channel_shuffle(jnp.asarray(IMAGE), jnp.array([0, 0, 1])), "each channel once"),
    (lambda: S.channel_shuffle(jnp.asarray(IMAGE), jnp.array([0, 1, 3])), "permutation"),
    (lambda: D.sample_channel_dropout(jax.random.key(0), (8, 8, 3), channel_drop_range=(1, 3)), "leave a channel"),
    (lambda: D.sample_channel_dropout(jax.random.key(0), (8, 8, 3), channel_drop_range=(0, 1)), "channel_drop_range"),
    (lambda: D.channel_dropout(jnp.asarray(IMAGE), jnp.zeros(4)), "dropped"),
    (lambda: jaxaug.augmenter(channel_shuffle_probability=1.5), "channel_shuffle_probability"),
    (lambda: jaxaug.augmenter(rgb_shift_limit=-3.0), "rgb_shift_limit"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
