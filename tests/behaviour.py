"""Pinned behaviour: what every op, piece and pipeline draws and returns for fixed keys.

`tests/data/behaviour.npz` holds the outputs of every case below, recorded once. Redesigns
of the API (issue 15) must keep them: `test_behaviour.py` compares with a tolerance that
holds across CPUs, and on the machine that recorded them

    python tests/behaviour.py --check          # bitwise, case by case
    python tests/behaviour.py --write          # re-record (only for an announced change of draws)

A case may call an op under a new name after a rename; its recorded output stays. Every
declared op (`jaxaug/ops/<name>.py`) is a case of its own, `declared/<name>`, run with its
declared example; a new op's case is added to the recording with `--write --new`, which
keeps every recorded array as it is.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

import jaxaug
from jaxaug import pipeline

DATA = pathlib.Path(__file__).parent / "data" / "behaviour.npz"
SHAPE = (3, 12, 10, 3)  # non-square, so a swapped axis shows


def _images(dtype, shape=SHAPE):
    rng = np.random.default_rng(20261202)
    # A smooth ramp plus texture: flat regions and edges both, as in photos.
    ramp = np.linspace(0, 1, shape[1])[:, None, None] * np.linspace(0.2, 1, shape[2])[None, :, None]
    x = np.clip(0.6 * ramp + 0.4 * rng.random(shape), 0, 1)
    return jnp.asarray((x * 255).round().astype(np.uint8) if dtype == "uint8" else x.astype(np.float32))


def _key(i: int = 0):
    return jax.random.key(1000 + i)


GEOMETRY = dict(rotation_range=30.0, width_shift_range=0.2, height_shift_range=0.1, shear_range=10.0, zoom_range=0.2,
                horizontal_flip=True, vertical_flip=True)
# Each augmenter option alone, at a value that is on.
OPTIONS = dict(
    crop_padding=2, channel_shift_range=20.0, brightness_range=(0.7, 1.3), contrast_range=(0.6, 1.4),
    saturation_range=(0.5, 1.5), hue_range=0.1, hsv_contrast_range=(0.25, 4.0), grayscale_probability=0.5,
    blur_sigma_range=(0.0, 1.5), gaussian_noise_sigma=(0.0, 0.05), salt_and_pepper_amount=0.05, cutout_size=4,
    random_erasing_probability=0.9,
)


def _augmenter_cases():
    cases = {}
    for dtype in ("uint8", "float32"):
        vr = (0.0, 255.0) if dtype == "uint8" else (0.0, 1.0)
        cases[f"augmenter/geometry/{dtype}"] = (dict(GEOMETRY), dtype)
        for name, value in OPTIONS.items():
            cases[f"augmenter/{name}/{dtype}"] = (dict({name: value}, value_range=vr), dtype)
        cases[f"augmenter/every/{dtype}"] = (dict(GEOMETRY, **OPTIONS, value_range=vr), dtype)
    cases["augmenter/geometry-order0-constant/uint8"] = (dict(GEOMETRY, order=0, fill_mode="constant", cval=7.0),
                                                         "uint8")
    for mode in jaxaug.FILL_MODES:
        cases[f"augmenter/fill-{mode}/float32"] = (dict(GEOMETRY, fill_mode=mode), "float32")
    cases["augmenter/rescale-samplewise/uint8"] = (dict(GEOMETRY, rescale=1 / 255, samplewise_center=True,
                                                        samplewise_std_normalization=True), "uint8")
    return cases


def _run_augmenter(options, dtype):
    def run():
        out = jax.jit(jaxaug.augmenter(**options))(_key(), _images(dtype))
        return {"images": out}
    return run


def _with_labels():
    images = _images("uint8")
    n, h, w, _ = images.shape
    masks = (jnp.arange(h)[:, None] // 3 + jnp.arange(w)[None, :] // 4).astype(jnp.int32)
    masks = jnp.broadcast_to(masks, (n, h, w))
    keypoints = jnp.array([[[1.0, 2.0], [5.5, 4.0], [10.0, 8.0]]] * n)
    boxes = jnp.array([[[1.0, 1.0, 6.0, 5.0], [4.0, 2.0, 11.0, 9.0]]] * n)
    out = jax.jit(jaxaug.augmenter(**GEOMETRY, brightness_range=(0.8, 1.2)))(
        _key(), images, masks=masks, keypoints=keypoints, boxes=boxes)
    return {field: value for field, value in out._asdict().items()}


def _replay():
    augment = jaxaug.augmenter(**GEOMETRY, saturation_range=(0.5, 1.5), cutout_size=3)
    images = _images("float32")
    params = augment.sample(_key(), images)
    flat = {f"params/{i}": leaf for i, leaf in enumerate(jax.tree.leaves(params))}
    return {**flat, "images": jax.jit(augment.apply)(params, images)}


def _pieces():
    piece = pipeline.chain(pipeline.rotation(25), pipeline.shift(width_shift_range=0.1), pipeline.shear(8),
                           pipeline.zoom((0.8, 1.1)), pipeline.flip(horizontal=True, vertical=True), pipeline.crop(2),
                           pipeline.brightness((0.8, 1.2)), pipeline.channel_shift(10.0), pipeline.contrast((0.8, 1.2)),
                           pipeline.saturation((0.7, 1.3)), pipeline.hue(0.05), pipeline.hsv_contrast((0.25, 4.0)),
                           pipeline.grayscale(0.3), pipeline.blur((0.0, 1.0)), pipeline.gaussian_noise(0.02),
                           pipeline.salt_and_pepper(0.02), pipeline.cutout(3), pipeline.random_erasing(probability=0.7))
    out = {}
    for dtype in ("uint8", "float32"):
        out[dtype] = jax.jit(jaxaug.Augmenter(piece))(_key(), _images(dtype))
    return out


def _functions():
    """Every random_<op> on one image (eager: the functions jit themselves where they must)."""
    image_u8, image_f = _images("uint8")[0], _images("float32")[0]
    calls = {
        "random_rotation": lambda k, x: jaxaug.transforms.random_rotation(k, x, 30.0),
        "random_shift": lambda k, x: jaxaug.transforms.random_shift(k, x, height_shift_range=0.2,
                                                                     width_shift_range=0.2),
        "random_shear": lambda k, x: jaxaug.transforms.random_shear(k, x, 15.0),
        "random_zoom": lambda k, x: jaxaug.transforms.random_zoom(k, x, 0.3),
        "random_flip": lambda k, x: jaxaug.transforms.random_flip(k, x, horizontal=True, vertical=True),
        "random_crop": lambda k, x: jaxaug.transforms.random_crop(k, x, 3),
        "random_brightness": lambda k, x: jaxaug.color.random_brightness(k, x, (0.5, 1.5)),
        "random_channel_shift": lambda k, x: jaxaug.color.random_channel_shift(
            k, x, 30.0 if x.dtype == jnp.uint8 else 0.1),
        "random_contrast": lambda k, x: jaxaug.color.random_contrast(k, x, (0.5, 1.5)),
        "random_saturation": lambda k, x: jaxaug.color.random_saturation(k, x, (0.5, 1.5)),
        "random_hue": lambda k, x: jaxaug.color.random_hue(k, x, 0.2),
        "random_hsv_contrast": lambda k, x: jaxaug.color.random_hsv_contrast(k, x, (0.25, 4.0)),
        "random_grayscale": lambda k, x: jaxaug.color.random_grayscale(k, x, 1.0),
        "random_gaussian_blur": lambda k, x: jaxaug.filters.random_gaussian_blur(k, x, (0.5, 2.0)),
        "random_gaussian_noise": lambda k, x: jaxaug.noise.random_gaussian_noise(k, x, 0.05),
        "random_salt_and_pepper": lambda k, x: jaxaug.noise.random_salt_and_pepper(k, x, 0.1),
        "random_cutout": lambda k, x: jaxaug.occlusion.random_cutout(k, x, 4),
        "random_erasing": lambda k, x: jaxaug.occlusion.random_erasing(k, x, probability=1.0),
        "random_affine_matrix": lambda k, x: jaxaug.affine_warp(x, jaxaug.random_affine_matrix(k, x.shape, **GEOMETRY)),
    }
    out = {}
    for i, (name, call) in enumerate(calls.items()):
        for dtype, image in (("uint8", image_u8), ("float32", image_f)):
            out[f"{name}/{dtype}"] = call(_key(i), image)
    return out


def _mixing():
    images = _images("float32")
    labels = jnp.array([0, 3, 7])
    out = {}
    for name, fn in (("mixup", jaxaug.mixup), ("cutmix", jaxaug.cutmix)):
        mixed, soft = fn(_key(), images, labels, num_classes=10)
        out[f"{name}/images"], out[f"{name}/labels"] = mixed, soft
    return out


def _keras_flow():
    from jaxaug.keras import ImageDataGenerator

    x = np.asarray(_images("float32")) * 255.0
    gen = ImageDataGenerator(rotation_range=20, width_shift_range=0.2, height_shift_range=0.2, zoom_range=0.2,
                             horizontal_flip=True, brightness_range=(0.8, 1.2), channel_shift_range=10.0)
    batch, labels = next(gen.flow(x, np.arange(len(x)), batch_size=len(x), shuffle=False, seed=3))
    return {"images": batch, "labels": labels}


def _policies():
    """Each policy per image (issue 17), uint8 and float32, nearest with black fill; AugMix's views."""
    out = {}
    pieces = {"trivial_augment": pipeline.trivial_augment(),
              "rand_augment": pipeline.rand_augment(num_ops=3, magnitude=20),
              "auto_augment_svhn": pipeline.auto_augment(policy="svhn")}
    for name, piece in pieces.items():
        augment = jaxaug.Augmenter(pipeline.chain(pipeline.crop(2), piece), order=0, fill_mode="constant")
        for dtype in ("uint8", "float32"):
            out[f"{name}/{dtype}"] = jax.jit(augment)(_key(), _images(dtype))
    augmix = jaxaug.augmix.AugMix(base=pipeline.flip())
    out["augmix/uint8"] = jax.jit(augmix.views, static_argnums=2)(_key(), _images("uint8"), 2)
    image = _images("uint8")[0]
    for name in ("posterize", "solarize", "autocontrast", "equalize"):
        fn = getattr(jaxaug.tone, name)
        out[f"tone/{name}"] = fn(image, *((3,) if name == "posterize" else (100.0,) if name == "solarize" else ()))
    for name in ("brightness", "color", "contrast", "sharpness"):
        out[f"enhance/{name}"] = getattr(jaxaug.enhance, name)(image, 1.6)
    return out


