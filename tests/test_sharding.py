"""jaxaug.sharding: batch shardings, process slices, and augmentation that ignores the device count.

jax fixes its device count when it starts, so the multi-device and multi-process checks
run `tests/_sharding_worker.py` in subprocesses (8 forced host devices; two
`jax.distributed` processes of 2 devices each) and check the JSON they print. The
in-process checks run on this process's single device.
"""

from __future__ import annotations

import json
import math
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _processes import free_port, host_env, run_together
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from jaxaug import sharding as js

# The subprocess fixtures are expensive: keep this file's tests on one xdist worker (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("sharding")

ROOT = pathlib.Path(__file__).resolve().parents[1]
WORKER = ROOT / "tests" / "_sharding_worker.py"


def _last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def devices_run():
    """The worker's `devices` mode: meshes of 1, 2, 4 and 8 of 8 host devices."""
    (stdout, _), = run_together([[sys.executable, str(WORKER), "devices"]], host_env(8), 120, "worker")
    return _last_json(stdout)


@pytest.fixture(scope="module")
def distributed_run():
    """Two `jax.distributed` processes on localhost, 2 host devices each; their JSON, by process."""
    port = free_port()
    cmds = [[sys.executable, str(WORKER), "distributed", "--process-id", str(i), "--num-processes", "2",
             "--port", str(port)] for i in range(2)]
    return [_last_json(out) for out, _ in run_together(cmds, host_env(2), 90, "distributed workers")]


# ---- device count does not change the result (subprocess, 8 host devices) ----

def _short(hashes: dict) -> dict:
    return {n: h[:12] for n, h in hashes.items()}


def test_worker_really_had_8_devices_and_used_meshes_of_1_2_4_8(devices_run):
    assert devices_run["device_count"] == 8
    assert {n: m["shards"] for n, m in devices_run["meshes"].items()} == {"1": 1, "2": 2, "4": 4, "8": 8}


def test_augmented_batch_is_bitwise_equal_for_1_2_4_8_devices(devices_run):
    hashes = {n: m["sha256"] for n, m in devices_run["meshes"].items()}
    assert len(set(hashes.values())) == 1, _short(hashes)


def test_augmented_batch_stays_sharded_like_its_input(devices_run):
    assert all(m["sharding_kept"] for m in devices_run["meshes"].values())


def test_compiled_augmenter_has_no_collectives(devices_run):
    found = {n: m["collectives"] for n, m in devices_run["meshes"].items() if m["collectives"]}
    assert not found, f"collectives in the compiled HLO, by mesh size: {found}"


def test_pixel_ops_alone_are_bitwise_equal_sharded_and_need_no_collectives(devices_run):
    colour = devices_run["colour"]
    assert colour["1"]["sha256"] == colour["8"]["sha256"], _short({n: c["sha256"] for n, c in colour.items()})
    assert all(c["sharding_kept"] and not c["collectives"] for c in colour.values()), colour


def test_resized_crops_with_antialias_stay_sharded_and_equal(devices_run):
    # On CPU the antialiasing filter loops image by image within one group per device: each
    # device filters its own images (no all-gather), and the batch stays sharded. The only
    # collective allowed is the loop's "any group still going?" test, a scalar per tap step.
    sized = devices_run["sized"]
    assert sized["1"]["sha256"] == sized["8"]["sha256"], _short({n: c["sha256"] for n, c in sized.items()})
    assert all(c["sharding_kept"] and c["shape"] == [64, 24, 24, 3] for c in sized.values()), sized
    assert not sized["1"]["collectives"] and "all-gather" not in sized["8"]["collectives"], sized


def test_shard_batch_rejects_a_batch_not_divisible_by_the_device_count(devices_run):
    message = devices_run["errors"]["not_divisible"]
    assert message is not None
    assert "batch size=10" in message and "devices=8" in message and "Pad the batch" in message


# ---- two jax.distributed processes on localhost ----


def test_two_processes_load_their_own_rows_of_one_global_batch(distributed_run):
    assert [r["process_index"] for r in distributed_run] == [0, 1]
    assert [r["rows"] for r in distributed_run] == [[0, 32], [32, 64]]
    for r in distributed_run:
        assert (r["process_count"], r["device_count"], r["local_device_count"]) == (2, 4, 2)
        assert r["global_shape"] == [64, 32, 32, 3]
        assert r["sharding_kept"]


