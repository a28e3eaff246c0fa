"""Augmentation policies drawn per image: RandAugment, TrivialAugmentWide, AutoAugment, AugMix's draw.

A policy draws, for each image, a short list of operations and their magnitudes. Here the
draw is data: `{"ops": (S,) int32, "magnitudes": (S,) float32}`, one entry per slot, with
`OPS` naming the operation of each index and the magnitude being the signed value
torchvision's `_apply_op` receives (degrees, shear factor, pixels, enhance factor - 1,
bits, threshold). So inside one compiled call every image of a batch gets its own
operations and magnitudes, and an example's draw depends only on its key.

How a draw is applied (`apply_ops`):

* Geometric operations (shear_x/y, shift_x/y, rotation) become 3x3 pull matrices
  (`ops_matrix`), composed in slot order into the one matrix of the image; a slot holding a
  pixel operation contributes the identity. Their conventions are PIL's, as the papers'
  code: shears about the top-left corner (`(1, m, 0, 0, 1, 0)` on PIL's pixel-edge
  coordinates), translations by whole pixels (`int(m)`, content moves right / down for
  m > 0), rotations counter-clockwise about the centre.
* Pixel operations run after the warp, in slot order, on 8-bit levels with PIL's
  arithmetic (`jaxaug.tone`, `jaxaug.enhance`): the warped image is rounded to the levels
  0..255 of its value range, as PIL stores every intermediate image in uint8.

The one difference from the reference code: all geometry of a draw happens first (one
resampling), then the pixel operations. Pointwise operations commute with a
nearest-neighbour warp, except on the fill; image statistics (autocontrast, equalize,
contrast's mean) then include the fill of an earlier geometric slot.

Magnitude tables are torchvision's `_augmentation_space` (`magnitudes`): "standard"
(AutoAugment, RandAugment), "wide" (TrivialAugmentWide) and "augmix".

Example:
  >>> augment = jaxaug.Augmenter(jaxaug.pipeline.trivial_augment(), order=0, fill_mode="constant")
  >>> jax.jit(augment)(jax.random.key(0), images_uint8).shape   # one op per image
  (4, 32, 32, 3)
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxaug import _checks, _fusion, _images, enhance, geometry, tone, transforms, warp
from jaxaug._autoaugment import AUTO_AUGMENT_POLICIES

__all__ = [
    "Space", "AUTO_AUGMENT_POLICIES", "OPS", "SPACES", "apply_ops", "check_augmix_options", "check_policy",
    "magnitudes", "ops_matrix", "ops_pixels", "ops_pixels_batch", "random_auto_augment", "random_rand_augment",
    "random_trivial_augment", "sample_augmix", "sample_auto_augment", "sample_rand_augment", "sample_trivial_augment",
]

OPS = ("identity", "shear_x", "shear_y", "shift_x", "shift_y", "rotation", "brightness", "color",
       "contrast", "sharpness", "posterize", "solarize", "autocontrast", "equalize", "invert")
_INDEX = {name: i for i, name in enumerate(OPS)}
_SIGNED = frozenset({"shear_x", "shear_y", "shift_x", "shift_y", "rotation", "brightness", "color",
                     "contrast", "sharpness"})
_ENHANCE = ("brightness", "color", "contrast", "sharpness")

# The operation lists of the reference implementations (torchvision), in their order.
RAND_AUGMENT_OPS = ("identity", "shear_x", "shear_y", "shift_x", "shift_y", "rotation", "brightness",
                    "color", "contrast", "sharpness", "posterize", "solarize", "autocontrast", "equalize")
AUGMIX_OPS = ("shear_x", "shear_y", "shift_x", "shift_y", "rotation", "posterize", "solarize",
              "autocontrast", "equalize")


class Space(NamedTuple):
    """A magnitude space: the value of each operation at the top level (level 0 is 0 or "none").

    `shift` is a fraction of the image side when `shift_in_pixels` is False;
    posterize keeps `posterize[0]` bits at level 0 and `posterize[0] - posterize[1]` at the top.
    """

    shear: float
    shift: float
    shift_in_pixels: bool
    rotation: float
    enhance: float
    posterize: tuple[int, int]


SPACES = {
    "standard": Space(0.3, 150.0 / 331.0, False, 30.0, 0.9, (8, 4)),  # AutoAugment, RandAugment
    "wide": Space(0.99, 32.0, True, 135.0, 0.99, (8, 6)),  # TrivialAugmentWide
    "augmix": Space(0.3, 1.0 / 3.0, False, 30.0, 0.9, (4, 4)),
}


def magnitudes(space: str, bins: int, shape) -> np.ndarray:
    """The (len(OPS), bins) float32 table of unsigned magnitudes: row `OPS.index(op)`, column the level.

    torchvision's `_augmentation_space(bins, image_size)` for the space: linear from 0 to the
    space's top value for shears, translations (of the width for x, the height for y),
    rotations and enhancers; `b0 - round(level / ((bins - 1) / drop))` bits for posterize; a
    threshold falling linearly from 255 to 0 for solarize; 0 for the rest.

    Example:
      >>> float(magnitudes("wide", 31, (32, 32, 3))[OPS.index("rotation"), 1])   # level 1 of 30: 135 / 30 degrees
      4.5
    """
    if space not in SPACES:
        raise ValueError(f"space must be one of {sorted(SPACES)}. Received: space={space!r}")
    _checks.check_int(bins, "bins", 2, 1000)
    h, w = _checks.image_hw(shape)
    s = SPACES[space]
    side = {"shift_x": w, "shift_y": h}
    table = np.zeros((len(OPS), bins), np.float32)
    for op in ("shear_x", "shear_y"):
        table[_INDEX[op]] = _linspace(0.0, s.shear, bins)
    for op, n in side.items():
        table[_INDEX[op]] = _linspace(0.0, s.shift if s.shift_in_pixels else s.shift * n, bins)
    table[_INDEX["rotation"]] = _linspace(0.0, s.rotation, bins)
    for op in _ENHANCE:
        table[_INDEX[op]] = _linspace(0.0, s.enhance, bins)
    start, drop = s.posterize
    table[_INDEX["posterize"]] = start - np.round(np.arange(bins) / ((bins - 1) / drop))
    table[_INDEX["solarize"]] = _linspace(255.0, 0.0, bins)
    return table


def _linspace(start, end, steps):
    """`torch.linspace` in float32, as its CPU kernel computes it (from both ends), so that each
    magnitude is the float the reference passes on: an enhance factor one ulp off moves pixels
    whose blend lands on an exact level."""
    start, end = np.float32(start), np.float32(end)
    step = np.float32((end - start) / np.float32(steps - 1))
    i = np.arange(steps, dtype=np.float32)
    return np.where(i < steps // 2, start + step * i, end - step * np.float32(steps - 1 - i)).astype(np.float32)


def _op_indices(ops, name: str) -> np.ndarray:
    if isinstance(ops, str) or not isinstance(ops, (tuple, list)) or not ops:
        raise TypeError(f"{name} must be a non-empty tuple of operation names from {OPS}. "
                        f"Received: {name}={_checks.short_repr(ops)}")
    unknown = [op for op in ops if op not in _INDEX]
    if unknown:
        raise ValueError(f"{name} must name operations from {OPS}. Received: {name} containing {unknown[0]!r}")
    return np.asarray([_INDEX[op] for op in ops], np.int32)


def _signed(key, ops, values):
    """Negates the signed operations' magnitudes with probability 1/2 each."""
    signed = jnp.asarray(np.asarray([op in _SIGNED for op in OPS]))[ops]
    flip = jax.random.bernoulli(key, 0.5, ops.shape)
    return jnp.where(signed & flip, -values, values)


