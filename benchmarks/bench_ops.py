"""Each pixel op's cost in bare warps, and its compiled temp memory: the per-op table of docs/speed.md.

For every pixel op declared in `jaxaug/ops/` (its gallery example's options), one `Augmenter`
with the IDG geometry (rotation 20, shifts 0.2, zoom 0.2, shear 10, flip) and that op, timed
in the same interleaved rounds as the bare warp of the same geometry (`affine_warp` of
per-image `random_affine_matrix`). The ratio `time / bare warp` is what the op adds on top of
the warp, plus one. Memory: compiled temp bytes / the batch in float32.

    python benchmarks/bench_ops.py --out benchmarks/results/ops-cpu-zen4.json
"""

from __future__ import annotations

import argparse
import statistics

import jax
import jax.numpy as jnp
import numpy as np
from bench_augment import GEOMETRY, bare_warp
from common import commit, cpu, parse_shapes, time_systems, write_report

import jaxaug
from jaxaug import ops
from jaxaug import pipeline as jp

SHAPES = ((128, 32, 32, 3), (32, 224, 224, 3))


def geometry_and(piece):
    return jaxaug.Augmenter(jp.chain(jp.affine(**GEOMETRY), piece))


def systems():
    out = {"bare warp": bare_warp, "geometry": jaxaug.augmenter(**GEOMETRY)}
    for op in ops.OPS:
        if op.kind == "pixel":
            out[op.name] = geometry_and(op.demo())
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--min-time", type=float, default=0.15, help="seconds per system per round")
    p.add_argument("--shapes", default=",".join("x".join(map(str, s)) for s in SHAPES))
    p.add_argument("--out", default=None)
    args = p.parse_args()
    report = {"cpu": cpu(), "jax": jax.__version__, "backend": jax.default_backend(), "commit": commit(),
              "rounds": args.rounds, "results": []}
    print(f"{report['cpu']} | jax {report['jax']} ({report['backend']}) | commit {report['commit']}")
    for shape in parse_shapes(args.shapes):
        images = jnp.asarray(np.random.default_rng(0).integers(0, 256, shape).astype(np.uint8))
        fns = systems()
        _, rates = time_systems(fns, images, args.rounds, args.min_time)
        med = {k: statistics.median(v) for k, v in rates.items()}
        batch_bytes = np.prod(shape) * 4
        rows = {}
        for name, fn in fns.items():
            temp = jax.jit(fn).lower(jax.random.key(0), images).compile().memory_analysis().temp_size_in_bytes
            rows[name] = {"img_per_s": med[name], "time_vs_bare": med["bare warp"] / med[name],
                          "temp_vs_batch_f32": temp / batch_bytes}
            print(f"{'x'.join(map(str, shape)):>12} {name:18s} {med[name]:10.0f} img/s  "
                  f"{rows[name]['time_vs_bare']:6.2f}x warp  temp {rows[name]['temp_vs_batch_f32']:5.2f}x batch")
        report["results"].append({"shape": list(shape), "ops": rows})
    write_report(report, args.out)


if __name__ == "__main__":
    main()
