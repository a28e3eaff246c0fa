"""Subprocess half of tests/test_sharding.py: jax fixes its device count at start-up.

    XLA_FLAGS=--xla_force_host_platform_device_count=8 python tests/_sharding_worker.py devices
    XLA_FLAGS=--xla_force_host_platform_device_count=2 python tests/_sharding_worker.py distributed \
        --process-id 0 --num-processes 2 --port 12345

Prints one JSON line (the last line of stdout) for the test to check.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import jaxaug  # noqa: E402
from jaxaug import sharding as js  # noqa: E402

BATCH = 64
COLLECTIVES = ("all-gather", "all-reduce", "all-to-all", "collective-permute", "reduce-scatter")


def make_batch():
    """The fixed global batch: uint8 images and their global indices."""
    images = np.random.default_rng(0).integers(0, 256, (BATCH, 32, 32, 3), dtype=np.uint8)
    return images, np.arange(BATCH, dtype=np.int32)


COLOUR = dict(brightness_range=(0.8, 1.2), channel_shift_range=20.0)  # channel shift: a per-image reduction
TUTORIAL = dict(rotation_range=20, width_shift_range=0.2, height_shift_range=0.2, zoom_range=0.2, **COLOUR)


def make_augment(options=None):
    """The tutorial's geometry plus colour ops, or the augmenter of `options`."""
    return jaxaug.augmenter(**(TUTORIAL if options is None else options))


def model_weights():
    return (np.random.default_rng(1).standard_normal((32 * 32 * 3, 10)) / 55.0).astype(np.float32)


@jax.jit
def reductions(out, w):
    """A global checksum (int32: exact, so independent of the reduction order) and a tiny model's loss."""
    checksum = jnp.sum(out.astype(jnp.int32))
    loss = jnp.mean(out.reshape(out.shape[0], -1).astype(jnp.float32) / 255.0 @ w)
    return checksum, loss


def exact_loss(out) -> dict:
    """`reductions`' loss in float64 ("loss_f64"), and the mean over its (64, 10) outputs of sum_j |x_j w_j|
    ("loss_scale"), which bounds its float32 rounding error (see test_sharding)."""
    x = np.asarray(out, np.float64).reshape(out.shape[0], -1) / 255.0
    w = model_weights().astype(np.float64)
    return {"loss_f64": float(np.mean(x @ w)), "loss_scale": float(np.mean(np.abs(x) @ np.abs(w)))}


def sha256(array) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def local_rows(out) -> np.ndarray:
    """This process's rows of a batch-sharded array, in global order."""
    shards = sorted(out.addressable_shards, key=lambda s: s.index[0].start or 0)
    return np.concatenate([np.asarray(s.data) for s in shards])


def augment_sharded(sharding, images, indices, options=None):
    """Augments the sharded batch; returns (out, input sharding, compiled HLO text)."""
    x, idx = js.shard_batch((images, indices), sharding=sharding)
    fn = jax.jit(make_augment(options))
    key = jax.random.key(0)
    hlo = fn.lower(key, x, indices=idx).compile().as_text()
    return fn(key, x, indices=idx), x.sharding, hlo


def error_text(fn) -> str | None:
    try:
        fn()
    except ValueError as err:
        return str(err)
    return None


def run_devices():
    """Every mesh size 1, 2, 4, 8 on one process; also the reference numbers for `distributed`."""
    images, indices = make_batch()
    meshes = {}
    for n in (1, 2, 4, 8):
        out, in_sharding, hlo = augment_sharded(js.batch_sharding(devices=jax.devices()[:n]), images, indices)
        host = np.asarray(out)
        meshes[n] = {
            "sha256": sha256(host),
            "shards": len({s.index[0].indices(BATCH) for s in out.addressable_shards}),
            "sharding_kept": out.sharding.is_equivalent_to(in_sharding, out.ndim),
            "collectives": [c for c in COLLECTIVES if c in hlo],
            "halves_sha256": [sha256(host[:BATCH // 2]), sha256(host[BATCH // 2:])],
        }
        if n == 1:
            checksum, loss = reductions(out, model_weights())
            reference = {"checksum": int(checksum), "loss": float(loss), **exact_loss(host)}
    colour = {}
    for n in (1, 8):  # no warp: the pixel ops alone
        out, in_sharding, hlo = augment_sharded(js.batch_sharding(devices=jax.devices()[:n]), images, indices, COLOUR)
        colour[n] = {"sha256": sha256(np.asarray(out)), "collectives": [c for c in COLLECTIVES if c in hlo],
                     "sharding_kept": out.sharding.is_equivalent_to(in_sharding, out.ndim)}
    sized = {}
    for n in (1, 8):  # random resized crops with the antialiasing filter (image by image on CPU)
        options = dict(random_resized_crop=24, horizontal_flip=True, antialias=True)
        out, in_sharding, hlo = augment_sharded(js.batch_sharding(devices=jax.devices()[:n]), images, indices, options)
        sized[n] = {"sha256": sha256(np.asarray(out)), "collectives": [c for c in COLLECTIVES if c in hlo],
                    "sharding_kept": out.sharding.is_equivalent_to(in_sharding, out.ndim), "shape": list(out.shape)}
    everything = js.batch_sharding()
    errors = {"not_divisible": error_text(lambda: js.shard_batch(np.zeros((10, 2)), sharding=everything))}
    return {"device_count": jax.device_count(), "meshes": meshes, "colour": colour, "sized": sized,
            "reference": reference, "errors": errors}


def run_distributed(process_id: int, num_processes: int, port: int):
    # Cross-process reductions on CPU go through gloo (jax 0.10's default; stated so it stays so).
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address=f"127.0.0.1:{port}", num_processes=num_processes,
                               process_id=process_id, initialization_timeout=60)
    images, indices = make_batch()
    rows = js.process_slice(BATCH)
    sharding = js.batch_sharding()
    out, in_sharding, hlo = augment_sharded(sharding, images[rows], indices[rows])
    w = model_weights()
    w = jax.make_array_from_process_local_data(js.replicated(sharding), w, w.shape)
    checksum, loss = reductions(out, w)
    backwards = js.batch_sharding(devices=sorted(jax.devices(), key=lambda d: -d.process_index))
    result = {
        "process_index": jax.process_index(), "process_count": jax.process_count(),
        "device_count": jax.device_count(), "local_device_count": jax.local_device_count(),
        "rows": [rows.start, rows.stop], "global_shape": list(out.shape),
        "sharding_kept": out.sharding.is_equivalent_to(in_sharding, out.ndim),
        "collectives": [c for c in COLLECTIVES if c in hlo],
        "local_rows_sha256": sha256(local_rows(out)),
        "checksum": int(checksum), "loss": float(loss),
        "errors": {
            "local_not_divisible": error_text(lambda: js.shard_batch(images[:3], sharding=sharding)),
            "not_process_order": error_text(lambda: js.shard_batch(images[rows], sharding=backwards)),
        },
    }
    jax.distributed.shutdown()
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=("devices", "distributed"))
    p.add_argument("--process-id", type=int, default=0)
    p.add_argument("--num-processes", type=int, default=2)
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    if args.mode == "devices":
        result = run_devices()
    else:
        result = run_distributed(args.process_id, args.num_processes, args.port)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