def sample_rand_augment(key, shape, *, num_ops=2, magnitude=9, bins=31, magnitude_std=0.0,
                        ops=RAND_AUGMENT_OPS):
    """RandAugment (Cubuk et al., 2019): `num_ops` operations uniform from `ops`, all at level `magnitude`.

    As torchvision's `RandAugment(num_ops, magnitude, num_magnitude_bins=bins)` on the
    "standard" space; with `magnitude_std > 0` each operation's level is drawn from
    N(magnitude, magnitude_std) clipped to [0, bins - 1] (timm's magnitude noise), its value
    interpolated linearly between the table's levels.

    Args:
      key: PRNG key of one image.
      shape: (H, W, C) of the image (translations are fractions of its sides).
      num_ops: operations per image (N), >= 0.
      magnitude: level M in [0, bins - 1].
      bins: number of levels (torchvision: 31, so M = 9 is 9/30 of the top; the paper's M of 10 is bins=11).
      magnitude_std: standard deviation of the level noise, >= 0.
      ops: names of the operations to draw from (`OPS`); default torchvision's 14.

    Returns:
      {"ops": (num_ops,) int32 indices into `OPS`, "magnitudes": (num_ops,) float32 signed values}.

    Example:
      >>> params = sample_rand_augment(jax.random.key(0), (32, 32, 3), num_ops=2, magnitude=9)
      >>> tuple(OPS[i] for i in params["ops"].tolist()), tuple(round(m, 3) for m in params["magnitudes"].tolist())
      (('shear_x', 'equalize'), (-0.09, 0.0))
    """
    _checks.check_key(key)
    table = magnitudes("standard", bins, shape)
    _checks.check_int(num_ops, "num_ops", 0, 64)
    level = _checks.static_float(magnitude, "magnitude")
    if not 0 <= level <= bins - 1:
        raise ValueError(f"magnitude must be in [0, bins - 1 = {bins - 1}]. Received: magnitude={magnitude!r}")
    std = _checks.static_float(magnitude_std, "magnitude_std")
    if std < 0:
        raise ValueError(f"magnitude_std must be >= 0. Received: magnitude_std={magnitude_std!r}")
    choices = jnp.asarray(_op_indices(ops, "ops"))
    chosen = choices[jax.random.randint(jax.random.fold_in(key, 0), (num_ops,), 0, len(choices))]
    levels = jnp.full((num_ops,), level, jnp.float32)
    if std > 0:
        noisy = level + std * jax.random.normal(jax.random.fold_in(key, 2), (num_ops,))
        levels = jnp.clip(noisy, 0.0, bins - 1.0)
    signed = _signed(jax.random.fold_in(key, 1), chosen, _interpolate(table, chosen, levels))
    return {"ops": chosen, "magnitudes": signed}


