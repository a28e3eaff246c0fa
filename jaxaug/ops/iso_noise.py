"""Camera sensor noise (albumentations' ISONoise): Poisson noise on lightness and Gaussian noise on hue."""

from jaxaug import _checks, noise
from jaxaug.ops._core import Op, Option, unless_none

__all__ = ["OP"]


def _intensity(value, name):
    _checks.fixed_or_range(value, name, maximum=noise.MAX_ISO_INTENSITY)


# After the multiplicative noise. Slot 33: a new slot.
OP = Op(
    name="iso_noise", title="ISO noise", kind="pixel", stage=214, slot=33,
    units="intensity in (lo, hi) within [0, 2]; lightness + Poisson(std(L)·intensity)·intensity·(1 − L), "
          "hue + N(0, color_shift·intensity)°",
    doc="Camera sensor noise (albumentations' ISONoise): Poisson noise on HLS lightness, Gaussian noise on hue.",
    sample=noise.sample_iso_noise, twin=noise.iso_noise, random=noise.random_iso_noise,
    compact=(noise.seed_iso_noise, noise.expand_iso_noise),
    options=(Option("iso_noise_intensity", None, "albumentations' ISONoise intensity, a number or (lo, hi) "
                    "within [0, 2]; None is off.", "intensity_range", check=unless_none(_intensity)),
             Option("iso_noise_color_shift", (0.01, 0.05), "the hue noise's scale, a number or (lo, hi) "
                    "(albumentations' color_shift).", "color_shift_range", switch=False, check=_checks.fixed_or_range)),
    example=dict(intensity_range=(1.0, 2.0), color_shift_range=50.0),
)
