"""Augmentation policies drawn per image: RandAugment, TrivialAugmentWide, AutoAugment (see `jaxaug.policies`)."""

import functools

from jaxaug import _checks, _pieces, policies
from jaxaug._pieces import Augmentation
from jaxaug.ops._core import Op, Option

__all__ = ["OP", "POLICIES", "auto_augment", "policy", "rand_augment", "trivial_augment"]


def _policy(sample) -> Augmentation:
    # Geometry joins the one matrix; the pixel operations run for the batch at once.
    return _pieces.checked(Augmentation(
        sample=sample, matrix=lambda p, shape: policies.ops_matrix(shape, **p),
        apply=lambda p, image, vr: policies.ops_pixels(image, **p, value_range=vr),
        apply_batch=lambda p, images, vr: policies.ops_pixels_batch(images, **p, value_range=vr)))


def rand_augment(*, num_ops=2, magnitude=9, bins=31, magnitude_std=0.0,
                 ops=policies.RAND_AUGMENT_OPS) -> Augmentation:
    """RandAugment (Cubuk et al., 2019) per image: `num_ops` operations at level `magnitude` of `bins`.

    torchvision's `RandAugment` defaults; see `jaxaug.policies.sample_rand_augment`. Run it with
    `Augmenter(..., order=0, fill_mode="constant")` for the reference's nearest / black fill.

    Example:
      >>> piece = jaxaug.pipeline.rand_augment(num_ops=2, magnitude=9)
      >>> augment = jaxaug.Augmenter(piece, order=0, fill_mode="constant")
      >>> params = augment.sample(jax.random.key(0), images)     # per image: N operations, N magnitudes
      >>> params["ops"].shape, params["magnitudes"].shape
      ((4, 2), (4, 2))
      >>> out = augment(jax.random.key(0), images)
      >>> out.shape, out.dtype
      ((4, 32, 32, 3), dtype('uint8'))
    """
    return _policy(functools.partial(policies.sample_rand_augment, num_ops=num_ops, magnitude=magnitude, bins=bins,
                                     magnitude_std=magnitude_std, ops=ops))


def trivial_augment(*, bins=31, ops=policies.RAND_AUGMENT_OPS) -> Augmentation:
    """TrivialAugmentWide (Müller & Hutter, 2021) per image: one operation, a uniform level of the wide space.

    See `jaxaug.policies.sample_trivial_augment`.

    Example:
      >>> augment = jaxaug.Augmenter(jaxaug.pipeline.trivial_augment(), order=0, fill_mode="constant")
      >>> ops = augment.sample(jax.random.key(0), images)["ops"]      # (4, 1): one per image
      >>> tuple(jaxaug.policies.OPS[i] for i in ops.ravel().tolist())
      ('shear_x', 'sharpness', 'equalize', 'rotation')
    """
    return _policy(functools.partial(policies.sample_trivial_augment, bins=bins, ops=ops))


def auto_augment(*, policy="cifar10") -> Augmentation:
    """AutoAugment (Cubuk et al., 2019) per image with a learned policy: "cifar10", "svhn" or "imagenet".

    See `jaxaug.policies.sample_auto_augment`.

    Example:
      >>> augment = jaxaug.Augmenter(jaxaug.pipeline.auto_augment(policy="cifar10"), order=0, fill_mode="constant")
      >>> ops = augment.sample(jax.random.key(0), images)["ops"]      # a sub-policy's two steps per image
      >>> tuple(tuple(jaxaug.policies.OPS[i] for i in steps) for steps in ops.tolist())
      (('color', 'identity'), ('color', 'identity'), ('identity', 'autocontrast'), ('identity', 'autocontrast'))
    """
    return _policy(functools.partial(policies.sample_auto_augment, policy=policy))


POLICIES = ("rand_augment", "trivial_augment", "auto_augment_cifar10", "auto_augment_svhn", "auto_augment_imagenet")


def policy(name, *, num_ops=2, magnitude=9) -> Augmentation:
    """A policy by name (the `augmenter` option `policy`): one of `POLICIES`.

    `num_ops` and `magnitude` are RandAugment's N and M (of 31 levels); the others ignore them.

    Example:
      >>> piece = jaxaug.pipeline.policy("trivial_augment")
      >>> same = jaxaug.pipeline.trivial_augment()
      >>> bool(jnp.all(jaxaug.Augmenter(piece)(key, images) == jaxaug.Augmenter(same)(key, images)))
      True
    """
    if name not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}. Received: policy={_checks.short_repr(name)}")
    policies.check_policy(name, num_ops, magnitude)
    if name == "rand_augment":
        return rand_augment(num_ops=num_ops, magnitude=magnitude)
    if name == "trivial_augment":
        return trivial_augment()
    return auto_augment(policy=name.removeprefix("auto_augment_"))


OP = Op(
    name="policy", title="policy: RandAugment, TrivialAugmentWide, AutoAugment", kind="policy", stage=110, slot=16,
    units="operations and magnitudes per image (torchvision's tables); geometry in the one warp",
    sample=policies.sample_rand_augment, twin=policies.apply_ops, random=policies.random_rand_augment, piece=policy,
    pieces=(rand_augment, trivial_augment, auto_augment),
    options=(Option("policy", None, "an augmentation policy drawn per image: \"rand_augment\", "
                    "\"trivial_augment\" or \"auto_augment_cifar10\" (_svhn, _imagenet); see `jaxaug.policies`. "
                    "Use `order=0, fill_mode=\"constant\"` for the papers' nearest / black fill.", "name"),
             Option("policy_num_ops", 2, "RandAugment's N, operations per image.", "num_ops", switch=False,
                    check=lambda v, name: _checks.check_int(v, name, 0, 64)),
             Option("policy_magnitude", 9, "RandAugment's M, a level of 31 (torchvision's scale).", "magnitude",
                    switch=False, check=lambda v, name: _checks.check_int(v, name, 0, 30))),
    example=dict(name="rand_augment"),
)
