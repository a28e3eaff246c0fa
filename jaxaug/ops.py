"""The one table of operations: `augmenter`, `jaxaug.keras` and the docs derive from it.

Each operation is declared once, as an `Op`: its name (the pipeline piece and the key of
its parameters), kind, key slot, the `augmenter` options it owns (with defaults and
one-line docs), its piece factory and its sampler / twin / random functions. From the
table come `augmenter`'s signature, docstring, option checks and error naming, the key
slots, the pipeline order, `jaxaug.keras`' extra options, and the operations table of
the docs (`docs/operations.md`; a test checks it is `operations_table()`).

To add an operation: write `sample_<op>`, the twin and `random_<op>` in its module, its
piece in `jaxaug.pipeline`, and one row in `OPS` (a new, never reused slot).
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import inspect
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from jaxaug import (
    _checks,
    color,
    filters,
    geometry,
    mixing,
    noise,
    normalize,
    occlusion,
    pipeline,
    policies,
    transforms,
)
from jaxaug.runner import Augmenter

__all__ = ["OPS", "Op", "Option", "augmenter", "operations_table"]


@dataclasses.dataclass(frozen=True)
class Option:
    """One `augmenter` option.

    `arg` is the keyword of the piece factory it feeds. A `switch` turns its op on when it
    is not at its default's kind of "off"; other options only refine the op and are checked
    (with `check`) even while it is off. `keras` marks Keras ImageDataGenerator's own options.
    """

    name: str
    default: Any
    doc: str
    arg: str | None = None
    switch: bool = True
    keras: bool = False
    check: Callable[[Any, str], Any] | None = None


@dataclasses.dataclass(frozen=True)
class Op:
    """One operation.

    kind: "geometric" (a matrix, composed into the one warp), "pixel" (on the warped image),
      "policy" (both, drawn per image), "normalization" (last) or "batch" (mixes examples: not an
      `augmenter` piece).
    slot: the key slot of its `augmenter` option(s), fixed forever (switching an option on or
      off never changes what the others draw); None for ops without an option of their own.
    piece: the `jaxaug.pipeline` factory; functions: (sampler, twin, random op).
    drawn_by: for geometric pieces whose draw is part of the `affine` op, its option(s).
    """

    name: str
    title: str
    kind: str
    slot: int | None
    piece: Callable | None
    functions: tuple
    units: str
    options: tuple[Option, ...] = ()
    drawn_by: tuple[str, ...] = ()
    # It sets the output size, so it is no `jaxaug.keras` extra: Keras' generators keep the input's size.
    sized: bool = False


def _bool(value, name):
    _checks.check_bool(value, name)


def _fraction(value, name):
    _checks.bounded_float(value, name, 1.0)


_KERAS = dict(keras=True)

def _size_or_none(value, name):
    if value is not None:
        transforms.check_size(value, name)


OPS: tuple[Op, ...] = (
    # First in the pipeline: the other geometry acts on the crop, at the output size (as torchvision's
    # RandomResizedCrop followed by its other transforms).
    Op("random_resized_crop", "random resized crop", "geometric", 17, pipeline.random_resized_crop,
       (transforms.sample_resized_crop, transforms.resized_crop, transforms.random_resized_crop),
       "torchvision's box: area fraction in `scale`, width/height log-uniform in `ratio`; output `size`",
       options=(Option("random_resized_crop", None, "output (height, width), or an int for a square, of "
                       "torchvision's RandomResizedCrop drawn per image; the other geometry acts at that size. "
                       "Add `antialias=True` for PIL's and torchvision's antialiased downscale.", "size",
                       check=_size_or_none),
                Option("resized_crop_scale", (0.08, 1.0), "the crop's area as a fraction of the image's, (lo, hi).",
                       "scale", switch=False),
                Option("resized_crop_ratio", (3 / 4, 4 / 3), "the crop's width / height, (lo, hi), log-uniform.",
                       "ratio", switch=False)),
       sized=True),
    Op("resize", "resize", "geometric", None, pipeline.resize,
       (None, transforms.resize, None), "to a fixed (height, width); PIL's half-pixel rule", sized=True),
    Op("center_crop", "centre crop", "geometric", None, pipeline.center_crop,
       (None, transforms.center_crop, None), "torchvision's rule: round((H − h) / 2), padded where larger",
       sized=True),
    Op("affine", "IDG geometry", "geometric", 0, pipeline.affine,
       (geometry.sample_affine, geometry.affine_matrix, geometry.random_affine),
       "Keras' distributions; degrees, fractions of the size (< 1) or pixels",
       options=(
           Option("rotation_range", 0.0, "degrees; the angle is uniform in [-r, r].", **_KERAS),
           Option("width_shift_range", 0.0, "horizontal shift: a fraction of W when < 1, pixels when >= 1 "
                  "(Keras' int and list rules too).", **_KERAS),
           Option("height_shift_range", 0.0, "vertical shift, as `width_shift_range` with H.", **_KERAS),
           Option("shear_range", 0.0, "degrees (Keras' shear), uniform in [-r, r].", **_KERAS),
           Option("zoom_range", 0.0, "z: row and column factors uniform in [1 - z, 1 + z]; or (lo, hi).",
                  **_KERAS),
           Option("isotropic_zoom", False, "one zoom factor for both axes instead of two independent ones.",
                  switch=False, check=_bool),
           Option("horizontal_flip", False, "mirror left-right with probability 1/2.", **_KERAS),
           Option("vertical_flip", False, "mirror top-bottom with probability 1/2.", **_KERAS),
       )),
    Op("rotation", "rotation", "geometric", None, pipeline.rotation,
       (transforms.sample_rotation, transforms.rotation, transforms.random_rotation),
       "degrees, counter-clockwise, uniform in ±max", drawn_by=("rotation_range",)),
    Op("shift", "shift", "geometric", None, pipeline.shift,
       (transforms.sample_shift, transforms.shift, transforms.random_shift),
       "Keras' rules; content moves down/right for positive values",
       drawn_by=("width_shift_range", "height_shift_range")),
    Op("shear", "shear", "geometric", None, pipeline.shear,
       (transforms.sample_shear, transforms.shear, transforms.random_shear),
       "degrees, Keras' shear", drawn_by=("shear_range",)),
    Op("zoom", "zoom", "geometric", None, pipeline.zoom,
       (transforms.sample_zoom, transforms.zoom, transforms.random_zoom),
       "factors in [1 − z, 1 + z] or [lo, hi]; > 1 shrinks the content", drawn_by=("zoom_range", "isotropic_zoom")),
    Op("flip", "flip", "geometric", None, pipeline.flip,
       (transforms.sample_flip, transforms.flip, transforms.random_flip),
       "probability ½ each; exact", drawn_by=("horizontal_flip", "vertical_flip")),
    Op("crop", "pad-and-crop", "geometric", 1, pipeline.crop,
       (transforms.sample_crop, transforms.crop, transforms.random_crop),
       "whole pixels in ±padding, border by `fill_mode`",
       options=(Option("crop_padding", 0, "pixels of pad-and-crop translation, the border filled by `fill_mode` "
                       "(so \"nearest\" by default; `random_crop` alone defaults to \"constant\").", "padding"),)),
    Op("policy", "policy: RandAugment, TrivialAugmentWide, AutoAugment", "policy", 16, pipeline.policy,
       (policies.sample_rand_augment, policies.apply_ops, policies.random_rand_augment),
       "operations and magnitudes per image (torchvision's tables); geometry in the one warp",
       options=(Option("policy", None, "an augmentation policy drawn per image: \"rand_augment\", "
                       "\"trivial_augment\" or \"auto_augment_cifar10\" (_svhn, _imagenet); see `jaxaug.policies`. "
                       "Use `order=0, fill_mode=\"constant\"` for the papers' nearest / black fill.", "name"),
                Option("policy_num_ops", 2, "RandAugment's N, operations per image.", "num_ops", switch=False,
                       check=lambda v, name: _checks.check_int(v, name, 0, 64)),
                Option("policy_magnitude", 9, "RandAugment's M, a level of 31 (torchvision's scale).", "magnitude",
                       switch=False, check=lambda v, name: _checks.check_int(v, name, 0, 30)))),
    Op("channel_shift", "channel shift", "pixel", 2, pipeline.channel_shift,
       (color.sample_channel_shift, color.channel_shift, color.random_channel_shift),
       "Keras: one offset in pixel units, clipped to the image's own min/max",
       options=(Option("channel_shift_range", 0.0, "Keras' channel shift, in pixel units (0..255 for uint8).",
                       "intensity", **_KERAS),)),
    Op("brightness", "brightness", "pixel", 3, pipeline.brightness,
       (color.sample_brightness, color.brightness, color.random_brightness),
       "Keras' factor: lo + (x − lo)·f, clipped",
       options=(Option("brightness_range", None, "Keras' (lo, hi) multiplicative brightness factor.",
                       "brightness_range", **_KERAS),)),
    Op("contrast", "contrast", "pixel", 4, pipeline.contrast,
       (color.sample_contrast, color.contrast, color.random_contrast),
       "factor about each channel's mean",
       options=(Option("contrast_range", None, "(lo, hi) factor of each channel's distance to its mean.",
                       "contrast_range"),)),
    Op("saturation", "saturation", "pixel", 5, pipeline.saturation,
       (color.sample_saturation, color.saturation, color.random_saturation),
       "HSV S × factor",
       options=(Option("saturation_range", None, "(lo, hi) factor of the HSV saturation.", "saturation_range"),)),
    Op("hue", "hue", "pixel", 6, pipeline.hue,
       (color.sample_hue, color.hue, color.random_hue),
       "fraction of a turn, ≤ 0.5",
       options=(Option("hue_range", 0.0, "largest hue change, in fractions of a turn (<= 0.5).", "max_delta"),)),
    Op("hsv_contrast", "HSV contrast (the tutorial's)", "pixel", 7, pipeline.hsv_contrast,
       (color.sample_hsv_contrast, color.hsv_contrast, color.random_hsv_contrast),
       "S and V raised to exponents log-uniform in (0.25, 4); H kept",
       options=(Option("hsv_contrast_range", None, "(lo, hi) exponents for S and V, log-uniform (the tutorial "
                       "uses (0.25, 4)).", "exponent_range"),)),
    Op("grayscale", "grayscale", "pixel", 8, pipeline.grayscale,
       (color.sample_grayscale, color.grayscale, color.random_grayscale),
       "ITU-R 601 luma, 3 channels kept",
       options=(Option("grayscale_probability", 0.0, "probability of converting to grayscale.", "probability"),)),
    Op("invert", "invert", "pixel", 15, pipeline.invert,
       (color.sample_invert, color.invert, color.random_invert),
       "lo + hi − x (uint8: 255 − x, PIL's `ImageOps.invert`)",
       options=(Option("invert_probability", 0.0, "probability of inverting the image.", "probability"),)),
    Op("blur", "Gaussian blur (scale space)", "pixel", 9, pipeline.blur,
       (filters.sample_gaussian_blur, filters.gaussian_blur, filters.random_gaussian_blur),
       "sigma in pixels; 2·int(4σ + 0.5) + 1 taps, = `scipy.ndimage.gaussian_filter`",
       options=(Option("blur_sigma_range", 0.0, "Gaussian blur sigma in pixels, scalar (fixed) or (lo, hi).",
                       "sigma_range"),)),
    Op("gaussian_noise", "Gaussian noise", "pixel", 10, pipeline.gaussian_noise,
       (noise.sample_gaussian_noise, noise.gaussian_noise, noise.random_gaussian_noise),
       "sigma as a fraction of the value range",
       options=(Option("gaussian_noise", 0.0, "noise sigma as a fraction of the value range, scalar or (lo, hi).",
                       "sigma_range"),)),
    Op("salt_and_pepper", "salt and pepper", "pixel", 11, pipeline.salt_and_pepper,
       (noise.sample_salt_and_pepper, noise.salt_and_pepper, noise.random_salt_and_pepper),
       "fraction of pixels (all channels) set to white/black",
       options=(Option("salt_and_pepper", 0.0, "fraction of pixels replaced, scalar or (lo, hi).", "amount"),
                Option("salt_vs_pepper", 0.5, "the share of salt among them.", "salt_vs_pepper", switch=False,
                       check=_fraction))),
    Op("cutout", "cutout", "pixel", 12, pipeline.cutout,
       (occlusion.sample_cutout, occlusion.erase, occlusion.random_cutout),
       "square side in pixels (int) or fraction of the shorter side",
       options=(Option("cutout_size", 0, "side of the cutout square: pixels if an int, a fraction of the shorter "
                       "side if a float in (0, 1] (so 1 is one pixel, 1.0 the whole side).", "size"),
                Option("cutout_probability", 1.0, "how often cutout is applied.", "probability", switch=False,
                       check=_fraction))),
    Op("random_erasing", "random erasing", "pixel", 13, pipeline.random_erasing,
       (occlusion.sample_erasing, occlusion.erase, occlusion.random_erasing),
       "Zhong et al.: area 2–33 %, aspect 0.3–3.3",
       options=(Option("random_erasing_probability", 0.0, "probability of random erasing (Zhong et al., 2017).",
                       "probability"),)),
    Op("standardize", "normalisation", "normalization", 14, pipeline.standardize,
       (normalize.fit, normalize.standardize, None),
       "Keras' order and epsilons; output float32",
       options=(
           Option("rescale", None, "factor applied first (Keras'; None or 0 for none).", **_KERAS),
           Option("samplewise_center", False, "subtract each image's mean.", **_KERAS),
           Option("samplewise_std_normalization", False, "divide by each image's std.", **_KERAS),
           Option("featurewise_center", False, "subtract the dataset mean of `statistics`.", **_KERAS),
           Option("featurewise_std_normalization", False, "divide by the dataset std of `statistics`.", **_KERAS),
           Option("zca_whitening", False, "ZCA whitening with `statistics`' principal components.", **_KERAS),
           Option("statistics", None, "a `jaxaug.Statistics` from `jaxaug.fit`, for the featurewise options "
                  "and ZCA.", switch=False),
       )),
    Op("mixup", "mixup", "batch", None, None, (mixing.sample_mixup, mixing.mix, mixing.mixup),
       "Beta(α, α) weight per example with a partner; labels → soft labels"),
    Op("cutmix", "cutmix", "batch", None, None, (mixing.sample_cutmix, mixing.paste, mixing.cutmix),
       "a partner's box of area ~ Beta(α, α) per example; labels mixed by area"),
)

# Options of the run itself rather than of one op.
RUN_OPTIONS: tuple[Option, ...] = (
    Option("fill_mode", "nearest", "how the warp fills points outside the image: \"constant\", \"nearest\", "
           "\"reflect\", \"mirror\" or \"wrap\" (see `affine_warp`).", keras=True),
    Option("cval", 0.0, "the fill value of `fill_mode=\"constant\"`, in pixel units.", keras=True),
    Option("order", 1, "0 (nearest, Keras before December 2017) or 1 (bilinear, Keras' `interpolation_order` "
           "default)."),
    Option("mask_cval", 0.0, "the masks' fill value under `fill_mode=\"constant\"` (e.g. an ignore label)."),
    Option("value_range", None, "(lo, hi) of the pixel values; default (0, 255) for uint8, (0, 1) for floats. "
           "Float images in 0..255 (as Keras' `img_to_array` gives) need `value_range=(0, 255)`."),
    Option("dtype", None, "output dtype; default the images' (float32 when a normalisation option is on)."),
    Option("antialias", False, "filter downscales as PIL's and torchvision's antialiased bilinear resize "
           "(order 1, axis-aligned geometry only; see `jaxaug.Augmenter`)."),
)

BY_NAME = {op.name: op for op in OPS}
SLOTS = {op.name: op.slot for op in OPS if op.slot is not None}
# Pipeline order is the table's order; a slot only names the key stream, so a new op can go
# anywhere in the pipeline with a new slot, and no existing draw moves.
AUGMENTATIONS = tuple(op for op in OPS if op.slot is not None and op.kind != "normalization")
ORDER = {op.name: i for i, op in enumerate(OPS)}
OPTIONS = {o.name: o for op in OPS for o in op.options}
DEFAULTS = {name: o.default for name, o in {**OPTIONS, **{o.name: o for o in RUN_OPTIONS}}.items()}
# The augmenter options Keras' ImageDataGenerator lacks: jaxaug.keras takes them as extras.
EXTRAS = tuple(o.name for op in AUGMENTATIONS for o in op.options if not o.keras and not op.sized)


def _label(op: Op) -> str:
    """How errors name an op's options: "a, b or c"."""
    names = [o.name for o in op.options]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def is_off(name: str, value) -> bool:
    """Whether option `name` is off: at its default's kind of "off" (False, None or a numeric 0).

    Only that kind counts: `horizontal_flip=0` or `rotation_range=None` is a mistake, which
    the option's own check then names, not a silent "off".
    """
    if _checks.is_traced(value):
        raise TypeError(f"augmenter option {name} must be a static Python value, not a traced one. "
                        f"Received: {name}={_checks.short_repr(value)}")
    default = DEFAULTS[name]
    if isinstance(default, bool):
        with naming(name):
            _checks.check_bool(value, name)
        return not value
    if value is None:
        return default is None
    if isinstance(value, (bool, np.bool_, str, bytes)) or np.ndim(value) != 0:
        return False
    if default is None and name != "rescale":  # a (lo, hi) option is off only at None; rescale=0 is Keras' "none"
        return False
    return value == 0


