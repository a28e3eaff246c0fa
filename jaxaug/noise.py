"""Pixel noise: additive Gaussian noise and salt-and-pepper dots.

Each op is a triple, so a pipeline can log, replay or reuse the parameters:

- `sample_<op>(key, shape, ...)` draws the parameters of one image as a dict;
- the deterministic twin (`gaussian_noise`, `salt_and_pepper`) takes them as keywords;
- `random_<op>(key, image, ...)` is the twin applied to the sample.

Noise is measured in fractions of the pixel value range, so one sigma means the same
for uint8 images (range (0, 255)) and float images (range (0, 1)); pass `value_range`
for other conventions.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax

from jaxaug import _checks, _fusion, _images

__all__ = [
    "gaussian_noise",
    "salt_and_pepper",
    "random_gaussian_noise",
    "random_salt_and_pepper",
    "sample_gaussian_noise",
    "sample_salt_and_pepper",
    "seed_gaussian_noise",
    "expand_gaussian_noise",
    "seed_salt_and_pepper",
    "expand_salt_and_pepper",
]


def _check_broadcasts(value, image, name: str, allow_bool: bool = False):
    """`value` as a jax array, checked (statically) to broadcast to `image`'s shape."""
    value = _checks.real_array(value, name, allow_bool=allow_bool)
    try:
        ok = jnp.broadcast_shapes(value.shape, image.shape) == image.shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
                f"{name} must broadcast to the image shape {tuple(image.shape)}. "
                f"Received: {name}.shape={tuple(value.shape)}"
        )
    return value


def gaussian_noise(image, noise, *, value_range=None):
    """Adds `noise`, in fractions of the value range, and clips to the range.

    `out = clip(x + noise * (hi - lo), lo, hi)`.

    Args:
      image: (H, W, C) array; uint8, float16, bfloat16 or float32.
      noise: float array broadcastable to `image` (e.g. (H, W, C), or (H, W, 1) for
        grey noise), in fractions of the value range: 0.1 is 25.5 levels of a uint8
        image and 0.1 of a [0, 1] float image. May be traced.
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      The noisy image, same shape and dtype (uint8 rounded and clipped).

    Example:
      >>> noise = 0.05 * jax.random.normal(jax.random.key(0), (32, 32, 3))
      >>> out = gaussian_noise(jnp.full((32, 32, 3), 0.5), noise)
      >>> out.dtype, bool(jnp.all((out >= 0.0) & (out <= 1.0)))
      (dtype('float32'), True)

      Noise of 0.2 is 51 levels of a uint8 image; the result is clipped to [0, 255]:

      >>> tuple(gaussian_noise(jnp.array([[[100, 250, 10]]], jnp.uint8), jnp.array([0.2, 0.2, -0.2]))[0, 0].tolist())
      (151, 255, 0)
    """
    image = _images.check_image(image)
    lo, hi = _images.value_range(image.dtype, value_range)
    noise = _check_broadcasts(noise, image, "noise").astype(jnp.float32)
    _checks.finite_if_concrete(noise, "noise")
    out = image.astype(jnp.float32) + noise * (hi - lo)
    return _images.restore(jnp.clip(out, lo, hi), image.dtype)


# --- per-pixel random numbers ---------------------------------------------------------------
#
# threefry spends about 13x the time of the hash below per 32 random bits (3.3 ms against 0.26
# ms for 128 x 32 x 32 x 3 on CPU), which made Gaussian noise cost 3x a whole geometry pipeline.
# Per-pixel numbers come instead from a counter-based hash keyed by 64 threefry bits of the
# image's key: element i gets pcg(pcg(i + seed0) ^ seed1), with pcg the 32-bit RXS-M-XS output
# permutation of PCG, the hash Jarzynski & Olano (JCGT 2020) recommend for its speed and
# quality. Integer arithmetic, so the same key gives the same bits on every machine; images get
# independent streams through their threefry-derived seeds (the KS and independence tests in
# tests/test_noise.py check both).


