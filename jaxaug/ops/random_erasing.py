"""Random erasing (Zhong et al., 2017); see `jaxaug.occlusion.random_erasing`."""

from jaxaug import occlusion
from jaxaug.ops._core import Op, Option

__all__ = ["OP"]

OP = Op(
    name="random_erasing", title="random erasing", kind="pixel", stage=240, fuses_with_warp=True, slot=13,
    units="Zhong et al.: area 2–33 %, aspect 0.3–3.3",
    doc="Random erasing (Zhong et al., 2017); see `jaxaug.occlusion.random_erasing`.",
    sample=occlusion.sample_erasing, twin=occlusion.erase, random=occlusion.random_erasing,
    twin_options=('value',),
    options=(Option("random_erasing_probability", 0.0, "probability of random erasing (Zhong et al., 2017).",
                    "probability"),),
    example=dict(probability=1.0),
)
