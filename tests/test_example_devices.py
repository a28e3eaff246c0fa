"""examples/cifar10/train.py on several devices and processes: data parallelism changes no result beyond rounding.

The device count of a process is fixed when jax starts, so these checks run in subprocesses
(this file run as a script) and the tests compare what they wrote:

* `devices`: one process with `--xla_force_host_platform_device_count=8` (--devices 1, 2, 8,
  on-device and streamed data);
* `distributed`: two `jax.distributed` processes on localhost with one host device each
  (gloo collectives), every process reading only its half of each batch.

Training data: 68 images in batches of 16 + a partial batch of 4, so on 8 devices the partial
step runs replicated (8 does not divide 4) and on 2 it is sharded.

What is compared, and how closely (the tolerances below say why):

* bitwise: the augmented batches, the initial model and optimiser state, the epoch's order;
* within a float32 rounding bound: the first two training steps' losses and the first gradient,
  where only the summation order of the batch reductions differs (`FIRST_STEPS_RTOL`);
* within an amplified bound: the losses after two epochs (`FINAL_RTOL`), for gross errors only.
"""

import contextlib
import hashlib
import io
import json
import math
import pathlib
import sys

import jax
import numpy as np
import pytest
import test_example
from _processes import free_port, host_env, run_together

# The subprocess fixtures are expensive: keep this file's tests on one xdist worker (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("example_devices")

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEVICES = (1, 2, 8)
FIRST_STEPS = 2  # full batches of 16

# Data parallelism changes one thing: the order in which float32 batch reductions are summed.
# BatchNorm's means and variances, the loss mean and the gradients' sums over the batch are split
# into per-device partial sums plus an all-reduce; the ISA, vector width and threading of XLA's CPU
# kernels reorder them too. The initial state and the first step's inputs are bitwise the same
# (checked), so nothing else can differ.
#
# FIRST_STEPS_RTOL, before amplification. A float32 sum of n terms, in any order, is within
# lam * sqrt(n) * u * sum|x_i| of the exact sum with probability >= 1 - 2n exp(-lam^2 / 2)
# (Higham & Mary, "A new approach to probabilistic rounding error analysis", SISC 2019;
# u = 2^-24). The largest reduction sums n = 16 x 30 x 30 = 14,400 terms (BatchNorm 1 over batch,
# height and width); its terms, like the loss's, are nonnegative (ReLU outputs, squared deviations,
# cross-entropies), so sum|x_i| = |sum x_i| and two orders differ by at most 2 lam sqrt(n) u
# relative: with lam = 6 (odds < 5e-4 per sum of exceeding it), 8.6e-5. BatchNorm normalises, so
# the losses and the gradient inherit that relative size. Measured (jax 0.10.2, CPU, AMD EPYC
# Zen 5; XLA_FLAGS default, --xla_cpu_max_isa=AVX2 and --xla_cpu_multi_thread_eigen=false, all
# three bitwise the same here, --xla_cpu_max_isa=SSE4_2, --xla_cpu_prefer_vector_width=512, and
# 1 vs 2 devices in a 2-device process; every pair of 1, 2, 8 devices and 2 processes): losses of
# steps 1 and 2 <= 1.1e-6 apart, the first gradient <= 1.8e-6 (norm of the difference / norm, per
# parameter array): 48x below the bound. Data-parallel bugs, simulated on one device, move them far
# more: a gradient summed instead of averaged over 8 devices, 7.0 on the gradient; BatchNorm
# statistics per device instead of global, 5.1e-3 (2 devices) to 2.2e-2 (8) on the first loss and
# 0.65 to 2.6 on the gradient; one example of 16 dropped, 4.3e-2 on the loss; one process's half
# of the batch only, 7.8e-2.
FIRST_STEPS_RTOL = 2 * 6 * math.sqrt(16 * 30 * 30) * 2.0**-24  # 8.6e-5
#
# FINAL_RTOL, after two epochs (10 steps). ReLU and max-pooling switch where a value near zero
# crosses it, and Adam scales each gradient coordinate to about the learning rate, so the last bit
# of a near-zero gradient coordinate can move its parameter by up to 2e-3: runs fall into a few
# clusters by the switches they took (here one at step 3 makes the largest differences). Measured
# on the same machine and configurations: 11 distinct 1-, 2- and 8-device runs, the 2-process run
# under 5 of the configurations, and 24 one-device runs from initial parameters moved by one ulp
# at random (which moves the first loss by 1.6e-7 to 3.2e-7, as much as a device count does).
# Training / validation / test losses came out at most 1.4e-3 / 4.1e-4 / 7.9e-4 apart: two epochs
# amplify first-step differences of <= 1.1e-6 up to ~1,300-fold. FINAL_RTOL = 1e-2, 7x the
# largest. It catches gross errors only: the epoch's partial batch dropped moves the training and
# test losses by 5e-2 (the example counts below catch it directly); a gradient summed instead of
# averaged moves them by 2e-4 (Adam ignores a constant scale of the gradient, up to eps), which
# only the first-step check sees.
FINAL_RTOL = 1e-2
# Training accuracy counts argmax hits: an example flips where its two largest logits are closer
# than the runs' difference. Measured in the same runs: at most 1 of 68; allowed: 3 (a margin for
# the switch clusters not seen here, in a count that moves by whole examples).
ACCURACY_FLIPS = 3

