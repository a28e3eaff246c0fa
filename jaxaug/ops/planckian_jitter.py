"""Planckian jitter (kornia's RandomPlanckianJitter): the colour cast of a black-body or daylight illuminant.

Zini et al., "Planckian jitter" (2022): red and blue are scaled relative to green by the
chromaticity of an illuminant picked uniformly from a table: 25 black bodies
(`mode="blackbody"`) or 23 CIE daylight illuminants (`mode="CIED"`), kornia's tables, with
kornia's rule `R *= r/g, B *= b/g`, clipped to the range. A subset of the table may be chosen
(kornia's `select_from`). Pointwise, so it runs inside the warp's loop.

This op keeps its functions here, beside its declaration:
`jaxaug.ops.planckian_jitter.sample_planckian_jitter`, `jaxaug.ops.planckian_jitter.planckian_jitter`
(the twin), `jaxaug.ops.planckian_jitter.random_planckian_jitter` (derived) and
`jaxaug.ops.planckian_jitter.illuminant_gains` (a mode -> its (n, 3) channel gains).
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxaug import _checks, _images
from jaxaug.ops._core import Op, Option

__all__ = ["MODES", "OP", "illuminant_gains", "planckian_jitter", "random_planckian_jitter",
           "sample_planckian_jitter"]

# The illuminants' (r, g, b) chromaticities, coolest first: kornia's tables (from Zini et al.).
_BLACKBODY = """
0.6743 0.4029 0.0013 0.6281 0.4241 0.1665 0.5919 0.4372 0.2513 0.5623 0.4457 0.3154 0.5376 0.4515 0.3672
0.5163 0.4555 0.4103 0.4979 0.4584 0.4468 0.4816 0.4604 0.4782 0.4672 0.4619 0.5053 0.4542 0.4630 0.5289
0.4426 0.4638 0.5497 0.4320 0.4644 0.5681 0.4223 0.4648 0.5844 0.4135 0.4651 0.5990 0.4054 0.4653 0.6121
0.3980 0.4654 0.6239 0.3911 0.4655 0.6346 0.3847 0.4656 0.6444 0.3787 0.4656 0.6532 0.3732 0.4656 0.6613
0.3680 0.4655 0.6688 0.3632 0.4655 0.6756 0.3586 0.4655 0.6820 0.3544 0.4654 0.6878 0.3503 0.4653 0.6933
"""
_CIED = """
0.5829 0.4421 0.2288 0.5510 0.4514 0.2948 0.5246 0.4576 0.3488 0.5021 0.4618 0.3941 0.4826 0.4646 0.4325
0.4654 0.4667 0.4654 0.4502 0.4681 0.4938 0.4364 0.4692 0.5186 0.4240 0.4700 0.5403 0.4127 0.4705 0.5594
0.4023 0.4709 0.5763 0.3928 0.4713 0.5914 0.3839 0.4715 0.6049 0.3757 0.4716 0.6171 0.3681 0.4717 0.6281
0.3609 0.4718 0.6380 0.3543 0.4719 0.6472 0.3480 0.4719 0.6555 0.3421 0.4719 0.6631 0.3365 0.4719 0.6702
0.3313 0.4719 0.6766 0.3263 0.4719 0.6826 0.3217 0.4719 0.6882
"""
_TABLES = {"blackbody": _BLACKBODY, "CIED": _CIED}
MODES = tuple(_TABLES)


def _mode(mode, name="mode"):
    if mode not in _TABLES:
        raise ValueError(f"{name} must be one of {MODES}. Received: {name}={mode!r}")
    return mode


def illuminant_gains(mode):
    """(n, 3) float32 channel gains (r/g, 1, b/g) of the mode's illuminants, coolest first.

    Example:
      >>> gains = jaxaug.ops.planckian_jitter.illuminant_gains("CIED")
      >>> gains.shape, tuple(round(float(v), 3) for v in gains[5])      # about 6500 K: nearly neutral
      ((23, 3), (0.997, 1.0, 0.997))
    """
    rgb = np.array(_TABLES[_mode(mode)].split(), np.float64).reshape(-1, 3)
    return np.stack([rgb[:, 0] / rgb[:, 1], np.ones(len(rgb)), rgb[:, 2] / rgb[:, 1]], 1).astype(np.float32)


def planckian_jitter(image, gains, *, value_range=None):
    """Scales channel c by `gains[c]` about the bottom of the range, clipped: `lo + (x - lo) * gains`.

    Args:
      image: (H, W, 3) RGB; uint8, float16, bfloat16 or float32.
      gains: (3,) channel gains, e.g. a row of `illuminant_gains` (may be traced).
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> px = jnp.array([[[100, 100, 100]]], jnp.uint8)
      >>> tuple(jaxaug.ops.planckian_jitter.planckian_jitter(px, jnp.array([1.5, 1.0, 0.5]))[0, 0].tolist())
      (150, 100, 50)
    """
    image = _images.check_image(image)
    if image.shape[-1] != 3:
        raise ValueError(f"image must be RGB (3 channels). Received: image.shape={tuple(image.shape)}")
    gains = _checks.real_array(gains, "gains")
    if gains.shape != (3,):
        raise ValueError(f"gains must have shape (3,). Received: gains.shape={tuple(gains.shape)}")
    lo, hi = _images.value_range(image.dtype, value_range)
    out = lo + (image.astype(jnp.float32) - lo) * gains.astype(jnp.float32)
    return _images.restore(jnp.clip(out, lo, hi), image.dtype)


def _select(select_from, count, name="select_from"):
    if select_from is None:
        return tuple(range(count))
    picked = (select_from,) if np.ndim(select_from) == 0 else tuple(select_from)
    if not picked or any(isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < count
                         for i in picked):
        raise ValueError(f"{name} must be table rows, integers in [0, {count - 1}]. Received: {name}={select_from!r}")
    return tuple(int(i) for i in picked)


def sample_planckian_jitter(key, shape, *, mode="blackbody", select_from=None, probability=1.0):
    """Draws {"gains": (3,)}: an illuminant uniform over the rows (or `select_from`), with `probability`.

    Args:
      key: a `jax.random` key.
      shape: the image's (H, W, 3).
      mode: static, "blackbody" (25 rows) or "CIED" (23 rows).
      select_from: static, None (every row) or the rows to pick from (kornia's select_from).
      probability: static, in [0, 1]: otherwise the gains are 1 (the image kept).

    Example:
      >>> draw = jaxaug.ops.planckian_jitter.sample_planckian_jitter
      >>> g = draw(jax.random.key(0), (8, 8, 3), mode="CIED", select_from=[0])["gains"]
      >>> tuple(round(float(v), 3) for v in g)
      (1.318, 1.0, 0.518)
    """
    _checks.check_key(key)
    _checks.image_hw(shape)
    table = illuminant_gains(mode)
    rows = table[list(_select(select_from, len(table)))]
    probability = _checks.bounded_float(probability, "probability", 1.0)
    key_coin, key_row = jax.random.split(key)
    gains = jnp.asarray(rows)[jax.random.randint(key_row, (), 0, len(rows))]
    return {"gains": jnp.where(jax.random.uniform(key_coin) < probability, gains, 1.0)}


# A colour cast, beside the RGB shift. Slot 34: a new slot.
OP = Op(
    name="planckian_jitter", title="Planckian jitter", kind="pixel", stage=127, slot=34, fuses_with_warp=True,
    units="an illuminant of kornia's tables (25 black bodies or 23 CIE daylights): R·r/g, B·b/g",
    doc="Planckian jitter (kornia's RandomPlanckianJitter): the colour cast of a black-body or daylight "
        "illuminant drawn per image.",
    sample=sample_planckian_jitter, twin=planckian_jitter,
    options=(Option("planckian_jitter_probability", 0.0, "the chance of an illuminant's colour cast "
                    "(kornia's RandomPlanckianJitter p).", "probability",
                    check=lambda v, n: _checks.bounded_float(v, n, 1.0)),
             Option("planckian_jitter_mode", "blackbody", "its table: \"blackbody\" or \"CIED\".", "mode",
                    switch=False, check=_mode)),
    example=dict(mode="blackbody", select_from=(0, 24)),
)
random_planckian_jitter = OP.random
