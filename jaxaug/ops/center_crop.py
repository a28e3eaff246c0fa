"""torchvision's CenterCrop: the central window, padded by the fill mode where larger."""

from jaxaug import _pieces, transforms
from jaxaug.ops._core import Op

__all__ = ["OP", "center_crop"]


def center_crop(size):
    """torchvision's `CenterCrop(size)`: the central window of `size`, padded by the fill mode where larger.

    Example:
      >>> augment = jaxaug.Augmenter(jaxaug.chain(jaxaug.pipeline.resize(256), jaxaug.pipeline.center_crop(224)))
      >>> augment(jax.random.key(0), images).shape
      (4, 224, 224, 3)
    """
    out = transforms.check_size(size, "size")
    return _pieces.geometric(lambda key, shape: {}, lambda shape: transforms.center_crop_matrix(shape, out),
                             axis_aligned=True, output_size=out)


OP = Op(
    name="center_crop", title="centre crop", kind="geometric", stage=30,
    units="torchvision's rule: round((H − h) / 2), padded where larger",
    twin=transforms.center_crop, piece=center_crop, axis_aligned=True, sized=True,
    example=dict(size=(40, 56)),
)
