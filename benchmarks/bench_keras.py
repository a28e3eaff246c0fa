"""`jaxaug.keras.ImageDataGenerator.flow` against Keras' own ImageDataGenerator.flow.

The issue's workload: `flow(x, y, batch_size=128)` over 10,000 CIFAR-sized images
(32x32x3, float32 in 0..255, as `img_to_array` gives) with the tutorial's options
(rotation 20, shifts 0.2, zoom 0.2, fill "nearest"). Each timed call is one `next()`,
numpy batch out (what a Keras or plain-Python training loop consumes), in interleaved
rounds. jaxaug also runs with `as_jax=True` (the batch stays on the device, the way a
jitted JAX training step consumes it). Floor: jaxaug >= 20x Keras' batches/s; aim 50x.

    python benchmarks/bench_keras.py --rounds 7 --out benchmarks/results/keras-flow-cpu.json
"""

from __future__ import annotations

import argparse
import os
import statistics

os.environ.setdefault("KERAS_BACKEND", "jax")  # Keras is only the reference here; no TensorFlow needed

import jax  # noqa: E402
import numpy as np  # noqa: E402
from common import Call, machine, time_calls, write_report  # noqa: E402

from jaxaug.keras import ImageDataGenerator  # noqa: E402

TUTORIAL = dict(rotation_range=20, width_shift_range=0.2, height_shift_range=0.2, zoom_range=0.2, fill_mode="nearest")


def iterators(x, y, batch_size):
    from keras.src.legacy.preprocessing.image import ImageDataGenerator as KerasIDG

    return {
        "keras ImageDataGenerator.flow": (KerasIDG(**TUTORIAL).flow(x, y, batch_size=batch_size, seed=0), None),
        "jaxaug.keras flow (numpy out)": (ImageDataGenerator(**TUTORIAL).flow(x, y, batch_size=batch_size, seed=0),
                                          None),
        "jaxaug.keras flow (as_jax)": (ImageDataGenerator(**TUTORIAL).flow(x, y, batch_size=batch_size, seed=0,
                                                                           as_jax=True), jax.block_until_ready),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--min-time", type=float, default=1.0, help="seconds per system per round")
    p.add_argument("--images", type=int, default=10_000)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--out", default=f"benchmarks/results/keras-flow-{jax.default_backend()}.json")
    args = p.parse_args()
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (args.images, 32, 32, 3)).astype(np.float32)
    y = rng.integers(0, 10, args.images)
    calls = {name: Call(lambda _seed, it=it: next(it), sync or (lambda out: out))
             for name, (it, sync) in iterators(x, y, args.batch_size).items()}
    first_s, rates = time_calls(calls, args.batch_size, args.rounds, args.min_time)
    ref = statistics.median(rates["keras ImageDataGenerator.flow"])
    print(f"\nflow(x, y, batch_size={args.batch_size}) on {args.images} images of 32x32x3, tutorial options; "
          f"{args.rounds} interleaved rounds")
    print("| system | batches/s (median) | spread (min-max) | vs Keras | first batch s |")
    print("|---|---:|---:|---:|---:|")
    speedup = {}
    for name, r in rates.items():
        med = statistics.median(r)
        speedup[name] = med / ref
        print(f"| {name} | {med / args.batch_size:,.1f} | {min(r) / args.batch_size:,.1f}-"
              f"{max(r) / args.batch_size:,.1f} | {speedup[name]:.1f}x | {first_s[name]:.2f} |")
    result = {**machine(), "images": args.images, "batch_size": args.batch_size, "options": TUTORIAL,
              "rounds": args.rounds, "first_batch_s": first_s, "img_per_s": rates, "speedup_vs_keras": speedup}
    write_report(result, args.out)


if __name__ == "__main__":
    main()
