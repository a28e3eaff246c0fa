"""The whole photo pipeline against albumentations: geometry + colour + blur + noise + dots + cutout.

The same operations on both sides, drawn per image (issue 28):

* affine: rotation 20 degrees, shifts 0.2, zoom 0.2, shear 10 degrees, horizontal flip, bilinear,
  nearest-edge fill (albumentations: `Affine(..., border_mode=BORDER_REPLICATE)` + `HorizontalFlip`);
* brightness, contrast, saturation in 0.8-1.2 and hue 0.05 (`ColorJitter`);
* Gaussian blur, sigma up to 1 (`GaussianBlur(sigma_limit=(0.1, 1))`);
* Gaussian noise, sigma up to 0.03 of the range (`GaussNoise(std_range=(0, 0.03))`);
* salt and pepper, 1 % of the pixels (`SaltAndPepper(amount=(0.01, 0.01))`);
* one cutout of a quarter of the side (`CoarseDropout(num_holes_range=(1, 1), ...)`).

The systems: `jaxaug.augmenter` (one jitted call per batch), albumentations in this process
(one image at a time, as a `Dataset.__getitem__` would), and albumentations in two worker
processes (each augments its half of the batch, as a `DataLoader` with two workers; only a
checksum comes back, so the figure leaves out the transfer a real loader pays). The geometry
alone (`augmenter` with the affine options against `Affine` + `HorizontalFlip`) is timed too.

    python benchmarks/bench_albumentations.py --out benchmarks/results/albumentations-cpu-zen4.json
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics

import jax
import jax.numpy as jnp
import numpy as np
from bench_augment import GEOMETRY
from common import Call, albumentations_report, parse_shapes, time_calls, write_report

import jaxaug

SHAPES = ((128, 32, 32, 3), (32, 224, 224, 3))
PIXEL_OPS = dict(brightness_range=(0.8, 1.2), contrast_range=(0.8, 1.2), saturation_range=(0.8, 1.2), hue_range=0.05,
                 blur_sigma_range=(0.0, 1.0), gaussian_noise_sigma=(0.0, 0.03), salt_and_pepper_amount=0.01,
                 cutout_size=0.25)


def albumentations_pipeline(pixel_ops: bool):
    import albumentations as A
    import cv2

    geometry = [A.Affine(rotate=(-20, 20), translate_percent=(-0.2, 0.2), scale=(1 / 1.2, 1 / 0.8),
                         shear=(-10, 10), interpolation=cv2.INTER_LINEAR, border_mode=cv2.BORDER_REPLICATE, p=1.0),
                A.HorizontalFlip(p=0.5)]
    pixels = [A.ColorJitter(brightness=(0.8, 1.2), contrast=(0.8, 1.2), saturation=(0.8, 1.2), hue=(-0.05, 0.05),
                            p=1.0),
              A.GaussianBlur(sigma_limit=(0.1, 1.0), p=1.0),
              A.GaussNoise(std_range=(0.0, 0.03), p=1.0),
              A.SaltAndPepper(amount=(0.01, 0.01), p=1.0),
              A.CoarseDropout(num_holes_range=(1, 1), hole_height_range=(0.25, 0.25), hole_width_range=(0.25, 0.25),
                              fill=0, p=1.0)]
    return A.Compose(geometry + (pixels if pixel_ops else []))


_WORKER = {}


def _worker_init(images, pixel_ops):
    _WORKER["images"], _WORKER["pipeline"] = images, albumentations_pipeline(pixel_ops)


def _worker_run(bounds):
    lo, hi = bounds
    return sum(int(_WORKER["pipeline"](image=image)["image"][0, 0, 0]) for image in _WORKER["images"][lo:hi])


def _time_one(shape, host, pixel_ops, rounds, min_time, pool_size):
    """{system: median img/s} for one option set: jaxaug, albumentations here, and in `pool_size` workers."""
    images = jnp.asarray(host)
    augment = jax.jit(jaxaug.augmenter(**GEOMETRY, **(PIXEL_OPS if pixel_ops else {})))
    pipeline = albumentations_pipeline(pixel_ops)
    parts = [(i * shape[0] // pool_size, (i + 1) * shape[0] // pool_size) for i in range(pool_size)]
    workers = f"albumentations, {pool_size} workers"
    with multiprocessing.get_context("spawn").Pool(pool_size, initializer=_worker_init,
                                                   initargs=(host, pixel_ops)) as pool:
        pool.map(_worker_run, parts)  # start-up and the workers' first calls, untimed
        calls = {"jaxaug": Call(lambda key: augment(key, images), jax.block_until_ready, jax.random.key),
                 "albumentations": Call(lambda _: [pipeline(image=image)["image"] for image in host]),
                 workers: Call(lambda _: pool.map(_worker_run, parts))}
        _, rates = time_calls(calls, shape[0], rounds, min_time)
    return {k: statistics.median(v) for k, v in rates.items()}


def bench(shape, rounds, min_time, pool_size):
    host = np.random.default_rng(0).integers(0, 256, shape).astype(np.uint8)
    lines = {}
    for label, pixel_ops in (("geometry", False), ("geometry + pixel ops", True)):
        med = _time_one(shape, host, pixel_ops, rounds, min_time, pool_size)
        one, many = med["jaxaug"] / med["albumentations"], med["jaxaug"] / med[f"albumentations, {pool_size} workers"]
        lines[label] = {"img_per_s": med, "vs_albumentations": one, f"vs_albumentations_{pool_size}_workers": many}
        rates = "  ".join(f"{k} {v:,.0f}" for k, v in med.items())
        print(f"{'x'.join(map(str, shape)):>12} {label:22s} {rates}  | jaxaug / albumentations {one:.2f}x, "
              f"/ {pool_size} workers {many:.2f}x", flush=True)
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--min-time", type=float, default=0.3, help="seconds per system per round")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--shapes", default=",".join("x".join(map(str, s)) for s in SHAPES))
    p.add_argument("--out", default=None)
    args = p.parse_args()
    report = albumentations_report(args.rounds)
    for shape in parse_shapes(args.shapes):
        report["results"].append({"shape": list(shape), **bench(shape, args.rounds, args.min_time, args.workers)})
    write_report(report, args.out)


if __name__ == "__main__":
    main()
