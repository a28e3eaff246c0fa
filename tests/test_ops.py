"""The op declarations (jaxaug/ops/<name>.py, gathered as jaxaug.ops.OPS) and what derives from them."""

import importlib.util
import inspect
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxaug
from jaxaug import keras as jk
from jaxaug import ops, pipeline

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"


def test_the_docs_table_is_made_from_the_declarations_at_build_time():
    spec = importlib.util.spec_from_file_location("hooks", DOCS / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    page = (DOCS / "operations.md").read_text()
    assert hooks.TABLE in page and "| op |" not in page  # no copy of the table to fall behind
    table = ops.operations_table()
    for op in ops.OPS:
        assert f"| {op.title} |" in table


def test_every_file_of_the_ops_package_declares_its_op():
    files = sorted(p.stem for p in pathlib.Path(ops.__file__).parent.glob("*.py") if not p.stem.startswith("_"))
    assert files == sorted(op.name for op in ops.OPS)
    assert [op.stage for op in ops.OPS] == sorted(op.stage for op in ops.OPS)


# The key slots of the ops that had them before the declarations moved to one file each: fixed forever.
SLOTS = {"affine": 0, "crop": 1, "channel_shift": 2, "brightness": 3, "contrast": 4, "saturation": 5, "hue": 6,
         "hsv_contrast": 7, "grayscale": 8, "blur": 9, "gaussian_noise": 10, "salt_and_pepper": 11, "cutout": 12,
         "random_erasing": 13, "standardize": 14, "invert": 15, "policy": 16, "random_resized_crop": 17,
         "perspective": 19, "elastic": 20, "grid_distortion": 21, "optical_distortion": 22, "jpeg": 23,
         "rgb_shift": 24, "channel_shuffle": 25, "channel_dropout": 26, "sharpness": 31, "multiplicative_noise": 32,
         "iso_noise": 33, "planckian_jitter": 34, "photometric_distort": 35, "clahe": 27, "median_blur": 28,
         "box_blur": 29, "motion_blur": 30}


def test_slots_never_move():
    assert {name: slot for name, slot in ops.SLOTS.items() if name in SLOTS} == SLOTS


def test_augmenter_signature_is_the_table():
    params = inspect.signature(jaxaug.augmenter).parameters
    assert list(params) == [o.name for op in ops.OPS for o in op.options] + [o.name for o in ops.RUN_OPTIONS]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    assert {name: p.default for name, p in params.items()} == ops.DEFAULTS
    for name in params:
        assert f"      {name}: " in jaxaug.augmenter.__doc__


def test_slots_are_unique_and_names_are_pieces():
    slots = [op.slot for op in ops.OPS if op.slot is not None]
    assert len(slots) == len(set(slots))
    assert len({op.name for op in ops.OPS}) == len(ops.OPS)
    for op in ops.OPS:
        if op.piece is not None:
            assert getattr(pipeline, op.name) is op.piece, op.name
            assert op.name in pipeline.__all__


def test_option_names_are_unique_and_every_option_feeds_its_piece():
    names = [o.name for op in ops.OPS for o in op.options] + [o.name for o in ops.RUN_OPTIONS]
    assert len(names) == len(set(names))
    for op in ops.AUGMENTATIONS:
        accepted = inspect.signature(op.piece).parameters
        for o in op.options:
            assert (o.arg or o.name) in accepted, (op.name, o.name)


def test_keras_extras_are_the_options_keras_lacks():
    for name in ops.EXTRAS:  # every extra is taken by the generator as a keyword, at its default
        jk.ImageDataGenerator(**{name: ops.DEFAULTS[name]})
    keras_args = set(inspect.signature(jk.ImageDataGenerator.__init__).parameters)
    for op in ops.AUGMENTATIONS:
        for o in op.options:
            assert (o.name in keras_args) == o.keras, o.name


@pytest.mark.parametrize("op", list(ops.AUGMENTATIONS), ids=lambda op: op.name)
def test_each_option_alone_builds_its_piece_in_its_slot(op):
    switch = next(o for o in op.options if o.switch)
    value = {bool: True, int: 2, float: 0.1}.get(type(switch.default), (0.8, 1.2))
    # A policy is a name, a resized crop an output size, a JPEG quality an integer range, a blur an odd size.
    value = {"policy": "trivial_augment", "random_resized_crop": 6, "jpeg_quality": (10, 90),
             "median_blur_size": (3, 7), "box_blur_size": (3, 7), "motion_blur_size": (3, 7)}.get(switch.name, value)
    augment = jaxaug.augmenter(**{switch.name: value})
    params = augment.sample(jax.random.key(0), jnp.zeros((1, 8, 8, 3)))
    assert list(params) == [op.name]
    # Example 0 draws from fold_in(key, 0); its op from fold_in(example key, slot).
    alone = op.piece(**{switch.arg or switch.name: value})
    want = alone.sample(jax.random.fold_in(jax.random.fold_in(jax.random.key(0), 0), op.slot), (8, 8, 3))
    for got, expected in zip(jax.tree.leaves(params[op.name]), jax.tree.leaves(want), strict=True):
        assert (got[0] == expected).all()


# The geometric pieces and the augmenter options of the same idea: (piece, its sampler's
# params -> affine params, augmenter options).
SAME_IDEA = {
    "rotation": (jaxaug.pipeline.rotation(25.0), lambda p: {"rotation": p["angle"]}, dict(rotation_range=25.0)),
    "shift": (jaxaug.pipeline.shift(height_shift_range=3, width_shift_range=0.25),
              lambda p: {"shift": jnp.stack([p["dy"], p["dx"]])}, dict(height_shift_range=3, width_shift_range=0.25)),
    "shear": (jaxaug.pipeline.shear(12.0), lambda p: {"shear": p["angle"]}, dict(shear_range=12.0)),
    "zoom": (jaxaug.pipeline.zoom((0.7, 1.2)), lambda p: {"zoom": jnp.stack([p["zy"], p["zx"]])},
             dict(zoom_range=(0.7, 1.2))),
    "flip": (jaxaug.pipeline.flip(horizontal=True, vertical=True),
             lambda p: {"horizontal_flip": p["horizontal"], "vertical_flip": p["vertical"]},
             dict(horizontal_flip=True, vertical_flip=True)),
}


def test_every_piece_drawn_by_affine_is_listed():
    assert sorted(SAME_IDEA) == sorted(op.name for op in ops.OPS if op.drawn_by)
    for name, (_, _, options) in SAME_IDEA.items():
        assert set(options) <= set(ops.BY_NAME[name].drawn_by)


@pytest.mark.parametrize("name", sorted(SAME_IDEA))
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_a_piece_draws_what_its_augmenter_option_draws(name, seed):
    piece, as_affine, options = SAME_IDEA[name]
    shape = (24, 40, 3)
    key = jax.random.key(seed)
    alone = as_affine(piece.sample(key, shape))
    affine = ops.BY_NAME["affine"].piece(**options).sample(key, shape)
    for field, value in alone.items():
        np.testing.assert_array_equal(np.asarray(value), np.asarray(affine[field]), err_msg=field)
    # augmenter's affine piece is that piece, in slot 0 of the example's key.
    within = jaxaug.augmenter(**options).augmentation.sample(key, shape)["affine"]
    slotted = ops.BY_NAME["affine"].piece(**options).sample(jax.random.fold_in(key, 0), shape)
    for field in affine:
        np.testing.assert_array_equal(np.asarray(within[field]), np.asarray(slotted[field]), err_msg=field)
