"""Pixel noise: additive Gaussian noise, salt-and-pepper dots, multiplicative noise and camera (ISO) noise.

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
    "multiplicative_noise",
    "sample_multiplicative_noise",
    "seed_multiplicative_noise",
    "expand_multiplicative_noise",
    "random_multiplicative_noise",
    "iso_noise",
    "sample_iso_noise",
    "seed_iso_noise",
    "expand_iso_noise",
    "random_iso_noise",
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


# --- multiplicative noise (albumentations' MultiplicativeNoise) ------------------------------


def multiplicative_noise(image, multiplier, *, value_range=None):
    """Multiplies the image by `multiplier` about the bottom of the range, and clips.

    `out = clip(lo + (x - lo) * multiplier, lo, hi)`: for images in (0, 255) or (0, 1) simply
    `x * multiplier`, as albumentations' `MultiplicativeNoise` (which truncates uint8 results
    to a level where this rounds to the nearest).

    Args:
      image: (H, W, C) array; uint8, float16, bfloat16 or float32.
      multiplier: float array broadcastable to `image`: (1,) one factor, (C,) one per channel,
        (H, W, 1) one per pixel, (H, W, C) one per element. May be traced.
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      Same shape and dtype as `image` (uint8 rounded and clipped).

    Example:
      >>> px = jnp.array([[[100, 200, 50]]], jnp.uint8)
      >>> tuple(multiplicative_noise(px, jnp.array([1.1, 1.5, 0.5]))[0, 0].tolist())
      (110, 255, 25)
    """
    image = _images.check_image(image)
    lo, hi = _images.value_range(image.dtype, value_range)
    multiplier = _check_broadcasts(multiplier, image, "multiplier").astype(jnp.float32)
    _checks.finite_if_concrete(multiplier, "multiplier")
    out = lo + (image.astype(jnp.float32) - lo) * multiplier
    return _images.restore(jnp.clip(out, lo, hi), image.dtype)


def sample_multiplicative_noise(key, shape, *, multiplier_range=(0.9, 1.1), per_channel=False, elementwise=False):
    """Draws {"multiplier"} for `multiplicative_noise`: uniform factors in `multiplier_range`.

    albumentations' `MultiplicativeNoise(multiplier, per_channel, elementwise)`: one factor for
    the image (1,), one per channel (C,), one per pixel shared by its channels (H, W, 1) or one
    per element (H, W, C).

    Args:
      key: a `jax.random` key.
      shape: the image's (H, W, C).
      multiplier_range: static; a number m >= 0 is the fixed factor m, a pair (lo, hi) draws
        uniformly.
      per_channel: static bool: a factor per channel (or per element with `elementwise`).
      elementwise: static bool: a factor per pixel; drawn from a hash of the pixel index
        (see `seed_multiplicative_noise`), so the factors never need to reach memory.

    Example:
      >>> m = sample_multiplicative_noise(jax.random.key(0), (8, 8, 3), multiplier_range=(0.5, 1.5),
      ...                                 per_channel=True)
      >>> m["multiplier"].shape, bool(jnp.all((m["multiplier"] >= 0.5) & (m["multiplier"] < 1.5)))
      ((3,), True)
      >>> sample_multiplicative_noise(jax.random.key(0), (8, 8, 3), elementwise=True)["multiplier"].shape
      (8, 8, 1)
    """
    options = dict(multiplier_range=multiplier_range, per_channel=per_channel, elementwise=elementwise)
    return expand_multiplicative_noise(seed_multiplicative_noise(key, shape, **options), shape)


def seed_multiplicative_noise(key, shape, *, multiplier_range=(0.9, 1.1), per_channel=False, elementwise=False):
    """`sample_multiplicative_noise`'s draw before its per-pixel expansion (see `seed_gaussian_noise`).

    Without `elementwise` the draw is already small: {"multiplier": (1,) or (C,)}. With it,
    {"bounds": (lo, hi), "seed"} (a factor per element) or {"bounds", "pixel_seed"} (per pixel).

    Example:
      >>> params = seed_multiplicative_noise(jax.random.key(0), (8, 8, 3), elementwise=True, per_channel=True)
      >>> sorted(params), expand_multiplicative_noise(params, (8, 8, 3))["multiplier"].shape
      (['bounds', 'seed'], (8, 8, 3))
    """
    _checks.check_key(key)
    _, _, channels = _noise_shape(shape)
    lo, hi = _checks.fixed_or_range(multiplier_range, "multiplier_range")
    _checks.check_bool(per_channel, "per_channel")
    _checks.check_bool(elementwise, "elementwise")
    if not elementwise:
        return {"multiplier": jax.random.uniform(key, (channels if per_channel else 1,), jnp.float32, lo, hi)}
    bounds = jnp.array([lo, hi], jnp.float32)
    return {"bounds": bounds, "seed" if per_channel else "pixel_seed": _seed(key)}


def expand_multiplicative_noise(params, shape):
    """{"multiplier"} from `seed_multiplicative_noise`'s draw: the per-pixel factors expanded."""
    if "multiplier" in params:
        return {"multiplier": params["multiplier"]}
    h, w, channels = _noise_shape(shape)
    per_element = "seed" in params
    u = _pixel_uniform(params["seed" if per_element else "pixel_seed"], (h, w, channels if per_element else 1))
    lo, hi = params["bounds"][0], params["bounds"][1]
    return {"multiplier": lo + u * (hi - lo)}


