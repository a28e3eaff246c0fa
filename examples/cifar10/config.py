"""What a run is: the recipes, the key streams and `Config`; no jax device is touched here.

A module of its own, as Flax's `configs/`, because the flags (`cli.py`), the training
(`train.py`) and the report all read the recipes: kept in train.py they would import in a circle.
"""

from __future__ import annotations

import dataclasses

import jax

NUM_CLASSES = 10
CIFAR10_TRAIN = 50_000  # training images in CIFAR-10: the largest --subset
# Independent key streams: fold_in(root, stream) never collides between them.
SHUFFLE, AUGMENT, DROPOUT, MIX, INIT = range(5)

TUTORIAL_IDG = dict(rotation_range=20.0, width_shift_range=0.2, height_shift_range=0.2, zoom_range=0.2,
                    fill_mode="nearest", order=0)
RECIPES = {
    "baseline": dict(epochs=20, val_split=0.1, augment=None, schedule="constant"),
    "article": dict(epochs=80, val_split=0.0, augment=TUTORIAL_IDG, schedule="constant"),
    "best": dict(epochs=80, val_split=0.0, schedule="cosine", learning_rate=2e-3,
                 augment=dict(horizontal_flip=True, crop_padding=4, fill_mode="reflect", brightness_range=[0.8, 1.2],
                              contrast_range=[0.8, 1.2], saturation_range=[0.8, 1.2], order=0)),
}
# The policies on the papers' base (pad-and-crop 4 px with zeros, horizontal flips), nearest
# resampling and black fill as the reference code; the optimiser of `best`.
POLICY_BASE = dict(horizontal_flip=True, crop_padding=4, fill_mode="constant", order=0)
for _recipe, _policy in (("randaugment", "rand_augment"), ("trivialaugment", "trivial_augment"),
                         ("autoaugment", "auto_augment_cifar10")):
    RECIPES[_recipe] = dict(epochs=80, val_split=0.0, schedule="cosine", learning_rate=2e-3,
                            augment=dict(POLICY_BASE, policy=_policy))
DEFAULT_LR = 1e-3  # Keras' Adam default, as the tutorial


def stream_key(root, stream, epoch, step=None):
    key = jax.random.fold_in(jax.random.fold_in(root, stream), epoch)
    return key if step is None else jax.random.fold_in(key, step)


@dataclasses.dataclass(frozen=True)
class Config:
    recipe: str
    seed: int
    epochs: int
    batch_size: int
    val_split: float
    augment: dict | None
    schedule: str
    learning_rate: float
    mix: str | None
    mix_alpha: float
    subset: int
    test_limit: int | None
    quick: bool
    data: str | None
    data_dir: str | None
    devices: int = 1  # per process
    processes: int = 1
    stream: bool = False

    @property
    def variant(self) -> str:
        """The recipe, + "-order1" for a non-default resampling order, + "-custom" if --aug / --mixup changed it."""
        standard = dict(RECIPES[self.recipe]["augment"] or {})
        augment = dict(self.augment or {})
        order = augment.pop("order", None)
        augment.pop("dtype", None)
        name = self.recipe
        if order is not None and order != standard.pop("order", None):
            name += f"-order{order}"
        standard.pop("order", None)
        recipe = RECIPES[self.recipe]
        optimiser = (self.schedule, self.learning_rate) != (recipe["schedule"], recipe.get("learning_rate", DEFAULT_LR))
        return name + ("-custom" if augment != standard or self.mix or optimiser else "")

    @property
    def name(self) -> str:
        return f"{self.variant}{'-quick' if self.quick else ''}-{self.seed}"