def _output_sizes():
    """Output sizes (issue 18): a resized crop with antialiasing, a ragged batch, resize + centre crop."""
    out = {}
    rrc = jaxaug.Augmenter(pipeline.chain(pipeline.random_resized_crop((7, 9), scale=(0.3, 1.0)), pipeline.flip()),
                           antialias=True)
    for dtype in ("uint8", "float32"):
        images = _images(dtype)
        out[f"random_resized_crop/{dtype}"] = jax.jit(rrc)(_key(), images)
        out[f"ragged/{dtype}"] = jax.jit(rrc)(_key(1), images, sizes=np.array([[12, 10], [9, 10], [12, 4]]))
    fixed = jaxaug.Augmenter(pipeline.chain(pipeline.rotation(20), pipeline.resize((16, 14)),
                                            pipeline.center_crop((10, 12))), fill_mode="reflect")
    out["resize-center_crop/float32"] = jax.jit(fixed)(_key(2), _images("float32"))
    out["resize/antialias"] = jaxaug.transforms.resize(_images("uint8")[0], (5, 4), antialias=True)
    return out


# The declared examples use sizes in pixels (a cutout of 20, a crop to 64): a larger picture for them.
DECLARED_SHAPE = (2, 24, 20, 3)


def _declared(op):
    """An op's declared example (`op.demo()`), run per image on a uint8 batch (a float one for batch ops)."""
    def run():
        if op.kind == "batch":
            mixed, soft = op.random(_key(), _images("float32", DECLARED_SHAPE), jnp.array([0, 3]), **op.example,
                                    num_classes=10)
            return {"images": mixed, "labels": soft}
        # uint8 only: the float path of every op is pinned by the cases above, and it keeps the file small.
        return {"uint8": jax.jit(jaxaug.Augmenter(op.demo()))(_key(), _images("uint8", DECLARED_SHAPE))}
    return run


