"""jaxaug: image augmentation as pure, jit/vmap-compiled functions of explicit PRNG keys.

Geometry is data (3x3 pull matrices, see `jaxaug.geometry`; affine, or projective for a
perspective), composed by matrix product and applied by one resampling pass (`affine_warp`).
`augmenter(...)` builds a per-example batch augmenter with Keras ImageDataGenerator's option
names; `jaxaug.pipeline` chains pieces into your own.

The top level holds what most programs need. Every operation is in its module, as
`sample_<op>` (parameters as data), a deterministic twin and `random_<op>`:
`jaxaug.transforms` (rotate, translate, shear, zoom, flip, crop), `jaxaug.color`,
`jaxaug.noise`, `jaxaug.filters`, `jaxaug.occlusion`, `jaxaug.mixing`; `jaxaug.ops`
lists them all (`docs/operations.md`).
"""

# The op modules, so that `import jaxaug` is enough to reach `jaxaug.color.random_hue` and the rest.
from jaxaug import (  # noqa: F401
    augmix,
    color,
    enhance,
    filters,
    geometry,
    hsv,
    mixing,
    noise,
    normalize,
    occlusion,
    ops,
    pipeline,
    policies,
    sharding,
    tone,
    transforms,
)
from jaxaug.geometry import (
    affine_matrix,
    centered,
    compose,
    flip_matrix,
    identity_matrix,
    projective_matrix,
    random_affine_matrix,
    rotation_matrix,
    sample_affine,
    shear_matrix,
    shift_matrix,
    zoom_matrix,
)
from jaxaug.mixing import cutmix, mixup
from jaxaug.normalize import Statistics, fit, standardize
from jaxaug.ops import augmenter
from jaxaug.pipeline import Augmentation, chain
from jaxaug.runner import Augmented, Augmenter
from jaxaug.sample import example_image
from jaxaug.sharding import batch_sharding, process_slice, replicated, shard_batch
from jaxaug.warp import FILL_MODES, affine_warp, warp_boxes, warp_keypoints

__version__ = "0.1.0"

# Modules (color, filters, ...) are reached as attributes and are not listed here.
__all__ = [
    # the one resampler, and what moves with the pixels
    "FILL_MODES",
    "affine_warp",
    "warp_boxes",
    "warp_keypoints",
    # matrices: builders, composition, IDG's random transform
    "affine_matrix",
    "centered",
    "compose",
    "flip_matrix",
    "identity_matrix",
    "projective_matrix",
    "random_affine_matrix",
    "rotation_matrix",
    "sample_affine",
    "shear_matrix",
    "shift_matrix",
    "zoom_matrix",
    # pipelines
    "Augmentation",
    "Augmented",
    "Augmenter",
    "augmenter",
    "chain",
    "pipeline",
    # batch mixing, normalisation, sharding
    "Statistics",
    "cutmix",
    "fit",
    "mixup",
    "standardize",
    "batch_sharding",
    "process_slice",
    "replicated",
    "shard_batch",
    # a built-in picture
    "example_image",
]