@contextlib.contextmanager
def naming(option: str):
    """Re-raises a piece's error with the `augmenter` option(s) the user actually passed."""
    try:
        yield
    except (ValueError, TypeError) as err:
        names = [name.strip() for name in option.replace(" or ", ", ").split(",")]
        # A message that already starts with the option's name needs no list of the others.
        prefix = "augmenter" if any(str(err).startswith(name) for name in names) else f"augmenter option {option}"
        raise type(err)(f"{prefix}: {err}") from err


def pieces(options: dict) -> dict[str, pipeline.Augmentation]:
    """The pieces of the augmentation options that are on, by op name, in pipeline order.

    `options` maps option names to values; missing ones take their default. Shared with
    `jaxaug.keras`, whose parameter dicts are keyed by these names.
    """
    values = {name: options.get(name, o.default) for name, o in OPTIONS.items()}
    for name, o in OPTIONS.items():
        if o.check is not None:  # refining options are checked even while their op is off
            with naming(name):
                o.check(values[name], name)
    out = {}
    for op in AUGMENTATIONS:
        # A list, not a generator: every switch is checked, not only those up to the first "on".
        if all([is_off(o.name, values[o.name]) for o in op.options if o.switch]):
            continue
        with naming(_label(op)):
            out[op.name] = op.piece(**{o.arg or o.name: values[o.name] for o in op.options})
    return out


