"""CIFAR-10 in: the subset's rows, each epoch's order, and batches gathered, read and augmented.

Two paths, chosen by `Config.stream`: the uint8 training set kept on the device and batches
gathered inside the jitted step (`gather_batch`), or batches read from the prepared records on
the host, each process its own rows (`read_rows`), the next one while the step runs
(`prefetched`). Either way an example's augmentation key comes from its index in the training set.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import json

import jax
import jax.numpy as jnp
import numpy as np
from config import AUGMENT, NUM_CLASSES, SHUFFLE, Config, stream_key
from distributed import host_rows, is_lead, make_mesh, replicate, split_or_replicate
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import jaxaug
from jaxaug.data import cifar10


@dataclasses.dataclass
class Data:
    """Which rows of the prepared CIFAR-10 copy are used, and (unless streamed) the training set on the device."""

    records: cifar10.Records  # both splits, read on demand: each process decodes only what it asks for
    train_rows: np.ndarray  # rows of records.train in the training subset; position i is example i
    val_rows: np.ndarray
    test_rows: np.ndarray
    train_x: jax.Array | None = None  # (N, 32, 32, 3) uint8 on the device(s); None when streamed
    train_y: jax.Array | None = None  # (N,) int32

    @property
    def streamed(self) -> bool:
        return self.train_x is None


def load_data(cfg: Config) -> Data:
    """Reads the labels and picks the rows; also loads the training images onto the device unless `cfg.stream`."""
    if jax.process_count() > 1:
        # One writer: the others would race it for the same tfds folder (on one host or a shared disk).
        failure = None
        if is_lead():
            try:
                cifar10.prepare(cfg.data, data_dir=cfg.data_dir)
            except (OSError, ValueError) as err:
                failure = err
        # The others wait for its outcome, not forever for a process that stopped.
        if multihost_utils.broadcast_one_to_all(np.int32(failure is not None)):
            raise failure or ValueError("process 0 could not prepare --data (its error says why)")
    records = cifar10.records(data=cfg.data, data_dir=cfg.data_dir)
    labels = records.train.labels
    most = len(labels) if records.official_order else np.bincount(labels, minlength=NUM_CLASSES).min() * NUM_CLASSES
    if cfg.subset > most:
        raise ValueError(f"--subset must be <= {most}, the largest class-balanced subset of the "
                         f"{len(labels)} training images of {records.source}. Received: --subset={cfg.subset}")
    idx = np.asarray(cifar10.tutorial_subset(labels, official_order=records.official_order, size=cfg.subset,
                                             seed=0))
    split_at = int(len(idx) * (1.0 - cfg.val_split))  # Keras 2's validation_split: the last part, unshuffled
    test_rows = np.arange(len(records.test))
    if cfg.test_limit is not None and cfg.test_limit < len(test_rows):
        # Evenly spaced, so class-sorted test sets stay balanced; no randomness involved.
        test_rows = np.linspace(0, len(test_rows), cfg.test_limit, endpoint=False).astype(int)
    data = Data(records, idx[:split_at], idx[split_at:], test_rows)
    if cfg.stream:
        return data
    images, labels = records.train.read(data.train_rows)
    return dataclasses.replace(data, train_x=jnp.asarray(images), train_y=jnp.asarray(labels))


def on_mesh(data: Data, mesh: Mesh | None) -> Data:
    """`data` with its on-device training set replicated on the mesh (streamed data has none)."""
    if data.streamed:
        return data
    train_x, train_y = replicate((data.train_x, data.train_y), mesh)
    return dataclasses.replace(data, train_x=train_x, train_y=train_y)


def read_rows(split: cifar10.Split, rows: np.ndarray, sharding: NamedSharding | None, *aligned: np.ndarray):
    """Global arrays of the images and labels of `split`'s `rows` (and of `aligned` arrays, row for row).

    Each process reads and places only its own part: its `jaxaug.process_slice` when `sharding`
    splits the batch, the whole batch when it replicates it. Without a sharding: one device.
    """
    whole = sharding is None or sharding.spec == P()
    part = slice(None) if whole else jaxaug.process_slice(len(rows))
    arrays = (*split.read(rows[part]), *(a[part] for a in aligned))
    if sharding is None:
        return tuple(map(jnp.asarray, arrays))
    if whole:  # every process read the whole batch
        return replicate(arrays, sharding.mesh)
    return jaxaug.shard_batch(arrays, sharding=sharding)


def make_augment(spec: dict | None):
    """`jaxaug.augmenter` from a recipe's JSON-able spec ("dtype" is a dtype name), or None."""
    if spec is None:
        return None
    kwargs = dict(spec)
    if "dtype" in kwargs:
        kwargs["dtype"] = jnp.dtype(kwargs["dtype"])
    return jaxaug.augmenter(**kwargs)


