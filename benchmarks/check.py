"""The speed floors of jaxaug, measured in one run: ratio, floor, pass or fail.

Every line compares systems timed in the same interleaved rounds (median img/s), so a
noisy machine slows them alike. CPU figures move between machines: the report names the
CPU, the jax version and the commit. About 2-3 minutes on 2 CPU cores.

    python benchmarks/check.py                      # prints the table
    python benchmarks/check.py --out benchmarks/results/check-cpu.json

Floors (issues 16 and 28):
* warp: `affine_warp` >= 1.0x the faster of `map_coordinates` (vmapped over channels)
  and a plain four-`take` warp, at 128x32x32x3 and 32x224x224x3, float32 and uint8;
* warp: >= 1.0x OpenCV `warpAffine` (one call per image, same threads) at 32x224x224x3 uint8;
* pipeline: the full ImageDataGenerator option set <= 1.2x the bare warp; every pixel op
  (the IDG geometry and that op, its gallery options) <= 3x the bare warp and its compiled temp
  memory <= 2x the batch in float32; the augmenter with every op on <= 3x;
* policies: TrivialAugmentWide <= 2x, RandAugment(2, 9) <= 2.5x the bare warp;
* peers: the photo pipeline (geometry, colour, blur, noise, dots, cutout) >= 1.5x
  albumentations in one process and >= 1.0x with two worker processes at 32x224x224x3,
  >= 10x at 128x32x32x3 (`bench_albumentations.py`).

A line `roofline` reports what no formulation of an op that reads image statistics can avoid:
the warp plus one float32 round trip of the warped batch through memory.

    python benchmarks/check.py --quick     # without the peers and the policies (about 3 minutes)
"""

from __future__ import annotations

import argparse
import statistics

import jax
import jax.numpy as jnp
import numpy as np
from bench_augment import EVERY_OP, FULL_IDG, bare_warp, idg_matrices
from bench_ops import systems as op_systems
from bench_warp import map_coordinates_vmap, random_matrices
from common import Call, commit, cpu, time_calls, time_systems, write_report

import jaxaug
from jaxaug import _fusion

SHAPES = ((128, 32, 32, 3), (32, 224, 224, 3))


def four_take_warp(key, images):
    """The plainest sound warp: coordinates materialised, clamped, four `jnp.take`s of (H*W, C) rows."""
    n, h, w, c = images.shape
    ms = random_matrices(key, n, (h, w))

    def one(image, m):
        rows = jnp.arange(h, dtype=jnp.float32)[:, None]
        cols = jnp.arange(w, dtype=jnp.float32)[None, :]
        y, x = jax.lax.optimization_barrier((m[0, 0] * rows + m[0, 1] * cols + m[0, 2],
                                             m[1, 0] * rows + m[1, 1] * cols + m[1, 2]))
        y, x = jnp.clip(y, 0, h - 1), jnp.clip(x, 0, w - 1)
        y0, x0 = jnp.floor(y), jnp.floor(x)
        fy, fx = (y - y0)[..., None], (x - x0)[..., None]
        iy0, ix0 = y0.astype(jnp.int32), x0.astype(jnp.int32)
        iy1, ix1 = jnp.minimum(iy0 + 1, h - 1), jnp.minimum(ix0 + 1, w - 1)
        flat = image.reshape(h * w, c)
        take = lambda iy, ix: jnp.take(flat, iy * w + ix, axis=0).astype(jnp.float32)  # noqa: E731
        top = take(iy0, ix0) * (1 - fx) + take(iy0, ix1) * fx
        bottom = take(iy1, ix0) * (1 - fx) + take(iy1, ix1) * fx
        return top * (1 - fy) + bottom * fy

    out = jax.vmap(one)(images, ms)
    return jnp.round(out).astype(images.dtype) if images.dtype == jnp.uint8 else out


def jaxaug_warp(key, images):
    return jaxaug.affine_warp(images, random_matrices(key, images.shape[0], images.shape[1:3]))


def batch(shape, dtype):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, shape).astype(np.uint8) if dtype == "uint8" else rng.random(shape, np.float32)
    return jnp.asarray(x)


