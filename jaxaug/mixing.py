"""Batch mixing: MixUp (Zhang et al., 2018) and CutMix (Yun et al., 2019).

These ops combine examples, so they take a whole batch (N, H, W, C) with its labels
and return mixed images and soft float32 labels (N, K). As everywhere in jaxaug the
parameters are data: `sample_mixup` / `sample_cutmix` draw them, and the
deterministic twins `mix` / `paste` apply them::

    params = sample_cutmix(key, images.shape, alpha=1.0)   # partner, top, left, height, width
    images, labels = paste(images, labels, **params, num_classes=10)

Every example i is mixed with example `partner[i]`, a random permutation of the batch
(an example may be its own partner, which leaves it unchanged, as in the papers' code).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxaug import _checks, _images
from jaxaug.occlusion import box_mask, check_box, uniform_index

__all__ = ["cutmix", "mix", "mixup", "paste", "sample_cutmix", "sample_mixup"]


MAX_CLASSES = 2**20


def _alpha(value) -> float:
    """The Beta(alpha, alpha) parameter: a static number >= 1e-30 (`_checks.MIN_CONCENTRATION`).

    jax draws Beta variates in log space, which stays finite down to about 5e-38; below that,
    and for 1e-46 (0 in float32), lam was NaN. Beta(1e-30, 1e-30) is already 0 or 1.
    """
    return _checks.concentration(value, "alpha")


def _batch_shape(shape) -> tuple[int, int, int]:
    """(N, H, W) from a batch shape (N, H, W, C)."""
    try:
        if isinstance(shape, (str, bytes)) or any(
                isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)) for d in shape):
            raise TypeError(shape)
        dims = tuple(int(d) for d in shape)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"shape must be a batch shape (N, H, W, C). Received: shape={_checks.short_repr(shape)}"
        ) from err
    if len(dims) != 4 or any(d < 1 for d in dims):
        raise ValueError(f"shape must be a batch shape (N, H, W, C) of positive sizes. Received: shape={shape!r}")
    return dims[0], dims[1], dims[2]


def _check_batch(images, labels, num_classes):
    """Checks images (N, H, W, C) and labels; returns them with labels as float32 (N, K)."""
    images = _images.check_image(images, "images", ndims=(4,))
    labels = _checks.real_array(labels, "labels")
    n = images.shape[0]
    if labels.ndim not in (1, 2) or labels.shape[0] != n:
        raise ValueError(
            f"labels must have shape ({n},) (integer classes) or ({n}, K) (one-hot or soft) to match "
            f"images.shape={tuple(images.shape)}. Received: labels.shape={tuple(labels.shape)}"
        )
    if num_classes is not None:
        # num_classes sizes the (N, num_classes) label array: 2**40 made XLA abort.
        _checks.check_int(num_classes, "num_classes", 1, MAX_CLASSES)
    if labels.ndim == 2:
        if num_classes is not None and labels.shape[1] != num_classes:
            raise ValueError(
                f"num_classes must equal labels.shape[1]={labels.shape[1]} for (N, K) labels. "
                f"Received: num_classes={num_classes!r}"
            )
        _checks.finite_if_concrete(labels, "labels")
        return images, labels.astype(jnp.float32)
    if not jnp.issubdtype(labels.dtype, jnp.integer):
        raise TypeError(
            f"labels of shape (N,) must be integer class indices; pass float labels as (N, K). "
            f"Received: labels.dtype={labels.dtype}"
        )
    if num_classes is None:
        raise ValueError("num_classes is needed to one-hot integer labels of shape (N,). Received: num_classes=None")
    # jax.nn.one_hot turns an out-of-range class into an all-zero row: refuse concrete ones;
    # traced labels are data and cannot be checked.
    _checks.integer_indices(labels, "labels", n, num_classes, f"class indices below num_classes={num_classes}")
    return images, jax.nn.one_hot(labels, num_classes, dtype=jnp.float32)


def _check_partner(partner, n: int):
    # Gathers clamp out-of-range indices and wrap negative ones: refuse them where they can be seen.
    return _checks.integer_indices(partner, "partner", n, n, "the index of the image mixed into each one")


def _blend_labels(labels, partner, keep):
    """keep * labels + (1 - keep) * labels[partner], row by row; keep is (N,)."""
    keep = keep[:, None]
    return keep * labels + (1.0 - keep) * labels[partner]


def mix(images, labels, partner, lam, *, num_classes=None):
    """MixUp's deterministic twin: image_i = lam_i * x_i + (1 - lam_i) * x_partner[i].

    Args:
      images: (N, H, W, C) batch, uint8 or floating.
      labels: (N, K) one-hot or soft labels, or (N,) integer classes with `num_classes`.
      partner: (N,) integer index of the example mixed into each one.
      lam: (N,) or scalar weight of the example itself, usually in [0, 1]. May be traced.
      num_classes: K, needed for integer labels.

    Returns:
      (images, labels): images of the input shape and dtype (computed in float32;
      uint8 rounded and clipped), labels float32 (N, K) mixed with the same weights,
      so each row keeps the mass of the inputs (1 for one-hot labels).

    Example:
      >>> pair = images[:2]                     # two images, classes 3 and 7: each mixed with the other
      >>> out, soft = mix(pair, jnp.array([3, 7]), jnp.array([1, 0]), jnp.array([0.7, 0.3]), num_classes=10)
      >>> round(float(soft[0, 3]), 2), round(float(soft[0, 7]), 2)
      (0.7, 0.3)

      Two one-pixel images, 0 and 200, each a quarter itself and three quarters the other:

      >>> dots = jnp.array([0, 200], jnp.uint8).reshape(2, 1, 1, 1)
      >>> out, _ = mix(dots, jnp.array([0, 1]), jnp.array([1, 0]), 0.25, num_classes=2)
      >>> tuple(out.ravel().tolist())
      (150, 50)
    """
    images, labels = _check_batch(images, labels, num_classes)
    n = images.shape[0]
    partner = _check_partner(partner, n)
    lam = _checks.real_array(lam, "lam").astype(jnp.float32)
    _checks.finite_if_concrete(lam, "lam")
    if lam.shape not in ((), (n,)):
        raise ValueError(f"lam must be a scalar or have shape ({n},). Received: lam.shape={lam.shape}")
    lam = jnp.broadcast_to(lam, (n,))
    x = images.astype(jnp.float32)
    weight = lam[:, None, None, None]
    out = weight * x + (1.0 - weight) * x[partner]
    return _images.restore(out, images.dtype), _blend_labels(labels, partner, lam)


def paste(images, labels, partner, top, left, height, width, *, num_classes=None):
    """CutMix's deterministic twin: pastes each partner's box into the image.

    For image i, the pixels in rows [top_i, top_i + height_i) x cols [left_i, left_i +
    width_i), clipped to the image, are copied from image `partner[i]`. Its label
    becomes (1 - a_i) * y_i + a_i * y_partner[i], with a_i the fraction of the image
    the clipped box actually covers.

    Args:
      images: (N, H, W, C) batch, uint8 or floating.
      labels: (N, K) one-hot or soft labels, or (N,) integer classes with `num_classes`.
      partner: (N,) integer index of the example pasted into each one.
      top, left, height, width: (N,) integer boxes in pixels; may stick out of the
        image or be empty. May be traced.
      num_classes: K, needed for integer labels.

    Returns:
      (images, labels): images of the input shape and dtype (pixels copied exactly),
      labels float32 (N, K).

    Example:
      >>> onehot = jax.nn.one_hot(jnp.array([3, 7]), 10)
      >>> out, soft = paste(images[:2], onehot, jnp.array([1, 0]), top=jnp.array([0, 4]),
      ...                   left=jnp.array([0, 4]), height=jnp.array([8, 8]), width=jnp.array([8, 8]))
      >>> bool(jnp.all(out[0, :8, :8] == images[1, :8, :8])), bool(jnp.all(out[0, 8:] == images[0, 8:]))
      (True, True)
      >>> tuple(soft[0, jnp.array([3, 7])].tolist())  # the box covers 64 / 1024 of the image
      (0.9375, 0.0625)
    """
    images, labels = _check_batch(images, labels, num_classes)
    n, h, w, _ = images.shape
    partner = _check_partner(partner, n)
    box = box_mask((h, w), *check_box(dict(top=top, left=left, height=height, width=width), (n,)))
    out = jnp.where(box[..., None], images[partner], images)
    covered = jnp.sum(box, axis=(1, 2)).astype(jnp.float32) / (h * w)
    return out, _blend_labels(labels, partner, 1.0 - covered)


def sample_mixup(key, shape, *, alpha=0.2):
    """Draws MixUp's parameters for a batch of `shape` (N, H, W, C).

    Args:
      key: a `jax.random` key, the only source of randomness.
      shape: batch shape (N, H, W, C).
      alpha: Beta(alpha, alpha) parameter, >= 1e-30 (smaller ones made lam NaN); small alpha
        keeps lam near 0 or 1.

    Returns:
      {"partner": int32 (N,) random permutation, "lam": float32 (N,) ~ Beta(alpha, alpha),
      one per example}, the keywords of `mix`.

    Example:
      >>> params = sample_mixup(jax.random.key(0), images.shape, alpha=0.4)
      >>> tuple(params["partner"].tolist())  # examples 0 and 3 are their own partners
      (0, 2, 1, 3)
      >>> params["lam"].shape, bool(jnp.all((params["lam"] >= 0) & (params["lam"] <= 1)))
      ((4,), True)
    """
    _checks.check_key(key)
    n, _, _ = _batch_shape(shape)
    a = _alpha(alpha)
    k_partner, k_lam = jax.random.split(key)
    return {
        "partner": jax.random.permutation(k_partner, n).astype(jnp.int32),
        "lam": jax.random.beta(k_lam, a, a, (n,), dtype=jnp.float32),
    }


def mixup(key, images, labels, *, alpha=0.2, num_classes=None):
    """MixUp: each example is blended with a random partner, lam ~ Beta(alpha, alpha).

    lam is drawn per example (not once per batch as in the paper's code) and partners
    come from a random permutation; see `mix` for the formula.

    Args:
      key: a `jax.random` key.
      images: (N, H, W, C) batch, uint8 or floating.
      labels: (N, K) one-hot or soft labels, or (N,) integer classes with `num_classes`.
      alpha: Beta parameter, >= 1e-30 (the paper uses 0.1 to 0.4 on ImageNet).
      num_classes: K, needed for integer labels.

    Returns:
      (images, labels): mixed images (input shape and dtype), float32 labels (N, K).

    Example:
      >>> images, labels = mixup(jax.random.key(0), images, classes, alpha=0.2, num_classes=10)
      >>> images.shape, images.dtype, labels.shape, bool(jnp.allclose(labels.sum(axis=1), 1.0))
      ((4, 32, 32, 3), dtype('uint8'), (4, 10), True)
    """
    images, labels = _check_batch(images, labels, num_classes)  # bad input fails before any sampling
    params = sample_mixup(key, images.shape, alpha=alpha)
    return mix(images, labels, **params)


def sample_cutmix(key, shape, *, alpha=1.0):
    """Draws CutMix's boxes for a batch of `shape` (N, H, W, C).

    Per example, lam ~ Beta(alpha, alpha); the box has height floor(H * sqrt(1 - lam))
    and width floor(W * sqrt(1 - lam)) (area fraction about 1 - lam) and its centre
    pixel is uniform over the image, so it may stick out (`paste` clips it and weighs
    the labels by the area really pasted, as Yun et al.'s code does). The box covers
    rows [centre - height // 2, centre - height // 2 + height).

    Args:
      key: a `jax.random` key, the only source of randomness.
      shape: batch shape (N, H, W, C).
      alpha: Beta(alpha, alpha) parameter, >= 1e-30 (1.0, uniform lam, in the paper).

    Returns:
      {"partner", "top", "left", "height", "width"}: int32 (N,) arrays, the keywords of
      `paste`. top / left may be negative.

    Example:
      >>> params = sample_cutmix(jax.random.key(0), images.shape)
      >>> tuple(params["partner"].tolist()), tuple(params["top"].tolist())  # boxes may stick out
      ((0, 2, 1, 3), (19, 14, 2, -6))
    """
    _checks.check_key(key)
    n, h, w = _batch_shape(shape)
    a = _alpha(alpha)
    k_partner, k_lam, k_centre = jax.random.split(key, 3)
    lam = jax.random.beta(k_lam, a, a, (n,), dtype=jnp.float32)
    side = jnp.sqrt(jnp.clip(1.0 - lam, 0.0, 1.0))
    height = jnp.floor(h * side).astype(jnp.int32)
    width = jnp.floor(w * side).astype(jnp.int32)
    centre = jax.random.uniform(k_centre, (2, n))
    return {
        "partner": jax.random.permutation(k_partner, n).astype(jnp.int32),
        "top": uniform_index(centre[0], h) - height // 2,
        "left": uniform_index(centre[1], w) - width // 2,
        "height": height,
        "width": width,
    }


def cutmix(key, images, labels, *, alpha=1.0, num_classes=None):
    """CutMix: pastes a box of a random partner into each example.

    See `sample_cutmix` for the boxes and `paste` for the labels, which are weighted
    by the clipped box's actual area.

    Args:
      key: a `jax.random` key.
      images: (N, H, W, C) batch, uint8 or floating.
      labels: (N, K) one-hot or soft labels, or (N,) integer classes with `num_classes`.
      alpha: Beta parameter, >= 1e-30.
      num_classes: K, needed for integer labels.

    Returns:
      (images, labels): images (input shape and dtype), float32 labels (N, K).

    Example:
      >>> images, labels = cutmix(jax.random.key(0), images, classes, num_classes=10)
      >>> images.shape, images.dtype, labels.shape, bool(jnp.allclose(labels.sum(axis=1), 1.0))
      ((4, 32, 32, 3), dtype('uint8'), (4, 10), True)
    """
    images, labels = _check_batch(images, labels, num_classes)  # bad input fails before any sampling
    params = sample_cutmix(key, images.shape, alpha=alpha)
    return paste(images, labels, **params)

