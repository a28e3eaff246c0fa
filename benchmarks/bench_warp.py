"""Random affine warps per image: jaxaug against the obvious JAX baselines and augmax.

Every system does the same work inside one jitted call: draw a random affine per
image (rotation +-20 degrees, shifts +-0.2 of the size, zoom 0.8-1.2), then resample
the batch bilinearly. Rounds are interleaved (A B C A B C ...) so a noisy neighbour
hurts every system alike; we report the median and the spread over rounds, and
ratios to jaxaug from the same run. A memory roofline (one elementwise read+write
pass over the batch) shows how far each system is from the physical limit.

    python benchmarks/bench_warp.py --rounds 15 --out benchmarks/results/warp-cpu.json
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np
from common import machine, parse_shapes, table, time_systems, write_report

import jaxaug

RANGES = dict(rotation_range=20.0, width_shift_range=0.2, height_shift_range=0.2, zoom_range=0.2)


def random_matrices(key, n, hw):
    keys = jax.random.split(key, n)
    return jax.vmap(lambda k: jaxaug.random_affine_matrix(k, hw, **RANGES))(keys)


def jaxaug_warp(key, images):
    ms = random_matrices(key, images.shape[0], images.shape[1:3])
    return jaxaug.affine_warp(images, ms, order=1, fill_mode="nearest")


def _grid(ms, h, w):
    rows = jnp.arange(h, dtype=jnp.float32)[:, None]
    cols = jnp.arange(w, dtype=jnp.float32)[None, :]
    y = ms[:, 0, 0, None, None] * rows + ms[:, 0, 1, None, None] * cols + ms[:, 0, 2, None, None]
    x = ms[:, 1, 0, None, None] * rows + ms[:, 1, 1, None, None] * cols + ms[:, 1, 2, None, None]
    return y, x


def map_coordinates_loop(key, images):
    """jax.scipy.ndimage.map_coordinates, one call per channel, vmapped over images."""
    n, h, w, c = images.shape
    y, x = _grid(random_matrices(key, n, (h, w)), h, w)

    def one(img, yy, xx):
        return jnp.stack([jax.scipy.ndimage.map_coordinates(img[..., i], [yy, xx], order=1, mode="nearest")
                          for i in range(c)], -1)

    return jax.vmap(one)(images, y, x)


def map_coordinates_vmap(key, images):
    """map_coordinates vmapped over channels too (planar), the fastest form we found."""
    n, h, w, _ = images.shape
    y, x = _grid(random_matrices(key, n, (h, w)), h, w)
    plane = lambda p, yy, xx: jax.scipy.ndimage.map_coordinates(p, [yy, xx], order=1, mode="nearest")  # noqa: E731
    per_image = jax.vmap(plane, in_axes=(0, None, None))
    return jnp.moveaxis(jax.vmap(per_image)(jnp.moveaxis(images, -1, 1), y, x), 1, -1)


def make_augmax():
    """augmax's fused geometric chain; it has no random shift/zoom, so we add two tiny
    transforms through its own `push_transform` API. It only offers constant fill."""
    import augmax
    from augmax.geometric import GeometricTransformation

    class RandomShiftZoom(GeometricTransformation):
        def __init__(self, shape):
            super().__init__()
            self.h, self.w = shape

        def transform_coordinates(self, rng, coordinates, invert=False):
            k1, k2 = jax.random.split(rng)
            dy, dx = jax.random.uniform(k1, (2,), minval=-0.2, maxval=0.2) * jnp.array([self.h, self.w])
            zy, zx = jax.random.uniform(k2, (2,), minval=0.8, maxval=1.2)
            coordinates.push_transform(jnp.array([[1 / zy, 0, -dy], [0, 1 / zx, -dx], [0, 0, 1]]))

    def run(key, images):
        chain = augmax.Chain(augmax.Rotate((-20, 20)), RandomShiftZoom(images.shape[1:3]))
        return jax.vmap(chain)(jax.random.split(key, images.shape[0]), images)

    return run


def roofline(key, images):
    del key
    return images * 1.0001 + 1e-4


def systems():
    out = {"jaxaug.affine_warp": jaxaug_warp, "map_coordinates (channel loop)": map_coordinates_loop,
           "map_coordinates (vmap channels)": map_coordinates_vmap}
    try:
        out["augmax"] = make_augmax()
    except ImportError:
        print("skipping augmax: not installed (pip install '.[bench]')")
    out["memory roofline"] = roofline
    return out


def sanity_check(name, fn, images):
    """Output must look like a warp: same shape, values in range, not the input itself."""
    out = np.asarray(fn(jax.random.key(0), images))
    assert out.shape == images.shape, (name, out.shape)
    assert np.isfinite(out).all() and out.min() >= -1e-3 and out.max() <= 1 + 1e-3, name
    if name != "memory roofline":
        corr = np.corrcoef(out.ravel(), np.asarray(images).ravel())[0, 1]
        assert 0.0 < corr < 0.999, (name, corr)  # transformed, yet still the same picture


def bench_shape(shape, rounds, min_time):
    images = jnp.asarray(np.random.default_rng(0).random(shape, np.float32))
    # Smooth images so the correlation check means something.
    images = jnp.asarray(jax.image.resize(images[:, ::4, ::4], shape, "linear"))
    fns = systems()
    compile_s, rates = time_systems(fns, images, rounds, min_time)
    for name, fn in fns.items():
        sanity_check(name, jax.jit(fn), images)
    return {"shape": list(shape), "dtype": "float32", "compile_s": compile_s, "img_per_s": rates}


def summarize(result):
    title = f"{'x'.join(map(str, result['shape']))} float32, bilinear"
    return table(title, result, "jaxaug.affine_warp")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--min-time", type=float, default=0.2, help="seconds per system per round")
    p.add_argument("--shapes", default="128x32x32x3,32x224x224x3")
    p.add_argument("--out", default="benchmarks/results/warp-cpu.json")
    args = p.parse_args()
    shapes = parse_shapes(args.shapes)
    report = {**machine(), "rounds": args.rounds, "results": []}
    for shape in shapes:
        result = bench_shape(shape, args.rounds, args.min_time)
        report["results"].append(result)
        print(summarize(result), flush=True)
    write_report(report, args.out)


if __name__ == "__main__":
    main()
