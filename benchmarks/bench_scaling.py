"""Throughput of the jitted augmenter, and of the CIFAR training step, sharded over 1, 2, 4 and 8 devices.

A device count is fixed when jax starts, so every count runs in its own subprocess.
On CPU the subprocess gets that many forced host devices
(`--xla_force_host_platform_device_count`); they all share this machine's cores, so
no speed-up is expected there: the point is that the sharded program runs and that
its output is bitwise the same for every count (checked here by hash). On GPUs the
same script uses the first 1, 2, 4, 8 real devices (counts above the machine's
device count are skipped).

The training step is `examples/cifar10/train.py`'s (batch 128 gathered from 1,024 uint8 images
on the devices, the article's IDG augmentation inside the step, the tutorial CNN, Adam),
data-parallel on `--devices N`: parameters replicated, batch sharded, gradients all-reduced.
Its first-step loss is recorded per count (equal up to the reduction order).

Passes interleave the counts (1 2 4 8 1 2 4 8 ...); inside a subprocess the rounds
interleave the workloads; a count's figure is the median of all its rounds.

    python benchmarks/bench_scaling.py --passes 2 --rounds 5 --out benchmarks/results/scaling-cpu.json
    python benchmarks/bench_scaling.py --from-json benchmarks/results/scaling-cpu.json   # redraw the figure

Writes the JSON and, next to it, a PNG of the scaling curves (img/s relative to 1 device).
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


def batch_of(name: str) -> int:
    return int(name.split()[-1].split("x")[0])


def train_call(count: int, batch: int, pool: int = 1024):
    """The example's data-parallel train step on `count` devices, as a timed Call, and its first-step loss."""
    if batch % count:
        raise ValueError(f"--train-batch must be divisible by every device count, else the step runs replicated. "
                         f"Received: --train-batch={batch}, device count {count}")
    import time

    from bench_train import load_example, step_call

    ex = load_example()
    import jax
    from common import Call

    run = step_call(ex, ex.TUTORIAL_IDG, batch, ex.make_mesh(count), max(pool, batch))
    t0 = time.perf_counter()
    first_loss = float(run(0))
    facts = {"first_call_s": time.perf_counter() - t0, "first_step_loss": first_loss}
    return Call(run, jax.block_until_ready), facts


def child(count: int, shapes, rounds: int, min_time: float, train_batch: int) -> dict:
    """Runs in the subprocess: times every shape, and the train step, on a batch sharded over `count` devices."""
    import hashlib
    import time

    import jax
    import numpy as np
    from common import Call, machine, time_calls

    import jaxaug
    from jaxaug import sharding as js

    if jax.device_count() < count:
        return {"count": count, "skipped": f"only {jax.device_count()} {jax.default_backend()} devices"}
    sharding = js.batch_sharding(devices=jax.devices()[:count])
    augment = jax.jit(jaxaug.augmenter(**OPTIONS))
    calls, facts = {}, {}
    for shape in shapes:
        images = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
        x, idx = js.shard_batch((images, np.arange(shape[0], dtype=np.int32)), sharding=sharding)
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
    if train_batch:
        name = f"train step {train_batch}x32x32x3"
        calls[name], facts[name] = train_call(count, train_batch)
    # n=1: rates come back in calls/s (the workloads differ in batch size); scaled to img/s below.
    _, rates = time_calls(calls, 1, rounds, min_time)
    results = {name: {**facts[name], "img_per_s": [r * batch_of(name) for r in rates[name]]} for name in calls}
    return {"count": count, "devices": [str(d) for d in sharding.mesh.devices], **machine(), "results": results}


