"""Augmentation pipelines: parameters as data, one warp, per-example keys.

An `Augmentation` is a small pure piece, in the spirit of optax:

* `sample(key, shape) -> params` draws the parameters of ONE image of `shape`
  (H, W, C) as a pytree of arrays that can be logged and replayed;
* `matrix(params, shape) -> (3, 3)` for geometric pieces: a centred pull matrix
  (see `jaxaug.geometry`), or None;
* `apply(params, image, value_range) -> image` for pixel pieces (colour, noise,
  blur, occlusion), on one float32 image, or None;
* optionally `apply_batch(params, images, value_range)`, the same as `vmap(apply)` but
  computed for the batch at once, for pieces that can do better than `vmap` (the policies
  run their costly operations only on the images that drew them).

`chain(*pieces)` combines pieces into one. When a chain runs, the matrices of all
its geometric pieces are multiplied into ONE matrix per image and the image is
resampled ONCE; the pixel pieces follow, in their order, on the warped image. So a
chain always acts as "all geometry, then all pixel ops", whatever the order in which
the two kinds are interleaved.

`jaxaug.Augmenter` (in `jaxaug.runner`) runs a piece on a batch, one independent draw per
example; `jaxaug.augmenter(...)` (in `jaxaug.ops`) builds one from Keras
ImageDataGenerator's option names. Inside an image, piece j of a chain draws from
`fold_in(image_key, j)`.

Example:
  >>> from jaxaug import pipeline as jp
  >>> piece = jp.chain(jp.rotation(20), jp.flip(), jp.brightness((0.8, 1.2)))
  >>> out = jax.jit(jaxaug.Augmenter(piece))(jax.random.key(0), images)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from jaxaug import _checks, color, filters, geometry, noise, normalize, occlusion, policies, transforms

__all__ = [
    "Augmentation",
    "affine",
    "auto_augment",
    "blur",
    "brightness",
    "center_crop",
    "chain",
    "channel_shift",
    "combine",
    "contrast",
    "crop",
    "cutout",
    "flip",
    "gaussian_noise",
    "grayscale",
    "hsv_contrast",
    "hue",
    "invert",
    "one_of",
    "policy",
    "random_apply",
    "rand_augment",
    "random_erasing",
    "random_resized_crop",
    "resize",
    "rotation",
    "salt_and_pepper",
    "saturation",
    "shear",
    "shift",
    "some_of",
    "standardize",
    "trivial_augment",
    "zoom",
]


class Augmentation(NamedTuple):
    """One pipeline piece: `sample` parameters, then `matrix` (geometric) or `apply` (pixel)."""

    sample: Callable[[Any, tuple], Any]
    matrix: Callable[[Any, tuple], jax.Array] | None = None
    apply: Callable[[Any, jax.Array, tuple], jax.Array] | None = None
    # For HSV ops: params -> an edit (h, s, v) -> (h, s, v); consecutive ones share one round trip.
    hsv: Callable[[Any], Callable] | None = None
    # (params, images (N, H, W, C), value_range) -> images: the same as vmap(apply) but computed
    # for the batch at once, for pieces that can do better than vmap (see jaxaug.policies).
    apply_batch: Callable[[Any, jax.Array, tuple], jax.Array] | None = None
    # (H', W') of the output of this piece's geometry (None: the input's size). Its `matrix`
    # maps that output grid to the input; the pieces after it draw and act at this size.
    output_size: tuple[int, int] | None = None
    # True when every matrix the piece gives is axis-aligned (no rotation or shear), which
    # the separable antialiasing filter needs (see `jaxaug.Augmenter`'s `antialias`).
    axis_aligned: bool = False


_PROBE_SHAPE = (8, 8, 3)


def _checked(piece: Augmentation) -> Augmentation:
    # Tracing the piece once with abstract values runs its static checks now, so a bad
    # option fails where the pipeline is built, not at the first batch.
    def probe(key, image):
        params = piece.sample(key, _PROBE_SHAPE)
        if piece.matrix is not None:
            piece.matrix(params, _PROBE_SHAPE)
        if piece.apply is not None:
            piece.apply(params, image, (0.0, 1.0))

    jax.eval_shape(probe, jax.random.key(0), jax.ShapeDtypeStruct(_PROBE_SHAPE, jnp.float32))
    return piece


def _geometric(sample, matrix_fn, *, axis_aligned=False, output_size=None) -> Augmentation:
    return _checked(Augmentation(sample=sample, matrix=lambda p, shape: matrix_fn(shape, **p),
                                 output_size=output_size, axis_aligned=axis_aligned))


def _resized(shape, output_size):
    """The shape a piece's output has: `output_size` with `shape`'s channels, or `shape` if None."""
    return tuple(shape) if output_size is None else tuple(output_size) + tuple(shape)[2:]


def _stage_shapes(pieces, shape):
    """The shape each piece draws and acts at: geometric pieces at the size the geometry before
    them gives, pixel pieces (which run after all geometry) at the final size."""
    shapes, current = [], tuple(shape)
    for p in pieces:
        shapes.append(current if p.matrix is not None else None)
        if p.matrix is not None:
            current = _resized(current, p.output_size)
    return [current if s is None else s for s in shapes]


def _pixel(sample, twin, *, hsv=None, **twin_options) -> Augmentation:
    def apply(params, image, value_range):
        return twin(image, **params, value_range=value_range, **twin_options)

    edit = None if hsv is None else (lambda params: color.hsv_edit(hsv, **params))
    return _checked(Augmentation(sample=sample, apply=apply, hsv=edit))


def combine(pieces, slots, names=None) -> Augmentation:
    """Pieces drawing from `fold_in(key, slot)`: `chain` with the key slots chosen.

    `augmenter` gives each option a fixed slot, so switching one option on or off never
    changes what the others draw. Params are a tuple, or a dict keyed by `names`.
    """
    keys = tuple(range(len(pieces))) if names is None else tuple(names)
    geometric = [(k, p) for k, p in zip(keys, pieces, strict=True) if p.matrix is not None]
    pixel = [(k, p) for k, p in zip(keys, pieces, strict=True) if p.apply is not None]

    def sample(key, shape):
        drawn = [p.sample(jax.random.fold_in(key, s), at)
                 for s, p, at in zip(slots, pieces, _stage_shapes(pieces, shape), strict=True)]
        return tuple(drawn) if names is None else dict(zip(names, drawn, strict=True))

    def matrix(params, shape):
        # Pull matrices compose from the input side: the first piece's matrix maps its output
        # (the next piece's input, of the size it gives) to the image.
        at = _stage_shapes([p for _, p in geometric], shape)
        return geometry.compose(*(p.matrix(params[k], s) for (k, p), s in zip(geometric, at, strict=True)))

    def apply(params, image, value_range):
        for run in _hsv_runs(pixel):
            image = apply_run(run, params, image, value_range)
        return image

    def apply_batch(params, images, value_range):
        for run in _hsv_runs(pixel):
            if len(run) == 1 and run[0][1].apply_batch is not None:
                k, p = run[0]
                images = p.apply_batch(params[k], images, value_range)
            else:
                sub = {k: params[k] for k, _ in run}
                images = jax.vmap(lambda q, x, run=run: apply_run(run, q, x, value_range))(sub, images)
        return images

    def apply_run(run, params, image, value_range):
        if len(run) > 1:  # one round trip through HSV for the whole run
            return color.in_hsv(image, [p.hsv(params[k]) for k, p in run], value_range=value_range)
        k, p = run[0]
        return p.apply(params[k], image, value_range)

    batched = any(p.apply_batch is not None for _, p in pixel)
    sizes = [p.output_size for _, p in geometric if p.output_size is not None]
    return Augmentation(sample, matrix if geometric else None, apply if pixel else None,
                        apply_batch=apply_batch if batched else None, output_size=sizes[-1] if sizes else None,
                        axis_aligned=all(p.axis_aligned for _, p in geometric))


def _hsv_runs(pixel):
    """Splits (name, piece) pairs into runs: consecutive HSV pieces together, others alone."""
    runs = []
    for k, p in pixel:
        if p.hsv is not None and runs and runs[-1][-1][1].hsv is not None:
            runs[-1].append((k, p))
        else:
            runs.append([(k, p)])
    return runs


def chain(*pieces: Augmentation) -> Augmentation:
    """Combines pieces into one; piece j draws from `fold_in(key, j)`, params are a tuple.

    Geometric pieces are composed in order (the content undergoes the first piece's
    motion first) into one matrix; pixel pieces then run in order.

    Example:
      >>> piece = chain(rotation(20), shift(width_shift_range=0.1), brightness((0.8, 1.2)))
    """
    for j, p in enumerate(pieces):
        if not isinstance(p, Augmentation):
            raise TypeError(f"chain takes Augmentation pieces. Received: pieces[{j}]={_checks.short_repr(p)}")
    return combine(pieces, tuple(range(len(pieces))))


# --- combinators: which pieces run is drawn per image ------------------------------------


def _gated(pieces, name: str, choose) -> Augmentation:
    """Pieces that each run or not, per image: piece j draws from `fold_in(key, j)` as in
    `chain`, and `choose(key) -> (len(pieces),) bool` from `fold_in(key, len(pieces))`.

    A piece not chosen contributes the identity matrix and leaves the image as it is. All
    pieces are computed and selected per image (`jnp.where`), so a batch needs no Python
    loop and one compiled program serves every draw.
    """
    for j, p in enumerate(pieces):
        if not isinstance(p, Augmentation):
            raise TypeError(f"{name} takes Augmentation pieces. Received: pieces[{j}]={_checks.short_repr(p)}")
    for j, p in enumerate(pieces):
        if p.output_size is not None:
            raise ValueError(f"{name} cannot hold a piece that changes the output size (every image of a batch "
                             f"must come out at one size). Received: pieces[{j}] with output size {p.output_size}")
    geometric = [j for j, p in enumerate(pieces) if p.matrix is not None]
    pixel = [j for j, p in enumerate(pieces) if p.apply is not None]

    def sample(key, shape):
        drawn = tuple(p.sample(jax.random.fold_in(key, j), shape) for j, p in enumerate(pieces))
        return {"chosen": choose(jax.random.fold_in(key, len(pieces))), "pieces": drawn}

    def matrix(params, shape):
        eye = jnp.eye(3, dtype=jnp.float32)
        return geometry.compose(*(jnp.where(params["chosen"][j], pieces[j].matrix(params["pieces"][j], shape), eye)
                                  for j in geometric))

    def apply(params, image, value_range):
        for j in pixel:
            changed = pieces[j].apply(params["pieces"][j], image, value_range)
            image = jnp.where(params["chosen"][j], changed, image)
        return image

    def apply_batch(params, images, value_range):
        for j in pixel:
            p, q = pieces[j], params["pieces"][j]
            changed = (p.apply_batch(q, images, value_range) if p.apply_batch is not None
                       else jax.vmap(lambda q, x, p=p: p.apply(q, x, value_range))(q, images))
            images = jnp.where(params["chosen"][:, j, None, None, None], changed, images)
        return images

    batched = any(pieces[j].apply_batch is not None for j in pixel)
    return _checked(Augmentation(sample, matrix if geometric else None, apply if pixel else None,
                                 apply_batch=apply_batch if batched else None,
                                 axis_aligned=all(pieces[j].axis_aligned for j in geometric)))


def some_of(n, *pieces: Augmentation) -> Augmentation:
    """Runs `n` of the pieces, drawn without replacement per image, in their given order.

    `some_of(len(pieces), *pieces)` is `chain(*pieces)` (the same draws); params are
    {"chosen": (len(pieces),) bool, "pieces": the pieces' params}.

    Example:
      >>> piece = some_of(2, rotation(20), brightness((0.7, 1.3)), blur((0.5, 1.5)))
    """
    _checks.check_int(n, "n", 0, len(pieces))

    def choose(key):
        return jax.random.permutation(key, len(pieces)) < n  # the pieces ranked first n

    return _gated(pieces, "some_of", choose)


def one_of(*pieces: Augmentation) -> Augmentation:
    """Runs one of the pieces, uniformly at random per image.

    Example:
      >>> piece = one_of(rotation(20), shear(15), zoom(0.2))
    """
    if not pieces:
        raise ValueError("one_of needs at least one piece. Received: no pieces")
    return some_of(1, *pieces)


def random_apply(piece: Augmentation, probability) -> Augmentation:
    """Runs `piece` with the given probability, decided per image (not once per batch).

    Example:
      >>> piece = random_apply(blur((0.5, 1.5)), 0.3)
    """
    p = _checks.bounded_float(probability, "probability", 1.0)
    return _gated((piece,), "random_apply", lambda key: jax.random.uniform(key, (1,)) < p)


# --- policies: operations and magnitudes drawn per image (see jaxaug.policies) ----------


def _policy(sample) -> Augmentation:
    # Geometry joins the one matrix; the pixel operations run for the batch at once.
    return _checked(Augmentation(sample=sample, matrix=lambda p, shape: policies.ops_matrix(shape, **p),
                                 apply=lambda p, image, vr: policies.ops_pixels(image, **p, value_range=vr),
                                 apply_batch=lambda p, images, vr: policies.ops_pixels_batch(images, **p,
                                                                                             value_range=vr)))


def rand_augment(num_ops=2, magnitude=9, *, bins=31, magnitude_std=0.0,
                 ops=policies.RAND_AUGMENT_OPS) -> Augmentation:
    """RandAugment (Cubuk et al., 2019) per image: `num_ops` operations at level `magnitude` of `bins`.

    torchvision's `RandAugment` defaults; see `jaxaug.policies.sample_rand_augment`. Run it with
    `Augmenter(..., order=0, fill_mode="constant")` for the reference's nearest / black fill.

    Example:
      >>> augment = jaxaug.Augmenter(chain(crop(4), flip(), rand_augment(2, 9)), order=0, fill_mode="constant")
    """
    return _policy(functools.partial(policies.sample_rand_augment, num_ops=num_ops, magnitude=magnitude, bins=bins,
                                     magnitude_std=magnitude_std, ops=ops))


def trivial_augment(*, bins=31, ops=policies.RAND_AUGMENT_OPS) -> Augmentation:
    """TrivialAugmentWide (Müller & Hutter, 2021) per image: one operation, a uniform level of the wide space.

    See `jaxaug.policies.sample_trivial_augment`.

    Example:
      >>> augment = jaxaug.Augmenter(chain(crop(4), flip(), trivial_augment()), order=0, fill_mode="constant")
    """
    return _policy(functools.partial(policies.sample_trivial_augment, bins=bins, ops=ops))


def auto_augment(policy="cifar10") -> Augmentation:
    """AutoAugment (Cubuk et al., 2019) per image with a learned policy: "cifar10", "svhn" or "imagenet".

    See `jaxaug.policies.sample_auto_augment`.

    Example:
      >>> augment = jaxaug.Augmenter(chain(crop(4), flip(), auto_augment("cifar10")), order=0, fill_mode="constant")
    """
    return _policy(functools.partial(policies.sample_auto_augment, policy=policy))


POLICIES = ("rand_augment", "trivial_augment", "auto_augment_cifar10", "auto_augment_svhn", "auto_augment_imagenet")


def policy(name, *, num_ops=2, magnitude=9) -> Augmentation:
    """A policy by name (the `augmenter` option `policy`): one of `POLICIES`.

    `num_ops` and `magnitude` are RandAugment's N and M (of 31 levels); the others ignore them.

    Example:
      >>> piece = policy("trivial_augment")
    """
    if name not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}. Received: policy={_checks.short_repr(name)}")
    if name == "rand_augment":
        return rand_augment(num_ops, magnitude)
    if name == "trivial_augment":
        return trivial_augment()
    return auto_augment(name.removeprefix("auto_augment_"))


# --- geometric pieces -------------------------------------------------------------------


def affine(*, rotation_range=0.0, width_shift_range=0.0, height_shift_range=0.0, shear_range=0.0, zoom_range=0.0,
           horizontal_flip=False, vertical_flip=False, isotropic_zoom=False) -> Augmentation:
    """Keras ImageDataGenerator's whole geometric transform, drawn as `jaxaug.sample_affine`."""
    options = dict(rotation_range=rotation_range, width_shift_range=width_shift_range,
                   height_shift_range=height_shift_range, shear_range=shear_range, zoom_range=zoom_range,
                   horizontal_flip=horizontal_flip, vertical_flip=vertical_flip, isotropic_zoom=isotropic_zoom)
    return _geometric(functools.partial(geometry.sample_affine, **options),
                      lambda shape, **p: geometry.affine_matrix(shape[:2], **p),
                      axis_aligned=not rotation_range and not shear_range)


def rotation(max_degrees) -> Augmentation:
    """Rotation by an angle uniform in [-max_degrees, max_degrees] degrees."""
    return _geometric(functools.partial(transforms.sample_rotation, max_degrees=max_degrees),
                      transforms.rotation_matrix_centered)


def shift(*, height_shift_range=0.0, width_shift_range=0.0) -> Augmentation:
    """Translation with Keras' shift-range rules (fractions of the size when < 1, else pixels)."""
    return _geometric(functools.partial(transforms.sample_shift, height_shift_range=height_shift_range,
                                        width_shift_range=width_shift_range),
                      transforms.shift_matrix_centered, axis_aligned=True)


def shear(max_degrees) -> Augmentation:
    """Keras shear by an angle uniform in [-max_degrees, max_degrees] degrees."""
    return _geometric(functools.partial(transforms.sample_shear, max_degrees=max_degrees),
                      transforms.shear_matrix_centered)


def zoom(zoom_range, *, isotropic=False) -> Augmentation:
    """Keras zoom: factors uniform in [1 - z, 1 + z] (or [lo, hi]); one factor for both axes if `isotropic`."""
    return _geometric(functools.partial(transforms.sample_zoom, zoom_range=zoom_range, isotropic=isotropic),
                      transforms.zoom_matrix_centered, axis_aligned=True)


def flip(horizontal=True, vertical=False) -> Augmentation:
    """Mirror left-right (and/or top-bottom), each with probability 1/2."""
    return _geometric(functools.partial(transforms.sample_flip, horizontal=horizontal, vertical=vertical),
                      transforms.flip_matrix_centered, axis_aligned=True)


def crop(padding) -> Augmentation:
    """Pad-and-crop: a whole-pixel translation in [-padding, padding] on each axis.

    The uncovered border follows the pipeline's `fill_mode` (use "constant" for the
    classic zero padding, "reflect" for reflection padding).
    """
    return _geometric(functools.partial(transforms.sample_crop, padding=padding), transforms.crop_matrix,
                      axis_aligned=True)


def random_resized_crop(size, *, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)) -> Augmentation:
    """torchvision's `RandomResizedCrop(size, scale, ratio)`: a random box resized to `size`, per image.

    The box is drawn by `jaxaug.transforms.sample_resized_crop` (area fraction in `scale`,
    width / height in `ratio`, 10 tries then a centred fallback). The output has `size`
    ((height, width), or an int for a square); pieces after this one act at that size. Run it
    with `Augmenter(..., antialias=True)` for torchvision v2's and PIL's antialiased resize.

    Example:
      >>> augment = jaxaug.Augmenter(chain(random_resized_crop(224), flip()), antialias=True)
    """
    out = transforms.check_size(size)
    return _geometric(functools.partial(transforms.sample_resized_crop, scale=scale, ratio=ratio),
                      lambda shape, **p: transforms.resized_crop_matrix(shape, out, **p),
                      axis_aligned=True, output_size=out)