def _interpolate(table, ops, levels):
    """table[ops, levels] for real-valued levels, linear between neighbouring levels."""
    below = jnp.floor(levels).astype(jnp.int32)
    above = jnp.minimum(below + 1, table.shape[1] - 1)
    t = levels - below
    rows = jnp.asarray(table)[ops]
    lo = jnp.take_along_axis(rows, below[:, None], axis=1)[:, 0]
    hi = jnp.take_along_axis(rows, above[:, None], axis=1)[:, 0]
    return jnp.where(t > 0, lo + t * (hi - lo), lo)


def sample_trivial_augment(key, shape, *, bins=31, ops=RAND_AUGMENT_OPS):
    """TrivialAugmentWide (Müller & Hutter, 2021): one operation uniform from `ops`, its level uniform.

    As torchvision's `TrivialAugmentWide(num_magnitude_bins=bins)`: the "wide" space, the
    level uniform among the `bins` levels, the sign of signed operations a fair coin.

    Returns:
      {"ops": (1,) int32, "magnitudes": (1,) float32}.

    Example:
      >>> params = sample_trivial_augment(jax.random.key(0), (32, 32, 3))
      >>> tuple(OPS[i] for i in params["ops"].tolist()), tuple(round(m, 3) for m in params["magnitudes"].tolist())
      (('shear_x',), (-0.66,))
    """
    _checks.check_key(key)
    table = jnp.asarray(magnitudes("wide", bins, shape))
    choices = jnp.asarray(_op_indices(ops, "ops"))
    chosen = choices[jax.random.randint(jax.random.fold_in(key, 0), (1,), 0, len(choices))]
    level = jax.random.randint(jax.random.fold_in(key, 2), (1,), 0, bins)
    return {"ops": chosen, "magnitudes": _signed(jax.random.fold_in(key, 1), chosen, table[chosen, level])}


def _policy_arrays(policy: str):
    """(ops (25, 2) int32, probabilities (25, 2) float32, levels (25, 2) int32) of a learned policy."""
    if policy not in AUTO_AUGMENT_POLICIES:
        raise ValueError(f"policy must be one of {sorted(AUTO_AUGMENT_POLICIES)}. Received: policy={policy!r}")
    steps = AUTO_AUGMENT_POLICIES[policy]
    ops = np.asarray([[_INDEX[op] for op, _, _ in sub] for sub in steps], np.int32)
    probs = np.asarray([[p for _, p, _ in sub] for sub in steps], np.float32)
    levels = np.asarray([[0 if level is None else level for _, _, level in sub] for sub in steps], np.int32)
    return ops, probs, levels


