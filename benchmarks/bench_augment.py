"""The full augment pipeline against a bare warp of the same batch.

Systems, each one jitted call on a batch, one draw per image:

* `bare affine_warp`: per-image keys, `random_affine_matrix` (rotation, shifts, zoom, shear,
  flip) and `affine_warp` -- the least any pipeline doing this geometry must do;
* `augmenter, IDG geometry`: the same geometry through `jaxaug.augmenter`;
* `augmenter, full IDG`: + brightness and channel shift (every ImageDataGenerator
  transform option);
* `augmenter, every op`: + contrast, saturation, hue, HSV contrast, blur, noise,
  salt and pepper, cutout (for information: these ops have no IDG counterpart);
* `per-image one_of / random_apply`: each image draws one of four geometric ops and, with
  probability 1/2, one of three colour ops (`jaxaug.pipeline.one_of`, `random_apply`).

The issue's floor: "full IDG" within 1.2x of the bare warp.

    python benchmarks/bench_augment.py --rounds 15 --out benchmarks/results/augment-cpu.json
"""

from __future__ import annotations

import argparse
import statistics

import jax
import jax.numpy as jnp
import numpy as np
from common import machine, parse_shapes, table, time_systems, write_report

import jaxaug
from jaxaug import pipeline as jp

GEOMETRY = dict(rotation_range=20.0, width_shift_range=0.2, height_shift_range=0.2, zoom_range=0.2,
                shear_range=10.0, horizontal_flip=True)
FULL_IDG = dict(GEOMETRY, brightness_range=(0.8, 1.2), channel_shift_range=20.0)
EVERY_OP = dict(FULL_IDG, contrast_range=(0.8, 1.2), saturation_range=(0.8, 1.2), hue_range=0.05,
                hsv_contrast_range=(0.25, 4.0), blur_sigma_range=(0.0, 1.0), gaussian_noise_sigma=(0.0, 0.03),
                salt_and_pepper_amount=0.01, cutout_size=0.25)


def idg_matrices(key, images):
    """Per-image `random_affine_matrix` of the IDG geometry, image i from `fold_in(key, i)`."""
    keys = jax.vmap(jax.random.fold_in, in_axes=(None, 0))(key, jnp.arange(images.shape[0]))
    return jax.vmap(lambda k: jaxaug.random_affine_matrix(k, images.shape[1:], **GEOMETRY))(keys)


def bare_warp(key, images):
    return jaxaug.affine_warp(images, idg_matrices(key, images))


# Per-image choices (issue 17): one of four geometric ops and one of three pixel ops per image,
# each pixel op applied with probability 1/2, all decided inside the one compiled call.
PER_IMAGE = jp.chain(jp.one_of(jp.rotation(30.0), jp.shear(15.0), jp.zoom(0.2), jp.shift(width_shift_range=0.2)),
                     jp.random_apply(jp.one_of(jp.brightness((0.6, 1.4)), jp.contrast((0.6, 1.4)),
                                               jp.saturation((0.5, 1.5))), 0.5))


def systems(value_range):
    return {
        "bare affine_warp": bare_warp,
        "augmenter, IDG geometry": jaxaug.augmenter(**GEOMETRY),
        "augmenter, full IDG": jaxaug.augmenter(**FULL_IDG, value_range=value_range),
        "augmenter, every op": jaxaug.augmenter(**EVERY_OP, value_range=value_range),
        "per-image one_of / random_apply": jaxaug.Augmenter(PER_IMAGE, value_range=value_range),
    }


def bench(shape, dtype, rounds, min_time):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, shape).astype(dtype) if dtype == "uint8" else rng.random(shape, np.float32)
    images = jnp.asarray(images)
    value_range = (0.0, 255.0) if dtype == "uint8" else (0.0, 1.0)
    compile_s, rates = time_systems(systems(value_range), images, rounds, min_time)
    return {"shape": list(shape), "dtype": dtype, "compile_s": compile_s, "img_per_s": rates}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--min-time", type=float, default=0.2, help="seconds per system per round")
    p.add_argument("--shapes", default="128x32x32x3,32x224x224x3")
    p.add_argument("--dtypes", default="float32,uint8")
    p.add_argument("--out", default="benchmarks/results/augment-cpu.json")
    args = p.parse_args()
    report = {**machine(), "rounds": args.rounds, "results": []}
    for shape in parse_shapes(args.shapes):
        for dtype in args.dtypes.split(","):
            result = bench(shape, dtype, args.rounds, args.min_time)
            med = {k: statistics.median(v) for k, v in result["img_per_s"].items()}
            result["full_idg_time_vs_bare"] = med["bare affine_warp"] / med["augmenter, full IDG"]
            report["results"].append(result)
            print(table(f"{'x'.join(map(str, shape))} {dtype}", result, "bare affine_warp"), flush=True)
    write_report(report, args.out)


if __name__ == "__main__":
    main()
