"""Data-parallel augmentation on JAX's own sharding and distributed runtime.

Nothing here is a runtime of its own: a batch is a `jax.Array` sharded along its
leading axis by a `jax.sharding.NamedSharding` over a 1-D mesh, and several hosts
are joined by `jax.distributed.initialize`. These helpers only build that sharding,
cut a global batch into the part each process loads, and assemble the global array.

Augmenting a sharded batch needs no special API. Every example draws from
`fold_in(key, indices[i])` (see `jaxaug.Augmenter`), so under `jax.jit` each device
can augment its own rows alone, the output keeps the input's sharding, and the
draws are the same for 1, 2, ... devices or processes — as long as `indices` holds
the examples' *global* indices.

What makes it so, and is tested on 1, 2, 4 and 8 devices (tests/test_sharding.py):
the warp gathers with the batch as a gather *batching* dimension (no all-gather),
the pipeline's fusion boundary reads the replicated key (no all-reduce), and the 3x3
matrix products are elementwise (XLA:CPU's dot kernels round differently for
different batch sizes): the augmented batch is bitwise the same for every layout.

Example (the same script runs on one device, N devices or N processes; with several
processes call `jax.distributed.initialize(...)` first):
  >>> augment = jaxaug.augmenter(rotation_range=20, horizontal_flip=True)
  >>> sharding = jaxaug.batch_sharding()                  # all devices, 1-D mesh "batch"
  >>> rows = jaxaug.process_slice(len(images))            # the rows this process loads
  >>> x, idx = jaxaug.shard_batch((images[rows], np.arange(len(images))[rows]), sharding=sharding)
  >>> out = jax.jit(augment)(jax.random.key(0), x, indices=idx)
  >>> out.sharding.is_equivalent_to(x.sharding, out.ndim)  # the output stays sharded
  True
  >>> params = {"w": np.zeros((3, 10), np.float32)}       # a model's parameters, say
  >>> params = jax.device_put(params, jaxaug.replicated(sharding))  # one process; else see `replicated`
"""

from __future__ import annotations

import math

import jax
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec

from jaxaug import _checks

__all__ = ["batch_sharding", "process_slice", "replicated", "shard_batch"]


def batch_sharding(*, devices=None, axis_name: str = "batch") -> NamedSharding:
    """A sharding that splits the leading (batch) axis over `devices`, other axes replicated.

    Args:
      devices: the devices of the 1-D mesh, in order; default: every device of every
        process, ordered by process index, so that the global batch is the concatenation
        of the processes' parts in process order (see `process_slice`).
      axis_name: the name of the mesh axis.

    Returns:
      A `jax.sharding.NamedSharding` with `PartitionSpec(axis_name)`.

    Example:
      >>> sharding = jaxaug.batch_sharding(devices=jax.devices()[:4])
      >>> sharding.spec
      P('batch',)
    """
    if not isinstance(axis_name, str):
        raise TypeError(f"axis_name must be a string. Received: axis_name={axis_name!r}")
    if not axis_name:
        raise ValueError(f"axis_name must not be empty. Received: axis_name={axis_name!r}")
    if devices is None:
        devices = sorted(jax.devices(), key=lambda d: (d.process_index, d.id))
    devices = _check_devices(devices)
    # Auto axes: the compiler propagates the batch sharding through the augmenter.
    # (`jax.make_mesh` would default to Explicit axes and may reorder the devices.)
    mesh = Mesh(np.array(devices, dtype=object), (axis_name,), axis_types=(AxisType.Auto,))
    return NamedSharding(mesh, PartitionSpec(axis_name))


def _check_devices(devices) -> list:
    try:
        devices = list(devices)
    except TypeError as err:
        raise TypeError(f"devices must be a sequence of jax devices. Received: devices={_checks.short_repr(devices)}"
                        ) from err
    if not devices or not all(isinstance(d, jax.Device) for d in devices):
        raise TypeError(f"devices must be a non-empty sequence of jax devices (e.g. jax.devices()[:4]). "
                        f"Received: devices={_checks.short_repr(devices)}")
    if len(set(devices)) != len(devices):
        raise ValueError(f"devices must not repeat a device. Received: devices={_checks.short_repr(devices)}")
    return devices


def replicated(sharding_or_mesh) -> NamedSharding:
    """A sharding that holds a full copy on every device of the same mesh (for parameters).

    Args:
      sharding_or_mesh: a `jax.sharding.NamedSharding` (e.g. from `batch_sharding`) or
        a `jax.sharding.Mesh`.

    Returns:
      A `jax.sharding.NamedSharding` with `PartitionSpec()` on that mesh.

    Example:
      >>> params = {"w": np.zeros((3, 10), np.float32)}
      >>> params = jax.device_put(params, jaxaug.replicated(jaxaug.batch_sharding()))
      >>> params["w"].sharding.is_fully_replicated
      True
      >>> # With several processes, every process passes the same host value:
      >>> sharding, w_np = jaxaug.batch_sharding(), np.ones((3, 10), np.float32)
      >>> w = jax.make_array_from_process_local_data(jaxaug.replicated(sharding), w_np, w_np.shape)
      >>> w.shape, w.sharding.is_fully_replicated
      ((3, 10), True)
    """
    if isinstance(sharding_or_mesh, NamedSharding):
        mesh = sharding_or_mesh.mesh
    elif isinstance(sharding_or_mesh, Mesh):
        mesh = sharding_or_mesh
    else:
        raise TypeError(f"sharding_or_mesh must be a jax.sharding.NamedSharding or jax.sharding.Mesh. "
                        f"Received: sharding_or_mesh={_checks.short_repr(sharding_or_mesh)}")
    return NamedSharding(mesh, PartitionSpec())


