"""examples/cifar_flax.py on several devices and processes: data parallelism changes no result beyond rounding.

The device count of a process is fixed when jax starts, so these checks run in subprocesses
(this file run as a script) and the tests compare what they wrote:

* `devices`: one process with `--xla_force_host_platform_device_count=8` (--devices 1, 2, 8,
  on-device and streamed data);
* `distributed`: two `jax.distributed` processes on localhost with one host device each
  (gloo collectives), every process reading only its half of each batch.

Training data: 68 images in batches of 16 + a partial batch of 4, so on 8 devices the partial
step runs replicated (8 does not divide 4) and on 2 it is sharded.
"""

import contextlib
import io
import json
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
# Relative tolerance on the losses of a 2-epoch run, 1 vs 8 devices: only the summation order of
# the batch reductions (gradients, BatchNorm statistics, loss mean) differs. Measured here
# (jax 0.10.2, CPU): at most 1.1e-5 on the training and validation losses, 2.6e-5 on the test loss.
LOSS_RTOL = 1e-4

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


def replicated_after_a_step(example, cfg, data) -> bool:
    """After one sharded train step, every model and optimiser variable is still on all devices, whole."""
    from flax import nnx

    mesh = example.make_mesh(cfg.devices)
    model = example.TutorialCNN(rngs=nnx.Rngs(params=0))
    optimizer = nnx.Optimizer(model, example.make_tx(cfg.schedule, cfg.learning_rate, 10)[0], wrt=nnx.Param)
    example.replicate_state(mesh, model, optimizer)
    step = example.make_train_step(json.dumps(cfg.augment), cfg.mix, cfg.mix_alpha, mesh)
    root = jax.random.key(0)
    images, labels, order = example.replicate(
        (data.train_x, data.train_y, example.epoch_order(root, 0, len(data.train_rows))), mesh)
    step(model, optimizer, images, labels, order, 0, root, 0, 0, batch_size=cfg.batch_size)
    leaves = jax.tree.leaves([nnx.state(model), nnx.state(optimizer)])
    return all(x.sharding.is_fully_replicated and len(x.sharding.device_set) == cfg.devices for x in leaves)


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
    report = {"errors": {n: parse_error(example, device_args(fake_cifar, out, n)) for n in (3, 9)},
              "replicated": replicated_after_a_step(example, configs[8], data)}
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


def assert_same_training(reference: dict, run: dict) -> None:
    """Losses within LOSS_RTOL, epoch by epoch and on the test set; training accuracies within one example."""
    for a, b in zip(reference["history"], run["history"], strict=True):
        np.testing.assert_allclose([b["train_loss"], b["val_loss"]], [a["train_loss"], a["val_loss"]],
                                   rtol=LOSS_RTOL)
        # Accuracies count argmax hits: a logit that moves in its last bits may flip one example at most.
        assert abs(a["train_accuracy"] - b["train_accuracy"]) <= 1 / 68 + 1e-9
    np.testing.assert_allclose(run["test_loss"], reference["test_loss"], rtol=LOSS_RTOL)


def test_losses_agree_across_device_counts(multi_device_run):
    one, eight = (json.loads((multi_device_run / str(n) / "metrics.json").read_text()) for n in (1, 8))
    assert eight["config"]["devices"] == 8
    assert eight["data"]["train"] == 68 and eight["steps_per_epoch"] == 5  # 4 x 16 + 4: nothing dropped
    assert_same_training(one, eight)
    assert "8 x " in (multi_device_run / "8" / "results.md").read_text()


def test_state_stays_replicated_and_bad_device_counts_name_the_flag(multi_device_run):
    checks = json.loads((multi_device_run / "checks.json").read_text())
    assert checks["replicated"]
    assert "--devices times the 1 process(es) must divide --batch-size=16" in checks["errors"]["3"]
    assert "--devices must be <= the 8 local device(s)" in checks["errors"]["9"]


def test_two_processes_load_half_of_each_batch_and_augment_it_like_one_process(multi_device_run, distributed_run):
    batches = np.load(multi_device_run / "batches.npz")
    halves = [np.load(distributed_run / f"rows{i}.npz") for i in range(2)]
    for step, size in (("0", 16), ("4", 4)):  # on a mesh of 2, the partial batch of 4 is split too
        assert [h[step].shape[0] for h in halves] == [size // 2] * 2
        np.testing.assert_array_equal(np.concatenate([h[step] for h in halves]), batches[f"1-{step}"])


def test_two_processes_train_like_two_devices_in_one(multi_device_run, distributed_run):
    two_devices = json.loads((multi_device_run / "2" / "metrics.json").read_text())
    run = json.loads((distributed_run / "run" / "metrics.json").read_text())
    assert run["config"]["processes"] == 2 and run["config"]["stream"] and run["config"]["devices"] == 1
    assert run["device"]["count"] == 2
    # The same program on a 2-device mesh. The reference ran in a process of 8 host devices, whose
    # CPU kernels XLA threads differently: the last bits differ (1.3e-6 relative here). Run in a
    # 2-device process, the 2-process losses came out bitwise equal.
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
