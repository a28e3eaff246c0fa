"""AugMix (Hendrycks et al., 2020) run by `Augmenter` like every other piece, and its twin.

A view is `original * clean + sum_k weights[k] * chain_k`: `clean` is the image through the
`base` piece (e.g. pad-and-crop and flip), chain k is the image through `base` composed with
the chain's geometry (one resample from the original image, not two), then the chain's pixel
operations (the policies' executor, `jaxaug.policies.ops_pixels_batch`). The draw of view v
is `jaxaug.policies.sample_augmix` from `fold_in(example_key, v)`, the base's from
`fold_in(example_key, 0)`, where `Augmenter` derives the example keys, as for every piece.

`pipeline.augmix(...)` is the piece; `AugMix` runs it on a batch and gives the clean images
and several views, as the Jensen-Shannon consistency loss needs; `mix_chains` is the twin on
one image and `random_augmix` the twin applied to a draw.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from jaxaug import _checks, _images, _pieces, geometry, policies, warp
from jaxaug.runner import Augmenter

__all__ = ["AugMix", "augmix", "mix_chains", "random_augmix"]


def _check_base(base):
    if base is not None and not isinstance(base, _pieces.Augmentation):
        raise TypeError(f"base must be a jaxaug.pipeline piece or None. Received: base={_checks.short_repr(base)}")
    if base is not None and (base.mix is not None or base.output_size is not None):
        raise ValueError("base must keep the image size and be no AugMix itself. Received: a base piece with "
                         f"output size {base.output_size} or a mix of its own")


def augmix(*, base=None, severity=3, width=3, depth=None, alpha=1.0, all_ops=True, view=1):
    """AugMix as a piece: view `view` of every image (0: the clean image, through `base` only).

    Args:
      base: a `jaxaug.pipeline` piece run before AugMix and shared by every view (its draw is
        from `fold_in(example_key, 0)`); None for none.
      severity, width, depth, alpha, all_ops: see `jaxaug.policies.sample_augmix`.
      view: which view, an int >= 0; its draw is from `fold_in(example_key, view)`.

    AugMix resamples each chain from the original image, so it runs alone in an `Augmenter`
    (put the geometry before it in `base`); the `Augmenter`'s order and fill apply to every
    warp (torchvision's AugMix: `order=0, fill_mode="constant"`).

    Example:
      >>> augment = jaxaug.Augmenter(jaxaug.pipeline.augmix(), order=0, fill_mode="constant")
      >>> out = augment(jax.random.key(0), images_uint8)
      >>> out.shape == images_uint8.shape
      True
    """
    options = dict(severity=severity, width=width, depth=depth, alpha=alpha, all_ops=all_ops)
    policies.check_augmix_options(**options)
    _check_base(base)
    _checks.check_int(view, "view", 0, 2**31 - 1)

    def sample(key, shape):
        return {"base": None if base is None else base.sample(jax.random.fold_in(key, 0), shape),
                "mix": None if view == 0 else policies.sample_augmix(jax.random.fold_in(key, view), shape, **options)}

    def mix(params, images, warp_through, value_range):
        n, shape = images.shape[0], images.shape[1:]
        base_matrix = jnp.broadcast_to(geometry.identity_matrix(), (n, 3, 3))
        fields, projective = None, base is not None and base.projective
        if base is not None and base.matrix is not None:
            base_matrix = jax.vmap(lambda p: base.matrix(p, shape))(params["base"])
        if base is not None and base.field is not None:  # an elastic or distortion base: every view's warp adds it
            fields = jax.vmap(lambda p: base.field(p, shape, shape[:2]))(params["base"])

        def through(matrices):
            out = warp_through(matrices, fields, projective)
            if base is not None and base.apply is not None:
                out = jax.vmap(lambda p, x: base.apply(p, x, value_range))(params["base"], out)
            return out

        def chain(mixed, draw):
            ops, mags, weight = draw
            matrices = jax.vmap(lambda o, m: policies.ops_matrix(shape, o, m))(ops, mags)
            pixels = policies.ops_pixels_batch(through(geometry.compose(base_matrix, matrices)), ops, mags,
                                               value_range=value_range)
            return mixed + weight[:, None, None, None] * pixels, None

        clean = through(base_matrix)
        if view == 0:
            return clean
        draw = params["mix"]
        chains = (jnp.swapaxes(draw["ops"], 0, 1), jnp.swapaxes(draw["magnitudes"], 0, 1), draw["weights"].T)
        # A scan over the chains compiles one chain (a warp and its operations) once.
        mixed, _ = lax.scan(chain, draw["original"][:, None, None, None] * clean, chains)
        return mixed

    return _pieces.checked(_pieces.Augmentation(sample=sample, mix=mix))


def mix_chains(image, ops, magnitudes, weights, original, *, order=0, fill_mode="constant", cval=0.0,
               value_range=None):
    """The twin of AugMix on one image: `original * image + sum_k weights[k] * apply_ops(image, chain k)`.

    Args:
      image: (H, W, C) uint8 or floating image.
      ops, magnitudes: (width, 3) chains of policy operations and magnitudes (`sample_augmix`'s).
      weights: (width,) chain weights; original: the weight of the image itself.
      order, fill_mode, cval: of each chain's warp (torchvision: nearest, constant 0).
      value_range: (lo, hi); default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> draw = jaxaug.policies.sample_augmix(jax.random.key(0), image_uint8.shape)
      >>> out = mix_chains(image_uint8, **draw)
      >>> out.shape, out.dtype
      ((32, 32, 3), dtype('uint8'))
    """
    image = _images.check_image(image)
    vr = _images.value_range(image.dtype, value_range)
    x = image.astype(jnp.float32)
    augment = jnp.zeros_like(x)
    for k in range(weights.shape[0]):
        matrix = policies.ops_matrix(image.shape, ops[k], magnitudes[k])
        warped = warp.warp_float(x[None], matrix[None], order, fill_mode, cval)
        augment = augment + weights[k] * policies.ops_pixels_batch(warped, ops[k][None], magnitudes[k][None],
                                                                   value_range=vr)[0]
    return _images.restore(original * x + augment, image.dtype)


def random_augmix(key, image, *, severity=3, width=3, depth=None, alpha=1.0, all_ops=True, value_range=None):
    """`mix_chains` applied to a draw of `sample_augmix` (no base), nearest with black fill.

    Example:
      >>> out = random_augmix(jax.random.key(0), image_uint8)
      >>> out.dtype
      dtype('uint8')
    """
    image = _images.check_image(image)
    draw = policies.sample_augmix(key, image.shape, severity=severity, width=width, depth=depth, alpha=alpha,
                                  all_ops=all_ops)
    return mix_chains(image, **draw, value_range=value_range)


@dataclasses.dataclass(frozen=True)
class AugMix:
    """AugMix on a batch, one independent draw per example: `Augmenter(augmix(..., view=v))` for each view.

    Example i draws from `fold_in(key, indices[i])` (as every `Augmenter`): the `base` piece
    from `fold_in(., 0)`, AugMix view v (1, 2, ...) from `fold_in(., v)`. `views(key, images,
    count)` returns the clean image and `count` independent views, as the Jensen-Shannon
    consistency loss needs.

    Args:
      base: a `jaxaug.pipeline` piece run before AugMix, shared by every view; None for none.
      severity, width, depth, alpha, all_ops: see `jaxaug.policies.sample_augmix`.
      order, fill_mode, cval: of the warps (torchvision: nearest, constant 0).
      value_range: (lo, hi); default (0, 255) for uint8, (0, 1) for floats.

    Example:
      >>> from jaxaug import pipeline as jp
      >>> augmix = AugMix(base=jp.chain(jp.crop(4), jp.flip()))
      >>> mixed = jax.jit(augmix)(jax.random.key(0), images_uint8)                  # (N, H, W, C)
      >>> views = jax.jit(augmix.views, static_argnums=2)(jax.random.key(0), images_uint8, 2)
      >>> views.shape[0], bool((views[1] == mixed).all())
      (3, True)
    """

    base: Any = None
    severity: int = 3
    width: int = 3
    depth: int | None = None
    alpha: float = 1.0
    all_ops: bool = True
    order: int = 0
    fill_mode: str = "constant"
    cval: float = 0.0
    value_range: tuple[float, float] | None = None

    def __post_init__(self):
        self._augmenter(0)  # checks every option now, not at the first batch

    def _augmenter(self, view: int) -> Augmenter:
        piece = augmix(base=self.base, severity=self.severity, width=self.width, depth=self.depth, alpha=self.alpha,
                       all_ops=self.all_ops, view=view)
        return Augmenter(piece, order=self.order, fill_mode=self.fill_mode, cval=self.cval,
                         value_range=self.value_range)

    def __call__(self, key, images, *, indices=None):
        """The AugMix images (N, H, W, C), dtype of `images`: view 1 of `views`."""
        return self._augmenter(1)(key, images, indices=indices)

    def views(self, key, images, count=2, *, indices=None):
        """(count + 1, N, H, W, C): the clean images (through `base` only), then `count` AugMix views."""
        _checks.check_int(count, "count", 1, 64)
        return jnp.stack([self._augmenter(v)(key, images, indices=indices) for v in range(count + 1)])