fake_cifar = test_example.fake_cifar  # the same fixture: class-folder PNGs + a tfds data dir


def device_args(fake_cifar, out, devices, *extra):
    return ["--recipe", "best", "--quick", "--subset", "80", "--val-split", "0.15", "--batch-size", "16",
            "--test-limit", "15", "--seed", "3", "--devices", str(devices), "--data", str(fake_cifar / "cifar10"),
            "--data-dir", str(fake_cifar / "tfds"), "--out", str(out), *extra]


# ------------------------------------------------------------------------------------ the subprocess


def parse_error(example, argv) -> str:
    """The message parse_args exits with (argparse errors go to stderr, exit code 2)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.suppress(SystemExit):
        example.parse_args(argv)
    return err.getvalue()


def host(x) -> np.ndarray:
    """A (replicated, possibly multi-process) array's value on this host."""
    return np.asarray(x.addressable_data(0) if isinstance(x, jax.Array) and not x.is_fully_addressable else x)


def sha256(*arrays) -> str:
    digest = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        digest.update(f"{a.dtype}{a.shape}".encode() + a.tobytes())
    return digest.hexdigest()


def first_steps(example, cfg, data, path: pathlib.Path) -> None:
    """Runs the first FIRST_STEPS training steps of epoch 0 as `train` does, on cfg's mesh; writes what they give.

    `path` (.npz): "start", the SHA-256 of the initial model and optimiser state and of the epoch's
    order (which must be bitwise the same everywhere); "losses", each step's loss; "grad/<param>",
    the first step's gradient as Adam's first moment holds it (mu = (1 - b1) g after one step, one
    rounding, the same everywhere); "replicated", whether the state stayed whole on every device.
    """
    from flax import nnx

    root = jax.random.key(cfg.seed)
    model = example.TutorialCNN(rngs=nnx.Rngs(params=jax.random.fold_in(root, example.INIT)))
    plan = example.batches(len(data.train_rows), cfg.batch_size)
    optimizer = nnx.Optimizer(model, example.make_tx(cfg.schedule, cfg.learning_rate, cfg.epochs * len(plan))[0],
                              wrt=nnx.Param)
    mesh = example.make_mesh(cfg.devices)
    order = example.placed_order(data, mesh, root, 0)
    start = sha256(*map(host, jax.tree.leaves([nnx.state(model), nnx.state(optimizer)])), host(order))
    example.replicate_state(mesh, model, optimizer)
    data = example.on_mesh(data, mesh)
    step = example.make_train_step(json.dumps(cfg.augment), cfg.mix, cfg.mix_alpha, mesh, data.streamed)
    losses, grad = [], {}
    for i, (begin, size) in enumerate(plan[:FIRST_STEPS]):
        loss, _ = step(model, optimizer, *example.batch_args(data, mesh, order, begin, size), root, 0, i,
                       batch_size=size)
        losses.append(float(loss))
        if i == 0:
            for keys, leaf in jax.tree_util.tree_leaves_with_path(nnx.state(optimizer)):
                name = jax.tree_util.keystr(keys)
                if "['mu']" in name:
                    grad["grad/" + name.split("['mu']")[1]] = host(leaf)
    assert grad, "no Adam first moment ('mu') in the optimiser state"
    leaves = jax.tree.leaves([nnx.state(model), nnx.state(optimizer)])
    replicated = all(x.sharding.is_fully_replicated and len(x.sharding.device_set) == cfg.devices * cfg.processes
                     for x in leaves)
    np.savez(path, start=start, losses=np.array(losses), replicated=replicated, **grad)


