"""The photometric set (issue 30) against albumentations and OpenCV, op by op.

The systems, on the same uint8 batch of smoothed-noise pictures, in interleaved rounds:

* `augmenter(<op's option>)` for each op of the set: the op alone, drawn per image, one jitted
  call per batch (a pipeline without geometry does not warp);
* its albumentations 2 peer (`p=1`, the same ranges), one image at a time, as a
  `Dataset.__getitem__` would; for the median blur and CLAHE also OpenCV itself per image
  (`cv2.medianBlur`, `createCLAHE().apply` on L as albumentations does), the issue's yardsticks;
* the bare IDG warp, the yardstick of the other ops' floors (time / the warp's time).

    python benchmarks/bench_photometric.py --out benchmarks/results/photometric-cpu-zen4.json
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np
import scipy.ndimage as ndi
from bench_augment import bare_warp
from common import Call, albumentations_report, parse_shapes, peer_rows, time_calls, write_report

import jaxaug

SHAPES = ((32, 224, 224, 3),)

# jaxaug system: (its augmenter options, its albumentations peer's name and constructor arguments).
OPS = {
    "jpeg": (dict(jpeg_quality=(10, 95)), ("ImageCompression", dict(quality_range=(10, 95)))),
    "clahe": (dict(clahe_clip_limit=(1.0, 4.0)), ("CLAHE", dict(clip_limit=(1.0, 4.0), tile_grid_size=(8, 8)))),
    "median_blur 5": (dict(median_blur_size=5), ("MedianBlur", dict(blur_limit=(5, 5)))),
    "box_blur": (dict(box_blur_size=(3, 7)), ("Blur", dict(blur_limit=(3, 7)))),
    "motion_blur": (dict(motion_blur_size=(3, 7)), ("MotionBlur", dict(blur_limit=(3, 7)))),
    "rgb_shift": (dict(rgb_shift_limit=20.0), ("RGBShift", dict(r_shift_limit=20, g_shift_limit=20, b_shift_limit=20))),
    "channel_shuffle": (dict(channel_shuffle_probability=1.0), ("ChannelShuffle", {})),
    "channel_dropout": (dict(channel_dropout_probability=1.0), ("ChannelDropout", {})),
    "multiplicative_noise": (dict(multiplicative_noise_range=(0.9, 1.1), multiplicative_noise_per_channel=True,
                                  multiplicative_noise_elementwise=True),
                             ("MultiplicativeNoise", dict(multiplier=(0.9, 1.1), per_channel=True, elementwise=True))),
    "iso_noise": (dict(iso_noise_intensity=(0.1, 0.5)), ("ISONoise", dict(intensity=(0.1, 0.5)))),
    "planckian_jitter": (dict(planckian_jitter_probability=1.0), ("PlanckianJitter", {})),
    "sharpness": (dict(sharpness_range=(0.5, 2.0)), None),
    "photometric_distort": (dict(photometric_distort_probability=0.5), None),
}


def pictures(shape):
    """Smoothed noise per image and channel, stretched to 0..255: textures a codec must work at."""
    n, h, w, c = shape
    rng = np.random.default_rng(0)
    out = np.empty(shape, np.uint8)
    for i in range(n):
        x = ndi.gaussian_filter(rng.random((h, w, c)), (2.0, 2.0, 0))
        out[i] = np.round((x - x.min()) / (x.max() - x.min()) * 255)
    return out


def _opencv(host):
    """OpenCV itself, per image: the median blur's and CLAHE's yardsticks."""
    import cv2

    clahe = cv2.createCLAHE(clipLimit=2.5, tileGridSize=(8, 8))

    def lab_clahe(x):
        lab = cv2.cvtColor(x, cv2.COLOR_RGB2LAB)
        lab[..., 0] = clahe.apply(lab[..., 0])
        return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)

    return {"cv2.medianBlur 5": Call(lambda _: [cv2.medianBlur(x, 5) for x in host]),
            "cv2 CLAHE on L": Call(lambda _: [lab_clahe(x) for x in host])}


def systems(host, names):
    import albumentations as A

    images = jnp.asarray(host)
    warp = jax.jit(bare_warp)
    out = {"bare warp": Call(lambda key: warp(key, images), jax.block_until_ready, jax.random.key)}
    peers = {}
    for name in names:
        options, peer = OPS[name]
        fn = jax.jit(jaxaug.augmenter(**options))
        out[f"jaxaug {name}"] = Call(lambda key, fn=fn: fn(key, images), jax.block_until_ready, jax.random.key)
        if peer is not None:
            transform = getattr(A, peer[0])(**peer[1], p=1.0)
            out[f"albumentations {peer[0]}"] = Call(lambda _, t=transform: [t(image=x)["image"] for x in host])
            peers[f"jaxaug {name}"] = f"albumentations {peer[0]}"
    if {"median_blur 5", "clahe"} & set(names):
        out.update(_opencv(host))
    return out, peers


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--min-time", type=float, default=0.3, help="seconds per system per round")
    p.add_argument("--shapes", default=",".join("x".join(map(str, s)) for s in SHAPES))
    p.add_argument("--ops", default=",".join(OPS), help="comma-separated: " + ", ".join(OPS))
    p.add_argument("--out", default=None)
    args = p.parse_args()
    names = args.ops.split(",")
    unknown = sorted(set(names) - set(OPS))
    if unknown:
        p.error(f"--ops: unknown {unknown}; known: {', '.join(OPS)}")
    report = albumentations_report(args.rounds)
    for shape in parse_shapes(args.shapes):
        calls, peers = systems(pictures(shape), names)
        _, rates = time_calls(calls, shape[0], args.rounds, args.min_time)
        rows = peer_rows(shape, rates, peers, "bare warp", "time_vs_bare_warp", "the bare warp's time")
        report["results"].append({"shape": list(shape), "systems": rows})
    write_report(report, args.out)


if __name__ == "__main__":
    main()
