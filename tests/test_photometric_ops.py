"""Sharpness, multiplicative noise, ISO noise, Planckian jitter and the photometric-distort preset.

References: OpenCV's HLS conversions and scipy's Poisson quantiles for ISO noise (albumentations'
ISONoise is those two steps); kornia's rule R * r/g, B * b/g for Planckian jitter; numpy's
arithmetic for multiplicative noise; torchvision's RandomPhotometricDistort rules (its order,
written out with jaxaug's own twins) for the preset; the samplers against their laws.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import jaxaug
from jaxaug import color, enhance, noise
from jaxaug.ops import photometric_distort as PD
from jaxaug.ops import planckian_jitter as PJ
from jaxaug.ops import sharpness as SH

cv2 = pytest.importorskip("cv2")

IMAGE = np.asarray(jaxaug.example_image(size=24))
IMAGES = jnp.asarray(np.stack([IMAGE, IMAGE[::-1], IMAGE[:, ::-1], 255 - IMAGE]))


def draws(sample, n, seed=0, **kw):
    return jax.vmap(lambda k: sample(k, (8, 8, 3), **kw))(jax.random.split(jax.random.key(seed), n))


def test_sharpness_draws_its_factor_with_the_probability():
    factors = np.asarray(draws(SH.sample_sharpness, 4000, factor_range=(0.0, 3.0), probability=0.25)["factor"])
    changed = factors[factors != 1.0]
    # Binomial(4000, 0.25): sd 27 around 1000 changed images; uniform on [0, 3]: mean 1.5 within 0.1.
    assert abs(len(changed) - 1000) < 110 and abs(changed.mean() - 1.5) < 0.1
    assert changed.min() >= 0.0 and changed.max() <= 3.0


def test_multiplicative_noise_is_numpys_product():
    m = np.array([0.5, 1.0, 1.7], np.float32)
    got = np.asarray(noise.multiplicative_noise(jnp.asarray(IMAGE), m))
    np.testing.assert_array_equal(got, np.clip(np.round(IMAGE * m), 0, 255))


@pytest.mark.parametrize(("per_channel", "elementwise", "shape"),
                         [(False, False, (1,)), (True, False, (3,)), (False, True, (8, 8, 1)), (True, True, (8, 8, 3))])
def test_multiplicative_noise_draws_albumentations_shapes_uniformly(per_channel, elementwise, shape):
    m = np.asarray(draws(noise.sample_multiplicative_noise, 500, multiplier_range=(0.5, 1.5),
                         per_channel=per_channel, elementwise=elementwise)["multiplier"])
    assert m.shape == (500, *shape) and m.min() >= 0.5 and m.max() < 1.5
    # Kolmogorov-Smirnov against U(0.5, 1.5): 500 to 32,000 draws, p far above 1e-3 when uniform.
    assert stats.kstest(m.ravel(), stats.uniform(0.5, 1.0).cdf).pvalue > 1e-3


def _iso_reference(image, intensity, hue_noise, uniform):
    """albumentations' ISONoise steps with OpenCV's conversions and scipy's Poisson quantile."""
    hls = cv2.cvtColor(image, cv2.COLOR_RGB2HLS)
    _, std = cv2.meanStdDev(hls)
    count = stats.poisson.ppf(uniform[..., 0], std[1, 0] * intensity)
    # OpenCV's vectorised HLS -> RGB mirrors negative hues instead of wrapping them; its scalar
    # path and jaxaug wrap, so the reference hue is wrapped first.
    hls[..., 0] = np.mod(hls[..., 0] + hue_noise[..., 0], 360.0)
    hls[..., 1] = hls[..., 1] + count * intensity * (1.0 - hls[..., 1])
    return np.clip(cv2.cvtColor(hls, cv2.COLOR_HLS2RGB), 0.0, 1.0)