def sample_auto_augment(key, shape, *, policy="cifar10"):
    """AutoAugment (Cubuk et al., 2019): one of the policy's 25 sub-policies, each step kept with its probability.

    As torchvision's `AutoAugment(AutoAugmentPolicy.<policy>)`: the sub-policy uniform, step i
    applied when u_i <= p_i (u uniform), the magnitude at the step's level of 10 ("standard"
    space), signs fair coins. A step not applied is the identity.

    Args:
      key: PRNG key of one image.
      shape: (H, W, C) of the image.
      policy: "cifar10", "svhn" or "imagenet".

    Returns:
      {"ops": (2,) int32, "magnitudes": (2,) float32}.

    Example:
      >>> tuple(OPS[i] for i in sample_auto_augment(jax.random.key(4), (32, 32, 3), policy="cifar10")["ops"].tolist())
      ('identity', 'autocontrast')
    """
    _checks.check_key(key)
    ops, probs, levels = (jnp.asarray(a) for a in _policy_arrays(policy))
    table = jnp.asarray(magnitudes("standard", 10, shape))
    sub = jax.random.randint(jax.random.fold_in(key, 0), (), 0, ops.shape[0])
    applied = jax.random.uniform(jax.random.fold_in(key, 2), (2,)) <= probs[sub]
    chosen = jnp.where(applied, ops[sub], _INDEX["identity"])
    return {"ops": chosen, "magnitudes": _signed(jax.random.fold_in(key, 1), chosen, table[chosen, levels[sub]])}


# --- applying a draw ---------------------------------------------------------------------


def _check_draw(ops, magnitudes, batch: int | None = None):
    """A draw's `ops` and `magnitudes` as int32 and float32 arrays of one shape: (S,), or (batch, S).

    Concrete ops must be integers in [0, len(OPS)) (99 and -1 ran `invert`, 1.5 was truncated,
    'rotation' failed in int()) and concrete magnitudes finite (NaN gave a black image); each slot
    has its own magnitude (a shorter `magnitudes` is refused, not broadcast). Traced values are
    data: out-of-range ops are clipped into [0, len(OPS) - 1] (-1 is identity, 99 invert), and a
    non-finite magnitude gives unspecified pixels.
    """
    shape = "(S,)" if batch is None else f"({batch}, S)"
    if isinstance(ops, (str, bytes)) or any(isinstance(v, (str, bytes)) for v in jax.tree.leaves(ops)):
        raise TypeError(f"ops must be integer indices into OPS (e.g. OPS.index('rotation') = {_INDEX['rotation']}), "
                        f"not names. Received: ops={_checks.short_repr(ops)}")
    ops_array = _checks.real_array(ops, "ops")
    if not jnp.issubdtype(ops_array.dtype, jnp.integer) and ops_array.size:  # [] is a float array: no slots
        raise TypeError(f"ops must hold integer indices into OPS. Received: ops={_checks.short_repr(ops)} "
                        f"of dtype {ops_array.dtype}")
    values = _checks.real_array(magnitudes, "magnitudes")
    if ops_array.ndim != (1 if batch is None else 2) or (batch is not None and ops_array.shape[0] != batch):
        raise ValueError(f"ops must have shape {shape}" + ("" if batch is None else " (one row per image)")
                         + f". Received: ops.shape={tuple(ops_array.shape)}")
    if values.shape != ops_array.shape:
        raise ValueError(f"magnitudes must have the shape of ops, {tuple(ops_array.shape)}: one magnitude per "
                         f"slot. Received: magnitudes.shape={tuple(values.shape)}")
    if _checks.is_traced(ops_array):
        ops_array = jnp.clip(ops_array, 0, len(OPS) - 1)
    elif ops_array.size:
        host = np.asarray(ops_array)
        bad = host[(host < 0) | (host >= len(OPS))]
        if bad.size:
            raise ValueError(f"ops must hold indices in [0, {len(OPS)}) into OPS. Received: ops containing "
                             f"{int(bad[0])}")
    _checks.finite_if_concrete(values, "magnitudes")
    return jnp.asarray(ops_array, jnp.int32), jnp.asarray(values, jnp.float32)