def keras_normalisation(**flags):
    """The normalisation flags as Keras' ImageDataGenerator resolves them (with its warnings)."""
    rules = [
        ("zca_whitening", "featurewise_center", True, "zca_whitening needs featurewise_center: turning it on"),
        ("zca_whitening", "featurewise_std_normalization", False,
         "zca_whitening overrides featurewise_std_normalization: turning it off"),
        ("featurewise_std_normalization", "featurewise_center", True,
         "featurewise_std_normalization needs featurewise_center: turning it on"),
        ("samplewise_std_normalization", "samplewise_center", True,
         "samplewise_std_normalization needs samplewise_center: turning it on"),
    ]
    for name, value in flags.items():
        if name != "rescale":
            is_off(name, value)  # checks the flag is a bool
    for cause, flag, value, message in rules:
        if flags[cause] and flags[flag] != value:
            warnings.warn(f"augmenter: {message}, as Keras' ImageDataGenerator does.", stacklevel=3)
            flags[flag] = value
    return flags


def augmenter(**options) -> Augmenter:
    """An `Augmenter` configured with Keras ImageDataGenerator's option names.

    `jax.jit(augmenter(...))(key, images)` gives every image its own draw. The pipeline
    is: one warp for all geometry (a random resized crop if asked, then Keras' rotation @
    shift @ shear @ zoom, then flips, then `crop_padding`), then channel shift, brightness,
    contrast, saturation, hue, HSV contrast, grayscale, blur, Gaussian noise, salt and pepper, cutout, random erasing,
    and last the normalisation, in Keras' order. Options left at their default are off.
    Each option draws from its own slot of the example's key. The options, with their
    defaults, are those of `jaxaug.ops.OPS` (keyword-only):

    Args:
{args}

    Returns:
      An `Augmenter`: call it as `augment(key, images, *, indices=None, masks=None,
      keypoints=None, boxes=None)`.

    Example:
      >>> augment = jaxaug.augmenter(rotation_range=20, width_shift_range=0.2,
      ...                            height_shift_range=0.2, zoom_range=0.2)
      >>> out = jax.jit(augment)(jax.random.key(0), images)
    """
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, list(DEFAULTS), n=1)
        hint = " Use order=0 or order=1." if name == "interpolation_order" else (
            f" Did you mean {close[0]!r}?" if close else "")
        raise ValueError(f"augmenter got an unknown option {name!r}.{hint} Received: {name}={options[name]!r}")
    values = {**DEFAULTS, **options}
    built = pieces(values)
    norm = keras_normalisation(**{o.name: values[o.name] for o in BY_NAME["standardize"].options if o.switch})
    statistics, dtype = values["statistics"], values["dtype"]
    if statistics is not None and not isinstance(statistics, normalize.Statistics):
        raise TypeError(f"augmenter option statistics must be a jaxaug.Statistics (from jaxaug.fit) or None. "
                        f"Received: statistics={_checks.short_repr(statistics)}")
    if not all([is_off(name, v) for name, v in norm.items()]):
        with naming("statistics (from jaxaug.fit) or the normalisation options"):
            built["standardize"] = pipeline.standardize(statistics, **norm)
        dtype = np.float32 if dtype is None else dtype
    piece = pipeline.combine(tuple(built.values()), tuple(SLOTS[k] for k in built), names=tuple(built))
    return Augmenter(piece, order=values["order"], fill_mode=values["fill_mode"], cval=values["cval"],
                     mask_cval=values["mask_cval"], value_range=values["value_range"], dtype=dtype,
                     antialias=values["antialias"])


