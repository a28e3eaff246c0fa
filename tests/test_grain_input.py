"""examples/grain_input.py: the grain stream is deterministic, resumable, split by process, keyed by view index."""

import importlib.util
import json
import pathlib
import sys

import numpy as np
import pytest
import test_example

grain = pytest.importorskip("grain")

ROOT = pathlib.Path(__file__).resolve().parents[1]
BATCH, EPOCHS = 16, 2  # the fake training split has 80 images: 10 steps of 16 over 2 epochs

fake_cifar = test_example.fake_cifar  # class-folder PNGs + a tfds data dir


@pytest.fixture(scope="module")
def gi():
    spec = importlib.util.spec_from_file_location("grain_input", ROOT / "examples" / "grain_input.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def source(gi, fake_cifar):
    return gi.data_source(fake_cifar / "cifar10", fake_cifar / "tfds")


def batches(gi, source, seed=0, shard=None, state=None):
    ds = gi.dataset(source, batch_size=BATCH, seed=seed, epochs=EPOCHS, shard=shard)
    return list(gi.iterator(ds, state, threads=2))


def assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        for k in ("image", "label", "view"):
            np.testing.assert_array_equal(x[k], y[k])


def test_every_epoch_is_a_fresh_permutation_of_the_source(gi, source):
    stream = batches(gi, source)
    n = len(source)
    assert n == 80 and len(stream) == EPOCHS * n // BATCH
    views = np.concatenate([b["view"] for b in stream])
    epochs, examples = np.divmod(views, n)
    np.testing.assert_array_equal(epochs, np.repeat(np.arange(EPOCHS), n))
    for e in range(EPOCHS):
        assert sorted(examples[epochs == e]) == list(range(n))
    assert not np.array_equal(examples[:n], examples[n:]), "each epoch must be shuffled anew"
    first = stream[0]
    for i in (0, 5):  # the records are the source's, in the source's dtype
        record = source[int(first["view"][i]) % n]
        np.testing.assert_array_equal(first["image"][i], record["image"])
        assert first["label"][i] == record["label"] and first["image"].dtype == np.uint8


def test_same_seed_same_stream_and_resume_from_a_step(gi, source):
    stream = batches(gi, source, seed=3)
    assert_same(stream, batches(gi, source, seed=3))
    assert not np.array_equal(stream[0]["view"], batches(gi, source, seed=4)[0]["view"])

    ds = gi.dataset(source, batch_size=BATCH, seed=3, epochs=EPOCHS)
    it = gi.iterator(ds, threads=2)
    head = [next(it) for _ in range(6)]  # past the epoch boundary (5 steps an epoch)
    state = json.loads(json.dumps(it.get_state()))  # what a checkpoint stores
    assert state == {"next_index": 6}
    fresh = gi.dataset(source, batch_size=BATCH, seed=3, epochs=EPOCHS)  # a new process rebuilds it
    assert_same(head + batches(gi, source, seed=3, state=state), stream)
    assert_same(list(gi.iterator(fresh, state, threads=2)), stream[6:])


def test_two_processes_split_each_global_batch(gi, source):
    whole = batches(gi, source)
    parts = [batches(gi, source, shard=grain.sharding.ShardOptions(p, 2)) for p in range(2)]
    assert len(parts[0]) == len(parts[1]) == len(whole)
    for step, batch in enumerate(whole):
        halves = [part[step]["view"] for part in parts]
        assert all(len(h) == BATCH // 2 for h in halves)
        assert sorted(np.concatenate(halves)) == sorted(batch["view"])
    with pytest.raises(ValueError, match="batch_size"):
        gi.dataset(source, batch_size=15, seed=0, epochs=1, shard=grain.sharding.ShardOptions(0, 2))


def test_augmentation_depends_on_the_view_not_on_the_batch(gi, source):
    batch = gi.to_device(batches(gi, source)[0], gi.make_mesh())
    augment = gi.make_augment(seed=0)
    full = np.asarray(augment(batch["image"], batch["view"]))
    assert not np.array_equal(full, np.asarray(batch["image"]))
    half = np.asarray(augment(batch["image"][5:13], batch["view"][5:13]))  # another batch, other positions
    np.testing.assert_array_equal(half, full[5:13])


def test_main_saves_the_state_and_resumes(gi, fake_cifar, tmp_path, capsys):
    argv = ["--data", str(fake_cifar / "cifar10"), "--data-dir", str(fake_cifar / "tfds"), "--epochs", "2",
            "--batch-size", "16", "--state", str(tmp_path / "state.json")]
    assert gi.main([*argv, "--steps", "3"]) == 0
    assert json.loads((tmp_path / "state.json").read_text()) == {"next_index": 3}
    assert gi.main(argv) == 0
    assert json.loads((tmp_path / "state.json").read_text()) == {"next_index": 10}
    out = capsys.readouterr().out
    assert "steps 0..3 of 10" in out and "steps 3..10 of 10" in out
    with pytest.raises(SystemExit):
        gi.main(["--steps", "0"])
    assert "--steps" in capsys.readouterr().err
