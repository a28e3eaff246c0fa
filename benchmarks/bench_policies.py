"""Per-image augmentation policies against a bare warp of the same batch, and against peers.

Systems, each one call on a uint8 batch, one draw per image (issue 17):

* `bare affine_warp`: per-image keys, `random_affine_matrix` and `affine_warp` (as bench_augment);
* `TrivialAugmentWide`, `RandAugment N=2 M=9`, `AutoAugment cifar10`: `jaxaug.Augmenter` with
  the policy piece (bilinear, constant fill), every image its own operations and magnitudes;
* `AugMix`: `jaxaug.augmix.AugMix()` (width 3, one resampling per chain, nearest);
* `keras RandAugment (jit)`: Keras 3's `RandAugment(num_ops=2)` layer on the JAX backend,
  `stateless_call` under `jax.jit` (its operations are drawn once per batch, not per image),
  when keras is installed.

Floors (issue 17): TrivialAugmentWide <= 2x and RandAugment (N=2) <= 2.5x the bare warp.
torchvision and kornia are not installed here (no torch wheel offline), so their per-image
loops are not measured.

    python benchmarks/bench_policies.py --rounds 7 --out benchmarks/results/policies-cpu.json
"""

from __future__ import annotations

import argparse
import os
import statistics

import jax
import jax.numpy as jnp
import numpy as np
from bench_augment import bare_warp
from common import Call, machine, parse_shapes, table, time_calls, write_report

import jaxaug
from jaxaug import augmix
from jaxaug import pipeline as jp

JAXAUG = {
    "TrivialAugmentWide": jp.trivial_augment(),
    "RandAugment N=2 M=9": jp.rand_augment(num_ops=2, magnitude=9),
    "AutoAugment cifar10": jp.auto_augment(policy="cifar10"),
}


def keras_rand_augment(shape):
    """Keras 3's RandAugment as a pure jitted function (its seed state threaded through), or None."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        import keras
    except ImportError:
        return None, None
    layer = keras.layers.RandAugment(value_range=(0, 255), num_ops=2)
    layer.build((None, *shape[1:]))
    state = [v.value for v in layer.non_trainable_variables]
    call = jax.jit(lambda s, x: layer.stateless_call([], s, x, training=True))

    def run(x):
        nonlocal state
        out, state = call(state, x)
        return out

    return run, keras.__version__


def calls_for(images):
    seed = lambda r: jax.random.key(100 + r)  # noqa: E731
    fns = {"bare affine_warp": bare_warp}
    fns.update({name: jaxaug.Augmenter(piece, fill_mode="constant") for name, piece in JAXAUG.items()})
    fns["AugMix"] = augmix.AugMix()
    jitted = {name: jax.jit(f) for name, f in fns.items()}
    calls = {name: Call(lambda key, f=f: f(key, images), jax.block_until_ready, seed) for name, f in jitted.items()}
    versions = {}
    keras_run, keras_version = keras_rand_augment(images.shape)
    if keras_run is not None:
        floats = images.astype(jnp.float32)
        calls["keras RandAugment (jit)"] = Call(lambda key: keras_run(floats), jax.block_until_ready, seed)
        versions["keras"] = keras_version
    return calls, versions


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--min-time", type=float, default=0.2, help="seconds per system per round")
    p.add_argument("--shapes", default="128x32x32x3,32x224x224x3")
    p.add_argument("--out", default="benchmarks/results/policies-cpu.json")
    args = p.parse_args()
    report = {**machine(), "rounds": args.rounds, "results": []}
    for shape in parse_shapes(args.shapes):
        images = jnp.asarray(np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8))
        calls, versions = calls_for(images)
        compile_s, rates = time_calls(calls, shape[0], args.rounds, args.min_time)
        result = {"shape": list(shape), "dtype": "uint8", "compile_s": compile_s, "img_per_s": rates,
                  "peer_versions": versions}
        med = {k: statistics.median(v) for k, v in rates.items()}
        result["time_vs_bare"] = {k: med["bare affine_warp"] / v for k, v in med.items()}
        report["results"].append(result)
        print(table(f"{'x'.join(map(str, shape))} uint8", result, "bare affine_warp"), flush=True)
    write_report(report, args.out)


if __name__ == "__main__":
    main()
