"""What augmentation costs inside training: the tutorial's CNN step with and without it.

Both steps are `make_train_step` of examples/cifar10/train.py (one jitted optimiser step on a
batch gathered from uint8 images kept on the device), once with no augmentation and once
with the article's `TUTORIAL_IDG` (rotation 20, shifts 0.2, zoom 0.2, nearest fill, order 0)
run inside the same jitted step. Each gets its own model and optimiser, identically
initialised; rounds are interleaved and the ratio of median step times is the overhead.

    python benchmarks/bench_train.py --rounds 10 --out benchmarks/results/train-cpu.json

Imported first (standalone), the example sets XLA's deterministic-GPU-ops flag, as in
training; imported after jax has started (from bench_peers.py) the flag has no effect.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import types
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "cifar10" / "train.py"
POOL = 1024  # training images on the device; each step gathers `batch` of them


def load_example():
    """examples/cifar10/train.py as a module (examples/ is not a package; train.py finds its sibling modules)."""
    try:
        import jaxaug.data.cifar10  # noqa: F401
    except ImportError as err:
        # The example imports its data loader (tensorflow-datasets) at the top; the step needs none of it.
        print(f"note: loading the example without jaxaug.data.cifar10 ({err})")
        sys.modules["jaxaug.data.cifar10"] = types.ModuleType("jaxaug.data.cifar10")
    spec = importlib.util.spec_from_file_location("train", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import would: code that looks a module up by name finds it
    spec.loader.exec_module(module)
    return module


def step_call(ex, spec, batch: int, mesh=None, pool: int = POOL):
    """`run(r)`: step r of the example's train step with augmentation `spec`, on `mesh` (None: one device).

    Each step gathers `batch` of `pool` random uint8 images kept on the device(s); the model and
    optimiser are fresh, identically initialised, and replicated on the mesh like the data.
    """
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    from flax import nnx

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (pool, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, ex.NUM_CLASSES, pool, dtype=np.int32)
    images, labels, order = ex.replicate((jnp.asarray(images), jnp.asarray(labels), jnp.arange(pool)), mesh)
    model = ex.TutorialCNN(rngs=nnx.Rngs(params=0))
    optimizer = nnx.Optimizer(model, optax.adam(1e-3, eps=1e-7), wrt=nnx.Param)
    ex.replicate_state(mesh, model, optimizer)
    step, root = ex.make_train_step(json.dumps(spec), None, 0.0, mesh), jax.random.key(0)

    def run(r):
        start = (r % (pool // batch)) * batch  # r < 0 for the warm-up calls; Python's % keeps it valid
        return step(model, optimizer, images, labels, order, start, root, 0, r, batch_size=batch)[0]

    return run


def bench_train(rounds: int, min_time: float, batch: int = 128) -> dict:
    """Interleaved step timings; returns img/s per round per variant and the step-time ratio."""
    ex = load_example()  # before jax, when run standalone
    import jax
    from common import Call, time_calls

    specs = {"no augmentation": None, "tutorial IDG augmentation": ex.TUTORIAL_IDG}
    calls = {name: Call(step_call(ex, spec, batch), jax.block_until_ready) for name, spec in specs.items()}
    first_s, rates = time_calls(calls, batch, rounds, min_time)
    med = {name: statistics.median(r) for name, r in rates.items()}
    ratio = med["no augmentation"] / med["tutorial IDG augmentation"]
    return {"batch": batch, "augment": ex.TUTORIAL_IDG, "compile_s": first_s, "img_per_s": rates,
            "step_s": {name: batch / m for name, m in med.items()}, "step_time_ratio": ratio}


def summary(result: dict) -> str:
    s = result["step_s"]
    return (f"\ntraining step, batch {result['batch']} (examples/cifar10/train.py): "
            f"{s['no augmentation'] * 1e3:.1f} ms without augmentation, "
            f"{s['tutorial IDG augmentation'] * 1e3:.1f} ms with TUTORIAL_IDG: "
            f"x{result['step_time_ratio']:.3f} ({100 * (result['step_time_ratio'] - 1):+.1f} %)")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--min-time", type=float, default=0.5, help="seconds per variant per round")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--out", help="JSON file to write")
    args = p.parse_args()
    result = bench_train(args.rounds, args.min_time, args.batch)
    print(summary(result))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