def driver(fake_cifar: pathlib.Path, out: pathlib.Path) -> None:
    example = test_example.load_example()
    assert jax.local_device_count() == max(DEVICES), "run with --xla_force_host_platform_device_count=8"
    configs = {n: example.make_config(example.parse_args(device_args(fake_cifar, out / str(n), n))) for n in DEVICES}
    streamed = {n: example.make_config(example.parse_args(device_args(fake_cifar, out, n, "--stream"))) for n in (2, 8)}
    data = example.load_data(configs[1])
    data_streamed = example.load_data(streamed[2])
    # Each (device count, batch size) compiles anew (~6 s here): the partial batch on 1 and 8 only.
    pairs = [(n, 0) for n in DEVICES] + [(1, 4), (8, 4)]
    batches = {f"{n}-{step}": example.augmented_batch(configs[n], data, 0, step) for n, step in pairs}
    batches.update({f"{n}s-{step}": example.augmented_batch(streamed[n], data_streamed, 0, step)
                    for n, step in ((2, 0), (8, 4))})
    np.savez(out / "batches.npz", **batches)
    for n in DEVICES:
        first_steps(example, configs[n], data, out / f"first-{n}.npz")
    report = {"errors": {n: parse_error(example, device_args(fake_cifar, out, n)) for n in (3, 9)}}
    (out / "checks.json").write_text(json.dumps(report))
    # The reference runs skip main's figures (a few seconds); the 8-device one writes the whole report.
    for n in (1, 2):
        (out / str(n)).mkdir()
        (out / str(n) / "metrics.json").write_text(json.dumps(example.train(configs[n], data)))
    assert example.main(device_args(fake_cifar, out / "8", 8)) == 0


def distributed(fake_cifar: pathlib.Path, out: pathlib.Path, port: int, process_id: int) -> None:
    """One of two processes (one device each): the augmented batches' local rows, then the whole run."""
    example = test_example.load_example()
    args = device_args(fake_cifar, out / "run", 1, "--coordinator", f"127.0.0.1:{port}", "--num-processes", "2",
                       "--process-id", str(process_id))
    cfg = example.make_config(example.parse_args(args))  # joins the job
    data = example.load_data(cfg)
    rows = {f"{step}": example.augmented_batch(cfg, data, 0, step) for step in (0, 4)}
    np.savez(out / f"rows{process_id}.npz", **rows)
    first_steps(example, cfg, data, out / f"first-p{process_id}.npz")
    assert example.main(args) == 0  # process 0 writes the report


@pytest.fixture(scope="module")
def multi_device_run(fake_cifar, tmp_path_factory):
    out = tmp_path_factory.mktemp("devices")
    run_together([[sys.executable, __file__, "devices", str(fake_cifar), str(out)]], host_env(max(DEVICES)), 600,
                 "the 8-device driver")
    return out


@pytest.fixture(scope="module")
def distributed_run(fake_cifar, tmp_path_factory):
    out, port = tmp_path_factory.mktemp("distributed"), free_port()
    cmds = [[sys.executable, __file__, "distributed", str(fake_cifar), str(out), str(port), str(i)] for i in range(2)]
    run_together(cmds, host_env(1), 300, "the two example processes")
    return out


# ------------------------------------------------------------------------------------------- the tests


def test_augmented_batch_is_bitwise_the_same_on_1_2_and_8_devices(multi_device_run):
    batches = np.load(multi_device_run / "batches.npz")
    for step, size in ((0, 16), (4, 4)):  # a full batch, and the partial one (replicated on 8 devices)
        assert batches[f"1-{step}"].shape == (size, 32, 32, 3)
        for n in DEVICES[1:] if step == 0 else DEVICES[2:]:
            np.testing.assert_array_equal(batches[f"{n}-{step}"], batches[f"1-{step}"], err_msg=f"{n} devices")
    assert not np.array_equal(batches["1-0"][:4], batches["1-4"]), "different steps must differ"


def test_streamed_batches_are_bitwise_the_on_device_ones(multi_device_run):
    batches = np.load(multi_device_run / "batches.npz")
    np.testing.assert_array_equal(batches["2s-0"], batches["1-0"])
    np.testing.assert_array_equal(batches["8s-4"], batches["1-4"])  # the replicated partial batch


def assert_same_first_steps(reference: dict, run: dict, what: str) -> None:
    """The same start, bitwise; losses and first gradient within FIRST_STEPS_RTOL (see there)."""
    assert str(run["start"]) == str(reference["start"]), f"{what}: another initial state or epoch order"
    np.testing.assert_allclose(run["losses"], reference["losses"], rtol=FIRST_STEPS_RTOL, err_msg=what)
    names = sorted(k for k in reference.files if k.startswith("grad/"))
    assert names and sorted(k for k in run.files if k.startswith("grad/")) == names, what
    for name in names:
        ref, got = reference[name].astype(np.float64), run[name].astype(np.float64)
        difference = np.linalg.norm(got - ref) / np.linalg.norm(ref)
        assert difference <= FIRST_STEPS_RTOL, f"{what}: first gradient of {name[5:]} {difference:.2e} apart"