def _pcg(v):
    v = v * jnp.uint32(747796405) + jnp.uint32(2891336453)
    word = ((v >> ((v >> 28) + jnp.uint32(4))) ^ v) * jnp.uint32(277803737)
    return (word >> 22) ^ word


def _seed(key):
    """The 64 threefry bits of `key` that seed an image's per-pixel hash: (2,) uint32."""
    return jax.random.bits(key, (2,), jnp.uint32)


def _pixel_bits(seed, dims):
    """32 random bits per element of an array of shape `dims`, from a `_seed`."""
    counter = lax.iota(jnp.uint32, math.prod(dims)).reshape(dims)
    return _pcg(_pcg(counter + seed[0]) ^ seed[1])


def _pixel_uniform(seed, dims):
    """U(0, 1) per element, on the grid (k + 1/2) / 2**23: never 0 or 1.

    23 bits, so that k + 1/2 is exact in float32 (with 24, k + 1/2 rounded to even above 2**23
    and the top value became 1.0, whose normal was infinite).
    """
    return ((_pixel_bits(seed, dims) >> 9).astype(jnp.float32) + 0.5) * (1.0 / 2**23)


# A bound on |z| of `_pixel_normal`: sqrt(2) erfinv(1 - 2**-23) = 5.29.
_MAX_NORMAL = 5.5


def _pixel_normal(seed, dims):
    """N(0, 1) per element by inversion, sqrt(2) erfinv(2u - 1); |z| < 5.5."""
    return jnp.sqrt(2.0).astype(jnp.float32) * lax.erf_inv(2.0 * _pixel_uniform(seed, dims) - 1.0)


def _noise_shape(shape) -> tuple[int, int, int]:
    """(H, W, C) stays; (H, W) becomes (H, W, 1): one value shared by all channels."""
    h, w = _checks.image_hw(shape)
    return (h, w, int(shape[2])) if len(shape) == 3 else (h, w, 1)


def sample_gaussian_noise(key, shape, sigma_range):
    """Draws zero-mean Gaussian noise with a random standard deviation for one image.

    Args:
      key: a `jax.random` key, the only source of randomness. Split in two: one half
        draws sigma, the other the per-pixel normals.
      shape: image shape (H, W, C); (H, W) gives grey noise of shape (H, W, 1).
      sigma_range: standard deviation in fractions of the value range, >= 0. A number
        s means a fixed sigma s; a pair (lo, hi) means sigma ~ U(lo, hi) per image. The
        noise sigma * z (|z| < 5.5) must be finite in float32, so sigma <= 6e37.

    Returns:
      {"noise": float32 array of `shape`}, sigma * N(0, 1) per element; the keyword
      of `gaussian_noise`.

    Example:
      >>> params = sample_gaussian_noise(jax.random.key(0), (32, 32, 3), (0.0, 0.1))
      >>> params["noise"].shape, params["noise"].dtype
      ((32, 32, 3), dtype('float32'))
      >>> out = gaussian_noise(image, **params)
      >>> sample_gaussian_noise(jax.random.key(0), (32, 32), 0.1)["noise"].shape  # grey noise
      (32, 32, 1)
    """
    return expand_gaussian_noise(seed_gaussian_noise(key, shape, sigma_range), shape)