def random_multiplicative_noise(key, image, *, multiplier_range=(0.9, 1.1), per_channel=False, elementwise=False,
                                value_range=None):
    """`multiplicative_noise` with factors drawn by `sample_multiplicative_noise` from `key`.

    Example:
      >>> out = random_multiplicative_noise(jax.random.key(0), image_uint8, multiplier_range=(0.8, 1.2),
      ...                                   elementwise=True)
      >>> params = sample_multiplicative_noise(jax.random.key(0), image_uint8.shape, multiplier_range=(0.8, 1.2),
      ...                                      elementwise=True)
      >>> bool(jnp.all(out == multiplicative_noise(image_uint8, **params)))
      True
    """
    image = _images.check_image(image)
    params = sample_multiplicative_noise(key, image.shape, multiplier_range=multiplier_range, per_channel=per_channel,
                                         elementwise=elementwise)
    return multiplicative_noise(image, **params, value_range=value_range)


# --- camera sensor (ISO) noise (albumentations' ISONoise) ------------------------------------

# Poisson counts by inversion are summed up to this count. The mean is std(L) * intensity <=
# 0.5 * 2 = 1, where P(count > 12) < 1e-9 is below the uniforms' resolution of 2**-23.
_MAX_COUNT = 12
MAX_ISO_INTENSITY = 2.0


def _poisson_inverse(u, lam):
    """The Poisson(lam) count whose CDF interval holds u: #{k < _MAX_COUNT : CDF(k) < u}."""
    p = jnp.exp(-lam)
    cdf, count = p, jnp.zeros_like(u)
    for k in range(1, _MAX_COUNT + 1):
        count = count + (u > cdf)
        p = p * lam / k
        cdf = cdf + p
    return count


def _rgb_to_hls(r, g, b):
    """OpenCV's float RGB -> HLS: hue in degrees [0, 360), lightness and saturation in [0, 1]."""
    top, bottom = jnp.maximum(jnp.maximum(r, g), b), jnp.minimum(jnp.minimum(r, g), b)
    spread, total = top - bottom, top + bottom
    light = total * 0.5
    grey = spread <= jnp.finfo(jnp.float32).eps  # OpenCV's test: hue and saturation 0
    safe = jnp.where(grey, 1.0, spread)
    sat = jnp.where(grey, 0.0, spread / jnp.where(light < 0.5, jnp.where(grey, 1.0, total), 2.0 - total))
    hue = jnp.where(top == r, (g - b) * (60.0 / safe),
                    jnp.where(top == g, (b - r) * (60.0 / safe) + 120.0, (r - g) * (60.0 / safe) + 240.0))
    hue = jnp.where(grey, 0.0, jnp.where(hue < 0.0, hue + 360.0, hue))
    return hue, light, sat


def _hls_to_rgb(hue, light, sat):
    """OpenCV's float HLS -> RGB, any hue (wrapped to [0, 360)) and any lightness (not clipped)."""
    half = jnp.where(light <= 0.5, light * sat, sat - light * sat)  # OpenCV's p2 - l
    # The hue in twelfths of a turn, wrapped without `jnp.mod` (a scalar call per element: the ISO
    # noise took 53 ms for 32 x 224 x 224 with it, 12 ms without).
    sector = _images.modulo(hue * (1.0 / 30.0), 12.0)
    out = []
    for n in (0.0, 8.0, 4.0):  # channel n is l + half * clip(...) over the hue circle: the hexcone
        k = sector + n
        k = jnp.where(k >= 12.0, k - 12.0, k)
        out.append(light - half * jnp.clip(jnp.minimum(k - 3.0, 9.0 - k), -1.0, 1.0))
    return out


