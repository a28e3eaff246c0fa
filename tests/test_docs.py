"""The documentation: the site builds with warnings as errors, and every docstring example runs.

The site (mkdocs + mkdocstrings, `mkdocs.yml`) is built from `docs/` and the docstrings; a
broken reference, link or docstring section fails the build. The examples (`>>>` lines) of
every public module's docstrings run as doctests with a small namespace of the names they use
(`image`, `images`, `key`, ...). Output written under an example is checked; an example
without written output only has to run.
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
           "jaxaug.enhance", "jaxaug.policies", "jaxaug.mixing", "jaxaug.normalize", "jaxaug.sharding",
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


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, name, globs={**vars(module), **namespace()})
    tests = [t for t in tests if t.examples and (t.name == name or t.name.startswith(name + "."))]
    runner = doctest.DocTestRunner(checker=_RunsOrMatches(), optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} of {results.attempted} examples failed in {name} (see above)"


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