@pytest.mark.parametrize("intensity", [0.1, 0.5, 2.0])
def test_iso_noise_is_albumentations_steps(intensity):
    rng = np.random.default_rng(1)
    image = IMAGE.astype(np.float32) / 255
    uniform = rng.uniform(size=(24, 24, 1)).astype(np.float32)
    hue_noise = (5.0 * rng.normal(size=(24, 24, 1))).astype(np.float32)
    got = np.asarray(noise.iso_noise(jnp.asarray(image), intensity, hue_noise, uniform))
    # float32 arithmetic in another order than OpenCV's (measured max 7e-7); the Poisson counts agree exactly.
    np.testing.assert_allclose(got, _iso_reference(image, intensity, hue_noise, uniform), atol=1e-5)


def test_iso_noise_counts_are_poisson():
    image = jnp.asarray(IMAGE)
    params = noise.sample_iso_noise(jax.random.key(4), (256, 256, 3), intensity_range=1.0)
    lightness = cv2.cvtColor(IMAGE.astype(np.float32) / 255, cv2.COLOR_RGB2HLS)[..., 1]
    lam = float(lightness.std()) * 1.0
    counts = stats.poisson.ppf(np.asarray(params["uniform"]).ravel(), lam)
    observed = np.bincount(counts.astype(int), minlength=4)[:4]
    expected = stats.poisson.pmf(np.arange(4), lam) * counts.size
    # 65,536 pixels: a chi-square over the counts 0..3 (the rest is below one expected pixel).
    assert stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue > 1e-3
    assert np.asarray(noise.iso_noise(image, **noise.sample_iso_noise(jax.random.key(4), image.shape))).shape == (
        24, 24, 3)


def test_planckian_jitter_is_kornias_rule():
    rows = PJ.illuminant_gains("blackbody")
    assert rows.shape == (25, 3) and PJ.illuminant_gains("CIED").shape == (23, 3)
    np.testing.assert_allclose(rows[0], [0.6743 / 0.4029, 1.0, 0.0013 / 0.4029], rtol=1e-6)
    x = IMAGE.astype(np.float32) / 255
    got = np.asarray(PJ.planckian_jitter(jnp.asarray(x), rows[3]))
    np.testing.assert_allclose(got, np.clip(x * rows[3], 0.0, 1.0), rtol=1e-6)  # float32 products, one rounding


def test_planckian_jitter_picks_each_selected_row_alike():
    gains = np.asarray(draws(PJ.sample_planckian_jitter, 3000, mode="CIED", select_from=(0, 7, 22))["gains"])
    table = PJ.illuminant_gains("CIED")
    counts = [np.sum(np.all(gains == table[i], axis=1)) for i in (0, 7, 22)]
    # 1000 expected each, binomial sd 26.
    assert sum(counts) == 3000 and all(abs(c - 1000) < 110 for c in counts)


def _torchvision_order(image, p):
    """torchvision's RandomPhotometricDistort.transform, step by step, with jaxaug's twins in float32."""
    x, bounds = image.astype(jnp.float32), (0.0, 255.0)
    if p["brightness"] != 1:
        x = color.brightness(x, p["brightness"], value_range=bounds)
    if p["contrast"] != 1 and p["contrast_before"]:
        x = enhance.contrast(x, p["contrast"], value_range=bounds)
    if p["saturation"] != 1:
        x = enhance.color(x, p["saturation"], value_range=bounds)
    if p["hue"] != 0:
        x = color.hue(x, p["hue"], value_range=bounds)
    if p["contrast"] != 1 and not p["contrast_before"]:
        x = enhance.contrast(x, p["contrast"], value_range=bounds)
    return np.asarray(jnp.clip(jnp.round(x[..., np.asarray(p["permutation"])]), 0, 255))


def test_photometric_distort_follows_torchvisions_order():
    params = draws(PD.sample_photometric_distort, 16, seed=5)
    for i in range(16):
        p = {k: v[i] for k, v in params.items()}
        got = np.asarray(PD.photometric_distort(jnp.asarray(IMAGE), **p))
        # One compiled program against op-by-op calls: float32 results may round an x.5 apart.
        np.testing.assert_allclose(got.astype(int), _torchvision_order(jnp.asarray(IMAGE), p), atol=1)


