"""Keras ImageDataGenerator's normalisation, as pure functions with statistics as data.

`fit` computes dataset statistics once (what `ImageDataGenerator.fit` stores on the
object); `standardize` applies them with the per-image options, in Keras' order::

    rescale -> samplewise center -> samplewise std -> featurewise center
            -> featurewise std -> ZCA whitening

Both follow `keras/src/legacy/preprocessing/image.py` (Keras 3) step by step,
including its 1e-6 epsilons and its ZCA (`svd` of the flattened data, see `fit`).
Options are taken literally: Keras' constructor switches some on or off for you
(`zca_whitening` turns `featurewise_center` on and `featurewise_std_normalization`
off; `featurewise_std_normalization` turns `featurewise_center` on;
`samplewise_std_normalization` turns `samplewise_center` on); pass the resolved flags
here to reproduce an ImageDataGenerator. Keras' `preprocessing_function`, which it
runs before `rescale`, is not part of these functions.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxaug import _checks, _images

__all__ = ["Statistics", "fit", "standardize"]

# Keras adds this to every standard deviation it divides by.
_STD_EPSILON = 1e-6

# The `Statistics` field each featurewise option reads.
_NEEDS = {"featurewise_center": "mean", "featurewise_std_normalization": "std", "zca_whitening": "principal_components"}


class Statistics(NamedTuple):
    """Dataset statistics for featurewise normalisation, as returned by `fit`.

    A NamedTuple, hence a pytree: it can be passed through `jax.jit` and saved with
    any pytree checkpointer. A field is None when `fit` was not asked for it.

    Attributes:
      mean: (1, 1, C) float32 per-channel mean (Keras' `mean`).
      std: (1, 1, C) float32 per-channel standard deviation (Keras' `std`).
      principal_components: (D, D) float32 ZCA whitening matrix, D = H * W * C
        (Keras' `zca_whitening_matrix`, formerly `principal_components`).
    """

    mean: jax.Array | None = None
    std: jax.Array | None = None
    principal_components: jax.Array | None = None


def _flag(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False. Received: {name}={_checks.short_repr(value)}")
    return bool(value)


def _rescaled(images, rescale):
    """float32 images times `rescale`; None or 0 means no rescaling, as `if self.rescale:` in Keras."""
    x = images.astype(jnp.float32)
    if rescale is None:
        return x
    factor = _checks.static_float(rescale, "rescale")
    return x * factor if factor else x


def _channel_mean(x):
    """(1, 1, C) mean over images, rows and columns of (N, H, W, C) float32 data.

    Averaging each image first keeps float32 accumulation error small on large
    datasets (numpy, which Keras uses, sums pairwise).
    """
    return jnp.mean(jnp.mean(x, axis=(1, 2)), axis=0).reshape(1, 1, -1)


def _zca_matrix(x, epsilon: float):
    """Keras 3's ZCA: u, s = svd(flat.T); u @ diag(sqrt(N) / (s + eps)) @ u.T.

    With fewer images than features (N < D) the thin svd has only N components and
    the matrix projects onto their span, exactly as Keras does. Older Keras (2.x)
    used 1 / sqrt(eigenvalue / N + eps) on the full covariance instead; the two agree
    up to epsilon when N >= D and the data has full rank.
    """
    n = x.shape[0]
    flat = x.reshape(n, -1)
    u, s, _ = jnp.linalg.svd(flat.T, full_matrices=False)
    scaled = u * (math.sqrt(n) / (s + epsilon))
    return jnp.matmul(scaled, u.T, precision=jax.lax.Precision.HIGHEST)


def fit(
    images,
    *,
    featurewise_center=False,
    featurewise_std_normalization=False,
    zca_whitening=False,
    zca_epsilon=1e-6,
    rescale=None,
):
    """Computes the statistics `ImageDataGenerator.fit` computes, as data.

    In Keras' order: the data is rescaled; if `featurewise_center`, the per-channel
    mean is taken and subtracted; if `featurewise_std_normalization`, the
    per-channel (population) std is taken and the data divided by std + 1e-6; if
    `zca_whitening`, the ZCA matrix of the resulting data is computed. Everything is
    float32 and jit-able (options are static). Keras' `augment` / `rounds` are not
    supported: augment the data first if you want them.

    Args:
      images: (N, H, W, C) sample data, N >= 1, uint8 or floating.
      featurewise_center: compute `mean`.
      featurewise_std_normalization: compute `std`.
      zca_whitening: compute `principal_components`, a (D, D) matrix with
        D = H * W * C (memory and time grow as D^2 and D^2 * N).
      zca_epsilon: added to the singular values before inverting, >= 0. With 0 (or one too
        small to lift them), singular values of 0 (constant pixels, rank-deficient data)
        make the matrix infinite or NaN: concrete images then raise ValueError naming
        `zca_epsilon`; under `jax.jit` the images are data and the matrix is returned
        as computed (`standardize` refuses concrete non-finite statistics).
      rescale: factor applied before the statistics, as Keras' `rescale`; None or 0
        for none. Pass the same value to `standardize`.

    Returns:
      `Statistics`, with None for the fields not asked for.

    Example:
      >>> stats = fit(images, featurewise_center=True, featurewise_std_normalization=True)
      >>> stats.mean.shape, stats.std.shape, stats.principal_components  # per channel; no ZCA asked for
      ((1, 1, 3), (1, 1, 3), None)
      >>> x = standardize(image, statistics=stats, featurewise_center=True, featurewise_std_normalization=True)

      A data set of two one-pixel images, 0 and 2:

      >>> two = jnp.array([0.0, 2.0]).reshape(2, 1, 1, 1)
      >>> stats = fit(two, featurewise_center=True, featurewise_std_normalization=True)
      >>> float(stats.mean.squeeze()), float(stats.std.squeeze())
      (1.0, 1.0)
    """
    images = _images.check_image(images, "images", ndims=(4,))
    if images.shape[0] < 1:
        raise ValueError(f"images must hold at least one image. Received: images.shape={tuple(images.shape)}")
    center = _flag(featurewise_center, "featurewise_center")
    scale = _flag(featurewise_std_normalization, "featurewise_std_normalization")
    zca = _flag(zca_whitening, "zca_whitening")
    epsilon = _checks.nonnegative_float(zca_epsilon, "zca_epsilon")
    x = _rescaled(images, rescale)
    mean = std = components = None
    if center:
        mean = _channel_mean(x)
        x = x - mean
    if scale:
        std = jnp.sqrt(_channel_mean(jnp.square(x - _channel_mean(x))))
        x = x / (std + _STD_EPSILON)
    if zca:
        components = _zca_matrix(x, epsilon)
        if not _checks.is_traced(components) and not bool(jnp.all(jnp.isfinite(components))):
            raise ValueError(
                f"zca_epsilon gives a ZCA matrix with inf or NaN for these images: the singular values s of "
                f"the data are inverted as 1 / (s + zca_epsilon), and some are 0 (constant pixels, rank-deficient "
                f"data). Use zca_epsilon > 0, e.g. Keras' 1e-6. Received: zca_epsilon={zca_epsilon!r}")
    return Statistics(mean, std, components)


def _needed(statistics, field: str, option: str, shape: tuple):
    """Returns `statistics.<field>` after checking it exists and fits images of `shape`."""
    value = None if statistics is None else getattr(statistics, field, None)
    if value is None:
        raise ValueError(
            f"statistics.{field} is needed for {option}=True; compute it with fit(images, {option}=True). "
            f"Received: statistics={_checks.short_repr(statistics)}"
        )
    value = _checks.real_array(value, f"statistics.{field}").astype(jnp.float32)
    _checks.finite_if_concrete(value, f"statistics.{field}")
    if field == "std" and not _checks.is_traced(value) and bool(jnp.any(value < 0)):
        raise ValueError(f"statistics.std must be >= 0. Received: statistics.std={_checks.short_repr(value)}")
    if field == "principal_components":
        d = math.prod(shape[-3:])
        ok = value.shape == (d, d)
    else:
        try:
            ok = np.broadcast_shapes(shape, value.shape) == shape
        except ValueError:
            ok = False
    if not ok:
        raise ValueError(
            f"statistics.{field} does not fit images of shape {shape} (fit it on images of the same "
            f"H, W, C). Received: statistics.{field}.shape={value.shape}"
        )
    return value


def standardize(
    image,
    *,
    statistics=None,
    rescale=None,
    samplewise_center=False,
    samplewise_std_normalization=False,
    featurewise_center=False,
    featurewise_std_normalization=False,
    zca_whitening=False,
):
    """`ImageDataGenerator.standardize` as a pure function of the image and `statistics`.

    Steps, each only if asked, in Keras' order: multiply by `rescale`; subtract the
    image's own mean (over rows, columns and channels); divide by the image's own
    std + 1e-6; subtract `statistics.mean`; divide by `statistics.std` + 1e-6;
    multiply the flattened image by `statistics.principal_components`.

    Normalised values leave the pixel range, so the result is float32 whatever the
    input dtype (uint8 too); nothing is clipped.

    Args:
      image: (H, W, C) image or (N, H, W, C) batch, uint8 or floating. In a batch the
        samplewise statistics are per image (Keras standardises one image at a time).
      statistics: `Statistics` from `fit`, needed by the featurewise options and ZCA.
        Its arrays may be traced.
      rescale: static factor applied first; None or 0 for none (as Keras).
      samplewise_center: subtract each image's mean.
      samplewise_std_normalization: divide by each image's std + 1e-6.
      featurewise_center: subtract `statistics.mean`.
      featurewise_std_normalization: divide by `statistics.std` + 1e-6.
      zca_whitening: apply `statistics.principal_components`.

    Returns:
      float32 array of the shape of `image`.

    Example:
      >>> small = images[:, :8, :8]             # ZCA's matrix is (H*W*C)^2: keep the example small
      >>> stats = fit(small, zca_whitening=True, featurewise_center=True)
      >>> white = standardize(small, statistics=stats, featurewise_center=True, zca_whitening=True)
      >>> stats.principal_components.shape, white.shape, white.dtype
      ((192, 192), (4, 8, 8, 3), dtype('float32'))

      The steps on a uint8 image of two pixels, 0 and 255 (the result is float32):

      >>> x = jnp.array([[[0], [255]]], jnp.uint8)
      >>> tuple(standardize(x, rescale=1 / 255).ravel().tolist())
      (0.0, 1.0)
      >>> tuple(standardize(x, rescale=1 / 255, samplewise_center=True).ravel().tolist())
      (-0.5, 0.5)
      >>> out = standardize(x, rescale=1 / 255, samplewise_center=True, samplewise_std_normalization=True)
      >>> tuple(round(v, 4) for v in out.ravel().tolist())  # divided by std + 1e-6
      (-1.0, 1.0)
    """
    image = _images.check_image(image, "image", ndims=(3, 4))
    flags = dict(
        samplewise_center=samplewise_center,
        samplewise_std_normalization=samplewise_std_normalization,
        featurewise_center=featurewise_center,
        featurewise_std_normalization=featurewise_std_normalization,
        zca_whitening=zca_whitening,
    )
    on = {name: _flag(value, name) for name, value in flags.items()}
    shape = tuple(image.shape)
    # Check every needed statistic before computing anything, so errors come first.
    mean, std, zca = (
        _needed(statistics, field, option, shape) if on[option] else None for option, field in _NEEDS.items()
    )

    x = _rescaled(image, rescale)
    pixels = (-3, -2, -1)
    if on["samplewise_center"]:
        x = x - jnp.mean(x, axis=pixels, keepdims=True)
    if on["samplewise_std_normalization"]:
        x = x / (jnp.std(x, axis=pixels, keepdims=True) + _STD_EPSILON)
    if mean is not None:
        x = x - mean
    if std is not None:
        x = x / (std + _STD_EPSILON)
    if zca is not None:
        flat = x.reshape(-1, zca.shape[0])
        x = jnp.matmul(flat, zca, precision=jax.lax.Precision.HIGHEST).reshape(shape)
    return x
