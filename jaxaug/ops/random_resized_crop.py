"""torchvision's RandomResizedCrop: a random box resized to a fixed output size, per image."""

import functools

from jaxaug import _pieces, transforms
from jaxaug.ops._core import Op, Option, unless_none

__all__ = ["OP", "random_resized_crop"]


def random_resized_crop(size, *, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)):
    """torchvision's `RandomResizedCrop(size, scale, ratio)`: a random box resized to `size`, per image.

    The box is drawn by `jaxaug.transforms.sample_resized_crop` (area fraction in `scale`,
    width / height in `ratio`, 10 tries then a centred fallback). The output has `size`
    ((height, width), or an int for a square); pieces after this one act at that size. Run it
    with `Augmenter(..., antialias=True)` for torchvision v2's and PIL's antialiased resize.

    Example:
      >>> augment = jaxaug.Augmenter(jaxaug.chain(jaxaug.pipeline.random_resized_crop(224),
      ...                                         jaxaug.pipeline.flip()), antialias=True)
      >>> augment(jax.random.key(0), images).shape    # the flip acts at 224 x 224
      (4, 224, 224, 3)
    """
    out = transforms.check_size(size, "size")
    return _pieces.geometric(functools.partial(transforms.sample_resized_crop, scale=scale, ratio=ratio),
                             lambda shape, **p: transforms.resized_crop_matrix(shape, out, **p),
                             axis_aligned=True, output_size=out)


# First in the pipeline: the other geometry acts on the crop, at the output size (as torchvision's
# RandomResizedCrop followed by its other transforms).
OP = Op(
    name="random_resized_crop", title="random resized crop", kind="geometric", stage=10, slot=17,
    units="torchvision's box: area fraction in `scale`, width/height log-uniform in `ratio`; output `size`",
    sample=transforms.sample_resized_crop, twin=transforms.resized_crop, random=transforms.random_resized_crop,
    piece=random_resized_crop, axis_aligned=True, sized=True,
    options=(Option("random_resized_crop", None, "output (height, width), or an int for a square, of "
                    "torchvision's RandomResizedCrop drawn per image; the other geometry acts at that size. "
                    "Add `antialias=True` for PIL's and torchvision's antialiased downscale.", "size",
                    check=unless_none(transforms.check_size)),
             Option("resized_crop_scale", (0.08, 1.0), "the crop's area as a fraction of the image's, (lo, hi).",
                    "scale", switch=False, check=transforms.check_resized_crop_scale),
             Option("resized_crop_ratio", (3 / 4, 4 / 3), "the crop's width / height, (lo, hi), log-uniform.",
                    "ratio", switch=False, check=transforms.check_resized_crop_ratio)),
    example=dict(size=64, scale=(0.2, 1.0)),
)