def seed_gaussian_noise(key, shape, sigma_range):
    """`sample_gaussian_noise`'s draw before its per-pixel expansion: {"sigma", "seed"}, a few bytes.

    `expand_gaussian_noise(seed_gaussian_noise(key, shape, r), shape)` is
    `sample_gaussian_noise(key, shape, r)`, bit for bit. A pipeline carries this compact form
    and expands it inside the pass that adds the noise, so the noise never reaches memory.

    Example:
      >>> params = seed_gaussian_noise(jax.random.key(0), (32, 32, 3), (0.0, 0.1))
      >>> sorted(params), params["seed"].dtype
      (['seed', 'sigma'], dtype('uint32'))
      >>> noise = expand_gaussian_noise(params, (32, 32, 3))["noise"]
      >>> bool(jnp.all(noise == sample_gaussian_noise(jax.random.key(0), (32, 32, 3), (0.0, 0.1))["noise"]))
      True
    """
    _checks.check_key(key)
    _noise_shape(shape)
    lo, hi = _checks.fixed_or_range(sigma_range, "sigma_range")
    _checks.finite_draws(lo, hi, "sigma_range", sigma_range, scale=_MAX_NORMAL)  # 3e38 gave inf noise
    key_sigma, key_noise = jax.random.split(key)
    return {"sigma": jax.random.uniform(key_sigma, (), jnp.float32, lo, hi), "seed": _seed(key_noise)}


def expand_gaussian_noise(params, shape):
    """{"noise": sigma * N(0, 1) per element} of `shape` from `seed_gaussian_noise`'s draw."""
    return {"noise": params["sigma"] * _pixel_normal(params["seed"], _noise_shape(shape))}


def random_gaussian_noise(key, image, sigma_range, *, value_range=None):
    """Adds Gaussian noise with sigma drawn from `sigma_range` (fractions of the range).

    `gaussian_noise(image, **sample_gaussian_noise(key, image.shape, sigma_range))`; see
    those two for the arguments.

    Example:
      >>> out = random_gaussian_noise(jax.random.key(0), image_uint8, (0.0, 0.05))
      >>> out.shape, out.dtype
      ((32, 32, 3), dtype('uint8'))
      >>> bool(jnp.all(out == random_gaussian_noise(jax.random.key(0), image_uint8, (0.0, 0.05))))  # same key
      True
    """
    image = _images.check_image(image)
    return gaussian_noise(image, **sample_gaussian_noise(key, image.shape, sigma_range), value_range=value_range)


def sample_salt_and_pepper(key, shape, amount, *, salt_vs_pepper=0.5):
    """Draws which pixels of one image become white (salt) or black (pepper) dots.

    A whole pixel (all its channels together) is replaced, so the dots are white and
    black, not coloured. This differs from `skimage.util.random_noise(mode="s&p")`,
    which replaces each element (channel) independently.

    Args:
      key: a `jax.random` key, the only source of randomness. Split in two: one half
        draws the amount, the other the per-pixel choices.
      shape: image shape (H, W) or (H, W, C).
      amount: probability that a pixel is replaced, in [0, 1]. A number means that
        fixed probability; a pair (lo, hi) means U(lo, hi) per image.
      salt_vs_pepper: probability that a replaced pixel is salt rather than pepper,
        a static number in [0, 1].

    Returns:
      {"salt": bool (H, W, 1), "pepper": bool (H, W, 1)}, never both true at a pixel;
      the keywords of `salt_and_pepper`.

    Example:
      >>> params = sample_salt_and_pepper(jax.random.key(0), (32, 32, 3), 0.05)
      >>> params["salt"].shape, int(params["salt"].sum()), int(params["pepper"].sum())  # of 1,024 pixels
      ((32, 32, 1), 32, 30)
      >>> bool(jnp.any(params["salt"] & params["pepper"]))
      False
      >>> out = salt_and_pepper(image, **params)
    """
    return expand_salt_and_pepper(seed_salt_and_pepper(key, shape, amount, salt_vs_pepper=salt_vs_pepper), shape)