def test_photometric_distort_draws_torchvisions_rules():
    params = {k: np.asarray(v) for k, v in draws(PD.sample_photometric_distort, 4000, seed=6).items()}
    # Each step with probability 0.5 (sd 32 of 2000) and contrast before with 0.5.
    for name in ("brightness", "contrast", "saturation"):
        assert abs(np.sum(params[name] != 1) - 2000) < 130
    assert abs(np.sum(params["hue"] != 0) - 2000) < 130 and abs(params["contrast_before"].sum() - 2000) < 130
    assert params["brightness"].min() >= 0.875 and params["brightness"].max() <= 1.125
    assert np.abs(params["hue"]).max() <= 0.05
    # The permutation: applied half the time, then uniform over the 6 orders (the identity included).
    assert abs(np.sum(np.any(params["permutation"] != [0, 1, 2], axis=1)) - 2000 * 5 / 6) < 130


@pytest.mark.parametrize("options", [
    dict(sharpness_range=(0.0, 3.0), sharpness_probability=0.5),
    dict(multiplicative_noise_range=(0.7, 1.3), multiplicative_noise_elementwise=True),
    dict(multiplicative_noise_range=(0.7, 1.3), multiplicative_noise_per_channel=True),
    dict(iso_noise_intensity=(0.5, 2.0)),
    dict(planckian_jitter_probability=1.0, planckian_jitter_mode="CIED"),
    dict(photometric_distort_probability=0.5),
])
def test_the_augmenter_option_is_the_twin_of_its_draw(options):
    augment = jaxaug.augmenter(**options)
    key = jax.random.key(3)
    out, params = jax.jit(augment)(key, IMAGES), augment.sample(key, IMAGES)
    (name, draw), = params.items()
    op = jaxaug.ops.BY_NAME[name]
    compact = op.compact[1] if op.compact else (lambda p, shape: p)
    for i in range(len(IMAGES)):
        p = compact({k: v[i] for k, v in draw.items()}, IMAGES.shape[1:])
        want = np.asarray(op.twin(IMAGES[i], **p))
        # The twin alone and inside the augmenter's compiled pipeline (float32 in between) may
        # round an x.5 apart.
        np.testing.assert_allclose(np.asarray(out[i]).astype(int), want.astype(int), atol=1)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: SH.sample_sharpness(jax.random.key(0), (8, 8, 3), (2.0, 1.0)), "factor_range"),
    (lambda: SH.sample_sharpness(jax.random.key(0), (8, 8, 3), 2.0, probability=2.0), "probability"),
    (lambda: noise.multiplicative_noise(jnp.asarray(IMAGE), jnp.ones(2)), "multiplier"),
    (lambda: noise.sample_multiplicative_noise(jax.random.key(0), (8, 8, 3), multiplier_range=-1.0),
     "multiplier_range"),
    (lambda: noise.sample_multiplicative_noise(jax.random.key(0), (8, 8, 3), elementwise=1), "elementwise"),
    (lambda: noise.sample_iso_noise(jax.random.key(0), (8, 8, 3), intensity_range=3.0), "intensity_range"),
    (lambda: noise.iso_noise(jnp.asarray(IMAGE[..., :2]), 0.5, jnp.zeros((24, 24, 1)), jnp.zeros((24, 24, 1))),
     "RGB"),
    (lambda: PJ.sample_planckian_jitter(jax.random.key(0), (8, 8, 3), mode="daylight"), "mode"),
    (lambda: PJ.sample_planckian_jitter(jax.random.key(0), (8, 8, 3), select_from=[25]), "select_from"),
    (lambda: PJ.planckian_jitter(jnp.asarray(IMAGE), jnp.ones(4)), "gains"),
    (lambda: PD.sample_photometric_distort(jax.random.key(0), (8, 8, 3), hue=0.7), "hue"),
    (lambda: jaxaug.augmenter(iso_noise_intensity=-1.0), "iso_noise_intensity"),
    (lambda: jaxaug.augmenter(planckian_jitter_probability=0.5, planckian_jitter_mode="x"), "planckian_jitter_mode"),
    (lambda: jaxaug.augmenter(photometric_distort_probability=1.5), "photometric_distort_probability"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
