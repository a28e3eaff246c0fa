"""Resize to a fixed size, PIL's half-pixel rule."""

from jaxaug import _pieces, transforms
from jaxaug.ops._core import Op

__all__ = ["OP", "resize"]


def resize(size):
    """Resizes the whole image to `size` ((height, width), or an int for a square), per image of any size.

    Unlike torchvision's `Resize(int)`, an int is a square, not the shorter edge.

    Example:
      >>> augment = jaxaug.Augmenter(jaxaug.chain(jaxaug.pipeline.resize((64, 64)), jaxaug.pipeline.rotation(10)))
      >>> augment(jax.random.key(0), images).shape
      (4, 64, 64, 3)
    """
    out = transforms.check_size(size, "size")
    return _pieces.geometric(lambda key, shape: {}, lambda shape: transforms.resize_matrix(shape, out),
                             axis_aligned=True, output_size=out)


OP = Op(
    name="resize", title="resize", kind="geometric", stage=20,
    units="to a fixed (height, width); PIL's half-pixel rule",
    twin=transforms.resize, piece=resize, axis_aligned=True, sized=True,
    example=dict(size=(64, 32)),
)