def cases() -> dict:
    """name -> function returning {field: array}."""
    out = {name: _run_augmenter(*spec) for name, spec in _augmenter_cases().items()}
    # Every declared op, from its declaration: a new op is pinned when it is recorded (--write).
    out.update({f"declared/{op.name}": _declared(op) for op in jaxaug.ops.OPS})
    out["augmenter/masks-keypoints-boxes"] = _with_labels
    out["augmenter/sample-apply"] = _replay
    out["pieces/chain"] = _pieces
    out["functions"] = _functions
    out["mixing"] = _mixing
    out["keras/flow"] = _keras_flow
    out["policies"] = _policies
    out["output_sizes"] = _output_sizes
    return out


def compute(name: str) -> dict[str, np.ndarray]:
    return {f"{name}:{field}": np.asarray(value) for field, value in cases()[name]().items() if value is not None}


def record() -> dict[str, np.ndarray]:
    out = {}
    for name in cases():
        out.update(compute(name))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--write", action="store_true", help="re-record tests/data/behaviour.npz")
    p.add_argument("--check", action="store_true", help="compare bitwise with the recording")
    p.add_argument("--new", action="store_true", help="with --write: record only the cases not yet recorded")
    args = p.parse_args()
    if args.write:
        DATA.parent.mkdir(exist_ok=True)
        if args.new:
            recorded = dict(np.load(DATA))
            known = {k.split(":")[0] for k in recorded}
            for name in sorted(set(cases()) - known):
                recorded.update(compute(name))
                print(f"recorded the new case {name}")
            np.savez_compressed(DATA, **recorded)
        else:
            np.savez_compressed(DATA, **record())
        print(f"wrote {DATA} ({DATA.stat().st_size} bytes)")
    if args.check:
        want = dict(np.load(DATA))
        got = record()
        bad = sorted(k for k in set(want) | set(got)
                     if k not in want or k not in got or want[k].dtype != got[k].dtype
                     or not np.array_equal(want[k], got[k], equal_nan=True))
        print(f"{len(want) - len(bad)} of {len(want)} arrays bitwise equal" + "".join(f"\n  differs: {k}" for k in bad))
        sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
