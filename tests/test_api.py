"""The public API: a small top level, and one naming rule for every op (like dm_pix's API test).

The rule: in each op module, `random_<op>(key, ...)` has a sampler `sample_<op>(key, shape, ...)`
that returns the parameters as a dict, and applying the op's twin to them gives the random
op's result; key first, everywhere; every op with an `augmenter` option is a pipeline piece
`jaxaug.pipeline.<op>` (tests/test_ops.py checks the table).
"""

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxaug
from jaxaug import ops

OP_MODULES = ("transforms", "color", "noise", "filters", "occlusion", "mixing", "geometry", "policies")
RANDOM_OPS = sorted((m, n) for m in OP_MODULES for n in getattr(jaxaug, m).__all__ if n.startswith("random_"))


def test_top_level_is_small_and_complete():
    assert len(jaxaug.__all__) <= 35
    assert len(set(jaxaug.__all__)) == len(jaxaug.__all__)
    for name in jaxaug.__all__:
        assert getattr(jaxaug, name) is not None
    public = {n for n in dir(jaxaug) if not n.startswith("_") and not inspect.ismodule(getattr(jaxaug, n))}
    assert public == set(jaxaug.__all__) - {"pipeline"}


@pytest.mark.parametrize("module, name", RANDOM_OPS)
def test_every_random_op_has_its_sampler_key_first(module, name):
    mod = getattr(jaxaug, module)
    sampler = getattr(mod, "sample_" + name[len("random_"):])
    assert list(inspect.signature(sampler).parameters)[:2] == ["key", "shape"], sampler.__name__
    for fn in (getattr(mod, name), sampler):
        assert list(inspect.signature(fn).parameters)[0] == "key", fn.__name__
        assert "Example:" in (fn.__doc__ or ""), f"{fn.__name__} has no example in its docstring"


@pytest.mark.parametrize("op", [op for op in ops.OPS if op.functions[2] is not None and op.kind != "batch"],
                         ids=lambda op: op.name)
def test_the_random_op_is_its_twin_applied_to_its_samplers_draw(op):
    sampler, twin, random_op = op.functions
    assert random_op.__name__ == "random_" + sampler.__name__[len("sample_"):]
    image = jnp.asarray(np.random.default_rng(0).random((64, 48, 3), np.float32))
    # The declared example (the piece's arguments) as far as the random op takes them: the policy
    # piece takes a policy's name, its random op is RandAugment's.
    taken = inspect.signature(random_op).parameters
    args, key = {k: v for k, v in op.example.items() if k in taken}, jax.random.key(3)
    params = sampler(key, image.shape, **{k: v for k, v in args.items() if k in inspect.signature(sampler).parameters})
    if op.name == "affine":  # the twin of a matrix op is the matrix builder
        got, want = random_op(key, image.shape, **args), twin(image.shape[:2], **params)
    else:
        got = random_op(key, image, **args)
        # What the random op passes to its twin besides the draw: the blur's taps, the output size.
        extra = dict(max_sigma=max(np.atleast_1d(args["sigma_range"]))) if op.name == "blur" else {}
        extra.update({k: v for k, v in args.items() if k in inspect.signature(twin).parameters and k not in params})
        want = twin(image, **params, **extra)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


# affine's twin builds the matrix (random_affine draws a matrix); cutout and random erasing share one
# twin (both erase a box); normalisation's "sampler" is fit; the policies share one twin (a draw
# of any policy is a list of operations and magnitudes).
TWIN_NAME_EXCEPTIONS = {"affine": "affine_matrix", "cutout": "erase", "erasing": "erase", "fit": "standardize",
                        "rand_augment": "apply_ops"}


@pytest.mark.parametrize("op", [op for op in ops.OPS if op.kind != "batch"], ids=lambda op: op.name)
def test_the_twin_is_named_as_its_op(op):
    sampler, twin, _ = op.functions
    # A deterministic op (resize, centre crop) has no sampler: its twin bears the op's name.
    stem = op.name if sampler is None else sampler.__name__.removeprefix("sample_")
    assert twin.__name__ == TWIN_NAME_EXCEPTIONS.get(stem, stem)

