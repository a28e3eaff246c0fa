"""Random affine augmentation: jaxaug against every peer installed, side by side, plus the cost in training.

The same work for every system: one random affine per image (rotation +-20 degrees, shifts
+-0.2 of the size, zoom 0.8-1.2), resampled bilinearly with "nearest" (edge-replicating)
fill, or the closest the peer offers (see the table's notes), at 128x32x32x3 and
32x224x224x3, float32 and uint8: one table per (shape, dtype).

How it stays fair:

* Every system gets the batch in its own layout and place, prepared before any clock
  starts: JAX systems a device array (no host<->device transfer is timed; timed calls end
  with `block_until_ready`), torch systems an NCHW tensor on the GPU when there is one
  (timed up to `torch.cuda.synchronize`), numpy peers (scipy, OpenCV, albumentations,
  Keras' ImageDataGenerator) a host array, looped per image as those libraries are used.
  Each system draws its own random parameters inside the timed call.
* Before timing, each system applies one fixed transform (rotation 10 degrees, shift
  (+0.1 H, -0.05 W), zoom 1.1, about the centre) through its own API -- degenerate random
  ranges or its deterministic twin -- and must match `scipy.ndimage.affine_transform`
  (bilinear, "nearest"; "grid-constant" for the peers that only fill with zeros) with
  Pearson r >= 0.9, keep the shape and stay in the input's value range; otherwise it is
  reported failed and not timed. The untransformed input scores r ~ 0.4 ("input_r" in the
  JSON), so a system doing less fails.
* The first call (compilation, caches) is reported apart from the steady state. Rounds are
  interleaved (A B C A B C ...); we report medians and the min-max spread over rounds.
* Two memory rooflines, one elementwise read+write pass over the same batch (jitted JAX on
  the device, numpy on the host), show how far each system is from the physical limit.
* Keras 3 layers run twice: as a pure function under `jax.jit` (`stateless_call`, seed
  state threaded through) and called eagerly as layers, op by op.
* Training: bench_train.py's step of examples/cifar10/train.py with and without the
  tutorial's augmentation (there the import-time GPU determinism flag has no effect).

    python benchmarks/bench_peers.py                 # the full run: ~11 min on 2 shared CPU cores
    python benchmarks/bench_peers.py --quick         # smoke test, ~1-2 min
    python benchmarks/bench_peers.py --systems jaxaug,cv2 --shapes 128x32x32x3 --dtypes uint8 --no-train

Writes peers-<backend>.json and .md into --out-dir after every table (a run cut short keeps
what it measured) and the .png at the end (skipped without matplotlib; `--from-json FILE`
redraws the .md and .png from a saved JSON). A peer that is not installed is skipped with a
printed line, and recorded with the reason. Keras runs on its JAX backend (KERAS_BACKEND is
set to "jax" unless already set).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import importlib.metadata
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from bench_train import bench_train
from bench_train import summary as train_summary
from bench_warp import RANGES, _grid, random_matrices
from common import Call, machine, parse_shapes, table, time_calls

import jaxaug

FIXED_ROTATION, FIXED_SHIFT, FIXED_ZOOM = 10.0, (0.1, -0.05), 1.1  # degrees, fractions of (H, W), Keras zoom
MIN_R = 0.9
WARP, AUGMENT = "jaxaug.affine_warp", "jaxaug.augmenter"
MAPC, MAPC_LOOP = "map_coordinates (vmap channels)", "map_coordinates (channel loop)"
KERAS_JIT, KERAS_EAGER, IDG = "keras3 layers (jit)", "keras3 layers (eager)", "keras ImageDataGenerator"
ROOF_JAX, ROOF_HOST = "memory roofline (jax)", "memory roofline (numpy)"
TARGETS = [  # (name, system, the peer(s) -- the fastest counts, minimum speed ratio)
    ("affine_warp vs map_coordinates, its faster form (aim 1.5x)", WARP, (MAPC, MAPC_LOOP), 1.0),
    ("affine_warp vs augmax", WARP, ("augmax",), 1.3),
    ("augmenter vs Keras ImageDataGenerator", AUGMENT, (IDG,), 50.0),
    ("augmenter vs Keras 3 layers (the faster way to call them)", AUGMENT, (KERAS_JIT, KERAS_EAGER), 20.0),
]
MAX_TRAIN_OVERHEAD = 1.05


class Skipped(Exception):
    """A peer that is not installed or cannot be imported."""


def need(module: str):
    if module.startswith("keras"):
        os.environ.setdefault("KERAS_BACKEND", "jax")  # read once, when keras is first imported
    try:
        return importlib.import_module(module)
    except Exception as err:  # a broken install (e.g. torch/torchvision mismatch) is as good as absent
        raise Skipped(f"cannot import {module}: {type(err).__name__}: {err}") from err


def version(dist: str) -> str:
    return importlib.metadata.version(dist)


# ------------------------------------------------------------------------------------------ places


@dataclasses.dataclass(frozen=True)
class Place:
    """Where a family of systems keeps its images, and how its calls are seeded and awaited."""

    kind: str  # "jax", "host" or "torch"
    put: Callable[[np.ndarray], Any]  # host NHWC -> the system's input
    get: Callable[[Any], np.ndarray]  # the system's output -> host NHWC
    sync: Callable[[Any], Any]
    seed: Callable[[int], Any]  # round -> the randomness argument of its calls


def jax_place() -> Place:
    return Place("jax", jax.device_put, np.asarray, jax.block_until_ready, lambda r: jax.random.key(100 + r))


HOST = Place("host", np.ascontiguousarray, np.asarray, lambda out: out, lambda r: np.random.default_rng(100 + r))


def torch_place(torch) -> Place:
    """NCHW tensors on the GPU if torch sees one; torch's own global generator draws."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    sync = (lambda out: torch.cuda.synchronize()) if device == "cuda" else (lambda out: out)
    return Place("torch", lambda a: torch.from_numpy(a.copy()).permute(0, 3, 1, 2).contiguous().to(device),
                 lambda t: t.permute(0, 2, 3, 1).cpu().numpy(), sync, lambda r: r)


