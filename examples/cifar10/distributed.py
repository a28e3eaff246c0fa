"""Devices and processes: joining a `jax.distributed` job, the mesh, and placing arrays on it.

Knows nothing of CIFAR-10 or of the model. With one device in all there is no mesh (None), and
every function here leaves the single-device program unchanged.
"""

from __future__ import annotations

import functools

import jax
import numpy as np
from flax import nnx
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import jaxaug

BATCH_AXIS = "batch"  # the one axis of the device mesh


def init_distributed(coordinator: str | None, num_processes: int | None, process_id: int | None) -> None:
    """Joins a multi-process job with `jax.distributed.initialize`, before anything else touches jax's devices.

    `coordinator` is process 0's "host:port", or "auto" for clusters where JAX finds it and the
    process ids itself (SLURM, Open MPI, Cloud TPU pods...); None: a single process. Does
    nothing if this process has joined already (`parse_args` may run more than once).
    """
    if coordinator is None or jax.distributed.is_initialized():
        return
    # CPU devices of different processes reduce through gloo (jax 0.10's default; stated so it stays so).
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    if coordinator == "auto":
        jax.distributed.initialize()
    else:
        jax.distributed.initialize(coordinator_address=coordinator, num_processes=num_processes,
                                   process_id=process_id)


def is_lead() -> bool:
    """Process 0 prints and writes the report; the others train silently beside it."""
    return jax.process_index() == 0


@functools.cache
def make_mesh(devices: int) -> Mesh | None:
    """A 1-D mesh of the first `devices` local devices of every process, or None for one device in all.

    None keeps a single device on the plain single-device program (no sharding annotations at
    all), so its results stay bitwise those recorded before data parallelism existed.
    """
    if devices * jax.process_count() == 1:
        return None
    per_process = {}
    for device in sorted(jax.devices(), key=lambda d: (d.process_index, d.id)):
        per_process.setdefault(device.process_index, []).append(device)
    fewest = min(len(local) for local in per_process.values())
    if devices > fewest:
        raise ValueError(f"--devices must be <= the local devices of every process (the fewest: {fewest}). "
                         f"Received: --devices={devices}")
    chosen = [d for local in per_process.values() for d in local[:devices]]
    return jaxaug.batch_sharding(devices=chosen, axis_name=BATCH_AXIS).mesh


def split_or_replicate(mesh: Mesh | None, size: int) -> NamedSharding | None:
    """Split a batch of `size` examples over the mesh, or replicate it when the mesh size does not divide it.

    Only an epoch's partial last batch (and an evaluation's last chunk) can be indivisible: the
    full batch size is checked by `parse_args`. Replicating that one step keeps every example
    without padding, which would need masking in BatchNorm's statistics and the loss.
    """
    if mesh is None:
        return None
    return NamedSharding(mesh, P(BATCH_AXIS) if size % mesh.size == 0 else P())


def replicate(tree, mesh: Mesh | None):
    """`tree` on every device of the mesh (unchanged without one); every process passes the same values."""
    if mesh is None:
        return tree
    sharding = jaxaug.replicated(mesh)
    if jax.process_count() == 1:
        return jax.device_put(tree, sharding)
    return jax.tree.map(lambda a: jax.make_array_from_process_local_data(sharding, np.asarray(a)), tree)


def replicate_state(mesh: Mesh | None, *modules) -> None:
    """Replicates the modules' variables (parameters, BatchNorm statistics, optimiser state) on the mesh."""
    for module in modules:
        nnx.update(module, replicate(nnx.state(module), mesh))


def host_rows(x: jax.Array) -> np.ndarray:
    """This process's rows of a batch-sharded global array, in order; the whole array if it is replicated."""
    if x.is_fully_addressable:
        return np.asarray(x)
    shards = {s.index[0].start or 0: s.data for s in x.addressable_shards}
    return np.concatenate([np.asarray(shards[k]) for k in sorted(shards)])
