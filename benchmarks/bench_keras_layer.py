"""A Keras 3 training step with the tutorial's augmentation inside the model: jaxaug's layer vs Keras' layers.

Three models share one small CNN (the tutorial's: Conv 32-32, pool, Conv 64-64, pool, Dense
512, Dense 10) and differ only in their first layers:

* `no augmentation`: the CNN alone (what the step costs without augmenting);
* `jaxaug Augment layer`: `jaxaug.keras.layers.Augment(rotation_range=20, width_shift_range=0.2,
  height_shift_range=0.2, zoom_range=0.2, horizontal_flip=True)`, a draw per image;
* `keras layers`: Keras 3's `RandomRotation(20 / 360)`, `RandomTranslation(0.2, 0.2)`,
  `RandomZoom(0.2)` and `RandomFlip("horizontal")`, fill "nearest".

Each timed call is one `model.train_on_batch` of the same (128, 32, 32, 3) float32 batch in
0..255, compiled (`jit_compile=True`, JAX backend), in interleaved rounds. The issue's floor:
the jaxaug layer's overhead (its step minus the plain step) <= 10 % of its step; the aim: its
whole step >= 3x faster than the step with Keras' layers.

    python benchmarks/bench_keras_layer.py --out benchmarks/results/keras-layer-cpu-zen4.json
"""

from __future__ import annotations

import argparse
import os
import statistics

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from common import Call, commit, cpu, machine, table, time_calls, write_report  # noqa: E402

from jaxaug.keras.layers import Augment  # noqa: E402

TUTORIAL = dict(rotation_range=20, width_shift_range=0.2, height_shift_range=0.2, zoom_range=0.2,
                horizontal_flip=True, fill_mode="nearest")


def keras_layers():
    return [keras.layers.RandomRotation(20 / 360, fill_mode="nearest", seed=0),
            keras.layers.RandomTranslation(0.2, 0.2, fill_mode="nearest", seed=1),
            keras.layers.RandomZoom(0.2, fill_mode="nearest", seed=2), keras.layers.RandomFlip("horizontal", seed=3)]


def model(augmentation):
    keras.utils.set_random_seed(0)
    layers = [keras.Input((32, 32, 3)), *augmentation, keras.layers.Rescaling(1 / 255),
              keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
              keras.layers.Conv2D(32, 3, activation="relu"),
              keras.layers.MaxPooling2D(), keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
              keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.MaxPooling2D(), keras.layers.Flatten(),
              keras.layers.Dense(512, activation="relu"), keras.layers.Dense(10)]
    m = keras.Sequential(layers)
    m.compile(optimizer=keras.optimizers.RMSprop(1e-4), jit_compile=True,
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--min-time", type=float, default=2.0)
    p.add_argument("--out", default=None)
    p.add_argument("--notes", default="")
    args = p.parse_args()
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (args.batch, 32, 32, 3)).astype(np.float32)
    y = rng.integers(0, 10, args.batch)
    models = {"no augmentation": model([]), "jaxaug Augment layer": model([Augment(**TUTORIAL, seed=0)]),
              "keras layers": model(keras_layers())}
    calls = {name: Call(lambda seed, m=m: m.train_on_batch(x, y)) for name, m in models.items()}
    first_s, rates = time_calls(calls, args.batch, args.rounds, args.min_time)
    median = {name: statistics.median(r) for name, r in rates.items()}
    step_ms = {name: 1000 * args.batch / v for name, v in median.items()}
    overhead = (step_ms["jaxaug Augment layer"] - step_ms["no augmentation"]) / step_ms["jaxaug Augment layer"]
    overhead_keras = (step_ms["keras layers"] - step_ms["no augmentation"]) / step_ms["keras layers"]
    result = {**machine(), "cpu": cpu(), "commit": commit(), "keras": keras.__version__,
              "xla_flags": os.environ.get("XLA_FLAGS"), "notes": args.notes, "batch": args.batch,
              "rounds": args.rounds, "compile_s": first_s, "img_per_s": rates, "step_ms_median": step_ms,
              "augmentation_overhead_fraction": {"jaxaug Augment layer": overhead, "keras layers": overhead_keras},
              "keras_step_over_jaxaug_step": step_ms["keras layers"] / step_ms["jaxaug Augment layer"],
              "floor_overhead_le_10pct": overhead <= 0.10,
              "aim_whole_step_3x": step_ms["keras layers"] / step_ms["jaxaug Augment layer"] >= 3.0}
    print(table(f"train_on_batch, batch {args.batch} of 32x32x3", result, "jaxaug Augment layer"))
    print(f"step ms: { {k: round(v, 1) for k, v in step_ms.items()} }")
    print(f"augmentation overhead: jaxaug {overhead:.1%}, keras {overhead_keras:.1%}; "
          f"keras step / jaxaug step = {result['keras_step_over_jaxaug_step']:.2f}")
    write_report(result, args.out)


if __name__ == "__main__":
    main()