@dataclasses.dataclass
class System:
    name: str
    place: Place
    random: Callable  # random(seed, x): the timed call, one random transform per image
    fixed: Callable | None  # fixed(x): the sanity transform; None for the rooflines
    version: str
    note: str = ""
    fill: str = "nearest"  # scipy's name for its fill; "grid-constant" (zeros, blended) where a peer has no other


# -------------------------------------------------------------------------------------- geometry


def fixed_params(hw) -> dict:
    """The sanity transform as `jaxaug.affine_matrix` parameters (pixels)."""
    h, w = hw
    return dict(rotation=FIXED_ROTATION, shift=(FIXED_SHIFT[0] * h, FIXED_SHIFT[1] * w), zoom=(FIXED_ZOOM, FIXED_ZOOM))


def fixed_matrix(hw) -> np.ndarray:
    """The reference pull matrix, from jaxaug's own builder (so `np_affine` is checked against it)."""
    return np.asarray(jaxaug.affine_matrix(hw, **fixed_params(hw)), np.float64)


def zoomed_last_shift(hw):
    """(dy, dx) for APIs that shift after rotating and scaling: the zoom shrinks our shift too."""
    dy, dx = fixed_params(hw)["shift"]
    return dy / FIXED_ZOOM, dx / FIXED_ZOOM


def np_affine(hw, rotation, dy, dx, zy, zx) -> np.ndarray:
    """Numpy twin of `jaxaug.affine_matrix` (rotation @ shift @ zoom about the centre), batched over arrays."""
    c, s = np.cos(np.deg2rad(rotation)), np.sin(np.deg2rad(rotation))
    lin = np.stack([np.stack([c * zy, s * zx], -1), np.stack([-s * zy, c * zx], -1)], -2)
    centre = np.array([hw[0] / 2 - 0.5, hw[1] / 2 - 0.5])
    m = np.zeros(lin.shape[:-2] + (3, 3))
    m[..., :2, :2], m[..., 2, 2] = lin, 1.0
    m[..., :2, 2] = centre - lin @ centre + np.stack([-c * dy - s * dx, s * dy - c * dx], -1)
    return m


def host_matrices(rng, n: int, hw) -> np.ndarray:
    """(n, 3, 3) random pull matrices drawn with numpy, Keras' distributions (as `random_matrices`)."""
    h, w = hw
    zy, zx = rng.uniform(0.8, 1.2, (2, n))
    return np_affine(hw, rng.uniform(-20, 20, n), rng.uniform(-0.2, 0.2, n) * h, rng.uniform(-0.2, 0.2, n) * w, zy, zx)


# ---------------------------------------------------------------------------------- JAX systems