def augment_batch(augment, x, idx, root, epoch):
    """Inside jit: example i of the batch drawn from its index idx[i] in the training set, whatever the split."""
    return x if augment is None else augment(stream_key(root, AUGMENT, epoch), x, indices=idx)


def batches(n: int, batch_size: int) -> list[tuple[int, int]]:
    """(start, size) of each step: Keras' fit keeps the last, partial batch (a second compiled shape)."""
    return [(start, min(batch_size, n - start)) for start in range(0, n, batch_size)]


@functools.partial(jax.jit, static_argnums=2)
def epoch_order(root, epoch, n: int):
    """The epoch's shuffled order of the n training examples."""
    return jax.random.permutation(stream_key(root, SHUFFLE, epoch), n)


def placed_order(data: Data, mesh: Mesh | None, root, epoch: int):
    """The epoch's order where its batches are made: on the host when streamed, else on every device."""
    order = epoch_order(root, epoch, len(data.train_rows))
    return np.asarray(order) if data.streamed else replicate(order, mesh)


def gather_batch(images, labels, order, start, batch_size: int, sharding):
    """The batch order[start:start + batch_size] of the training set on the device: (images, labels, indices).

    With a `sharding`, the indices are split over the mesh first, so that each device gathers
    only its own examples.
    """
    idx = jax.lax.dynamic_slice_in_dim(order, start, batch_size)
    if sharding is not None:
        idx = jax.lax.with_sharding_constraint(idx, sharding)
    x, y = images[idx], labels[idx]
    if sharding is not None:
        x, y = jax.lax.with_sharding_constraint((x, y), sharding)
    return x, y, idx


def batch_args(data: Data, mesh: Mesh | None, order, start: int, size: int) -> tuple:
    """The batch arguments of the train step: on-device data and where to gather, or a loaded batch."""
    if not data.streamed:
        return data.train_x, data.train_y, order, start
    idx = np.asarray(order[start:start + size], np.int32)
    return read_rows(data.records.train, data.train_rows[idx], split_or_replicate(mesh, size), idx)


def prefetched(fn, calls):
    """fn(*args) for each args in `calls`, each computed in a background thread while the previous one is used."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(fn, *calls[0]) if calls else None
        for following in calls[1:]:
            result = pending.result()
            pending = pool.submit(fn, *following)
            yield result
        if pending is not None:
            yield pending.result()


@functools.cache
def make_batch_fn(augment_json: str, mesh: Mesh | None, streamed: bool = False):
    """The train step's batch, augmented, jitted on its own: for looking at what the step trains on."""
    augment = make_augment(json.loads(augment_json))

    @functools.partial(jax.jit, static_argnames="batch_size")
    def batch_fn(*args, batch_size):
        *batch, root, epoch = args
        if streamed:
            x, _, idx = batch
        else:
            x, _, idx = gather_batch(*batch, batch_size, split_or_replicate(mesh, batch_size))
        return augment_batch(augment, x, idx, root, epoch)

    return batch_fn


def augmented_batch(cfg: Config, data: Data, epoch: int, step: int) -> np.ndarray:
    """The images of training step `step` of `epoch` (both from 0) as the train step augments them.

    Computed on `cfg.devices` devices (per process) as in training; the result does not depend
    on that number, nor on streaming. With several processes: this process's rows of the batch
    (all of it when the mesh does not divide it, see `host_rows`).
    """
    mesh = make_mesh(cfg.devices)
    start, size = batches(len(data.train_rows), cfg.batch_size)[step]
    root = jax.random.key(cfg.seed)
    data = on_mesh(data, mesh)
    args = batch_args(data, mesh, placed_order(data, mesh, root, epoch), start, size)
    x = make_batch_fn(json.dumps(cfg.augment), mesh, data.streamed)(*args, root, epoch, batch_size=size)
    return host_rows(x)
