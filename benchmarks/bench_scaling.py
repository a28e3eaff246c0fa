"""Throughput of the jitted augmenter on a batch sharded over 1, 2, 4 and 8 devices.

A device count is fixed when jax starts, so every count runs in its own subprocess.
On CPU the subprocess gets that many forced host devices
(`--xla_force_host_platform_device_count`); they all share this machine's cores, so
no speed-up is expected there: the point is that the sharded program runs and that
its output is bitwise the same for every count (checked here by hash). On GPUs the
same script uses the first 1, 2, 4, 8 real devices (counts above the machine's
device count are skipped).

Passes interleave the counts (1 2 4 8 1 2 4 8 ...); inside a subprocess the rounds
interleave the shapes; a count's figure is the median of all its rounds.

    python benchmarks/bench_scaling.py --passes 2 --rounds 5 --out benchmarks/results/scaling-cpu.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

# The tutorial's geometry plus two colour ops, as in tests/test_sharding.py.
OPTIONS = dict(rotation_range=20, width_shift_range=0.2, height_shift_range=0.2, zoom_range=0.2,
               brightness_range=(0.8, 1.2), channel_shift_range=20.0)
COLLECTIVES = ("all-gather", "all-reduce", "all-to-all", "collective-permute", "reduce-scatter")


def child(count: int, shapes, rounds: int, min_time: float) -> dict:
    """Runs in the subprocess: times every shape on a batch sharded over `count` devices."""
    import hashlib
    import time

    import jax
    import numpy as np
    from common import Call, machine, time_calls

    import jaxaug
    from jaxaug import sharding as js

    if jax.device_count() < count:
        return {"count": count, "skipped": f"only {jax.device_count()} {jax.default_backend()} devices"}
    sharding = js.batch_sharding(jax.devices()[:count])
    augment = jax.jit(jaxaug.augmenter(**OPTIONS))
    calls, facts = {}, {}
    for shape in shapes:
        images = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
        x, idx = js.shard_batch((images, np.arange(shape[0], dtype=np.int32)), sharding)
        name = "x".join(map(str, shape))
        t0 = time.perf_counter()
        out = jax.block_until_ready(augment(jax.random.key(0), x, indices=idx))
        first_s = time.perf_counter() - t0
        hlo = augment.lower(jax.random.key(0), x, indices=idx).compile().as_text()
        facts[name] = {"first_call_s": first_s, "sha256": hashlib.sha256(np.asarray(out).tobytes()).hexdigest(),
                       "collectives_in_hlo": [c for c in COLLECTIVES if c in hlo],
                       "output_sharded_like_input": out.sharding.is_equivalent_to(x.sharding, out.ndim)}
        calls[name] = Call(lambda key, x=x, idx=idx: augment(key, x, indices=idx), jax.block_until_ready,
                           lambda r: jax.random.key(100 + r))
    # n=1: rates come back in batches/s (the shapes differ in batch size); scaled to img/s below.
    _, rates = time_calls(calls, 1, rounds, min_time)
    results = {name: {**facts[name], "img_per_s": [r * int(name.split("x")[0]) for r in rates[name]]}
               for name in calls}
    return {"count": count, "devices": [str(d) for d in sharding.mesh.devices], **machine(), "results": results}


def run_child(count: int, args) -> dict:
    env = dict(os.environ)
    # Only the host platform reads this flag: on GPUs the real devices are used.
    env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count={count}".strip()
    cmd = [sys.executable, __file__, "--child", str(count), "--shapes", args.shapes, "--rounds", str(args.rounds),
           "--min-time", str(args.min_time)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=args.timeout)
    if proc.returncode:
        raise RuntimeError(f"{count} devices: subprocess failed (rc={proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def summarise(runs, counts, shapes) -> dict:
    """Median, spread and hash per shape and count, over every pass."""
    first = next((r for r in runs if "results" in r), None)
    report = {k: first[k] for k in ("machine", "versions")} if first else {}
    report["results"] = {}
    for shape in shapes:
        per_count = {}
        for count in counts:
            mine = [r for r in runs if r["count"] == count]
            if "skipped" in mine[0]:
                per_count[count] = {"skipped": mine[0]["skipped"]}
                continue
            rates = [v for r in mine for v in r["results"][shape]["img_per_s"]]
            facts = {k: v for k, v in mine[0]["results"][shape].items() if k != "img_per_s"}
            per_count[count] = {"img_per_s_median": statistics.median(rates), "img_per_s": rates, **facts,
                                "devices": mine[0]["devices"]}
        ran = [c for c in per_count.values() if "sha256" in c]
        report["results"][shape] = {"bitwise_identical_over_counts": len({c["sha256"] for c in ran}) == 1,
                                    "by_device_count": per_count}
    return report


def table(report) -> str:
    lines = ["| shape (uint8) | devices | img/s (median) | spread (min-max) | first call s (compile) | collectives |",
             "|---|---:|---:|---:|---:|---|"]
    for shape, result in report["results"].items():
        for count, r in result["by_device_count"].items():
            if "skipped" in r:
                lines.append(f"| {shape} | {count} | skipped: {r['skipped']} | | | |")
                continue
            lo, hi = min(r["img_per_s"]), max(r["img_per_s"])
            lines.append(f"| {shape} | {count} | {r['img_per_s_median']:,.0f} | {lo:,.0f}-{hi:,.0f} | "
                         f"{r['first_call_s']:.2f} | {', '.join(r['collectives_in_hlo']) or 'none'} |")
        lines.append(f"| {shape} | bitwise identical over counts: {result['bitwise_identical_over_counts']} | | | | |")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--counts", default="1,2,4,8")
    p.add_argument("--shapes", default="256x32x32x3,64x224x224x3")
    p.add_argument("--passes", type=int, default=2, help="subprocess runs per count, interleaved over counts")
    p.add_argument("--rounds", type=int, default=5, help="timed rounds per subprocess")
    p.add_argument("--min-time", type=float, default=0.2, help="seconds per shape per round")
    p.add_argument("--timeout", type=float, default=300, help="seconds per subprocess")
    p.add_argument("--out", default="benchmarks/results/scaling-cpu.json")
    p.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    shapes = args.shapes.split(",")
    if args.child is not None:
        dims = [tuple(int(v) for v in s.split("x")) for s in shapes]
        print(json.dumps(child(args.child, dims, args.rounds, args.min_time)), flush=True)
        return
    counts = [int(c) for c in args.counts.split(",")]
    runs = [run_child(count, args) for _ in range(args.passes) for count in counts]
    report = summarise(runs, counts, shapes)
    report["note"] = ("CPU: the 'devices' are forced host devices (--xla_force_host_platform_device_count) that share "
                      "this machine's cores, so no speed-up is expected from more of them; the point is that the "
                      "sharded program runs and its output is bitwise identical for every device count. On GPUs "
                      "the same script uses real devices.")
    report["options"] = OPTIONS
    report["passes"], report["rounds"] = args.passes, args.rounds
    print(table(report), flush=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