def check_policy(name, num_ops, magnitude) -> None:
    """Checks `pipeline.policy`'s `num_ops` and `magnitude` whatever the policy `name`.

    They are RandAugment's N in [0, 64] and M in [0, 30] (of 31 levels). The other policies
    ignore them, but a bad value is refused for every policy rather than ignored:
    `policy('trivial_augment', num_ops=100)` used to run.
    """
    _checks.check_int(num_ops, "num_ops", 0, 64)
    level = _checks.static_float(magnitude, "magnitude")
    if not 0 <= level <= 30:
        raise ValueError(f"magnitude must be in [0, 30] (RandAugment's level of 31). Received: magnitude={magnitude!r}")


def ops_matrix(shape, ops, magnitudes):
    """The one (3, 3) pull matrix of a draw: its geometric slots composed in order, identity elsewhere.

    Args:
      shape: (H, W, ...) of the image.
      ops: (S,) int indices into `OPS` (may be traced). Concrete ones must lie in [0, len(OPS));
        traced ones are clipped into it.
      magnitudes: (S,) signed values (shear factor, pixels, degrees counter-clockwise), one per
        slot; concrete ones must be finite.

    Example:
      >>> m = ops_matrix((32, 32), jnp.array([OPS.index("shift_x"), OPS.index("shift_y")]), jnp.array([3.7, -2.0]))
      >>> tuple(m[:2, 2].tolist())   # output (r, c) reads input (r + 2, c - 3): right by int(3.7), up by 2
      (2.0, -3.0)
    """
    ops, magnitudes = _check_draw(ops, magnitudes)
    slots = [_slot_matrix(shape, ops[s], magnitudes[s]) for s in range(ops.shape[0])]
    return geometry.compose(*slots) if slots else geometry.identity_matrix()


def _slot_matrix(shape, op, m):
    eye = geometry.identity_matrix()
    # PIL's shear (1, m, 0, 0, 1, 0) acts on pixel-edge coordinates: in pixel centres it gains m / 2.
    shear_x = eye.at[1, 0].set(m).at[1, 2].set(0.5 * m)
    shear_y = eye.at[0, 1].set(m).at[0, 2].set(0.5 * m)
    pixels = jnp.trunc(m)
    candidates = {"shear_x": shear_x, "shear_y": shear_y, "shift_x": geometry.shift_matrix(0.0, pixels),
                  "shift_y": geometry.shift_matrix(pixels, 0.0),
                  "rotation": transforms.rotation_matrix_centered(shape, m)}
    stack = jnp.stack([candidates.get(name, eye) for name in OPS])
    return stack[op]


def ops_pixels(image, ops, magnitudes, *, value_range=None):
    """Applies a draw's pixel operations to one image, in slot order, on 8-bit levels (PIL's semantics).

    The image is rounded to the 256 levels of its value range first (as PIL holds images in
    uint8). It is `ops_pixels_batch` on a batch of one: one executor serves an image and a batch.

    Args:
      image: (H, W, 3) uint8 or floating image.
      ops, magnitudes: (S,) as in `OPS` (may be traced); checked as in `ops_matrix`.
      value_range: (lo, hi); default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> out = ops_pixels(image_uint8, jnp.array([13]), jnp.array([0.0]))   # equalize
      >>> out.shape, out.dtype
      ((32, 32, 3), dtype('uint8'))
    """
    image = _images.check_image(image)
    ops, magnitudes = _check_draw(ops, magnitudes)
    return ops_pixels_batch(image[None], ops[None], magnitudes[None], value_range=value_range)[0]


def _to_bytes(images, value_range):
    """Images as uint8 levels of their value range (rounded, clipped), as PIL would hold them."""
    lo, hi = _images.value_range(images.dtype, value_range)
    levels = jnp.clip(jnp.round((images.astype(jnp.float32) - lo) * (255.0 / (hi - lo))), 0.0, 255.0)
    return levels.astype(jnp.uint8), (lo, hi)


def _from_bytes(levels, bounds, dtype):
    lo, hi = bounds
    return _images.restore(levels.astype(jnp.float32) * ((hi - lo) / 255.0) + lo, dtype)