def floor_line(name, ratio, floor, higher_is_better=True):
    ok = ratio >= floor if higher_is_better else ratio <= floor
    sign = ">=" if higher_is_better else "<="
    return {"check": name, "ratio": round(ratio, 3), "floor": f"{sign} {floor}", "pass": bool(ok)}


def warp_checks(rounds, min_time):
    lines = []
    for shape in SHAPES:
        for dtype in ("float32", "uint8"):
            images = batch(shape, dtype)
            systems = {"jaxaug": jaxaug_warp, "map_coordinates": map_coordinates_vmap, "four take": four_take_warp}
            _, rates = time_systems(systems, images, rounds, min_time)
            med = {k: statistics.median(v) for k, v in rates.items()}
            best = max(med["map_coordinates"], med["four take"])
            label = f"warp {'x'.join(map(str, shape))} {dtype}: vs faster of map_coordinates / four take"
            lines.append(floor_line(label, med["jaxaug"] / best, 1.0) | {"img_per_s": med})
    return lines


def opencv_check(rounds, min_time):
    try:
        import cv2
    except ImportError:
        return [{"check": "warp vs OpenCV warpAffine", "skipped": "opencv-python-headless is not installed"}]
    shape = SHAPES[1]
    images = batch(shape, "uint8")
    host = np.asarray(images)
    ms = np.asarray(random_matrices(jax.random.key(0), shape[0], shape[1:3]))
    # cv2 takes the pull map in (x, y) order with WARP_INVERSE_MAP: swap rows and columns.
    cv_ms = [m[[1, 0]][:, [1, 0, 2]] for m in ms]
    warp = jax.jit(lambda x, m: jaxaug.affine_warp(x, m))
    jms = jnp.asarray(ms)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    size = (shape[2], shape[1])

    def opencv(_):
        return [cv2.warpAffine(img, m, size, flags=flags, borderMode=cv2.BORDER_REPLICATE)
                for img, m in zip(host, cv_ms, strict=True)]

    calls = {"jaxaug": Call(lambda _: warp(images, jms), jax.block_until_ready), "opencv": Call(opencv)}
    # The same work: OpenCV's fixed-point bilinear weights agree with ours to a few levels.
    diff = np.abs(np.asarray(calls["jaxaug"].run(0), np.int16) - np.asarray(calls["opencv"].run(0), np.int16))
    assert diff.max() <= 3, f"OpenCV and jaxaug disagree by {diff.max()} levels: not the same warp"
    _, rates = time_calls(calls, shape[0], rounds, min_time)
    med = {k: statistics.median(v) for k, v in rates.items()}
    return [floor_line(f"warp {'x'.join(map(str, shape))} uint8: vs OpenCV warpAffine ({cv2.getNumThreads()} threads)",
                       med["jaxaug"] / med["opencv"], 1.0) | {"img_per_s": med}]


def _materialized_warp(key, images):
    """The roofline of an op that reads image statistics: the warp, its float32 output in memory, read once."""
    warped = _fusion.materialize(jaxaug.warp.warp_float(images, idg_matrices(key, images), 1, "nearest", 0.0))
    return jnp.clip(jnp.round(warped), 0, 255).astype(jnp.uint8)


def pipeline_checks(rounds, min_time):
    lines = []
    for shape in SHAPES:
        images = batch(shape, "uint8")
        name = "x".join(map(str, shape))
        systems = {"bare": bare_warp, "roofline": _materialized_warp, "full IDG": jaxaug.augmenter(**FULL_IDG),
                   "every op": jaxaug.augmenter(**EVERY_OP)}
        per_op = {k: v for k, v in op_systems().items() if k not in ("bare warp", "geometry")}
        _, rates = time_systems({**systems, **per_op}, images, rounds, min_time)
        med = {k: statistics.median(v) for k, v in rates.items()}
        lines.append({"check": f"roofline {name} uint8: warp + one float32 round trip / bare warp",
                      "ratio": round(med["bare"] / med["roofline"], 3), "floor": "info", "pass": True})
        lines.append(floor_line(f"augmenter {name} uint8: full IDG time / bare warp", med["bare"] / med["full IDG"],
                                1.2, higher_is_better=False) | {"img_per_s": med})
        lines.append(floor_line(f"augmenter {name} uint8: every op time / bare warp", med["bare"] / med["every op"],
                                3.0, higher_is_better=False))
        worst = max(per_op, key=lambda k: med["bare"] / med[k])
        lines.append(floor_line(f"ops {name} uint8: slowest op ({worst}) time / bare warp", med["bare"] / med[worst],
                                3.0, higher_is_better=False) | {"per_op": {k: round(med["bare"] / med[k], 3)
                                                                            for k in per_op}})
        temps = {k: _temp(fn, images) / (np.prod(shape) * 4) for k, fn in per_op.items()}
        worst = max(temps, key=temps.get)
        lines.append(floor_line(f"memory {name}: largest op temp ({worst}) / batch float32 bytes", temps[worst], 2.0,
                                higher_is_better=False) | {"per_op": {k: round(v, 3) for k, v in temps.items()}})
        lines.append(floor_line(f"memory {name}: every-op temp bytes / batch float32 bytes",
                                _temp(systems["every op"], images) / (np.prod(shape) * 4), 3.0,
                                higher_is_better=False))
    return lines


