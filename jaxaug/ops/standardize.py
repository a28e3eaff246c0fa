"""Keras ImageDataGenerator's normalisation, last in the pipeline."""

from jaxaug import _pieces, normalize
from jaxaug.ops._core import Op, Option

__all__ = ["OP", "standardize"]


def standardize(*, statistics=None, **options):
    """Keras ImageDataGenerator's normalisation as a last piece; see `jaxaug.standardize`.

    It ignores the value range (the result is no longer in it), so put it last, and run it in an
    `Augmenter` with a floating `dtype` (`augmenter` does so itself): the default keeps the
    images' dtype, uint8 here.

    Example:
      >>> piece = jaxaug.pipeline.standardize(samplewise_center=True, samplewise_std_normalization=True)
      >>> out = jaxaug.Augmenter(piece, dtype=jnp.float32)(jax.random.key(0), images)
      >>> means, stds = out.mean(axis=(1, 2, 3)), out.std(axis=(1, 2, 3))   # per image
      >>> out.dtype, bool(jnp.allclose(means, 0.0, atol=1e-5)), bool(jnp.allclose(stds, 1.0, atol=1e-4))
      (dtype('float32'), True, True)
    """
    def apply(params, image, value_range):
        return normalize.standardize(image, statistics=statistics, **options)

    return _pieces.checked(_pieces.Augmentation(sample=lambda key, shape: (), apply=apply))


OP = Op(
    name="standardize", title="normalisation", kind="normalization", stage=250, slot=14,
    units="Keras' order and epsilons; output float32",
    sample=normalize.fit, twin=normalize.standardize, piece=standardize,
    options=(
        Option("rescale", None, "factor applied first (Keras'; None or 0 for none).", keras=True),
        Option("samplewise_center", False, "subtract each image's mean.", keras=True),
        Option("samplewise_std_normalization", False, "divide by each image's std.", keras=True),
        Option("featurewise_center", False, "subtract the dataset mean of `statistics`.", keras=True),
        Option("featurewise_std_normalization", False, "divide by the dataset std of `statistics`.", keras=True),
        Option("zca_whitening", False, "ZCA whitening with `statistics`' principal components.", keras=True),
        Option("statistics", None, "a `jaxaug.Statistics` from `jaxaug.fit`, for the featurewise options "
               "and ZCA.", switch=False),
    ),
    example=dict(samplewise_center=True, samplewise_std_normalization=True),
)