def seed_salt_and_pepper(key, shape, amount, *, salt_vs_pepper=0.5):
    """`sample_salt_and_pepper`'s draw before its per-pixel expansion: {"amount", "salt_share", "seed"}.

    `expand_salt_and_pepper(seed_salt_and_pepper(key, shape, a), shape)` is
    `sample_salt_and_pepper(key, shape, a)`, bit for bit (see `seed_gaussian_noise`).

    Example:
      >>> params = seed_salt_and_pepper(jax.random.key(0), (32, 32, 3), 0.05)
      >>> masks = expand_salt_and_pepper(params, (32, 32, 3))
      >>> int(masks["salt"].sum()), int(masks["pepper"].sum())   # as sample_salt_and_pepper's example
      (32, 30)
    """
    _checks.check_key(key)
    _checks.image_hw(shape)
    lo, hi = _checks.fixed_or_range(amount, "amount", maximum=1.0)
    salt_share = _checks.bounded_float(salt_vs_pepper, "salt_vs_pepper", 1.0)
    key_amount, key_pixels = jax.random.split(key)
    return {"amount": jax.random.uniform(key_amount, (), jnp.float32, lo, hi),
            "salt_share": jnp.float32(salt_share), "seed": _seed(key_pixels)}


def expand_salt_and_pepper(params, shape):
    """{"salt", "pepper"} bool (H, W, 1) masks from `seed_salt_and_pepper`'s draw."""
    h, w = _checks.image_hw(shape)
    p = params["amount"]
    # One uniform per pixel decides both whether and how it is replaced: u in
    # [0, p * share) is salt, [p * share, p) pepper. Same law as two draws, half the bits.
    u = _pixel_uniform(params["seed"], (h, w, 1))
    salt = u < p * params["salt_share"]
    return {"salt": salt, "pepper": (u < p) & ~salt}


def salt_and_pepper(image, salt, pepper, *, value_range=None):
    """Sets the `salt` pixels to the top of the value range and `pepper` to the bottom.

    Args:
      image: (H, W, C) array; uint8, float16, bfloat16 or float32.
      salt: bool mask broadcastable to `image`, e.g. (H, W, 1); true pixels become
        `hi` (salt wins where both masks are true).
      pepper: bool mask broadcastable to `image`; true pixels become `lo`.
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      The image with dots, same shape and dtype.

    Example:
      >>> salt = jnp.zeros((4, 4, 1), bool).at[0, 0].set(True)
      >>> out = salt_and_pepper(jnp.zeros((4, 4, 3)), salt, jnp.zeros_like(salt))
      >>> tuple(out[0, 0].tolist()), float(out.sum())  # one white pixel, all its channels
      ((1.0, 1.0, 1.0), 3.0)
    """
    image = _images.check_image(image)
    lo, hi = _images.value_range(image.dtype, value_range)
    salt = _check_broadcasts(salt, image, "salt", allow_bool=True)
    pepper = _check_broadcasts(pepper, image, "pepper", allow_bool=True)
    for mask, name in ((salt, "salt"), (pepper, "pepper")):
        if mask.dtype != jnp.bool_:  # a number as a mask (nan, -1) would turn every pixel white
            raise TypeError(f"{name} must be a bool mask. Received: {name}.dtype={mask.dtype}")
    out = _fusion.where(salt | pepper, jnp.where(salt, hi, lo), image.astype(jnp.float32))
    return _images.restore(out, image.dtype)


def random_salt_and_pepper(key, image, amount, *, salt_vs_pepper=0.5, value_range=None):
    """Replaces a random `amount` of the pixels with white or black dots.

    `salt_and_pepper(image, **sample_salt_and_pepper(key, image.shape, amount,
    salt_vs_pepper))`; see those two for the arguments.

    Example:
      >>> out = random_salt_and_pepper(jax.random.key(0), image_uint8, (0.0, 0.05))
      >>> set(np.unique(out[jnp.any(out != image_uint8, axis=-1)]).tolist())  # the changed pixels
      {0, 255}
    """
    image = _images.check_image(image)
    params = sample_salt_and_pepper(key, image.shape, amount, salt_vs_pepper=salt_vs_pepper)
    return salt_and_pepper(image, **params, value_range=value_range)
