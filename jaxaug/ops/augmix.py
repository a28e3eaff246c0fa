"""AugMix (Hendrycks et al., 2020): chains of policy operations mixed with the image, per image."""

from jaxaug import augmix, policies
from jaxaug.ops._core import Op

__all__ = ["OP"]

OP = Op(
    name="augmix", title="AugMix", kind="policy", stage=115,
    units="width chains of 1–3 policy operations (severity of 11), Dirichlet(α) / Beta(α, α) weights",
    sample=policies.sample_augmix, twin=augmix.mix_chains, random=augmix.random_augmix, piece=augmix.augmix,
    example=dict(severity=3),
)