def _temp(fn, images):
    return jax.jit(fn).lower(jax.random.key(0), images).compile().memory_analysis().temp_size_in_bytes


def policy_checks(rounds, min_time):
    from bench_policies import JAXAUG

    lines = []
    for shape in SHAPES:
        images = batch(shape, "uint8")
        systems = {"bare": bare_warp, **{k: jaxaug.Augmenter(JAXAUG[k], fill_mode="constant")
                                          for k in ("TrivialAugmentWide", "RandAugment N=2 M=9")}}
        _, rates = time_systems(systems, images, rounds, min_time)
        med = {k: statistics.median(v) for k, v in rates.items()}
        name = "x".join(map(str, shape))
        lines.append(floor_line(f"policies {name} uint8: TrivialAugmentWide time / bare warp",
                                med["bare"] / med["TrivialAugmentWide"], 2.0, higher_is_better=False))
        lines.append(floor_line(f"policies {name} uint8: RandAugment(2, 9) time / bare warp",
                                med["bare"] / med["RandAugment N=2 M=9"], 2.5, higher_is_better=False))
    return lines


def peer_checks(rounds, min_time):
    try:
        from bench_albumentations import bench as albumentations_bench
    except ImportError:
        return [{"check": "photo pipeline vs albumentations", "skipped": "albumentations is not installed"}]
    lines = []
    for shape, floor in zip(SHAPES, (10.0, 1.5), strict=True):
        name = "x".join(map(str, shape))
        result = albumentations_bench(shape, rounds, min_time, 2)["geometry + pixel ops"]
        lines.append(floor_line(f"peers {name} uint8: photo pipeline, jaxaug / albumentations (1 process)",
                                result["vs_albumentations"], floor) | {"img_per_s": result["img_per_s"]})
        if shape == SHAPES[1]:
            lines.append(floor_line(f"peers {name} uint8: photo pipeline, jaxaug / albumentations (2 workers)",
                                    result["vs_albumentations_2_workers"], 1.0))
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--min-time", type=float, default=0.15, help="seconds per system per round")
    p.add_argument("--out", default=None, help="also write the report as JSON here")
    p.add_argument("--quick", action="store_true", help="leave out the policies and the peers")
    args = p.parse_args()
    lines = warp_checks(args.rounds, args.min_time)
    lines += opencv_check(args.rounds, args.min_time)
    lines += pipeline_checks(args.rounds, args.min_time)
    if not args.quick:
        lines += policy_checks(args.rounds, args.min_time)
        lines += peer_checks(args.rounds, args.min_time)
    report = {"cpu": cpu(), "jax": jax.__version__, "backend": jax.default_backend(), "commit": commit(),
              "rounds": args.rounds, "checks": lines}
    print(f"{report['cpu']} | jax {report['jax']} ({report['backend']}) | commit {report['commit']}")
    for line in lines:
        mark = "info" if line.get("floor") == "info" else "pass" if line.get("pass") else "FAIL"
        verdict = "skipped: " + line["skipped"] if "skipped" in line else (
            f"{line['ratio']:>7.3f}  {line['floor']:<7}  {mark}")
        print(f"{line['check']:<78} {verdict}")
    write_report(report, args.out)


if __name__ == "__main__":
    main()