def jax_matrix_system(name, warp, shape, version_, note="") -> System:
    """A JAX warp(images, matrices) fed jaxaug's random matrices (timed) or the fixed one (checked)."""
    n, h, w, _ = shape
    m = jnp.asarray(fixed_matrix((h, w)), jnp.float32)
    random = jax.jit(lambda key, x: warp(x, random_matrices(key, n, (h, w))))
    fixed = jax.jit(lambda x: warp(x, jnp.broadcast_to(m, (n, 3, 3))))
    return System(name, jax_place(), random, fixed, version_, note)


def _plane(plane, y, x):
    return jax.scipy.ndimage.map_coordinates(plane, [y, x], order=1, mode="nearest")


def map_coordinates_warp(images, matrices):
    """jax.scipy.ndimage.map_coordinates per channel, vmapped over channels and images (bench_warp's fastest)."""
    y, x = _grid(matrices, *images.shape[1:3])
    per_image = jax.vmap(_plane, in_axes=(0, None, None))
    return jnp.moveaxis(jax.vmap(per_image)(jnp.moveaxis(images, -1, 1), y, x), 1, -1)


def map_coordinates_loop_warp(images, matrices):
    """The obvious form: one map_coordinates call per channel, vmapped over images."""
    y, x = _grid(matrices, *images.shape[1:3])
    one = lambda img, yy, xx: jnp.stack([_plane(img[..., c], yy, xx) for c in range(img.shape[-1])], -1)  # noqa: E731
    return jax.vmap(one)(images, y, x)


def make_warp(shape, dtype):
    warp = lambda x, ms: jaxaug.affine_warp(x, ms, order=1, fill_mode="nearest")  # noqa: E731
    return jax_matrix_system(WARP, warp, shape, jaxaug.__version__, "matrices: jaxaug.random_affine_matrix, vmapped")


def make_map_coordinates(shape, dtype):
    return jax_matrix_system(MAPC, map_coordinates_warp, shape, jax.__version__,
                             "jax.scipy.ndimage per plane, vmapped over channels; jaxaug matrices")


def make_map_coordinates_loop(shape, dtype):
    return jax_matrix_system(MAPC_LOOP, map_coordinates_loop_warp, shape, jax.__version__,
                             "jax.scipy.ndimage, a Python loop over channels; jaxaug matrices")


def make_dm_pix(shape, dtype):
    pix = need("dm_pix")

    def warp(images, ms):
        # dm_pix resamples (H, W, C) as a 3-D volume: embed our 2-D matrix, channel axis untouched.
        m34 = jnp.zeros((ms.shape[0], 3, 4)).at[:, :2, :2].set(ms[:, :2, :2]).at[:, :2, 3].set(ms[:, :2, 2])
        m34 = m34.at[:, 2, 2].set(1.0)
        return jax.vmap(lambda img, m: pix.affine_transform(img, m, order=1, mode="nearest"))(images, m34)

    return jax_matrix_system("dm_pix", warp, shape, version("dm-pix"), "affine_transform vmapped; jaxaug matrices")


def make_augmenter(shape, dtype):
    augment = jaxaug.augmenter(**RANGES, fill_mode="nearest")
    fixed_affine = fixed_params(shape[1:3])

    def fixed(x):
        # The timed call's own sample -> apply path, with the affine parameters replaced.
        params = augment.sample(jax.random.key(0), x)
        drawn = params["affine"]
        params["affine"] = {**drawn, **{k: jnp.broadcast_to(jnp.asarray(v, drawn[k].dtype), drawn[k].shape)
                                        for k, v in fixed_affine.items()}}
        return augment.apply(params, x)

    return System(AUGMENT, jax_place(), jax.jit(augment), jax.jit(fixed), jaxaug.__version__,
                  "augmenter(rotation_range=20, shifts 0.2, zoom_range=0.2, fill_mode='nearest')")


