"""The public API: a small top level, and one set of rules for every public callable (like dm_pix's API test).

The rules, checked on every module of the library (the Keras facade excepted, whose
`ImageDataGenerator` keeps Keras' own signatures so that it stays a drop-in):

* nothing public that is not in its module's `__all__`;
* optional arguments are keyword-only;
* functions that draw (`random_<op>`, `sample_<op>`, the batch mixers) take the key first, and
  samplers take `(key, shape, ...)`;
* every declared op with a draw has its triple: `sample_<op>` returning a dict, the twin named
  as the op, and `random_<op>`, the twin applied to the sampler's draw.
"""

import importlib
import inspect
import pathlib
import pkgutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxaug
from jaxaug import ops


def test_top_level_is_small_and_complete():
    assert len(jaxaug.__all__) <= 35
    assert len(set(jaxaug.__all__)) == len(jaxaug.__all__)
    for name in jaxaug.__all__:
        assert getattr(jaxaug, name) is not None
    public = {n for n in dir(jaxaug) if not n.startswith("_") and not inspect.ismodule(getattr(jaxaug, n))}
    assert public == set(jaxaug.__all__) - {"pipeline"}


@pytest.mark.parametrize("op", [op for op in ops.OPS if op.functions[2] is not None and op.kind != "batch"],
                         ids=lambda op: op.name)
def test_the_random_op_is_its_twin_applied_to_its_samplers_draw(op):
    sampler, twin, random_op = op.functions
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


# affine's twin builds the matrix (random_affine_matrix draws a matrix); cutout and random erasing share one
# twin (both erase a box); normalisation's "sampler" is fit; the policies share one twin (a draw
# of any policy is a list of operations and magnitudes).
TWIN_NAME_EXCEPTIONS = {"affine": "affine_matrix", "cutout": "erase", "erasing": "erase", "fit": "standardize",
                        "augmix": "mix_chains",
                        "rand_augment": "apply_ops"}


@pytest.mark.parametrize("op", [op for op in ops.OPS if op.kind != "batch"], ids=lambda op: op.name)
def test_the_twin_is_named_as_its_op(op):
    sampler, twin, _ = op.functions
    # A deterministic op (resize, centre crop) has no sampler: its twin bears the op's name.
    stem = op.name if sampler is None else sampler.__name__.removeprefix("sample_")
    assert twin.__name__ == TWIN_NAME_EXCEPTIONS.get(stem, stem)



def _modules():
    names = ["jaxaug"] + [m.name for m in pkgutil.walk_packages(jaxaug.__path__, "jaxaug.")]
    public = [n for n in names if not any(part.startswith("_") for part in n.split("."))]
    # The Keras facade mirrors Keras' signatures; the CIFAR-10 preparation CLI is a shell with its own flags.
    return [n for n in public if not n.startswith(("jaxaug.keras", "jaxaug.data"))]


MODULES = _modules()


def _public_callables(module):
    for name in getattr(module, "__all__", []):
        value = getattr(module, name)
        if callable(value) and not inspect.isclass(value) and not inspect.ismodule(value):
            yield name, value


@pytest.mark.parametrize("name", MODULES)
def test_nothing_public_outside_all(name):
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    defined_here = {n for n, v in vars(module).items() if not n.startswith("_") and callable(v)
                    and getattr(v, "__module__", None) == name and not inspect.ismodule(v)}
    assert defined_here <= set(module.__all__), sorted(defined_here - set(module.__all__))


@pytest.mark.parametrize("name", MODULES)
def test_optional_arguments_are_keyword_only(name):
    module = importlib.import_module(name)
    bad = []
    for fname, fn in _public_callables(module):
        try:
            params = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):
            continue
        if fname == "main":  # a command line's entry point: main(argv=None), as argparse's convention
            continue
        bad += [f"{fname}({p.name}=...)" for p in params
                if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and p.default is not inspect.Parameter.empty]
    assert not bad, f"optional arguments that are not keyword-only in {name}: {bad}"


@pytest.mark.parametrize("name", MODULES)
def test_drawing_functions_take_the_key_first(name):
    module = importlib.import_module(name)
    if name == "jaxaug.pipeline" or name.startswith("jaxaug.ops."):
        return  # pieces (random_resized_crop, random_apply, ...) are factories: they draw when run, by key
    for fname, fn in _public_callables(module):
        first = list(inspect.signature(fn).parameters)[:2]
        if fname.startswith("sample_"):
            assert first in (["key", "shape"], ["key", "images"]), f"{name}.{fname}{first}"
        if fname.startswith("random_") or fname in ("mixup", "cutmix"):
            assert first[0] == "key", f"{name}.{fname}"


@pytest.mark.parametrize("op", [op for op in ops.OPS if op.sample is not None and op.kind in ("geometric", "pixel")],
                         ids=lambda op: op.name)
def test_every_drawn_op_has_its_triple(op):
    stem = op.sample.__name__.removeprefix("sample_")
    # A matrix op's twin and random function build matrices, and say so: affine_matrix, random_affine_matrix.
    suffix = "_matrix" if op.twin.__name__.endswith("_matrix") else ""
    assert op.sample.__name__.startswith("sample_") and op.random.__name__ == "random_" + stem + suffix
    module = importlib.import_module(op.sample.__module__)
    assert getattr(module, op.random.__name__) is op.random and getattr(module, op.twin.__name__) is op.twin
    for fn in op.functions:
        assert "Example:" in (fn.__doc__ or ""), f"{fn.__name__} has no example in its docstring"
    image = jnp.zeros((16, 12, 3), jnp.float32)
    taken = inspect.signature(op.sample).parameters
    assert isinstance(op.sample(jax.random.key(0), image.shape, **{k: v for k, v in op.example.items() if k in taken}),
                      dict)


def test_no_module_of_the_library_is_over_600_lines():
    # A module per concern: one that outgrows this is doing two jobs (the Keras shell: 400, tests/test_imports.py).
    root = pathlib.Path(jaxaug.__file__).parent
    long = {str(p.relative_to(root)): n for p in root.rglob("*.py") if (n := len(p.read_text().splitlines())) > 600}
    assert not long, long
