"""Streaming CIFAR-10 input with grain, for training sets larger than memory, augmented on the device by jaxaug.

`examples/cifar10/train.py` keeps its training images on the device, or with `--stream` (and with
several processes) reads each step's rows from the prepared copy in one background thread.
For a pipeline with many reader threads, prefetching and a checkpointable position, use grain:
it reads the prepared tfds `array_record` copy (`jaxaug.data.cifar10`) record by record on the
host, shuffles globally (a new order every epoch, all from one seed), gives each
JAX process its share and batches it; jaxaug augments every batch on the device.

    python examples/grain_input.py --data cifar10-jpeg.zip --epochs 2 --steps 50 --state state.json
    python examples/grain_input.py --data cifar10-jpeg.zip --epochs 2 --state state.json   # resumes at step 50

Pipeline (a `grain.MapDataset`, random access all the way, so any step can be rebuilt):
source -> tag each record with its *view index* -> shuffle -> repeat(epochs) -> this process's
positions -> batch. The view index is the index that grain's shuffle asks the source for,
`epoch * n + example`: unique for every (epoch, example) pair, it is the `indices=` of the
augmentation, so an image's augmentation depends only on (seed, epoch, example), never on the
batch, the step, the number of processes or of devices (jaxaug's `fold_in` convention). It must
stay below 2**31 (int32 on the device): about 42,000 epochs of CIFAR-10's 50,000 images.

Processes: process p of P takes the positions p, p + P, p + 2P, ... of the global shuffled
stream, so global step s is always positions [s * B, (s + 1) * B) whatever P is, each process
holding B / P of them. With P > 1 the stream is cut to a multiple of B first (all processes
must make the same steps of the same size): at most B - 1 examples of the last epoch are left
out. One process keeps the partial last batch.

Resuming: `iterator(ds, state)` restores grain's iterator state (`{"next_index": step}`), a
small JSON-able dict saved with the model's checkpoint; the batches that follow are bitwise the
ones an uninterrupted run would have seen.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import grain
import jax
import jax.numpy as jnp
import numpy as np
import tensorflow_datasets as tfds
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import jaxaug
from jaxaug.data import cifar10

AUGMENT = 1  # key stream of the augmentation, as in examples/cifar10/config.py
# The `best` recipe of examples/cifar10/config.py, geometry only, so that this example stays about input.
AUGMENTATION = dict(horizontal_flip=True, crop_padding=4, fill_mode="reflect", order=0)


def data_source(data=None, data_dir=None, split: str = "train"):
    """The prepared copy's `split` as a random-access tfds source of {"image": uint8 (32, 32, 3), "label": int}.

    Reads nothing into memory. Prepares `data` first if needed (see `jaxaug.data.cifar10`).
    """
    version_dir = cifar10.prepare(data, data_dir=data_dir)
    return tfds.builder_from_directory(version_dir).as_data_source(split=split)


def tag(view: int, record: dict) -> dict:
    return {"image": record["image"], "label": np.int32(record["label"]), "view": np.int32(view)}


def dataset(source, *, batch_size: int, seed: int, epochs: int, shard=None) -> grain.MapDataset:
    """Shuffled batches of this process's share of `epochs` passes over `source` (see the module docstring).

    Args:
      source: a random-access source (`data_source`, or any sequence of {"image", "label"} dicts).
      batch_size: the global batch size B; each process gets B / process count examples a step.
      seed: the shuffle seed (epoch e shuffles with seed + e, grain's rule).
      epochs: number of passes.
      shard: a `grain.sharding.ShardOptions`; default `ShardByJaxProcess()` (this JAX process).

    Returns:
      A `grain.MapDataset` of {"image": (b, 32, 32, 3) uint8, "label": (b,) int32, "view": (b,) int32}.
    """
    shard = shard or grain.sharding.ShardByJaxProcess()
    if batch_size % shard.shard_count:
        raise ValueError(f"batch_size must be a multiple of the process count {shard.shard_count}. "
                         f"Received: batch_size={batch_size}")
    if len(source) * epochs >= 2**31:
        raise ValueError(f"epochs * len(source) must be < 2**31 (int32 view indices). Received: epochs={epochs}")
    ds = grain.MapDataset.source(source).map_with_index(tag).shuffle(seed).repeat(epochs)
    if shard.shard_count > 1:
        ds = ds[:len(ds) // batch_size * batch_size]
    ds = ds[shard.shard_index::shard.shard_count]
    return ds.batch(batch_size // shard.shard_count)


def iterator(ds: grain.MapDataset, state: dict | None = None, *, threads: int = 16) -> grain.DatasetIterator:
    """An iterator over `ds`, at the position of `state` (from `get_state()`) if given."""
    it = iter(ds.to_iter_dataset(grain.ReadOptions(num_threads=threads, prefetch_buffer_size=2 * threads)))
    if state is not None:
        it.set_state(state)
    return it


def make_mesh() -> Mesh:
    """All devices of all processes on one batch axis."""
    return Mesh(np.array(jax.devices()), ("batch",))


def to_device(batch: dict, mesh: Mesh) -> dict:
    """This process's batch -> global arrays split over the mesh (replicated when the devices do not divide it).

    Only a single process's partial last batch can be indivisible; `dataset` gives several
    processes full batches only.
    """
    size = len(batch["view"]) * jax.process_count()
    sharding = NamedSharding(mesh, P("batch") if size % mesh.size == 0 else P())
    return {k: jax.make_array_from_process_local_data(sharding, v) for k, v in batch.items()}


def make_augment(seed: int):
    """Jitted (images, views) -> augmented images; example i draws from fold_in(key, views[i])."""
    augment, key = jaxaug.augmenter(**AUGMENTATION), jax.random.fold_in(jax.random.key(seed), AUGMENT)
    return jax.jit(lambda images, views: augment(key, images, indices=views))


# ----------------------------------------------------------------------------------------------- main


def parse_args(argv) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", help="CIFAR-10 archive, zip or class folder (see jaxaug.data.cifar10)")
    p.add_argument("--data-dir", help="tensorflow-datasets data dir for the prepared dataset")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, help="stop after this many steps (default: the end of the stream)")
    p.add_argument("--state", help="JSON file: resume from it if it exists, save the iterator state to it at the end")
    args = p.parse_args(argv)
    for name in ("epochs", "batch_size", "steps"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1. Received: {getattr(args, name)}")
    if args.seed < 0:
        p.error(f"--seed must be >= 0. Received: --seed={args.seed}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    ds = dataset(data_source(args.data, args.data_dir), batch_size=args.batch_size, seed=args.seed,
                 epochs=args.epochs)
    state_file = Path(args.state) if args.state else None
    state = json.loads(state_file.read_text()) if state_file and state_file.exists() else None
    it, mesh, augment = iterator(ds, state), make_mesh(), make_augment(args.seed)
    start = it.get_state()["next_index"]
    seen, t0, checksum = 0, time.perf_counter(), 0
    for batch in it:
        batch = to_device(batch, mesh)
        images = augment(batch["image"], batch["view"])
        checksum += int(jnp.sum(images, dtype=jnp.uint32))  # waits for the device, like a train step would
        seen += len(batch["view"])
        if args.steps and it.get_state()["next_index"] - start >= args.steps:
            break
    seconds = time.perf_counter() - t0
    step = it.get_state()["next_index"]
    print(f"steps {start}..{step} of {len(ds)}: {seen} images in {seconds:.1f} s ({seen / seconds:.0f} img/s), "
          f"pixel checksum {checksum}")
    if state_file:
        state_file.write_text(json.dumps(it.get_state()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
