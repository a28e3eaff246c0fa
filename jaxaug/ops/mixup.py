"""mixup (Zhang et al., 2018): each example blended with a partner, labels mixed alike."""

from jaxaug import mixing
from jaxaug.ops._core import Op

__all__ = ["OP"]

OP = Op(
    name="mixup", title="mixup", kind="batch", stage=260,
    units="Beta(α, α) weight per example with a partner; labels → soft labels",
    sample=mixing.sample_mixup, twin=mixing.mix, random=mixing.mixup,
    example=dict(alpha=0.4),
)
