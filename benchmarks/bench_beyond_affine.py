"""Warps beyond affine (issue 29) against albumentations: perspective, elastic, grid and optical distortion.

The systems, on the same uint8 batch, in interleaved rounds:

* `augmenter(perspective_distortion_scale=0.25)`: torchvision's corner rule, each corner moved
  inward by up to 1/8 of the size (1/16 on average, about albumentations' mean move at
  scale 0.05-0.1), bilinear, constant fill; one jitted call per batch, one projective warp;
* `augmenter(elastic_alpha=50, elastic_sigma=5)`: the displacement field drawn per image on its
  coarse grid, added to the coordinates of the one warp;
* `augmenter(grid_distortion_limit=0.3)` (5 cells per side) and
  `augmenter(optical_distortion_limit=0.05)` (the camera lens): fields of two short tables and
  of a closed form, computed where the warp reads;
* each of them with Keras' IDG geometry (rotation, shifts, zoom, shear, flip) composed into it:
  still one resample per image;
* the IDG geometry alone (the affine warp), the reference for what they add;
* the least an XLA resample can do: `jax.scipy.ndimage.map_coordinates` (order 1, vmapped over
  images and channels) at coordinates given as arguments (a perspective's, computed beforehand
  and not timed), rounded to uint8: the bilinear gathers alone, as a floor for any warp on XLA;
* albumentations 2 `Perspective(scale=(0.05, 0.1), p=1)`, `ElasticTransform(alpha=50, sigma=5,
  p=1)`, `GridDistortion(num_steps=5, distort_limit=0.3, p=1)` and
  `OpticalDistortion(distort_limit=0.05, p=1)` (bilinear, constant fill), one image at a time,
  as a `Dataset.__getitem__` would.

The distributions differ in detail (albumentations moves corners by |N(0, sigma)|, torchvision
uniformly inward; albumentations' elastic noise is Gaussian scaled by its maximum, ours uniform);
the cost of the warps does not depend on them.

    python benchmarks/bench_beyond_affine.py --out benchmarks/results/beyond-affine-cpu-zen4.json
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np
from bench_augment import GEOMETRY
from common import Call, albumentations_report, parse_shapes, peer_rows, time_calls, write_report

import jaxaug

SHAPES = ((32, 224, 224, 3),)
PERSPECTIVE = dict(perspective_distortion_scale=0.25, fill_mode="constant")
ELASTIC = dict(elastic_alpha=50.0, elastic_sigma=5.0, fill_mode="constant")
GRID = dict(grid_distortion_limit=0.3, grid_distortion_steps=5, fill_mode="constant")
OPTICAL = dict(optical_distortion_limit=0.05, fill_mode="constant")
WARPS = {"perspective": PERSPECTIVE, "elastic": ELASTIC, "grid distortion": GRID, "optical distortion": OPTICAL}
PEER = {"jaxaug perspective": "albumentations Perspective", "jaxaug elastic": "albumentations ElasticTransform",
        "jaxaug grid distortion": "albumentations GridDistortion",
        "jaxaug optical distortion": "albumentations OpticalDistortion"}


GATHERS = "XLA bilinear gathers alone"


def _gathers_alone(images):
    """A jitted call of map_coordinates at fixed perspective coordinates (arguments, not timed)."""
    n, h, w, _ = images.shape
    rng = np.random.default_rng(1)
    rows, cols = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32), indexing="ij")
    z = 1 + rng.uniform(-3e-4, 3e-4, (n, 1, 1)) * rows + rng.uniform(-3e-4, 3e-4, (n, 1, 1)) * cols
    y, x = jnp.asarray(rows / z, jnp.float32), jnp.asarray(cols / z, jnp.float32)
    plane = lambda p, yy, xx: jax.scipy.ndimage.map_coordinates(p, [yy, xx], order=1, mode="nearest")  # noqa: E731
    per_image = jax.vmap(plane, in_axes=(0, None, None))

    @jax.jit
    def resample(key, images, y, x):
        out = jax.vmap(per_image)(jnp.moveaxis(images, -1, 1).astype(jnp.float32), y, x)
        return jnp.clip(jnp.round(jnp.moveaxis(out, 1, -1)), 0, 255).astype(jnp.uint8)

    return lambda key, images: resample(key, images, y, x)


def systems(host):
    import albumentations as A
    import cv2

    images = jnp.asarray(host)
    augmenters = {"jaxaug IDG (affine)": jaxaug.augmenter(**GEOMETRY, fill_mode="constant")}
    for name, options in WARPS.items():
        augmenters[f"jaxaug {name}"] = jaxaug.augmenter(**options)
        augmenters[f"jaxaug {name} + IDG"] = jaxaug.augmenter(**GEOMETRY, **options)
    jitted = {name: jax.jit(fn) for name, fn in augmenters.items()}
    jitted[GATHERS] = _gathers_alone(images)
    calls = {name: Call(lambda key, f=f: f(key, images), jax.block_until_ready, jax.random.key)
             for name, f in jitted.items()}
    album = A.Perspective(scale=(0.05, 0.1), interpolation=cv2.INTER_LINEAR, border_mode=cv2.BORDER_CONSTANT,
                          fill=0, keep_size=True, p=1.0)
    calls["albumentations Perspective"] = Call(lambda _: [album(image=image)["image"] for image in host])
    elastic = A.ElasticTransform(alpha=50.0, sigma=5.0, interpolation=cv2.INTER_LINEAR,
                                 border_mode=cv2.BORDER_CONSTANT, fill=0, p=1.0)
    calls["albumentations ElasticTransform"] = Call(lambda _: [elastic(image=image)["image"] for image in host])
    grid = A.GridDistortion(num_steps=5, distort_limit=0.3, interpolation=cv2.INTER_LINEAR,
                            border_mode=cv2.BORDER_CONSTANT, fill=0, p=1.0)
    calls["albumentations GridDistortion"] = Call(lambda _: [grid(image=image)["image"] for image in host])
    optical = A.OpticalDistortion(distort_limit=0.05, interpolation=cv2.INTER_LINEAR, border_mode=cv2.BORDER_CONSTANT,
                                  fill=0, p=1.0)
    calls["albumentations OpticalDistortion"] = Call(lambda _: [optical(image=image)["image"] for image in host])
    return calls


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--min-time", type=float, default=0.3, help="seconds per system per round")
    p.add_argument("--shapes", default=",".join("x".join(map(str, s)) for s in SHAPES))
    p.add_argument("--out", default=None)
    args = p.parse_args()
    report = albumentations_report(args.rounds)
    for shape in parse_shapes(args.shapes):
        host = np.random.default_rng(0).integers(0, 256, shape).astype(np.uint8)
        _, rates = time_calls(systems(host), shape[0], args.rounds, args.min_time)
        rows = peer_rows(shape, rates, PEER, "jaxaug IDG (affine)", "time_vs_affine", "the affine time")
        report["results"].append({"shape": list(shape), "systems": rows})
    write_report(report, args.out)


if __name__ == "__main__":
    main()