def run_child(count: int, args) -> dict:
    env = dict(os.environ)
    # Only the host platform reads this flag: on GPUs the real devices are used.
    env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count={count}".strip()
    cmd = [sys.executable, __file__, "--child", str(count), "--shapes", args.shapes, "--rounds", str(args.rounds),
           "--min-time", str(args.min_time), "--train-batch", str(args.train_batch)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=args.timeout)
    if proc.returncode:
        raise RuntimeError(f"{count} devices: subprocess failed (rc={proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def summarise(runs, counts) -> dict:
    """Median, spread and hash (augment) or first-step loss (train step) per workload and count, over every pass."""
    first = next((r for r in runs if "results" in r), None)
    report = {k: first[k] for k in ("machine", "versions")} if first else {}
    report["results"] = {}
    for name in first["results"] if first else ():
        per_count = {}
        for count in counts:
            mine = [r for r in runs if r["count"] == count]
            if "skipped" in mine[0]:
                per_count[count] = {"skipped": mine[0]["skipped"]}
                continue
            rates = [v for r in mine for v in r["results"][name]["img_per_s"]]
            facts = {k: v for k, v in mine[0]["results"][name].items() if k != "img_per_s"}
            per_count[count] = {"img_per_s_median": statistics.median(rates), "img_per_s": rates, **facts,
                                "devices": mine[0]["devices"]}
        ran = [c for c in per_count.values() if "img_per_s" in c]
        if len(ran) < 2:  # nothing to compare (e.g. a single GPU)
            summary = {"compared": f"only {len(ran)} device count ran"}
        elif name.startswith("train"):
            losses = [c["first_step_loss"] for c in ran]
            summary = {"first_step_loss_max_rel_diff": (max(losses) - min(losses)) / abs(losses[0])}
        else:
            summary = {"bitwise_identical_over_counts": len({c["sha256"] for c in ran}) == 1}
        report["results"][name] = {**summary, "by_device_count": per_count}
    return report


def table(report) -> str:
    lines = ["| workload (uint8) | devices | img/s (median) | spread (min-max) | first call s (compile) | "
             "collectives / first-step loss |", "|---|---:|---:|---:|---:|---|"]
    for name, result in report["results"].items():
        for count, r in result["by_device_count"].items():
            if "skipped" in r:
                lines.append(f"| {name} | {count} | skipped: {r['skipped']} | | | |")
                continue
            lo, hi = min(r["img_per_s"]), max(r["img_per_s"])
            last = (f"{r['first_step_loss']:.7f}" if "first_step_loss" in r
                    else ", ".join(r["collectives_in_hlo"]) or "none")
            lines.append(f"| {name} | {count} | {r['img_per_s_median']:,.0f} | {lo:,.0f}-{hi:,.0f} | "
                         f"{r['first_call_s']:.2f} | {last} |")
        summary = ", ".join(f"{k.replace('_', ' ')}: {v:.2g}" if isinstance(v, float) else f"{k.replace('_', ' ')}: {v}"
                            for k, v in result.items() if k != "by_device_count")
        lines.append(f"| {name} | {summary} | | | | |")
    return "\n".join(lines)


def plot(report, path: str) -> None:
    """Scaling curves: each workload's median img/s over device counts, relative to 1 device, with its spread."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, ax = plt.subplots(figsize=(6, 4))
    top = 1.0
    for name, result in report["results"].items():
        ran = {int(c): r for c, r in result["by_device_count"].items() if "img_per_s" in r}
        if 1 not in ran:
            continue
        base, counts = ran[1]["img_per_s_median"], sorted(ran)
        med = [ran[c]["img_per_s_median"] / base for c in counts]
        lo = [m - min(ran[c]["img_per_s"]) / base for c, m in zip(counts, med, strict=True)]
        hi = [max(ran[c]["img_per_s"]) / base - m for c, m in zip(counts, med, strict=True)]
        ax.errorbar(counts, med, yerr=[lo, hi], marker="o", capsize=3, label=f"{name} ({base:,.0f} img/s on 1)")
        top = max(top, max(m + h for m, h in zip(med, hi, strict=True)))
    counts = sorted({int(c) for r in report["results"].values() for c in r["by_device_count"]})
    ax.plot(counts, counts, "k:", label="linear")
    backend = report.get("machine", {}).get("backend", "?")
    ax.set(xscale="log", xticks=counts, xticklabels=counts, xlabel="devices", ylim=(0, max(2.0, top * 1.1)),
           ylabel="img/s relative to 1 device", title=f"sharded augment and train step, {backend}")
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--counts", default="1,2,4,8")
    p.add_argument("--shapes", default="256x32x32x3,64x224x224x3")
    p.add_argument("--passes", type=int, default=2, help="subprocess runs per count, interleaved over counts")
    p.add_argument("--rounds", type=int, default=5, help="timed rounds per subprocess")
    p.add_argument("--min-time", type=float, default=0.2, help="seconds per shape per round")
    p.add_argument("--train-batch", type=int, default=128, help="batch of the timed train step (0: skip it)")
    p.add_argument("--timeout", type=float, default=300, help="seconds per subprocess")
    p.add_argument("--out", default="benchmarks/results/scaling-cpu.json")
    p.add_argument("--from-json", help="only redraw the PNG next to this saved JSON (no benchmarking)")
    p.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.from_json:
        with open(args.from_json) as f:
            plot(json.load(f), args.from_json.removesuffix(".json") + ".png")
        return
    shapes = args.shapes.split(",")
    if args.child is not None:
        dims = [tuple(int(v) for v in s.split("x")) for s in shapes]
        print(json.dumps(child(args.child, dims, args.rounds, args.min_time, args.train_batch)), flush=True)
        return
    counts = [int(c) for c in args.counts.split(",")]
    runs = [run_child(count, args) for _ in range(args.passes) for count in counts]
    report = summarise(runs, counts)
    report["note"] = ("CPU: the 'devices' are forced host devices (--xla_force_host_platform_device_count) that share "
                      "this machine's cores, so no speed-up is expected from more of them; the point is that the "
                      "sharded program runs and its output is bitwise identical for every device count (the train "
                      "step's loss: equal up to the reduction order). On GPUs the same script uses real devices.")
    report["options"] = OPTIONS
    report["passes"], report["rounds"] = args.passes, args.rounds
    print(table(report), flush=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    plot(report, args.out.removesuffix(".json") + ".png")


if __name__ == "__main__":
    main()