def test_two_processes_augment_without_collectives(distributed_run):
    assert not any(r["collectives"] for r in distributed_run), [r["collectives"] for r in distributed_run]


# The tiny model's loss is a float32 mean over (64, 10) outputs of dot products of length 3072
# (uint8 / 255 times float32 weights): every term goes through at most n = 3072 + 640 + 2 roundings.
# In any summation order the result is within lam * sqrt(n) * u * S of the exact value, S the mean
# over the outputs of sum_j |x_j w_j| (23 here, against a loss of -0.24: the terms cancel), with
# probability >= 1 - 2n exp(-lam^2 / 2) (Higham & Mary, "A new approach to probabilistic rounding
# error analysis", SISC 2019; u = 2^-24). lam = 6: odds of a false failure < 2e-4; the bound is
# 5.0e-4 here (2.1e-3 relative). Measured (jax 0.10.2, AMD EPYC Zen 5; XLA_FLAGS default,
# --xla_cpu_max_isa=SSE4_2, --xla_cpu_prefer_vector_width=512, --xla_cpu_multi_thread_eigen=false):
# 1 device and 2 processes x 2 devices 3.0e-8 to 4.5e-8 apart, each <= 2.7e-8 from the float64
# value. A process that averaged only its own half of the batch would be 5.3e-3 off: 10x the bound.
REDUCTION_LAMBDA = 6


def test_two_processes_agree_on_global_reductions(distributed_run, devices_run):
    first, second = distributed_run
    # Both processes hold the same replicated result of one program: bitwise equal.
    assert (first["checksum"], first["loss"]) == (second["checksum"], second["loss"])
    # The mean is summed over 4 devices, then across processes: another order than on 1 device.
    reference = devices_run["reference"]
    bound = REDUCTION_LAMBDA * math.sqrt(3072 + 640 + 2) * 2.0**-24 * reference["loss_scale"]
    for loss in (reference["loss"], first["loss"]):
        assert abs(loss - reference["loss_f64"]) <= bound, (loss, reference["loss_f64"], bound)


def test_two_processes_augment_bitwise_like_one_process(distributed_run, devices_run):
    halves = devices_run["meshes"]["1"]["halves_sha256"]
    assert [r["local_rows_sha256"] for r in distributed_run] == halves
    assert distributed_run[0]["checksum"] == devices_run["reference"]["checksum"]  # int32 sum: exact in any order


def test_shard_batch_errors_with_several_processes(distributed_run):
    for r in distributed_run:
        local, order = r["errors"]["local_not_divisible"], r["errors"]["not_process_order"]
        assert "local batch size=3" in local and "local devices of this process=2" in local
        assert "process order" in order and f"({r['process_index']})" in order


# ---- in-process: this process's single device ----


def test_batch_sharding_splits_the_leading_axis_over_all_devices():
    sharding = js.batch_sharding()
    assert isinstance(sharding, NamedSharding)
    assert sharding.spec == PartitionSpec("batch")
    assert sharding.mesh.axis_names == ("batch",)
    assert list(sharding.mesh.devices) == jax.devices()
    assert sharding.mesh.axis_types == (jax.sharding.AxisType.Auto,)


def test_batch_sharding_takes_devices_and_an_axis_name():
    sharding = js.batch_sharding(devices=jax.devices()[:1], axis_name="data")
    assert sharding.spec == PartitionSpec("data") and sharding.mesh.shape == {"data": 1}


@pytest.mark.parametrize("devices, error, words", [
    ([], TypeError, "devices=[]"),
    (["cpu"], TypeError, "devices=['cpu']"),
    (3, TypeError, "devices=3"),
])
def test_batch_sharding_rejects_bad_devices(devices, error, words):
    with pytest.raises(error, match="devices must") as info:
        js.batch_sharding(devices=devices)
    assert words in str(info.value)


def test_batch_sharding_rejects_a_repeated_device_and_a_bad_axis_name():
    with pytest.raises(ValueError, match="must not repeat"):
        js.batch_sharding(devices=jax.devices()[:1] * 2)
    with pytest.raises(ValueError, match="axis_name=''"):
        js.batch_sharding(axis_name="")
    with pytest.raises(TypeError, match="axis_name=0"):
        js.batch_sharding(axis_name=0)