def make_augmax(shape, dtype):
    augmax = need("augmax")
    from augmax.geometric import GeometricTransformation

    n, h, w, _ = shape

    class ShiftZoom(GeometricTransformation):
        """Shift, then Keras zoom, by `draw(rng) = (dy, dx, zy, zx)`: augmax has neither as a random op."""

        def __init__(self, draw):
            super().__init__()
            self.draw = draw

        def transform_coordinates(self, rng, coordinates, invert=False):
            dy, dx, zy, zx = self.draw(rng)
            coordinates.push_transform(jnp.array([[zy, 0, -dy], [0, zx, -dx], [0, 0, 1]]))

    def draw(rng):
        return jax.random.uniform(rng, (4,), minval=jnp.array([-0.2 * h, -0.2 * w, 0.8, 0.8]),
                                  maxval=jnp.array([0.2 * h, 0.2 * w, 1.2, 1.2]))

    def run(chain):  # augmax's chains pull through the last transform first: Chain(R, SZ) = R @ S @ Z
        return lambda key, x: jax.vmap(chain)(jax.random.split(key, x.shape[0]), x)

    p = fixed_params((h, w))
    still = jnp.array([*p["shift"], *p["zoom"]])
    random = run(augmax.Chain(augmax.Rotate((-20, 20)), ShiftZoom(draw)))
    fixed = run(augmax.Chain(augmax.Rotate((FIXED_ROTATION, FIXED_ROTATION)), ShiftZoom(lambda rng: still)))
    return System("augmax", jax_place(), jax.jit(random), jax.jit(lambda x: fixed(jax.random.key(0), x)),
                  version("augmax"), "Rotate + a shift/zoom GeometricTransformation; constant fill only",
                  fill="grid-constant")


def keras_layers(keras, shape, rotation, translation, zoom):
    """Keras 3's random layers in the tutorial's order, 'nearest' fill, bilinear (factors as Keras)."""
    opts = dict(fill_mode="nearest", interpolation="bilinear")
    model = keras.Sequential([keras.layers.RandomRotation(rotation, **opts),
                              keras.layers.RandomTranslation(*translation, **opts),
                              keras.layers.RandomZoom(*zoom, **opts)])
    model.build((None, *shape[1:]))
    return model


class KerasStateless:
    """A Keras model as a pure function under jax.jit, its seed-generator state threaded through calls."""

    def __init__(self, model):
        self.state = [v.value for v in model.non_trainable_variables]
        self.call = jax.jit(lambda state, x: model.stateless_call([], state, x, training=True))

    def __call__(self, seed, x):
        out, self.state = self.call(self.state, x)
        return out


def keras_pair(shape):
    """The random layers and layers with the fixed transform as degenerate ranges."""
    keras = need("keras")
    h, w = shape[1:3]
    p = fixed_params((h, w))
    deg = lambda v: (v, v)  # noqa: E731
    random = keras_layers(keras, shape, 20 / 360, (0.2, 0.2), (0.2, 0.2))
    # Keras rotates by a fraction of a turn, shifts by fractions of the size, and zooms out by +f.
    fixed = keras_layers(keras, shape, deg(FIXED_ROTATION / 360), (deg(p["shift"][0] / h), deg(p["shift"][1] / w)),
                         (deg(FIXED_ZOOM - 1), deg(FIXED_ZOOM - 1)))
    return random, fixed, version("keras")


def make_keras_jit(shape, dtype):
    random, fixed, v = keras_pair(shape)
    return System(KERAS_JIT, jax_place(), KerasStateless(random), lambda x: KerasStateless(fixed)(None, x), v,
                  "RandomRotation+RandomTranslation+RandomZoom, stateless_call under jax.jit; 3 resamplings")


def make_keras_eager(shape, dtype):
    random, fixed, v = keras_pair(shape)
    return System(KERAS_EAGER, jax_place(), lambda seed, x: random(x, training=True),
                  lambda x: fixed(x, training=True), v, "the same layers called eagerly, op by op")


# --------------------------------------------------------------------------------- host systems


def host_matrix_system(name, warp_one, shape, version_, note="") -> System:
    """A per-image numpy warp_one(image, matrix) fed numpy-drawn matrices (timed) or the fixed one."""
    n, h, w, _ = shape
    m = np_affine((h, w), FIXED_ROTATION, *fixed_params((h, w))["shift"], FIXED_ZOOM, FIXED_ZOOM)

    def random(rng, x):
        return np.stack([warp_one(img, mm) for img, mm in zip(x, host_matrices(rng, n, (h, w)), strict=True)])

    return System(name, HOST, random, lambda x: np.stack([warp_one(img, m) for img in x]), version_, note)


def scipy_one(image, matrix, mode="nearest"):
    nd = need("scipy.ndimage")
    return np.stack([nd.affine_transform(image[..., c], matrix, order=1, mode=mode)
                     for c in range(image.shape[-1])], -1)


def make_scipy(shape, dtype):
    return host_matrix_system("scipy.ndimage", scipy_one, shape, version("scipy"),
                              "affine_transform per image per channel")