def ops_pixels_batch(images, ops, magnitudes, *, value_range=None):
    """`ops_pixels` for a batch (N, H, W, C) with (N, S) draws: the same result, computed for speed.

    Per slot, the operations that are a formula per pixel given a few image statistics
    (brightness, color, contrast, posterize, solarize, autocontrast, invert, identity) are
    computed for every image in one fused pass and selected per image: each costs a few
    arithmetic operations per pixel, and the statistics (per-channel extremes, mean luma)
    two cheap reductions. The two that need much more (equalize: a 256-bin histogram, a
    scatter; sharpness: a 3x3 smoothing) run only on the images that drew them, one at a
    time in a loop whose length is their count: work in proportion to those images. (A
    `lax.switch` per image under `jax.vmap` would instead run all ten operations on every
    image: measured 12x slower on CPU.) It is the one executor of the policies' pixel
    operations: `ops_pixels` (one image), `apply_ops` and the pieces all run it.

    Example:
      >>> keys = jax.random.split(jax.random.key(0), len(images_uint8))
      >>> params = jax.vmap(lambda k: sample_rand_augment(k, images_uint8.shape[1:]))(keys)
      >>> out = ops_pixels_batch(images_uint8, params["ops"], params["magnitudes"])
      >>> bool(jnp.all(out == jax.vmap(ops_pixels)(images_uint8, params["ops"], params["magnitudes"])))
      True
    """
    images = _images.check_image(images, "images", ndims=(4,))
    ops, magnitudes = _check_draw(ops, magnitudes, batch=images.shape[0])  # (N, S) each, as `ops_matrix`
    levels, bounds = _to_bytes(images, value_range)
    levels = _fusion.materialize(levels)
    ops, magnitudes = _fusion.materialize((jnp.asarray(ops, jnp.int32), jnp.asarray(magnitudes, jnp.float32)))
    # A scan over the slots compiles the slot once (AugMix has 3 per chain).
    levels, _ = lax.scan(_slot, levels, (ops.T, magnitudes.T))
    return _from_bytes(levels, bounds, images.dtype)


def _slot(levels, draw):  # not a closure: jax caches a scan's traced body by function, eager calls included
    op, m = draw
    levels = _fusion.materialize(jax.vmap(_formula_ops)(levels, op, m))
    levels = _on_chosen(levels, op == _INDEX["equalize"], m, lambda x, _: tone.equalize_levels(x))
    levels = _on_chosen(levels, op == _INDEX["sharpness"], m, lambda x, v: enhance.sharpness(x, 1.0 + v))
    return levels, None


def _formula_ops(x, op, m):
    """One uint8 image through its slot's operation if that is a per-pixel formula, else kept.

    The arithmetic is that of `jaxaug.enhance` and `jaxaug.tone` on uint8 (PIL's), term for
    term. Four formulas cover the seven operations: the enhancers are one blend with a
    per-image degenerate value (0, the pixel's luma or the mean luma), and identity and
    invert are solarize at thresholds 256 and 0.
    """
    v = x.astype(jnp.float32)
    lo, hi = (e.astype(jnp.float32) for e in tone.channel_extremes(x))
    luma = enhance.luma_levels(x)  # (H, W) int32
    mean = jnp.floor(jnp.sum(jnp.sum(luma, axis=0)).astype(jnp.float32) / luma.size + 0.5)
    degenerate = jnp.where(op == _INDEX["color"], luma.astype(jnp.float32)[..., None],
                           jnp.where(op == _INDEX["contrast"], mean, 0.0))
    blended = jnp.floor(enhance.blend_levels(v, degenerate, 1.0 + m))  # PIL truncates to a level
    posterized = tone.posterize_levels(v, jnp.trunc(m))
    threshold = jnp.where(op == _INDEX["solarize"], m, jnp.where(op == _INDEX["invert"], 0.0, 256.0))
    solarized = tone.solarize_levels(v, threshold)
    autocontrasted = tone.stretch_levels(v, lo, hi)
    is_blend = (op == _INDEX["brightness"]) | (op == _INDEX["color"]) | (op == _INDEX["contrast"])
    out = jnp.where(is_blend, blended, solarized)
    out = jnp.where(op == _INDEX["posterize"], posterized, out)
    out = jnp.where(op == _INDEX["autocontrast"], autocontrasted, out)
    return out.astype(jnp.uint8)


