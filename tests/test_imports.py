"""What each import pulls in: the core knows no shell (issue 27, item 4).

`import jaxaug` must not import the Keras facade, the preview CLI, data preparation or Keras
itself; `jaxaug.keras` (the generator) must work where Keras cannot be imported. Each check
runs in a fresh interpreter, as `sys.modules` of the test process holds whatever other tests
imported. The shells stay split by job: none of their modules is over 400 lines.
"""

import importlib
import json
import pathlib
import subprocess
import sys

import pytest

import jaxaug.keras

SHELLS = ("jaxaug.keras", "jaxaug.preview", "jaxaug.data")


def _fresh(code: str) -> dict:
    """Runs `code` in a new interpreter; it prints one JSON value, returned here."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _imported(prefixes) -> str:
    # The modules of sys.modules under any of `prefixes` (a package or its submodules), as a JSON list.
    return (f"import json, sys; print(json.dumps(sorted(m for m in sys.modules if any(m == p or m.startswith(p + '.') "
            f"for p in {tuple(prefixes)!r}))))")


def test_the_core_imports_no_shell_and_not_keras():
    found = _fresh("import jaxaug\n" + _imported((*SHELLS, "keras")))
    assert found == [], f"import jaxaug imported {found}"


def test_the_preview_cli_imports_neither_the_keras_facade_nor_keras():
    found = _fresh("import jaxaug.preview\n" + _imported(("jaxaug.keras", "jaxaug.data", "keras")))
    assert found == [], f"import jaxaug.preview imported {found}"


def test_the_keras_facade_works_without_keras():
    # None in sys.modules makes `import keras` raise ImportError, as where Keras is not installed.
    code = """
import json, sys
sys.modules["keras"] = None
import numpy as np
import jaxaug.keras
x = np.zeros((4, 8, 8, 3), np.float32)
batch = next(jaxaug.keras.ImageDataGenerator(rotation_range=10, seed=0).flow(x, batch_size=2))
try:
    import jaxaug.keras.layers
    layers = "imported"
except ImportError:
    layers = "ImportError"
print(json.dumps([list(batch.shape), layers]))
"""
    assert _fresh(code) == [[2, 8, 8, 3], "ImportError"]


def test_the_keras_facade_keeps_its_public_names():
    assert jaxaug.keras.__all__ == ["ImageDataGenerator", "Iterator", "NumpyArrayIterator", "DirectoryIterator",
                                    "DataFrameIterator"]
    for name in jaxaug.keras.__all__:
        assert getattr(jaxaug.keras, name).__module__ == "jaxaug.keras", name


@pytest.mark.parametrize("module", ["jaxaug.keras", "jaxaug._image_files"])
def test_no_module_of_the_shells_is_over_400_lines(module):
    # The Keras facade by job (generator, iterators, files, Keras-dict translation) and the files the shells share.
    path = pathlib.Path(importlib.import_module(module).__file__)
    files = sorted(path.parent.glob("*.py")) if path.name == "__init__.py" else [path]
    sizes = {f.name: len(f.read_text().splitlines()) for f in files}
    assert max(sizes.values()) <= 400, sizes