def resize(size) -> Augmentation:
    """Resizes the whole image to `size` ((height, width), or an int for a square), per image of any size.

    Unlike torchvision's `Resize(int)`, an int is a square, not the shorter edge.

    Example:
      >>> augment = jaxaug.Augmenter(chain(resize((64, 64)), rotation(10)))
    """
    out = transforms.check_size(size)
    return _geometric(lambda key, shape: {}, lambda shape: transforms.resize_matrix(shape, out),
                      axis_aligned=True, output_size=out)


def center_crop(size) -> Augmentation:
    """torchvision's `CenterCrop(size)`: the central window of `size`, padded by the fill mode where larger.

    Example:
      >>> augment = jaxaug.Augmenter(chain(resize(256), center_crop(224)))
    """
    out = transforms.check_size(size)
    return _geometric(lambda key, shape: {}, lambda shape: transforms.center_crop_matrix(shape, out),
                      axis_aligned=True, output_size=out)


# --- pixel pieces -----------------------------------------------------------------------


def brightness(brightness_range) -> Augmentation:
    """Keras' multiplicative brightness: factor uniform in `brightness_range` (see `jaxaug.color.brightness`)."""
    return _pixel(functools.partial(color.sample_brightness, brightness_range=brightness_range), color.brightness)


def channel_shift(intensity) -> Augmentation:
    """Keras' `channel_shift_range`: one offset uniform in [-intensity, intensity], in pixel units."""
    return _pixel(functools.partial(color.sample_channel_shift, intensity=intensity), color.channel_shift)