def _on_chosen(levels, chosen, magnitudes, fn):
    """`fn(image, magnitude)` on the images where `chosen`, one per step of a `sum(chosen)`-step loop.

    The work is that of the chosen images only. (Chunks of images vectorised per step were
    slower on CPU: a batched histogram scatter runs 3-4x slower than one per image.)
    """
    indices = jnp.nonzero(chosen, size=chosen.shape[0], fill_value=0)[0]

    def step(j, out):
        i = indices[j]
        image = lax.dynamic_index_in_dim(out, i, keepdims=False)
        return lax.dynamic_update_index_in_dim(out, fn(image, magnitudes[i]), i, 0)

    return lax.fori_loop(0, jnp.sum(chosen), step, levels)


def apply_ops(image, ops, magnitudes, *, order=0, fill_mode="constant", cval=0.0, value_range=None):
    """The twin of every policy: one image warped once by the draw's geometry, then its pixel operations.

    Args:
      image: (H, W, C) uint8 or floating image.
      ops, magnitudes: a policy's draw (see `sample_rand_augment`): (S,) int indices into `OPS`
        and (S,) magnitudes; concrete ones are checked (indices in [0, len(OPS)), finite
        magnitudes, one per slot), traced ones clipped (see `ops_matrix`).
      order, fill_mode, cval: of the warp (torchvision's default: nearest, constant 0).
      value_range: (lo, hi); default (0, 255) for uint8, (0, 1) for floats.

    Example:
      >>> row = jnp.array([[10, 20, 30, 40]], jnp.uint8)[..., None].repeat(3, axis=-1)   # PIL's shift: fill 0
      >>> tuple(apply_ops(row, jnp.array([OPS.index("shift_x")]), jnp.array([2.0]))[0, :, 0].tolist())
      (0, 0, 10, 20)
    """
    image = _images.check_image(image)
    ops, magnitudes = _check_draw(ops, magnitudes)
    matrix = ops_matrix(image.shape, ops, magnitudes)
    warped = warp.warp_float(image[None], matrix[None], order, fill_mode, cval)[0]
    vr = _images.value_range(image.dtype, value_range)
    return _images.restore(ops_pixels(warped, ops, magnitudes, value_range=vr), image.dtype)


def _random(sampler):
    def random_op(key, image, *, order=0, fill_mode="constant", cval=0.0, value_range=None, **options):
        image = _images.check_image(image)
        return apply_ops(image, **sampler(key, image.shape, **options), order=order, fill_mode=fill_mode,
                         cval=cval, value_range=value_range)
    return random_op


def random_rand_augment(key, image, **options):
    """RandAugment on one image: `apply_ops` of `sample_rand_augment(key, image.shape, **options)`.

    Example:
      >>> out = random_rand_augment(key, image_uint8)   # N = 2 operations at level M = 9 of 31
      >>> bool(jnp.all(out == apply_ops(image_uint8, **sample_rand_augment(key, image_uint8.shape))))
      True
    """
    return _random(sample_rand_augment)(key, image, **options)


def random_trivial_augment(key, image, **options):
    """TrivialAugmentWide on one image: `apply_ops` of `sample_trivial_augment`.

    Example:
      >>> out = random_trivial_augment(key, image_uint8)
      >>> bool(jnp.all(out == apply_ops(image_uint8, **sample_trivial_augment(key, image_uint8.shape))))
      True
    """
    return _random(sample_trivial_augment)(key, image, **options)


def random_auto_augment(key, image, **options):
    """AutoAugment on one image: `apply_ops` of `sample_auto_augment`.

    Example:
      >>> out = random_auto_augment(key, image_uint8, policy="cifar10")
      >>> bool(jnp.all(out == apply_ops(image_uint8, **sample_auto_augment(key, image_uint8.shape, policy="cifar10"))))
      True
    """
    return _random(sample_auto_augment)(key, image, **options)


# --- AugMix ------------------------------------------------------------------------------

_CHAIN_SLOTS = 3  # AugMix chains have 1 to 3 operations