def _args_doc() -> str:
    lines = []
    for o in (*OPTIONS.values(), *RUN_OPTIONS):
        lines.append(f"      {o.name}: {o.doc}")
    return "\n".join(lines)


augmenter.__doc__ = augmenter.__doc__.replace("{args}", _args_doc())
augmenter.__signature__ = inspect.Signature(
    [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default) for name, default in DEFAULTS.items()],
    return_annotation=Augmenter)


def _code(fn) -> str:
    return "—" if fn is None else f"`{fn.__name__}`"


def operations_table() -> str:
    """The docs' table of operations, as Markdown, generated from `OPS`."""
    rows = ["| op | sampler / twin / random op | piece `pipeline.` | `augmenter` options | parameters and units |",
            "|---|---|---|---|---|"]
    for op in OPS:
        functions = " / ".join(_code(fn) for fn in op.functions)
        piece = "— (batch op)" if op.piece is None else f"`{op.piece.__name__}`"
        if op.options:
            options = ", ".join(f"`{o.name}`" for o in op.options)
        elif op.drawn_by:
            options = "in `affine`: " + ", ".join(f"`{name}`" for name in op.drawn_by)
        else:
            options = "—"
        rows.append(f"| {op.title} | {functions} | {piece} | {options} | {op.units} |")
    return "\n".join(rows) + "\n"