def test_first_steps_agree_across_device_counts(multi_device_run):
    first = {n: np.load(multi_device_run / f"first-{n}.npz") for n in DEVICES}
    assert all(bool(first[n]["replicated"]) for n in DEVICES)
    for n in DEVICES[1:]:
        assert_same_first_steps(first[1], first[n], f"{n} devices")


def assert_same_training(reference: dict, run: dict) -> None:
    """Losses within FINAL_RTOL, epoch by epoch and on the test set; training accuracies within ACCURACY_FLIPS."""
    for a, b in zip(reference["history"], run["history"], strict=True):
        np.testing.assert_allclose([b["train_loss"], b["val_loss"]], [a["train_loss"], a["val_loss"]],
                                   rtol=FINAL_RTOL)
        assert abs(a["train_accuracy"] - b["train_accuracy"]) * 68 <= ACCURACY_FLIPS + 1e-9
    np.testing.assert_allclose(run["test_loss"], reference["test_loss"], rtol=FINAL_RTOL)


def test_losses_agree_across_device_counts(multi_device_run):
    one, eight = (json.loads((multi_device_run / str(n) / "metrics.json").read_text()) for n in (1, 8))
    assert eight["config"]["devices"] == 8
    assert eight["data"]["train"] == 68 and eight["steps_per_epoch"] == 5  # 4 x 16 + 4: nothing dropped
    assert_same_training(one, eight)
    assert "8 x " in (multi_device_run / "8" / "results.md").read_text()


def test_bad_device_counts_name_the_flag(multi_device_run):
    checks = json.loads((multi_device_run / "checks.json").read_text())
    assert "--devices times the 1 process(es) must divide --batch-size=16" in checks["errors"]["3"]
    assert "--devices must be <= the 8 local device(s)" in checks["errors"]["9"]


def test_two_processes_load_half_of_each_batch_and_augment_it_like_one_process(multi_device_run, distributed_run):
    batches = np.load(multi_device_run / "batches.npz")
    halves = [np.load(distributed_run / f"rows{i}.npz") for i in range(2)]
    for step, size in (("0", 16), ("4", 4)):  # on a mesh of 2, the partial batch of 4 is split too
        assert [h[step].shape[0] for h in halves] == [size // 2] * 2
        np.testing.assert_array_equal(np.concatenate([h[step] for h in halves]), batches[f"1-{step}"])


def test_two_processes_take_the_first_steps_like_two_devices_in_one(multi_device_run, distributed_run):
    processes = [np.load(distributed_run / f"first-p{i}.npz") for i in range(2)]
    for name in processes[0].files:  # one program, one replicated result: bitwise the same in both
        np.testing.assert_array_equal(processes[1][name], processes[0][name], err_msg=name)
    assert bool(processes[0]["replicated"])
    assert_same_first_steps(np.load(multi_device_run / "first-2.npz"), processes[0], "2 processes")


def test_two_processes_train_like_two_devices_in_one(multi_device_run, distributed_run):
    two_devices = json.loads((multi_device_run / "2" / "metrics.json").read_text())
    run = json.loads((distributed_run / "run" / "metrics.json").read_text())
    assert run["config"]["processes"] == 2 and run["config"]["stream"] and run["config"]["devices"] == 1
    assert run["device"]["count"] == 2
    # The same program on a 2-device mesh, but the reference ran in a process of 8 host devices,
    # whose CPU kernels XLA threads differently, and the 2 processes reduce through gloo: the
    # last bits differ, then two epochs amplify them (see FINAL_RTOL).
    assert_same_training(two_devices, run)
    assert "2 processes x " in (distributed_run / "run" / "results.md").read_text()


@pytest.mark.parametrize("argv, words", [
    (["--coordinator", "127.0.0.1:1234"], "needs --num-processes and --process-id"),
    (["--num-processes", "2"], "go with --coordinator HOST:PORT"),
    (["--coordinator", "127.0.0.1:1234", "--num-processes", "2", "--process-id", "2"], "--process-id must be in [0"),
    (["--num-processes", "0"], "--num-processes must be >= 1"),
])
def test_bad_process_flags_are_argparse_errors(example, argv, words, capsys):
    with pytest.raises(SystemExit) as err:
        example.parse_args(argv)
    assert err.value.code == 2 and words in capsys.readouterr().err


@pytest.fixture(scope="module")
def example():
    return test_example.load_example()


@pytest.mark.parametrize("devices", ["0", "-1", "1000"])
def test_devices_out_of_range_is_an_argparse_error(example, devices, capsys):
    with pytest.raises(SystemExit) as err:
        example.parse_args(["--devices", devices])
    assert err.value.code == 2 and "--devices" in capsys.readouterr().err


if __name__ == "__main__":
    if sys.argv[1] == "devices":
        driver(pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3]))
    else:
        distributed(pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