def sample_augmix(key, shape, *, severity=3, width=3, depth=None, alpha=1.0, all_ops=True):
    """AugMix (Hendrycks et al., 2020): `width` chains of 1-3 operations and the weights that mix them.

    As torchvision's `AugMix(severity, mixture_width=width, chain_depth, alpha, all_ops)`: each
    chain has `depth` operations (uniform in 1..3 when None) drawn uniformly from
    `AUGMIX_OPS` (+ the four enhancers if `all_ops`), levels uniform below `severity` of 11
    ("augmix" space); the chains are mixed with Dirichlet(alpha) weights, and the mixture
    with the original with a Beta(alpha, alpha) weight. `alpha` must be >= 0.4
    (`AUGMIX_MIN_ALPHA`): below it the float32 gamma draws behind the weights underflow to 0
    often enough to give NaN weights (torchvision and the paper use 1.0).

    Returns:
      {"ops": (width, 3) int32, "magnitudes": (width, 3) float32 (unused slots: identity),
        "weights": (width,) float32 chain weights, "original": () float32 weight of the original};
        the weights sum to 1.

    Example:
      >>> params = sample_augmix(jax.random.key(0), (32, 32, 3))
      >>> params["ops"].shape, round(float(params["weights"].sum() + params["original"]), 3)
      ((3, 3), 1.0)
    """
    _checks.check_key(key)
    alpha = check_augmix_options(severity, width, depth, alpha, all_ops)
    table = jnp.asarray(magnitudes("augmix", 11, shape))
    choices = jnp.asarray(_op_indices(AUGMIX_OPS + (_ENHANCE if all_ops else ()), "ops"))
    k_choices, k_signs, k_mix = (jax.random.fold_in(key, i) for i in range(3))
    # One uniform draw for every discrete choice (ops, levels, depths): floor(u * n) is uniform
    # on 0..n-1 up to float32's 2**-24 resolution, and one threefry call compiles in a fraction
    # of the time of three randint calls.
    u = jax.random.uniform(k_choices, (3, width, _CHAIN_SLOTS))
    chosen = choices[jnp.minimum((u[0] * len(choices)).astype(jnp.int32), len(choices) - 1)]
    levels = jnp.minimum((u[1] * severity).astype(jnp.int32), severity - 1)
    depths = (jnp.minimum((u[2, :, :1] * _CHAIN_SLOTS).astype(jnp.int32), _CHAIN_SLOTS - 1) + 1
              if depth is None else jnp.full((width, 1), depth))
    chosen = jnp.where(jnp.arange(_CHAIN_SLOTS) < depths, chosen, _INDEX["identity"])
    values = _signed(k_signs, chosen.reshape(-1), table[chosen, levels].reshape(-1)).reshape(width, _CHAIN_SLOTS)
    # Gamma(alpha) variates g: g[:width] / sum is Dirichlet(alpha), g[-2] / (g[-2] + g[-1]) is
    # Beta(alpha, alpha); one gamma call (the sampler with the longest compile) for both.
    # Gamma(1) is the exponential distribution: AugMix's default alpha needs no rejection loop
    # (jax's gamma sampler takes about 4 s to compile on a CPU).
    g = (jax.random.exponential(k_mix, (width + 2,)) if alpha == 1.0
         else jax.random.gamma(k_mix, alpha, (width + 2,)))
    original = g[-2] / (g[-2] + g[-1])
    weights = g[:width] / jnp.sum(g[:width]) * (1.0 - original)
    return {"ops": chosen, "magnitudes": values, "weights": weights, "original": original}


def check_augmix_options(severity, width, depth, alpha, all_ops) -> float:
    """Checks AugMix's static options (before any draw); returns alpha as a float."""
    _checks.check_int(severity, "severity", 1, 10)
    _checks.check_int(width, "width", 1, 16)
    if depth is not None:
        _checks.check_int(depth, "depth", 1, _CHAIN_SLOTS)
    _checks.check_bool(all_ops, "all_ops")
    return _checks.concentration(alpha, "alpha", AUGMIX_MIN_ALPHA)


# AugMix's smallest alpha. Its weights are ratios of float32 gamma draws, and below alpha = 1
# jax draws G(alpha) = G(alpha + 1) * U**(1 / alpha), which underflows to 0 with probability
# about exp(-87 alpha): 0.92 at 1e-3, 2e-4 at 0.1, 7e-16 at 0.4. All-zero draws made the
# weights 0 / 0 (NaN, black images: alpha=1e-30 always did).
AUGMIX_MIN_ALPHA = 0.4