def make_cv2(shape, dtype):
    cv2 = need("cv2")
    h, w = shape[1:3]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP  # our matrices pull, as WARP_INVERSE_MAP expects

    def warp_one(image, m):
        # OpenCV's matrices act on (x, y) = (col, row): swap both axes of ours.
        return cv2.warpAffine(image, m[[1, 0]][:, [1, 0, 2]], (w, h), flags=flags, borderMode=cv2.BORDER_REPLICATE)

    return host_matrix_system("OpenCV warpAffine", warp_one, shape, cv2.__version__,
                              "per image, BORDER_REPLICATE; uint8 weights are 5-bit fixed point")


def make_albumentations(shape, dtype):
    A, cv2 = need("albumentations"), need("cv2")
    h, w = shape[1:3]
    dy, dx = zoomed_last_shift((h, w))

    def affine(rotate, translate, scale):
        return A.Affine(rotate=rotate, translate_percent=translate, scale=scale, interpolation=cv2.INTER_LINEAR,
                        border_mode=cv2.BORDER_REPLICATE, p=1.0)

    random = affine((-20, 20), {"x": (-0.2, 0.2), "y": (-0.2, 0.2)}, {"x": (0.8, 1.2), "y": (0.8, 1.2)})
    # albumentations' scale magnifies (the inverse of Keras' zoom) and shifts after rotating and scaling.
    fixed = affine((FIXED_ROTATION, FIXED_ROTATION), {"x": (dx / w, dx / w), "y": (dy / h, dy / h)},
                   (1 / FIXED_ZOOM, 1 / FIXED_ZOOM))
    per_image = lambda t: lambda x: np.stack([t(image=img)["image"] for img in x])  # noqa: E731
    fixed_fn = per_image(fixed)
    return System("albumentations", HOST, lambda rng, x: per_image(random)(x), fixed_fn, version("albumentations"),
                  "A.Affine per image, BORDER_REPLICATE; magnification 0.8-1.2; shifts rounded to pixels")


def make_keras_idg(shape, dtype):
    keras = need("keras")
    idg_class = getattr(keras.preprocessing.image, "ImageDataGenerator", None)
    if idg_class is None:  # Keras >= 3.12 no longer exports it; the legacy module still has it
        idg_class = need("keras.src.legacy.preprocessing.image").ImageDataGenerator
    idg = idg_class(**RANGES, fill_mode="nearest", interpolation_order=1)
    dy, dx = fixed_params(shape[1:3])["shift"]
    # Keras 3's IDG pulls like us, with tx the column shift (Keras 2's tx moved rows): -d moves the content by +d.
    params = dict(theta=FIXED_ROTATION, tx=-dx, ty=-dy, zx=FIXED_ZOOM, zy=FIXED_ZOOM)
    return System(IDG, HOST, lambda rng, x: np.stack([idg.random_transform(img) for img in x]),
                  lambda x: np.stack([idg.apply_transform(img, params) for img in x]), version("keras"),
                  "legacy ImageDataGenerator.random_transform per image (scipy, order 1)")


# -------------------------------------------------------------------------------- torch systems


def torch_uint8(torch, fn):
    """Wraps a float-only torch fn(x) so uint8 batches round-trip through float32 inside the timed call."""
    def run(x):
        return fn(x) if x.dtype != torch.uint8 else fn(x.float()).round().clamp(0, 255).to(torch.uint8)

    return run


def make_kornia(shape, dtype):
    torch, K = need("torch"), need("kornia.augmentation")
    h, w = shape[1:3]
    aug = K.RandomAffine(degrees=20, translate=(0.2, 0.2), scale=(0.8, 1.2, 0.8, 1.2), padding_mode="border",
                         align_corners=True, p=1.0)
    dy, dx = zoomed_last_shift((h, w))

    def fixed(x):
        # The module's own apply path, fed our parameters: kornia shifts (x, y) pixels last, its angle
        # turns the other way from ours (as torchvision's), its scale magnifies.
        params = aug.forward_parameters(x.shape)
        params["angle"] = torch.full_like(params["angle"], -FIXED_ROTATION)
        params["translations"] = torch.tensor([[dx, dy]] * x.shape[0], dtype=params["translations"].dtype)
        params["scale"] = torch.full_like(params["scale"], 1 / FIXED_ZOOM)
        return aug(x, params=params)

    random = torch_uint8(torch, aug)
    return System("kornia", torch_place(torch), lambda seed, x: random(x), torch_uint8(torch, fixed),
                  version("kornia"), "RandomAffine batched, padding 'border', align_corners=True; uint8 via float32")