def iso_noise(image, intensity, hue_noise, uniform, *, value_range=None):
    """Camera sensor noise as albumentations' `ISONoise`: Poisson noise on lightness, Gaussian on hue.

    In OpenCV's HLS (hue in degrees, lightness L in [0, 1]): the hue plus `hue_noise` degrees,
    and L plus `k * intensity * (1 - L)`, with k ~ Poisson(std(L) * intensity) per pixel (std:
    the image's population standard deviation of L, as `cv2.meanStdDev`), drawn by inversion
    from `uniform`; back to RGB and clipped. Brighter pixels get less noise.

    Args:
      image: (H, W, 3) RGB; uint8, float16, bfloat16 or float32.
      intensity: () in [0, 2] (may be traced).
      hue_noise: (H, W, 1) hue shifts in degrees (albumentations: N(0, color_shift * intensity)).
      uniform: (H, W, 1) uniforms in (0, 1) that pick each pixel's Poisson count.
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> flat = jnp.full((4, 4, 3), 0.5)
      >>> out = iso_noise(flat, 0.5, jnp.zeros((4, 4, 1)), jnp.full((4, 4, 1), 0.9))
      >>> bool(jnp.all(out == flat))          # std(L) = 0: Poisson(0) is 0 everywhere
      True
    """
    image = _images.check_image(image)
    if image.shape[-1] != 3:
        raise ValueError(f"image must be RGB (3 channels). Received: image.shape={tuple(image.shape)}")
    lo, hi = _images.value_range(image.dtype, value_range)
    hue_noise = _check_broadcasts(hue_noise, image[..., :1], "hue_noise").astype(jnp.float32)
    uniform = _check_broadcasts(uniform, image[..., :1], "uniform").astype(jnp.float32)
    intensity = _checks.real_array(intensity, "intensity").astype(jnp.float32)
    hue_noise, uniform = _fusion.materialize((hue_noise, uniform))
    x = (image.astype(jnp.float32) - lo) * (1.0 / (hi - lo))
    # In memory: the statistics and the noisy pass both read them (fused, each recomputed them).
    hue, light, sat = _fusion.materialize(_rgb_to_hls(x[..., 0], x[..., 1], x[..., 2]))
    # Rows first, then the row sums: contiguous reductions vectorise (see enhance.contrast).
    mean = jnp.sum(jnp.sum(light, axis=0)) / light.size
    std = jnp.sqrt(jnp.sum(jnp.sum(jnp.square(light - mean), axis=0)) / light.size)
    count = _poisson_inverse(uniform[..., 0], std * intensity)
    rgb = _hls_to_rgb(hue + hue_noise[..., 0], light + count * intensity * (1.0 - light), sat)
    out = jnp.stack([jnp.clip(c, 0.0, 1.0) for c in rgb], axis=-1)
    return _images.restore(lo + out * (hi - lo), image.dtype)


def sample_iso_noise(key, shape, *, intensity_range=(0.1, 0.5), color_shift_range=(0.01, 0.05)):
    """Draws {"intensity", "hue_noise", "uniform"} for `iso_noise`, as albumentations' `ISONoise`.

    intensity ~ U(intensity_range), color_shift ~ U(color_shift_range), then per pixel a hue
    shift N(0, color_shift * intensity) in degrees (albumentations' rule: its hue is in
    degrees, so these shifts are tiny) and a uniform that picks the pixel's Poisson count.

    Args:
      key: a `jax.random` key.
      shape: the image's (H, W, 3).
      intensity_range: static, a number or (lo, hi) within [0, 2].
      color_shift_range: static, a number or (lo, hi) >= 0.

    Example:
      >>> p = sample_iso_noise(jax.random.key(0), (8, 8, 3))
      >>> p["hue_noise"].shape, p["uniform"].shape, bool(0.1 <= p["intensity"] <= 0.5)
      ((8, 8, 1), (8, 8, 1), True)
    """
    seeds = seed_iso_noise(key, shape, intensity_range=intensity_range, color_shift_range=color_shift_range)
    return expand_iso_noise(seeds, shape)


def seed_iso_noise(key, shape, *, intensity_range=(0.1, 0.5), color_shift_range=(0.01, 0.05)):
    """`sample_iso_noise`'s draw before its per-pixel expansion: {"intensity", "hue_sigma", "hue_seed", "seed"}."""
    _checks.check_key(key)
    _noise_shape(shape)
    lo, hi = _checks.fixed_or_range(intensity_range, "intensity_range", maximum=MAX_ISO_INTENSITY)
    shift_lo, shift_hi = _checks.fixed_or_range(color_shift_range, "color_shift_range")
    _checks.finite_draws(shift_lo * lo, shift_hi * hi, "color_shift_range", color_shift_range, scale=_MAX_NORMAL)
    key_intensity, key_shift, key_hue, key_count = jax.random.split(key, 4)
    intensity = jax.random.uniform(key_intensity, (), jnp.float32, lo, hi)
    shift = jax.random.uniform(key_shift, (), jnp.float32, shift_lo, shift_hi)
    return {"intensity": intensity, "hue_sigma": shift * intensity, "hue_seed": _seed(key_hue),
            "seed": _seed(key_count)}


def expand_iso_noise(params, shape):
    """{"intensity", "hue_noise", "uniform"} from `seed_iso_noise`'s draw."""
    h, w, _ = _noise_shape(shape)
    return {"intensity": params["intensity"],
            "hue_noise": params["hue_sigma"] * _pixel_normal(params["hue_seed"], (h, w, 1)),
            "uniform": _pixel_uniform(params["seed"], (h, w, 1))}


def random_iso_noise(key, image, *, intensity_range=(0.1, 0.5), color_shift_range=(0.01, 0.05), value_range=None):
    """`iso_noise` with the draw of `sample_iso_noise` from `key`.

    Example:
      >>> out = random_iso_noise(jax.random.key(0), image_uint8)
      >>> params = sample_iso_noise(jax.random.key(0), image_uint8.shape)
      >>> bool(jnp.all(out == iso_noise(image_uint8, **params)))
      True
    """
    image = _images.check_image(image)
    params = sample_iso_noise(key, image.shape, intensity_range=intensity_range, color_shift_range=color_shift_range)
    return iso_noise(image, **params, value_range=value_range)