def test_replicated_keeps_the_mesh_and_replicates():
    sharding = js.batch_sharding()
    for source in (sharding, sharding.mesh):
        rep = js.replicated(source)
        assert rep.mesh == sharding.mesh and rep.spec == PartitionSpec()
    w = jax.device_put(np.ones((3, 2), np.float32), js.replicated(sharding))
    assert w.sharding.is_fully_replicated


def test_replicated_rejects_other_types():
    with pytest.raises(TypeError, match="sharding_or_mesh='batch'"):
        js.replicated("batch")


def test_shard_batch_places_a_pytree_on_the_batch_sharding():
    images = np.arange(4 * 2 * 2 * 3, dtype=np.uint8).reshape(4, 2, 2, 3)
    batch = {"images": images, "indices": jnp.arange(4)}
    out = js.shard_batch(batch)
    sharding = js.batch_sharding()
    for name in batch:
        assert isinstance(out[name], jax.Array)
        assert out[name].sharding.is_equivalent_to(sharding, out[name].ndim)
        np.testing.assert_array_equal(out[name], batch[name])


def test_shard_batch_uses_the_given_sharding():
    mesh = Mesh(np.array(jax.devices()[:1]), ("data",))
    sharding = NamedSharding(mesh, PartitionSpec("data"))
    assert js.shard_batch(np.zeros((2, 3)), sharding=sharding).sharding.is_equivalent_to(sharding, 2)


@pytest.mark.parametrize("batch, words", [
    ((np.zeros((4, 2)), np.zeros(3)), "Received shapes: [(4, 2), (3,)]"),
    ((np.zeros((4, 2)), np.float32(1)), "Received shapes: [(4, 2), ()]"),
    ((), "at least one array"),
])
def test_shard_batch_rejects_a_batch_without_a_common_leading_axis(batch, words):
    with pytest.raises(ValueError) as info:
        js.shard_batch(batch)
    assert words in str(info.value)


def test_shard_batch_rejects_a_sharding_that_does_not_split_the_batch_axis():
    mesh = js.batch_sharding().mesh
    with pytest.raises(ValueError, match=r"leading \(batch\) axis only"):
        js.shard_batch(np.zeros((2, 3)), sharding=NamedSharding(mesh, PartitionSpec()))
    with pytest.raises(ValueError, match=r"leading \(batch\) axis only"):
        js.shard_batch(np.zeros((2, 3)), sharding=NamedSharding(mesh, PartitionSpec(None, "batch")))
    with pytest.raises(TypeError, match="sharding must be a jax.sharding.NamedSharding"):
        js.shard_batch(np.zeros((2, 3)), sharding=jax.devices()[0])


@pytest.mark.parametrize("size, index, count, expected", [
    (64, 0, 2, slice(0, 32)),
    (64, 1, 2, slice(32, 64)),
    (12, 2, 3, slice(8, 12)),
    (5, 0, 1, slice(0, 5)),
])
def test_process_slice(size, index, count, expected):
    assert js.process_slice(size, process_index=index, process_count=count) == expected


@pytest.mark.parametrize("count", [1, 2, 3, 4, 8])
def test_process_slices_tile_the_global_batch_in_process_order(count):
    rows = [np.arange(48)[js.process_slice(48, process_index=i, process_count=count)] for i in range(count)]
    np.testing.assert_array_equal(np.concatenate(rows), np.arange(48))


def test_process_slice_defaults_to_this_process():
    assert js.process_slice(10) == slice(0, 10)


@pytest.mark.parametrize("kwargs, words", [
    (dict(global_size=10, process_count=4), "global_size=10"),
    (dict(global_size=8, process_index=2, process_count=2), "process_index=2"),
    (dict(global_size=0), "global_size=0"),
    (dict(global_size=8.0), "global_size=8.0"),
    (dict(global_size=8, process_count=0), "process_count=0"),
    (dict(global_size=8, process_index=-1), "process_index=-1"),
])
def test_process_slice_rejects_bad_arguments(kwargs, words):
    with pytest.raises(ValueError) as info:
        js.process_slice(**kwargs)
    assert words in str(info.value)


def test_process_slice_says_to_pad_or_drop_when_not_divisible():
    with pytest.raises(ValueError, match="divisible by the number of processes \\(4\\).*pad the data or drop"):
        js.process_slice(10, process_count=4)