def make_torchvision(shape, dtype):
    torch, v2 = need("torch"), need("torchvision.transforms.v2")
    F, bilinear = v2.functional, v2.InterpolationMode.BILINEAR
    dy, dx = zoomed_last_shift(shape[1:3])
    t = v2.RandomAffine(degrees=20, translate=(0.2, 0.2), scale=(0.8, 1.2), interpolation=bilinear)
    # torchvision's affine angle is clockwise, its scale magnifies, its shift comes last.
    fixed_one = lambda img: F.affine(img, angle=-FIXED_ROTATION, translate=[dx, dy], scale=1 / FIXED_ZOOM,  # noqa: E731
                                     shear=[0.0, 0.0], interpolation=bilinear)
    # v2 transforms draw once per call and treat a batch as one image: loop for one draw per image.
    return System("torchvision v2", torch_place(torch), lambda seed, x: torch.stack([t(img) for img in x]),
                  lambda x: torch.stack([fixed_one(img) for img in x]), version("torchvision"),
                  "RandomAffine per image; constant fill only (no replicate); isotropic scale", fill="grid-constant")


# ------------------------------------------------------------------------------------ rooflines


def make_roof_jax(shape, dtype):
    # x + 1 (uint8 wraps): XLA's CPU float negation measured 3x slower than an add here.
    return System(ROOF_JAX, jax_place(), jax.jit(lambda key, x: x + 1), None, jax.__version__,
                  "one elementwise read+write pass on the device (x + 1)")


def make_roof_host(shape, dtype):
    out = np.empty(shape, dtype)  # preallocated: fresh pages would time the kernel's page faults
    return System(ROOF_HOST, HOST, lambda rng, x: np.add(x, 1, out=out), None, np.__version__,
                  "one elementwise read+write pass on the host (x + 1)")


BUILDERS = {WARP: make_warp, AUGMENT: make_augmenter, MAPC: make_map_coordinates, MAPC_LOOP: make_map_coordinates_loop,
            "augmax": make_augmax,
            "dm_pix": make_dm_pix, KERAS_JIT: make_keras_jit, KERAS_EAGER: make_keras_eager, IDG: make_keras_idg,
            "scipy.ndimage": make_scipy, "OpenCV warpAffine": make_cv2, "albumentations": make_albumentations,
            "kornia": make_kornia, "torchvision v2": make_torchvision, ROOF_JAX: make_roof_jax,
            ROOF_HOST: make_roof_host}
ROOFLINE_OF = {"jax": ROOF_JAX, "torch": ROOF_JAX, "host": ROOF_HOST}


# ------------------------------------------------------------------------------------- checking


def test_images(shape, dtype) -> np.ndarray:
    """Smooth random images (8x8 noise upsampled), so a correlation says whether the geometry is right."""
    n, h, w, c = shape
    coarse = np.random.default_rng(0).random((n, 8, 8, c), np.float32)
    images = np.asarray(jax.image.resize(coarse, shape, "linear"))
    return np.round(images * 255).astype(np.uint8) if dtype == "uint8" else images


def reference(images, fill: str) -> np.ndarray:
    m = fixed_matrix(images.shape[1:3])
    return np.stack([scipy_one(img, m, fill) for img in images.astype(np.float64)])


def pearson(a, b) -> float:
    return float(np.corrcoef(np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel())[0, 1])


def sanity(system: System, x, images, refs) -> dict:
    """The fixed transform against scipy with the system's fill: shape, finite, in range, r >= MIN_R."""
    out, ref = system.place.get(system.fixed(x)), refs[system.fill]
    lo, hi = float(images.min()), float(images.max())
    lo = lo if system.fill == "nearest" else min(lo, 0.0)
    tol = 1e-3 * (hi - lo) + (0.5 if images.dtype == np.uint8 else 0.0)
    check = {"fill": system.fill, "shape": list(out.shape), "dtype": str(out.dtype), "min": float(out.min()),
             "max": float(out.max()), "r": pearson(out, ref) if out.shape == ref.shape else None}
    problems = [text for bad, text in (
        (out.shape != ref.shape, f"shape {out.shape} != {ref.shape}"),
        (not np.isfinite(out.astype(np.float64)).all(), "non-finite values"),
        (check["min"] < lo - tol or check["max"] > hi + tol, f"values {check['min']:.4g}..{check['max']:.4g} "
                                                              f"outside the input's {lo:.4g}..{hi:.4g}"),
        (check["r"] is not None and not check["r"] >= MIN_R, f"r = {check['r']:.3f} < {MIN_R}"),
    ) if bad]
    return {**check, "ok": not problems, "problems": problems}


# ------------------------------------------------------------------------------------- benching


