"""jaxaug.keras.layers.Augment: a Keras 3 layer (JAX backend) that augments inside the model."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")  # conftest sets it too; this file may run alone

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import jaxaug  # noqa: E402
from jaxaug import pipeline as jp  # noqa: E402
from jaxaug.keras.layers import Augment  # noqa: E402

TUTORIAL = dict(rotation_range=20, width_shift_range=0.2, height_shift_range=0.2, zoom_range=0.2,
                horizontal_flip=True)


def data(n=64, seed=0):
    """A learnable toy task: the class is which half of the image is brighter."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 120, (n, 16, 16, 3)).astype(np.float32)
    y = rng.integers(0, 2, n)
    x[y == 1, :8] += 120.0
    x[y == 0, 8:] += 120.0
    return x, y


def small_model(augment, functional=False):
    layers = [keras.layers.Rescaling(1 / 255), keras.layers.Conv2D(4, 3, activation="relu"),
              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)]
    if functional:
        inputs = keras.Input((16, 16, 3))
        x = augment(inputs)
        for layer in layers:
            x = layer(x)
        model = keras.Model(inputs, x)
    else:
        model = keras.Sequential([keras.Input((16, 16, 3)), augment, *layers])
    model.compile(optimizer=keras.optimizers.SGD(0.1), jit_compile=True,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def test_training_is_the_augmenter_and_inference_is_the_identity():
    x, _ = data(8)
    layer = Augment(**TUTORIAL, seed=3)
    assert np.array_equal(np.asarray(layer(x)), x)
    assert np.array_equal(np.asarray(layer(x, training=False)), x)
    first = np.asarray(layer(x, training=True))
    second = np.asarray(layer(x, training=True))
    assert not np.array_equal(first, second)  # the seed generator advances per call
    # Step s draws from the raw key (seed, s): the first call is jaxaug.augmenter with key (3, 0).
    want = jaxaug.augmenter(**TUTORIAL, value_range=(0, 255))(jax.random.wrap_key_data(np.array([3, 0], np.uint32)), x)
    assert np.array_equal(first, np.asarray(want))


@pytest.mark.parametrize("functional", [False, True], ids=["sequential", "functional"])
def test_a_model_trains_and_the_seed_fixes_the_weights(functional):
    x, y = data()

    def fit():
        keras.utils.set_random_seed(0)  # the model's initial weights
        model = small_model(Augment(**TUTORIAL, seed=7), functional)
        history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        return model, history.history["loss"]

    model, losses = fit()
    again, losses_again = fit()
    assert losses[-1] < losses[0]
    # The same seed, data and program: the same weights after 2 epochs, bit for bit.
    for a, b in zip(model.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert losses == losses_again
    model.summary(print_fn=lambda *a, **k: None)  # the layer shows in the summary without error


def test_save_and_load_round_trip(tmp_path):
    x, y = data(16)
    model = small_model(Augment(**TUTORIAL, brightness_range=(0.8, 1.2), seed=1))
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    layer = loaded.layers[0]
    assert isinstance(layer, Augment) and layer.get_config() == model.layers[0].get_config()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
    # The reloaded layer augments as the original did from the same generator state.
    fresh = Augment.from_config(model.layers[0].get_config())
    assert np.array_equal(np.asarray(fresh(x, training=True)), np.asarray(Augment(**TUTORIAL, brightness_range=(
        0.8, 1.2), seed=1)(x, training=True)))


def test_a_piece_with_an_output_size():
    x, _ = data(4)
    layer = Augment(jp.chain(jp.random_resized_crop(8), jp.flip()), antialias=True, seed=0)
    out = layer(x, training=True)
    assert out.shape == (4, 8, 8, 3)
    assert layer.compute_output_shape((None, 16, 16, 3)) == (None, 8, 8, 3)
    with pytest.raises(NotImplementedError, match="options"):
        layer.get_config()


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="rotation_rnage"):
        Augment(rotation_rnage=20)
    with pytest.raises(TypeError, match="augmentation"):
        Augment("flip")
    with pytest.raises(ValueError, match="not both"):
        Augment(jp.flip(), rotation_range=10)
    with pytest.raises(ValueError, match="seed"):
        Augment(horizontal_flip=True, seed=-1)


@pytest.mark.parametrize("dtype", ["int8", "int32", "bool", "complex64", "mixed_int8", "int8_from_float32",
                                   "no such type", 3, keras.dtype_policies.get("int8_from_float32")])
def test_a_dtype_that_is_not_uint8_or_floating_is_refused_by_name(dtype):
    # "int8" reached Keras' quantisation policies (an error naming neither the layer nor jaxaug), int32 failed
    # when called: jaxaug outputs uint8 or floats, as jaxaug.Augmenter's dtype.
    with pytest.raises(TypeError, match="dtype must be uint8 or a floating type.*Received: dtype=") as info:
        Augment(horizontal_flip=True, seed=0, dtype=dtype)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("dtype", ["uint8", "float16", "bfloat16", "float32", "mixed_float16", np.uint8,
                                   keras.DTypePolicy("mixed_bfloat16")])
def test_uint8_and_floating_dtypes_are_accepted(dtype):
    x = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype(np.float32)
    out = Augment(horizontal_flip=True, seed=0, dtype=dtype)(x, training=True)
    assert out.shape == x.shape
