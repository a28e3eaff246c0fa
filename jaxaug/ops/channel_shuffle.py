"""Channel shuffle: the channels in a random order per image (albumentations' ChannelShuffle,
torchvision's RandomChannelPermutation, kornia's RandomChannelShuffle).

With the given probability (albumentations' `p`), every permutation of the C channels is
equally likely (the identity included, as in all three peers); otherwise the identity. Output
channel c is input channel `permutation[c]`.

This op keeps its functions here, beside its declaration:
`jaxaug.ops.channel_shuffle.sample_channel_shuffle`, `jaxaug.ops.channel_shuffle.channel_shuffle`
(the twin) and `jaxaug.ops.channel_shuffle.random_channel_shuffle` (derived).
"""

import jax
import jax.numpy as jnp

from jaxaug import _checks, _images
from jaxaug.ops._core import Op, Option

__all__ = ["OP", "channel_shuffle", "random_channel_shuffle", "sample_channel_shuffle"]


def channel_shuffle(image, permutation, *, value_range=None):
    """Output channel c is input channel `permutation[c]`.

    Args:
      image: (H, W, C); uint8, float16, bfloat16 or float32.
      permutation: (C,) integers, each channel once (may be traced; traced values are data).
      value_range: unused (the values move, unchanged); accepted as every pixel twin's.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> px = jnp.array([[[10, 20, 30]]], jnp.uint8)
      >>> tuple(jaxaug.ops.channel_shuffle.channel_shuffle(px, jnp.array([2, 0, 1]))[0, 0].tolist())
      (30, 10, 20)
    """
    image = _images.check_image(image)
    c = image.shape[-1]
    permutation = _checks.integer_indices(permutation, "permutation", c, c, "a permutation of the channels")
    if not _checks.is_traced(permutation) and sorted(permutation.tolist()) != list(range(c)):
        raise ValueError(f"permutation must hold each channel once. Received: permutation={permutation.tolist()}")
    # A sum of the channels weighted by one-hot rows rather than a gather: a gather along the
    # last axis is a scalar loop on CPU; C multiply-adds per element vectorise.
    onehot = (permutation[:, None] == jnp.arange(c)[None, :]).astype(jnp.float32)  # (C out, C in)
    x = image.astype(jnp.float32)
    return _images.restore(sum(x[..., k:k + 1] * onehot[:, k] for k in range(c)), image.dtype)


def sample_channel_shuffle(key, shape, *, probability=1.0):
    """Draws {"permutation": (C,) int32}: uniform over the C! orders with `probability`, else the identity.

    Args:
      key: a `jax.random` key.
      shape: the image's (H, W, C).
      probability: static, in [0, 1].

    Example:
      >>> p = jaxaug.ops.channel_shuffle.sample_channel_shuffle(jax.random.key(0), (8, 8, 3))["permutation"]
      >>> sorted(p.tolist())
      [0, 1, 2]
    """
    _checks.check_key(key)
    _checks.image_hw(shape)
    probability = _checks.bounded_float(probability, "probability", 1.0)
    channels = shape[-1] if len(shape) == 3 else 1
    key_coin, key_order = jax.random.split(key)
    order = jax.random.permutation(key_order, channels).astype(jnp.int32)
    identity = jnp.arange(channels, dtype=jnp.int32)
    return {"permutation": jnp.where(jax.random.uniform(key_coin) < probability, order, identity)}


# After grayscale (a grey image has nothing to shuffle) and before invert. Slot 25: a new slot.
OP = Op(
    name="channel_shuffle", title="channel shuffle", kind="pixel", stage=185, slot=25,
    units="a permutation of the channels, uniform over the C! orders, with the given probability",
    doc="Channel shuffle (albumentations' ChannelShuffle, torchvision's RandomChannelPermutation): the channels "
        "in a random order per image.",
    sample=sample_channel_shuffle, twin=channel_shuffle,
    options=(Option("channel_shuffle_probability", 0.0, "probability of putting the channels in a random order "
                    "(albumentations' ChannelShuffle).", "probability"),),
    example=dict(probability=1.0),
)
random_channel_shuffle = OP.random