def prepare(name, build, shape, dtype, images, refs, skipped, result):
    """Builds, checks and warms one system; returns its timed Call, or None (skipped or failed)."""
    try:
        system = build(shape, dtype)
    except Skipped as err:
        skipped[name] = str(err)
        print(f"skipping {name}: {err}", flush=True)
        return None
    result["notes"][name], result["versions"][name], result["place"][name] = system.note, system.version, \
        system.place.kind
    try:
        x = system.place.put(images)
        if system.fixed is not None:
            result["sanity"][name] = check = sanity(system, x, images, refs)
            if not check["ok"]:
                raise ValueError("sanity check failed: " + "; ".join(check["problems"]))
        t0 = time.perf_counter()
        system.place.sync(system.random(system.place.seed(-3), x))
        result["compile_s"][name] = time.perf_counter() - t0
    except Exception as err:  # a failing peer is reported, never fatal to the run
        result["failed"][name] = f"{type(err).__name__}: {err}"[:500]
        print(f"FAILED {name}: {result['failed'][name]}", flush=True)
        return None
    return Call(lambda s, fn=system.random, x=x: fn(s, x), system.place.sync, system.place.seed)


def bench_table(shape, dtype, builders, rounds, min_time, skipped) -> dict:
    images = test_images(shape, dtype)
    refs = {fill: reference(images, fill) for fill in ("nearest", "grid-constant")}
    result = {"shape": list(shape), "dtype": dtype, "input_r": pearson(images, refs["nearest"]), "img_per_s": {},
              "compile_s": {}, "sanity": {}, "failed": {}, "notes": {}, "versions": {}, "place": {}}
    calls = {}
    for name, build in builders.items():
        if name not in skipped:
            call = prepare(name, build, shape, dtype, images, refs, skipped, result)
            if call is not None:
                calls[name] = call
    _, result["img_per_s"] = time_calls(calls, shape[0], rounds, min_time)
    return result


def medians(result) -> dict:
    return {name: statistics.median(r) for name, r in result["img_per_s"].items()}


def markdown(result) -> str:
    med = medians(result)
    title = f"### {'x'.join(map(str, result['shape']))} {result['dtype']} (bilinear, nearest fill)"
    reference = next((s for s in (WARP, AUGMENT) if s in med), next(iter(med)))
    vs_augment = {n: f"{med[AUGMENT] / m:.2f}x" for n, m in med.items()} if AUGMENT in med else {}
    roof = {n: f"{100 * m / med[ROOFLINE_OF[result['place'][n]]]:.1f} %" for n, m in med.items()
            if ROOFLINE_OF[result["place"][n]] in med}
    sane = {n: f"{c['r']:.3f}" for n, c in result["sanity"].items()}
    text = table(title, result, reference, extra=[(f"time vs {AUGMENT}", vs_augment), ("of roofline", roof),
                                                  ("sanity r", sane), ("notes", result["notes"])])
    for name, reason in result["failed"].items():
        text += f"\n\nFAILED {name}: {reason}"
    return text + f"\n\nUntransformed input vs the reference: r = {result['input_r']:.3f}."


def targets(report) -> list:
    """Each target's speed ratio in every table, and whether it holds in all of them."""
    out = []
    for label, system, peers, minimum in TARGETS:
        ratios = {}
        for result in report["tables"]:
            med = medians(result)
            present = [med[p] for p in peers if p in med]
            if system in med and present:
                ratios[f"{'x'.join(map(str, result['shape']))} {result['dtype']}"] = med[system] / max(present)
        met = (all(r >= minimum for r in ratios.values()) and bool(ratios)) if ratios else None
        out.append({"target": label, "minimum": minimum, "ratios": ratios, "met": met})
    if report.get("train"):
        ratio = report["train"]["step_time_ratio"]
        out.append({"target": "augmentation's cost in the training step (step time ratio, at most)",
                    "maximum": MAX_TRAIN_OVERHEAD, "ratios": {f"{report['train']['batch']}x32x32x3 uint8": ratio},
                    "met": ratio <= MAX_TRAIN_OVERHEAD})
    return out


def targets_text(rows) -> str:
    lines = ["\n### Targets"]
    for row in rows:
        bound = f">= {row['minimum']:g}x" if "minimum" in row else f"<= {row['maximum']:g}x"
        verdict = {True: "met", False: "NOT MET", None: "n/a (a system is missing)"}[row["met"]]
        ratios = ", ".join(f"{k}: {v:.2f}x" for k, v in row["ratios"].items())
        lines.append(f"- {row['target']} ({bound}): {verdict}. {ratios}")
    return "\n".join(lines)


