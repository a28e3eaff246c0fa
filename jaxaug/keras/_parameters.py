"""Keras' transform-parameter dicts <-> the parameters of jaxaug's pieces.

`get_random_transform` and `apply_transform` speak Keras' dict: theta (degrees), tx, ty
(pixels, Keras' sign: the content moves by -tx, -ty), shear (degrees), zx, zy (zoom
factors), flip_horizontal, flip_vertical, channel_shift_intensity, brightness, plus one entry
per jaxaug extra op, keyed by its piece name and holding what its sampler draws. The
generator's pieces speak jaxaug's parameters (`sample_affine`'s dict, ...). This module
translates, and checks a dict before anything runs on it.
"""

from __future__ import annotations

import functools

import jax
import numpy as np

from jaxaug import _checks, ops, pipeline
from jaxaug.keras._arguments import real_array

GEOMETRY_KEYS = ("theta", "tx", "ty", "shear", "zx", "zy", "flip_horizontal", "flip_vertical")
# The pieces that Keras' own keys drive; a dict may switch them on even where the generator does
# not draw them (explicit theta with rotation_range=0). Their samplers are then never used, only
# their matrix / apply, so any valid options do.
KERAS_PIECES = {"affine": pipeline.affine, "channel_shift": lambda: pipeline.channel_shift(0.0),
                "brightness": lambda: pipeline.brightness((1.0, 1.0))}
_PIPELINE_ORDER = {op.name: i for i, op in enumerate(ops.OPS)}
_SHORT = _checks.short_repr


def to_keras(params: dict) -> dict:
    """jaxaug piece parameters (numpy) -> Keras' transform dict (+ extras under their piece names)."""
    out = dict.fromkeys(GEOMETRY_KEYS, 0.0)
    out.update(zx=1.0, zy=1.0, flip_horizontal=False, flip_vertical=False)
    affine = params.get("affine")
    if affine is not None:
        (dy, dx), (zy, zx) = affine["shift"], affine["zoom"]
        out.update(theta=float(affine["rotation"]), tx=-float(dx), ty=-float(dy), shear=float(affine["shear"]),
                   zx=float(zx), zy=float(zy), flip_horizontal=bool(affine["horizontal_flip"]),
                   flip_vertical=bool(affine["vertical_flip"]))
    shift = params.get("channel_shift")
    out["channel_shift_intensity"] = None if shift is None else float(shift["shift"])
    bright = params.get("brightness")
    out["brightness"] = None if bright is None else float(bright["factor"])
    for name, value in params.items():
        if name not in KERAS_PIECES:
            out[name] = value
    return out


