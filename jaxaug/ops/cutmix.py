"""CutMix (Yun et al., 2019): a partner's box pasted into each example, labels mixed by area."""

from jaxaug import mixing
from jaxaug.ops._core import Op

__all__ = ["OP"]

OP = Op(
    name="cutmix", title="cutmix", kind="batch", stage=270,
    units="a partner's box of area ~ Beta(α, α) per example; labels mixed by area",
    sample=mixing.sample_cutmix, twin=mixing.paste, random=mixing.cutmix,
    example=dict(alpha=1.0),
)
