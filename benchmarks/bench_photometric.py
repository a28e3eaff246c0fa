"""The photometric set (issue 30) against albumentations: JPEG artifacts in pure JAX against a C codec.

The systems, on the same uint8 batch of smoothed-noise pictures, in interleaved rounds:

* `augmenter(jpeg_quality=(10, 95))`: each image's JPEG round trip (YCbCr, 4:2:0, 8x8 DCT,
  the IJG tables at a quality drawn per image) in one jitted call per batch;
* albumentations 2 `ImageCompression(quality_range=(10, 95), p=1)` (OpenCV's libjpeg encoder
  and decoder), one image at a time, as a `Dataset.__getitem__` would;
* the bare IDG warp, the yardstick of the other pixel ops' floors.

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
PEER = {"jaxaug jpeg": "albumentations ImageCompression"}


def pictures(shape):
    """Smoothed noise per image and channel, stretched to 0..255: textures a codec must work at."""
    n, h, w, c = shape
    rng = np.random.default_rng(0)
    out = np.empty(shape, np.uint8)
    for i in range(n):
        x = ndi.gaussian_filter(rng.random((h, w, c)), (2.0, 2.0, 0))
        out[i] = np.round((x - x.min()) / (x.max() - x.min()) * 255)
    return out


def systems(host):
    import albumentations as A

    images = jnp.asarray(host)
    jpeg = jax.jit(jaxaug.augmenter(jpeg_quality=(10, 95)))
    warp = jax.jit(bare_warp)
    compression = A.ImageCompression(quality_range=(10, 95), p=1.0)
    return {"jaxaug jpeg": Call(lambda key: jpeg(key, images), jax.block_until_ready, jax.random.key),
            "bare warp": Call(lambda key: warp(key, images), jax.block_until_ready, jax.random.key),
            "albumentations ImageCompression": Call(lambda _: [compression(image=x)["image"] for x in host])}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--min-time", type=float, default=0.3, help="seconds per system per round")
    p.add_argument("--shapes", default=",".join("x".join(map(str, s)) for s in SHAPES))
    p.add_argument("--out", default=None)
    args = p.parse_args()
    report = albumentations_report(args.rounds)
    for shape in parse_shapes(args.shapes):
        _, rates = time_calls(systems(pictures(shape)), shape[0], args.rounds, args.min_time)
        rows = peer_rows(shape, rates, PEER, "bare warp", "time_vs_bare_warp", "the bare warp's time")
        report["results"].append({"shape": list(shape), "systems": rows})
    write_report(report, args.out)


if __name__ == "__main__":
    main()