def from_keras(transform: dict, pieces: dict):
    """Keras' transform dict -> (piece parameters, piece names in pipeline order).

    `pieces` are the generator's, by name: their names are the extra keys it accepts. The
    values are checked first, by the rules `ImageDataGenerator.apply_transform` states.
    """
    if not isinstance(transform, dict):
        raise TypeError(f"transform_parameters must be a dict (see get_random_transform). "
                        f"Received: transform_parameters={_SHORT(transform)}")
    keras_keys = set(GEOMETRY_KEYS) | {"channel_shift_intensity", "brightness"}
    unknown = sorted(set(transform) - keras_keys - set(pieces))
    if unknown:
        raise ValueError(f"transform_parameters has an unknown key {unknown[0]!r}. Keys: {', '.join(GEOMETRY_KEYS)}"
                         f", channel_shift_intensity, brightness and this generator's extras "
                         f"({', '.join(n for n in pieces if n not in KERAS_PIECES)}). "
                         f"Received: {unknown[0]}={transform[unknown[0]]!r}")

    def number(key, default):
        # Strings, bools, None, complex and values that overflow float32 are refused, not converted.
        value = transform.get(key, default)
        return np.float32(_checks.static_float(value, f"transform_parameters[{key!r}]"))

    def refuse(key, rule):
        name = f"transform_parameters[{key!r}]"
        raise ValueError(f"{name} must be {rule}. Received: {name}={_SHORT(transform[key])}")

    def zoom(key):
        # 0 collapses the image onto its centre, a negative factor mirrors it (the flips have their
        # own keys), and past 2**24 the warp's coordinates leave float32 (3e38 gave NaN images).
        out = number(key, 1.0)
        if not 0 < out <= _checks.MAX_PIXELS:
            refuse(key, f"a zoom factor in (0, {_checks.MAX_PIXELS}] (in float32)")
        return out

    def flag(key):
        value = transform.get(key, False)
        if not isinstance(value, (bool, np.bool_)) and not (isinstance(value, (int, np.integer)) and value in (0, 1)):
            raise TypeError(f"transform_parameters[{key!r}] must be a bool (or 0 or 1, as in Keras' own dicts). "
                            f"Received: transform_parameters[{key!r}]={_SHORT(value)}")
        return np.bool_(value)

    params = {"affine": {
        "rotation": number("theta", 0.0),
        "shift": np.asarray([-number("ty", 0.0), -number("tx", 0.0)], np.float32),
        "shear": number("shear", 0.0),
        "zoom": np.asarray([zoom("zy"), zoom("zx")], np.float32),
        "horizontal_flip": flag("flip_horizontal"),
        "vertical_flip": flag("flip_vertical"),
    }}
    if transform.get("channel_shift_intensity") is not None:
        params["channel_shift"] = {"shift": number("channel_shift_intensity", None)}
    if transform.get("brightness") is not None:
        params["brightness"] = {"factor": number("brightness", None)}
        if params["brightness"]["factor"] < 0:
            refuse("brightness", "a brightness factor >= 0 (0 gives the bottom of value_range)")
    params.update({k: v for k, v in transform.items() if k in pieces and k not in params})
    names = tuple(sorted(params, key=_PIPELINE_ORDER.__getitem__))
    return {k: params[k] for k in names}, names


def check_extras(params: dict, augmentation, shape) -> None:
    """Each extra op's entry must have the structure, shapes and kinds its sampler draws for `shape`."""
    extras = [name for name in params if name not in KERAS_PIECES]
    if not extras:
        return
    expected = jax.eval_shape(functools.partial(augmentation.sample, shape=shape), jax.random.key(0))
    for name in extras:
        want, got = expected[name], params[name]
        try:
            ok = jax.tree.structure(got) == jax.tree.structure(want)
            leaves = [real_array(v, f"transform_parameters[{name!r}]") for v in jax.tree.leaves(got)]
        except TypeError:
            ok = False
        ok = ok and all(np.shape(a) == w.shape and (a.dtype.kind == "b") == (w.dtype == np.bool_)
                        for a, w in zip(leaves, jax.tree.leaves(want), strict=True))
        if not ok:
            raise ValueError(f"transform_parameters[{name!r}] must be what get_random_transform gives for this "
                             f"image: {_layout(want)}. Received: transform_parameters[{name!r}]={_layout(got)}")
        for a in leaves:
            with np.errstate(over="ignore", invalid="ignore"):
                finite = a.dtype.kind in "biu" or bool(np.all(np.isfinite(a.astype(np.float32))))
            if not finite:
                raise ValueError(f"transform_parameters[{name!r}] must be finite (in float32). "
                                 f"Received: transform_parameters[{name!r}]={_layout(got)} holding NaN or inf")


def _layout(tree) -> str:
    """A parameter tree in one line: arrays as dtype[shape], other leaves as their short repr."""
    def leaf(v):
        return f"{v.dtype}{list(v.shape)}" if hasattr(v, "shape") and hasattr(v, "dtype") else _SHORT(v)
    try:
        return str(jax.tree.map(leaf, tree)).replace("'", "")
    except (TypeError, ValueError):  # an odd object jax cannot walk: its repr, cut short
        return _SHORT(tree)
