"""The operations, one declaration per file, and what derives from them: `augmenter`, its options, the docs' table.

Each file `jaxaug/ops/<name>.py` declares one operation as `OP = jaxaug.ops.Op(...)`: its name,
kind, place in the pipeline (`stage`), key slot, `augmenter` options (name, default, one-line
doc, check), sampler, twin, random op and an example. This package finds the files itself;
from the declarations come the pipeline pieces (`jaxaug.pipeline.<name>`), `augmenter`'s
signature, docstring, option checks and error naming, the key slots and the pipeline order,
`jaxaug.keras`' extra options, the docs' table of operations and gallery, and the tests' cases.

To add an operation: write `jaxaug/ops/<name>.py` (its functions may live there too) with a
new, never reused slot, and its tests.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import inspect
import pkgutil
import warnings

import numpy as np

from jaxaug import _checks, normalize
from jaxaug._pieces import combine
from jaxaug.ops._core import KINDS, Op, Option
from jaxaug.runner import Augmenter

__all__ = [
    "AUGMENTATIONS",
    "BY_NAME",
    "DEFAULTS",
    "EXTRAS",
    "KINDS",
    "OPS",
    "OPTIONS",
    "Op",
    "Option",
    "RUN_OPTIONS",
    "SLOTS",
    "augmenter",
    "is_off",
    "keras_normalisation",
    "naming",
    "operations_table",
    "pieces",
]


def _declarations() -> tuple[Op, ...]:
    """Every `OP` of this package's modules, in pipeline order; slots and stages checked unique."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        op = importlib.import_module(f"{__name__}.{info.name}").OP
        if op.name != info.name:
            raise ValueError(f"jaxaug/ops/{info.name}.py must declare the op {info.name!r}. Received: {op.name!r}")
        found.append(op)
    for field in ("slot", "stage"):
        values = [getattr(op, field) for op in found if getattr(op, field) is not None]
        twice = sorted({v for v in values if values.count(v) > 1})
        if twice:
            raise ValueError(f"two ops declare the same {field}: {twice}")
    return tuple(sorted(found, key=lambda op: op.stage))


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

OPS: tuple[Op, ...] = _declarations()
BY_NAME = {op.name: op for op in OPS}
SLOTS = {op.name: op.slot for op in OPS if op.slot is not None}
# Pipeline order is the stages' order; a slot only names the key stream, so a new op can go
# anywhere in the pipeline with a new slot, and no existing draw moves.
AUGMENTATIONS = tuple(op for op in OPS if op.slot is not None and op.kind != "normalization")
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


def pieces(options: dict) -> dict:
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

    `jax.jit(augmenter(...))(key, images)` gives every image its own draw. All geometry is
    one matrix per image and one resample; the pipeline's order is {order}.
    Options left at their default are off. Each op draws from its own slot of the example's
    key. The options, with their defaults, are those of `jaxaug.ops.OPS` (keyword-only):

    Args:
{args}

    Returns:
      An `Augmenter`: call it as `augment(key, images, *, indices=None, masks=None,
      keypoints=None, boxes=None)`.

    Example:
      >>> augment = jaxaug.augmenter(rotation_range=20, width_shift_range=0.2,
      ...                            height_shift_range=0.2, zoom_range=0.2)
      >>> out = jax.jit(augment)(jax.random.key(0), images)
      >>> out.shape, out.dtype
      ((4, 32, 32, 3), dtype('uint8'))
      >>> tuple(augment.sample(jax.random.key(0), images))   # the draws, keyed by op name
      ('affine',)
      >>> jaxaug.augmenter(samplewise_center=True)(jax.random.key(0), images).dtype   # normalised: float32
      dtype('float32')
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
            built["standardize"] = BY_NAME["standardize"].piece(statistics=statistics, **norm)
        dtype = np.float32 if dtype is None else dtype
    piece = combine(tuple(built.values()), tuple(SLOTS[k] for k in built), names=tuple(built))
    return Augmenter(piece, order=values["order"], fill_mode=values["fill_mode"], cval=values["cval"],
                     mask_cval=values["mask_cval"], value_range=values["value_range"], dtype=dtype,
                     antialias=values["antialias"])


def _args_doc() -> str:
    lines = []
    for o in (*OPTIONS.values(), *RUN_OPTIONS):
        lines.append(f"      {o.name}: {o.doc}")
    return "\n".join(lines)


def _order_doc() -> str:
    titles = [op.title.split(":")[0] if op.options else op.title for op in AUGMENTATIONS]
    titles.append(BY_NAME["standardize"].title)
    # Keras' rotation @ shift @ shear @ zoom, then flips, all inside `affine`.
    return ", ".join(titles).replace("IDG geometry", "Keras' rotation @ shift @ shear @ zoom @ flips")


augmenter.__doc__ = augmenter.__doc__.replace("{args}", _args_doc()).replace("{order}", _order_doc())
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
