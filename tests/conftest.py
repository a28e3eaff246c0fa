import os

# Keras (a test-only reference) must use the JAX backend: TensorFlow is not a dependency.
os.environ.setdefault("KERAS_BACKEND", "jax")

import hypothesis  # noqa: E402

hypothesis.settings.register_profile("default", max_examples=25, deadline=None, print_blob=True)
hypothesis.settings.register_profile("ci", max_examples=40, deadline=None, print_blob=True, derandomize=True)
hypothesis.settings.load_profile("ci" if os.environ.get("CI") else "default")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

# XLA's CPU backend cannot compile float16 conversions when it is forced below AVX (no F16C):
# "Failed to materialize symbols: ... convert_fusion" (jax 0.10.2, --xla_cpu_max_isa=SSE4_2).
# That is XLA's limit, not ours; float16 tests are skipped there and run everywhere else.
FLOAT16_COMPILES = "xla_cpu_max_isa=SSE4" not in os.environ.get("XLA_FLAGS", "")


def pytest_collection_modifyitems(config, items):
    if FLOAT16_COMPILES:
        return
    skip = pytest.mark.skip(reason="XLA CPU cannot compile float16 under --xla_cpu_max_isa=SSE4_2")
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if any(value is np.float16 for value in params.values()) or "float16" in item.name.replace("bfloat16", ""):
            item.add_marker(skip)


UNGROUPED = pytest.StashKey[str]()


def pytest_collection_finish(session):
    """Notice a run whose xdist groups are silently ignored (its grouped tests then fail, saying why).

    `--dist loadgroup` (README, .ci/run) keeps each file's expensive subprocess fixtures on one
    worker by suffixing its node ids with the group name; with pytest 9.2 and pytest-xdist 3.8 the
    suffix never lands (pytest-dev/pytest-xdist#1386) and the suite runs ~4 minutes longer on 2 cores.
    An error raised here would crash the worker without its message, so the tests report it.
    """
    config = session.config
    if not (hasattr(config, "workerinput") and config.getvalue("loadgroup")):
        return
    if any(item.get_closest_marker("xdist_group") and "@" not in item.nodeid for item in session.items):
        config.stash[UNGROUPED] = (
            f"--dist loadgroup ignored this test's xdist_group: pytest {pytest.__version__} and this "
            "pytest-xdist do not work together (pytest-dev/pytest-xdist#1386); install the versions "
            "that pyproject.toml's dev extra allows."
        )


@pytest.fixture(autouse=True)
def _xdist_groups_hold(request):
    if request.node.get_closest_marker("xdist_group") and UNGROUPED in request.config.stash:
        pytest.fail(request.config.stash[UNGROUPED], pytrace=False)
