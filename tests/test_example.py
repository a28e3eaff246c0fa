"""examples/cifar10/train.py: deterministic end to end, the model equals the tutorial's Keras model."""

import importlib.util
import json
import os
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
from PIL import Image

from jaxaug.data import cifar10

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUTPUTS = ("metrics.json", "curves.png", "augmented.png", "results.md")
TIMING = ("seconds", "images_per_second")  # wall-clock fields: the only ones allowed to differ


def load_example():
    spec = importlib.util.spec_from_file_location("train", ROOT / "examples" / "cifar10" / "train.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import would: code that looks a module up by name finds it
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example():
    return load_example()


@pytest.fixture(scope="module")
def fake_cifar(tmp_path_factory):
    """A class-folder CIFAR-10 of 8 train / 3 test PNGs per class; the class sets the mean colour."""
    root = tmp_path_factory.mktemp("fake_cifar")
    rng = np.random.default_rng(0)
    for split, count in (("train", 8), ("test", 3)):
        for label, name in enumerate(cifar10.CLASS_NAMES):
            folder = root / "cifar10" / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                pixels = rng.normal(25 * label + 15, 25, (32, 32, 3))
                Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(folder / f"{i:04d}.png")
    return root


def quick_args(fake_cifar, out, seed):
    # 64 train images in 4 batches of 16 and 16 validation / test images: one compiled shape each
    # (a partial batch would cost a second compilation, ~10 s here; `test_batches_keep_the_partial_batch`
    # checks the schedule instead).
    return ["--recipe", "best", "--quick", "--subset", "80", "--val-split", "0.2", "--batch-size", "16",
            "--test-limit", "16", "--seed", str(seed), "--data", str(fake_cifar / "cifar10"),
            "--data-dir", str(fake_cifar / "tfds"), "--out", str(out)]


def results(out):
    metrics = json.loads((out / "metrics.json").read_text())
    history = [{k: v for k, v in row.items() if k not in TIMING} for row in metrics["history"]]
    return metrics, history, (metrics["test_loss"], metrics["test_accuracy"])


def test_quick_run_is_bitwise_reproducible_and_writes_its_report(example, fake_cifar, tmp_path, capsys):
    runs = {}
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        assert example.main(quick_args(fake_cifar, tmp_path / name, seed)) == 0
        runs[name] = results(tmp_path / name)
    (metrics, history, test), (_, history_b, test_b), (_, history_c, _) = runs["a"], runs["b"], runs["c"]
    assert history == history_b and test == test_b  # exact float equality, from the JSON text
    assert history != history_c, "another seed must change the run, else the comparison proves nothing"

    for name in OUTPUTS:
        assert (tmp_path / "a" / name).stat().st_size > 0, name
    assert len(history) == 2 and metrics["steps_per_epoch"] == 4
    assert metrics["data"] == {"source": metrics["data"]["source"], "official_order": False,
                               "train": 64, "validation": 16, "test": 16}
    assert metrics["config"]["augment"]["horizontal_flip"] is True
    assert metrics["config"]["devices"] == jax.local_device_count()  # the default: all local devices
    assert set(metrics["versions"]) >= {"python", "jax", "flax", "optax", "jaxaug"}
    for row in history:
        assert 0 <= row["train_accuracy"] <= 1 and 0 <= row["val_accuracy"] <= 1
        assert np.isfinite([row["train_loss"], row["val_loss"]]).all()
    assert history[1]["learning_rate"] < history[0]["learning_rate"] == pytest.approx(2e-3)  # best: cosine from 2e-3
    table = (tmp_path / "a" / "results.md").read_text()
    assert "70.57 %" in table and f"{100 * metrics['test_accuracy']:.2f} %" in table
    assert Image.open(tmp_path / "a" / "augmented.png").size[0] > 100
    # The tutorial's 3x3 preview: nine 4x-enlarged 32x32 views of one photo, 2 px apart, not all alike.
    with Image.open(tmp_path / "a" / "preview.png") as picture:
        grid = np.asarray(picture)
    assert grid.shape == (3 * 128 + 4, 3 * 128 + 4, 3)
    cells = [grid[r * 130:r * 130 + 128, q * 130:q * 130 + 128] for r in range(3) for q in range(3)]
    assert len({cell.tobytes() for cell in cells}) > 1
    out = capsys.readouterr().out
    assert "epoch 2: loss" in out
    # It ends saying where the pictures are and how to run the full experiment.
    tail = out[out.index(f"wrote {tmp_path / 'a'}/"):]
    for words in ("results.md", "augmented.png", "preview.png", "--recipe baseline", "--recipe article"):
        assert words in tail, words


@pytest.mark.parametrize("argv, flag", [
    (["--recipe", "baseline", "--order", "1"], "--order"),
    (["--val-split", "1.5"], "--val-split"),
    (["--batch-size", "0"], "--batch-size"),
    (["--mixup", "0.2", "--cutmix", "1.0"], "--mixup"),
    (["--aug", "[1, 2]"], "--aug"),
    (["--lr", "0"], "--lr"),
    (["--schedule", "linear"], "--schedule"),
    (["--devices", "0"], "--devices"),
])
def test_bad_flags_exit_with_a_message_naming_the_flag(example, argv, flag, capsys):
    with pytest.raises(SystemExit) as err:
        example.main(argv)
    assert err.value.code == 2
    assert flag in capsys.readouterr().err


def test_recipes_and_run_names(example):
    cfg = example.make_config(example.parse_args(["--recipe", "article", "--bilinear", "--seed", "7"]))
    assert cfg.name == "article-order1-7" and cfg.epochs == 80 and cfg.val_split == 0
    assert cfg.augment == {**example.TUTORIAL_IDG, "order": 1, "dtype": "float32"}
    cfg = example.make_config(example.parse_args(["--recipe", "baseline", "--quick"]))
    assert cfg.name == "baseline-quick-0" and cfg.augment is None and cfg.val_split == 0.1
    assert (cfg.epochs, cfg.subset, cfg.test_limit) == (2, 500, 1000)
    # A first look shows augmentation at work: --quick alone is the tutorial's augmented recipe.
    cfg = example.make_config(example.parse_args(["--quick"]))
    assert cfg.name == "article-quick-0" and cfg.augment == example.TUTORIAL_IDG
    assert example.make_config(example.parse_args([])).recipe == "baseline"
    # Changed recipes get their own folder and no reference number.
    cfg = example.make_config(example.parse_args(["--recipe", "best", "--aug", '{"cutout_size": 8}']))
    assert cfg.name == "best-custom-0" and cfg.augment["cutout_size"] == 8 and cfg.augment["horizontal_flip"]
    assert example.make_config(example.parse_args(["--recipe", "article", "--mixup", "0.2"])).name == "article-custom-0"
    cfg = example.make_config(example.parse_args(["--recipe", "article", "--schedule", "cosine", "--lr", "2e-3"]))
    assert (cfg.name, cfg.schedule, cfg.learning_rate) == ("article-custom-0", "cosine", 2e-3)
    cfg = example.make_config(example.parse_args(["--recipe", "best", "--schedule", "cosine", "--lr", "2e-3"]))
    assert (cfg.name, cfg.learning_rate) == ("best-0", 2e-3)
    assert example.make_config(example.parse_args(["--recipe", "best", "--lr", "1e-3"])).name == "best-custom-0"


@pytest.mark.parametrize("n, batch_size, steps, last", [(10_000, 128, 79, 16), (9000, 128, 71, 40), (512, 128, 4, 128),
                                                        (60, 16, 4, 12), (5, 16, 1, 5)])
def test_batches_keep_the_partial_batch(example, n, batch_size, steps, last):
    schedule = example.batches(n, batch_size)
    assert len(schedule) == steps == -(-n // batch_size) and schedule[-1][1] == last
    covered = np.concatenate([np.arange(start, start + size) for start, size in schedule])
    np.testing.assert_array_equal(covered, np.arange(n))  # every example once per epoch, in order


def test_conv_gradient_matches_xla_autodiff(example):
    rng = np.random.default_rng(0)
    x, w, g = (rng.normal(size=shape).astype(np.float32) for shape in ((4, 9, 7, 5), (3, 3, 5, 6), (4, 7, 5, 6)))

    def lax_conv(x, w):
        return jax.lax.conv_general_dilated(x, w, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"))

    def value_and_vjp(conv, x, w, g):
        out, vjp = jax.vjp(conv, x, w)
        return out, vjp(g)

    ours = jax.jit(lambda *a: value_and_vjp(lambda x, w: example.conv_valid(x, w, (1, 1), "VALID"), *a))(x, w, g)
    ref = jax.jit(lambda *a: value_and_vjp(lax_conv, *a))(x, w, g)
    np.testing.assert_array_equal(ours[0], ref[0])
    for a, b in zip(ours[1], ref[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)
    with pytest.raises(ValueError, match="window_strides"):
        example.conv_valid(x, w, (2, 2), "VALID")


@pytest.fixture(scope="module")
def keras_model():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    layers = keras.layers
    bn = dict(momentum=0.99, epsilon=1e-3)  # Keras' defaults, spelled out for the reader
    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        layers.Conv2D(64, 3, activation="relu"), layers.BatchNormalization(center=False, scale=False, **bn),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2), layers.Dropout(0.2),
        layers.BatchNormalization(center=False, scale=False, **bn), layers.Flatten(),
        layers.Dense(256, activation="relu"), layers.Dropout(0.2), layers.BatchNormalization(**bn),
        layers.Dense(10),
    ])
    rng = np.random.default_rng(0)
    for v in model.variables:  # random everything, so that no variable can be silently ignored
        shape = tuple(v.shape)
        v.assign(rng.uniform(0.5, 1.5, shape) if "variance" in v.path else rng.normal(0, 0.1, shape))
    return model


def copy_keras_weights(keras_model, model):
    from flax import nnx

    layers = [layer for layer in keras_model.layers if layer.weights]
    ours = [model.conv1, model.bn1, model.conv2, model.bn2, model.dense1, model.bn3, model.dense2]
    for layer, module in zip(layers, ours, strict=True):
        weights = [np.asarray(w) for w in layer.weights]
        if isinstance(module, nnx.BatchNorm):
            params = [module.scale, module.bias] if module.use_scale else []
            targets = params + [module.mean, module.var]
        else:
            targets = [module.kernel, module.bias]
        assert len(weights) == len(targets), layer.name
        for w, target in zip(weights, targets, strict=True):
            target[...] = jnp.asarray(w)


def test_model_is_the_tutorials_keras_model(example, keras_model):
    from flax import nnx

    model = example.TutorialCNN(rngs=nnx.Rngs(params=0))
    trainable = sum(p.size for p in jax.tree.leaves(nnx.state(model, nnx.Param)))
    assert trainable == sum(int(np.prod(v.shape)) for v in keras_model.trainable_variables) == 1_629_226
    copy_keras_weights(keras_model, model)
    x = np.random.default_rng(1).uniform(-1, 1, (6, 32, 32, 3)).astype(np.float32)
    model.eval()
    logits = nnx.jit(lambda model, x: model(x))(model, x)
    np.testing.assert_allclose(logits, keras_model.predict_on_batch(x), rtol=1e-4, atol=1e-4)

    # Keras' moving-average rule: moving = 0.99 * moving + 0.01 * batch statistic (BN1: before any dropout).
    model.train()
    before = np.asarray(model.bn1.mean[...]), np.asarray(model.bn1.var[...])
    features = np.asarray(jax.nn.relu(model.conv1(x)), np.float64)
    nnx.jit(lambda model, x, key: model(x, rngs=key))(model, x, jax.random.key(1))
    batch = features.mean(axis=(0, 1, 2)), features.var(axis=(0, 1, 2))
    for moved, old, new in zip((model.bn1.mean[...], model.bn1.var[...]), before, batch, strict=True):
        np.testing.assert_allclose(moved, 0.99 * old + 0.01 * new, rtol=1e-5, atol=1e-6)


def test_kernels_are_glorot_uniform_and_biases_zero(example):
    from flax import nnx

    model = example.TutorialCNN(rngs=nnx.Rngs(params=0))
    for module, fan_in, fan_out in ((model.conv1, 27, 576), (model.conv2, 576, 288), (model.dense1, 6272, 256)):
        limit = np.sqrt(6 / (fan_in + fan_out))
        kernel = np.asarray(module.kernel[...]).ravel()
        assert np.abs(kernel).max() <= limit * (1 + 1e-6)  # float32 rounding of limit * u
        assert scipy.stats.kstest(kernel, scipy.stats.uniform(-limit, 2 * limit).cdf).pvalue > 1e-3
        assert not np.asarray(module.bias[...]).any()