def contrast(contrast_range) -> Augmentation:
    """Contrast about each channel's mean, factor uniform in `contrast_range`."""
    return _pixel(functools.partial(color.sample_contrast, contrast_range=contrast_range), color.contrast)


def saturation(saturation_range) -> Augmentation:
    """HSV saturation scaled by a factor uniform in `saturation_range`."""
    return _pixel(functools.partial(color.sample_saturation, saturation_range=saturation_range), color.saturation,
                  hsv="saturation")


def hue(max_delta) -> Augmentation:
    """Hue rotated by a fraction of a turn uniform in [-max_delta, max_delta] (max_delta <= 0.5)."""
    return _pixel(functools.partial(color.sample_hue, max_delta=max_delta), color.hue, hsv="hue")


def hsv_contrast(exponent_range=(0.25, 4.0)) -> Augmentation:
    """The tutorial's HSV contrast: S and V raised to exponents log-uniform in `exponent_range`, H kept."""
    return _pixel(functools.partial(color.sample_hsv_contrast, exponent_range=exponent_range), color.hsv_contrast,
                  hsv="hsv_contrast")


def grayscale(probability) -> Augmentation:
    """Converts to grayscale (ITU-R 601 luma, 3 channels kept) with the given probability."""
    return _pixel(functools.partial(color.sample_grayscale, probability=probability), color.grayscale)