def process_slice(global_size: int, *, process_index: int | None = None, process_count: int | None = None) -> slice:
    """The contiguous rows of a global batch (or data set) that one process loads.

    Process p gets rows `[p * k, (p + 1) * k)` with `k = global_size // process_count`:
    the order in which `shard_batch` concatenates the processes' parts.

    Args:
      global_size: the number of rows of the global batch, >= 1.
      process_index: the process; default `jax.process_index()`.
      process_count: the number of processes; default `jax.process_count()`.

    Returns:
      A `slice` of length `global_size // process_count`.

    Example:
      >>> jaxaug.process_slice(64, process_index=1, process_count=2)
      slice(32, 64, None)
    """
    _checks.check_int(global_size, "global_size", 1)
    count = jax.process_count() if process_count is None else process_count
    _checks.check_int(count, "process_count", 1)
    index = jax.process_index() if process_index is None else process_index
    _checks.check_int(index, "process_index", 0)
    if index >= count:
        raise ValueError(f"process_index must be < process_count={count}. Received: process_index={index}")
    if global_size % count:
        raise ValueError(f"global_size must be divisible by the number of processes ({count}) so that every "
                         f"process loads the same number of rows; pad the data or drop the remainder "
                         f"({global_size % count} rows). Received: global_size={global_size}")
    size = global_size // count
    return slice(index * size, (index + 1) * size)


def shard_batch(batch, *, sharding: NamedSharding | None = None):
    """Places a host batch on the devices as global `jax.Array`s split along the leading axis.

    In one process this is `jax.device_put(batch, sharding)`. With several processes
    (`jax.process_count() > 1`) `batch` is this process's LOCAL part (rows
    `process_slice(global_size)`), and the global arrays are assembled with
    `jax.make_array_from_process_local_data`: the global batch is the concatenation of
    the parts in process order. Every process must call it with parts of the same shape.

    Args:
      batch: an array (numpy or jax) or a pytree of arrays with a common leading axis,
        e.g. `(images, global_indices)`.
      sharding: a `NamedSharding` whose spec splits the leading axis, e.g. from
        `batch_sharding` (the default: all devices).

    Returns:
      The same pytree of global `jax.Array`s, each with sharding `sharding`.

    Raises:
      ValueError: the batch size is not divisible by the number of devices (this
        process's devices when `batch` is a local part); pad it or drop the remainder.

    Example:
      >>> x, idx = jaxaug.shard_batch((images, np.arange(len(images))))
      >>> x.sharding.spec, x.shape, tuple(idx.tolist())  # split over the devices along "batch"
      (P('batch',), (4, 32, 32, 3), (0, 1, 2, 3))
    """
    sharding = batch_sharding() if sharding is None else sharding
    shards = _batch_shards(sharding)
    n = _leading_size(batch)
    if jax.process_count() == 1:
        _check_divisible(n, shards, "batch size", "devices")
        return jax.device_put(batch, sharding)
    local_shards = shards * len(sharding.addressable_devices) // len(sharding.device_set)
    _check_divisible(n, local_shards, "local batch size", "local devices of this process")
    global_n = n * jax.process_count()
    _check_process_order(sharding, global_n)
    return jax.tree.map(
        lambda a: jax.make_array_from_process_local_data(sharding, np.asarray(a), (global_n, *np.shape(a)[1:])),
        batch)


def _batch_shards(sharding) -> int:
    """The number of pieces `sharding` cuts the leading axis into."""
    if not isinstance(sharding, NamedSharding):
        raise TypeError(f"sharding must be a jax.sharding.NamedSharding, e.g. from jaxaug.batch_sharding(). "
                        f"Received: sharding={_checks.short_repr(sharding)}")
    spec = tuple(sharding.spec)
    axes = spec[0] if spec else None
    if axes is None or any(s is not None for s in spec[1:]):
        raise ValueError(f"sharding must split the leading (batch) axis only, e.g. PartitionSpec('batch'). "
                         f"Received: sharding.spec={sharding.spec}")
    axes = (axes,) if isinstance(axes, str) else tuple(axes)
    return math.prod(sharding.mesh.shape[a] for a in axes)


def _leading_size(batch) -> int:
    leaves = jax.tree.leaves(batch)
    if not leaves:
        raise ValueError(f"batch must hold at least one array. Received: batch={_checks.short_repr(batch)}")
    sizes = [np.shape(a)[0] if np.ndim(a) else None for a in leaves]
    if None in sizes or len(set(sizes)) != 1:
        shapes = [tuple(np.shape(a)) for a in leaves]
        raise ValueError(f"batch must be arrays with a common leading (batch) axis. Received shapes: {shapes}")
    return sizes[0]


def _check_divisible(n: int, shards: int, what: str, where: str) -> None:
    if n % shards:
        raise ValueError(f"{what} must be divisible by the number of {where} so that every device gets the same "
                         f"number of rows: {n} rows over {shards} devices leaves {n % shards} over. Pad the batch "
                         f"or drop the remainder. Received: {what}={n}, number of {where}={shards}")


def _check_process_order(sharding, global_n: int) -> None:
    """Checks that this process's devices hold exactly its `process_slice` of the global batch."""
    rows = {idx[0].indices(global_n)[:2] for idx in sharding.addressable_devices_indices_map((global_n,)).values()}
    expected = process_slice(global_n)
    if min(r[0] for r in rows) != expected.start or max(r[1] for r in rows) != expected.stop:
        raise ValueError(f"sharding must place each process's devices in process order (as batch_sharding() does), "
                         f"so that the global batch is the processes' parts concatenated in order. This process "
                         f"({jax.process_index()}) would hold rows {sorted(rows)} instead of "
                         f"{expected.start}..{expected.stop}. Received: sharding={sharding}")
