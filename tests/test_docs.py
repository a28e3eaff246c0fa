"""The documentation: the site builds with warnings as errors, and the docstring examples run and check results.

The site (mkdocs + mkdocstrings, `mkdocs.yml`) is built from `docs/` and the docstrings; a
broken reference, link or docstring section fails the build. The examples (`>>>` lines) of
every public module's docstrings run as doctests with a small namespace of the names they use
(`image`, `images`, `key`, ...). Output written under an example is checked; an example
without written output only has to run. So that examples check something, every docstring with
examples (a module's, a public function's, class's or method's) writes the output of at least
one of them, except those listed below with the reason.

Written output must be exact on every CPU: integers, uint8 pixels, shapes, dtypes, booleans,
floats exact in float32 (0.25) or rounded (`round(float(x), 3)`), never a value whose last bit
may change with the instruction set. Lists are shown as tuples (`tuple(x.tolist())`), and no line
indexes twice in a row (`params[1]["angle"]`): the site renders examples as Markdown, where
`[a][b]` is a cross-reference that fails the build.
"""

import doctest
import importlib
import os
import pathlib
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxaug

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODULES = ["jaxaug", "jaxaug.geometry", "jaxaug.warp", "jaxaug.transforms", "jaxaug.pipeline", "jaxaug.runner",
           "jaxaug.ops", "jaxaug.color", "jaxaug.noise", "jaxaug.filters", "jaxaug.occlusion", "jaxaug.tone",
           "jaxaug.enhance", "jaxaug.hsv", "jaxaug.policies", "jaxaug.augmix", "jaxaug.mixing", "jaxaug.normalize",
           "jaxaug.sharding", "jaxaug.dense",
           "jaxaug.sample", "jaxaug.preview", "jaxaug.keras", "jaxaug.keras.layers",
           *(f"jaxaug.ops.{op.name}" for op in jaxaug.ops.OPS)]


def namespace():
    """What the examples take as given: a picture, a batch and its labels, numpy and jax."""
    image = jnp.asarray(jaxaug.example_image(size=32))
    images = jnp.stack([image, image[::-1], image[:, ::-1], image[::-1, ::-1]])
    return {"jax": jax, "jnp": jnp, "np": np, "jaxaug": jaxaug, "image": image, "images": images,
            "image_uint8": image, "images_uint8": images, "labels": jnp.arange(4) % 2,
            "classes": jnp.array([3, 1, 4, 1]),
            "key": jax.random.key(0), "x_train": np.asarray(images, np.float32), "y_train": np.arange(4) % 2}


class _RunsOrMatches(doctest.OutputChecker):
    """An example with written output must match it; one without only has to run."""

    def check_output(self, want, got, optionflags):
        return not want.strip() or super().check_output(want, got, optionflags)


# Docstrings whose examples may show no result, each with the reason (full doctest name -> why).
NO_RESULT_SHOWN: dict[str, str] = {}


# The pieces and random ops that `jaxaug.ops` generates from the declarations share one docstring
# template, filled with each op's example: run for these ops, the template is checked. For every
# op, what the copies check runs elsewhere: its example piece through an Augmenter, output pinned
# (tests/behaviour.py's declared cases), and its random op against its twin applied to its
# sampler's draw (tests/test_api.py). Every op's copy here too cost 45 s of the suite for
# jaxaug.pipeline alone.
TEMPLATE_CHECKED = {"jaxaug.ops.rgb_shift", "jaxaug.ops.elastic", "jaxaug.ops.box_blur"}


def _docstring_tests(name):
    """The doctests of the docstrings of module `name` and of the objects defined in it."""
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, name, globs={**vars(module), **namespace()})
    return module, [t for t in tests if t.examples and (t.name == name or t.name.startswith(name + "."))
                    and _generated_from(module, t.name[len(name) + 1:]) in TEMPLATE_CHECKED | {None}]


def _generated_from(module, qualname: str):
    """The declaration an object's docstring was generated from (see TEMPLATE_CHECKED), or None."""
    obj = module
    for part in qualname.split(".") if qualname else ():
        obj = getattr(obj, part, None)
    return getattr(obj, "__generated_from__", None)


def _shows_a_result(example) -> bool:
    """An example with written output other than a bare ellipsis (which matches anything)."""
    return bool(example.want.replace("...", "").strip())


def _public(test, module_name: str) -> bool:
    """The module's own docstring, or an object none of whose names below the module is private."""
    parts = test.name[len(module_name):].split(".")[1:]
    return not any(p.startswith("_") and not (p.startswith("__") and p.endswith("__")) for p in parts)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    _, tests = _docstring_tests(name)
    runner = doctest.DocTestRunner(checker=_RunsOrMatches(), optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} of {results.attempted} examples failed in {name} (see above)"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_show_results(name):
    """Every docstring with examples writes the output of one at least, so that a result is checked."""
    _, tests = _docstring_tests(name)
    silent = sorted(t.name for t in tests if _public(t, name) and not any(_shows_a_result(e) for e in t.examples))
    unexplained = [n for n in silent if n not in NO_RESULT_SHOWN]
    assert not unexplained, (
        f"these docstrings' examples show no result, so nothing they print is checked: {unexplained}. "
        f"Write the output of one example at least (a shape and dtype, a few pixels of a small input, a "
        f"property such as `bool(jnp.all(out <= image))`), or list the docstring in NO_RESULT_SHOWN with "
        f"the reason")


def test_no_result_shown_list_is_current():
    """Each NO_RESULT_SHOWN entry names a docstring that still has examples and still shows no result."""
    for entry in NO_RESULT_SHOWN:
        name = next(m for m in sorted(MODULES, key=len, reverse=True) if entry.startswith(m + ".") or entry == m)
        _, tests = _docstring_tests(name)
        test = next((t for t in tests if t.name == entry), None)
        assert test is not None, f"NO_RESULT_SHOWN names {entry}, which has no examples: remove it from the list"
        assert not any(_shows_a_result(e) for e in test.examples), (
            f"{entry} now shows a result: remove it from NO_RESULT_SHOWN")


@pytest.mark.slow
def test_site_builds_with_warnings_as_errors(tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    site = tmp_path / "site"
    assert (site / "generated" / "gallery" / "index.html").exists()
    api = (site / "api" / "geometry" / "index.html").read_text()
    assert "affine_warp" in api and "rotation_matrix" in api  # the reference is built from the docstrings
    start = (site / "index.html").read_text()
    assert "Set-up: two commands" in start  # the start page is the README