def invert(probability) -> Augmentation:
    """Inverts the image within its value range (PIL's `ImageOps.invert`) with the given probability."""
    return _pixel(functools.partial(color.sample_invert, probability=probability), color.invert)


def blur(sigma_range, *, truncate=4.0) -> Augmentation:
    """Gaussian blur (scale space) with sigma in pixels, fixed (scalar) or uniform in (lo, hi).

    The kernel has 2 * int(truncate * max_sigma + 0.5) + 1 taps per axis; see `jaxaug.filters.gaussian_blur`.
    """
    max_sigma = _checks.fixed_or_range(sigma_range, "sigma_range", maximum=filters.MAX_RADIUS)[1]
    return _pixel(functools.partial(filters.sample_gaussian_blur, sigma_range=sigma_range), filters.gaussian_blur,
                  max_sigma=max_sigma, truncate=truncate)


def gaussian_noise(sigma_range) -> Augmentation:
    """Additive Gaussian noise, sigma as a fraction of the value range, fixed (scalar) or uniform in (lo, hi)."""
    return _pixel(functools.partial(noise.sample_gaussian_noise, sigma_range=sigma_range), noise.gaussian_noise)


def salt_and_pepper(amount, salt_vs_pepper=0.5) -> Augmentation:
    """Replaces a fraction `amount` of pixels by white (salt) or black (pepper) dots."""
    return _pixel(functools.partial(noise.sample_salt_and_pepper, amount=amount, salt_vs_pepper=salt_vs_pepper),
                  noise.salt_and_pepper)


def cutout(size, *, probability=1.0, value=0.0) -> Augmentation:
    """Cutout (DeVries & Taylor, 2017): a size x size square set to `value`; see `jaxaug.occlusion.random_cutout`."""
    return _pixel(functools.partial(occlusion.sample_cutout, size=size, probability=probability),
                  occlusion.erase, value=value)


def random_erasing(*, probability=0.5, area_range=(0.02, 0.33), aspect_range=(0.3, 3.3), value=0.0) -> Augmentation:
    """Random erasing (Zhong et al., 2017); see `jaxaug.occlusion.random_erasing`."""
    return _pixel(functools.partial(occlusion.sample_erasing, probability=probability, area_range=area_range,
                                    aspect_range=aspect_range), occlusion.erase, value=value)


def standardize(statistics=None, **options) -> Augmentation:
    """Keras ImageDataGenerator's normalisation as a last piece; see `jaxaug.standardize`.

    It ignores the value range (the result is no longer in it), so put it last.
    """
    def apply(params, image, value_range):
        return normalize.standardize(image, statistics, **options)

    return _checked(Augmentation(sample=lambda key, shape: (), apply=apply))