def plot(report, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tables = report["tables"]
    cols = min(2, len(tables))
    rows = -(-len(tables) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(7 * cols, 0.32 * len(BUILDERS) * rows + 1.5), squeeze=False)
    for ax, result in zip(axes.ravel(), tables, strict=False):  # spare panels stay
        names = list(result["img_per_s"])[::-1]
        rates = [result["img_per_s"][n] for n in names]
        med = np.array([statistics.median(r) for r in rates])
        spread = [med - [min(r) for r in rates], [max(r) for r in rates] - med]
        colors = ["gray" if n.startswith("memory") else "tab:red" if n.startswith("jaxaug") else "tab:blue"
                  for n in names]
        ax.barh(names, med, xerr=spread, color=colors)
        ax.set_xscale("log")
        ax.set(xlabel="images / s (median, min-max over rounds)",
               title=f"{'x'.join(map(str, result['shape']))} {result['dtype']}")
        ax.grid(axis="x", which="both", alpha=0.3)
    for ax in axes.ravel()[len(tables):]:
        ax.axis("off")
    fig.suptitle(f"Random affine per image, bilinear ({report['machine']['device']})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--min-time", type=float, default=0.2, help="seconds per system per round")
    p.add_argument("--shapes", default="128x32x32x3,32x224x224x3")
    p.add_argument("--dtypes", default="float32,uint8")
    p.add_argument("--systems", help="comma-separated parts of system names (default: all); rooflines always run")
    p.add_argument("--train", action=argparse.BooleanOptionalAction, default=True,
                   help="time the CIFAR training step with and without augmentation")
    p.add_argument("--train-rounds", type=int, default=20)
    p.add_argument("--out-dir", default="benchmarks/results")
    p.add_argument("--quick", action="store_true", help="smoke test: tiny batch, 2 rounds, batch-16 training")
    p.add_argument("--from-json", help="only rewrite the .md and .png next to this saved JSON (no benchmarking)")
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.min_time, args.shapes, args.train_rounds = 2, 0.01, "8x32x32x3", 1
    return args


def selected(spec) -> dict:
    if not spec:
        return dict(BUILDERS)
    parts = [s.strip().lower() for s in spec.split(",") if s.strip()]
    return {n: b for n, b in BUILDERS.items() if n.startswith("memory") or any(s in n.lower() for s in parts)}


def report_text(report) -> str:
    text = "\n\n".join(markdown(r) for r in report["tables"]) + "\n" + targets_text(report["targets"])
    if report.get("train"):
        text += "\n" + train_summary(report["train"])
    text += "".join(f"\n- skipped {n}: {why}" for n, why in report["skipped"].items())
    return f"# jaxaug vs peers ({report['machine']['device']})\n{text}\n"


def write(report, stem: Path, figure: bool) -> None:
    """JSON and Markdown (after every table, so a run cut short keeps what it measured), PNG at the end."""
    report["targets"] = targets(report)
    stem.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
    stem.with_suffix(".md").write_text(report_text(report))
    if not figure:
        return
    try:
        plot(report, stem.with_suffix(".png"))
    except ImportError as err:  # e.g. a GPU machine without matplotlib: replot later with --from-json
        print(f"no chart: {err}")
        return
    print(f"wrote {stem.with_suffix('.png')}")


def main(argv=None):
    args = parse_args(argv)
    if args.from_json:
        report = json.loads(Path(args.from_json).read_text())
        write(report, Path(args.from_json).with_suffix(""), figure=True)
        print(report_text(report))
        return
    builders = selected(args.systems)
    stem = Path(args.out_dir) / f"peers-{jax.default_backend()}"
    stem.parent.mkdir(parents=True, exist_ok=True)
    report = {**machine(), "args": vars(args), "skipped": {}, "tables": []}
    for shape in parse_shapes(args.shapes):
        for dtype in args.dtypes.split(","):
            result = bench_table(shape, dtype, builders, args.rounds, args.min_time, report["skipped"])
            report["tables"].append(result)
            report["versions"].update(result["versions"])
            print(markdown(result), flush=True)
            write(report, stem, figure=False)
    if args.train:
        report["train"] = bench_train(args.train_rounds, args.min_time, 16 if args.quick else 128)
        print(train_summary(report["train"]), flush=True)
    print(targets_text(report["targets"]))
    write(report, stem, figure=True)
    print(f"wrote {stem}.json and .md")


if __name__ == "__main__":
    main()
