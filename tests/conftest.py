import os

# Keras (a test-only reference) must use the JAX backend: TensorFlow is not a dependency.
os.environ.setdefault("KERAS_BACKEND", "jax")

import hypothesis  # noqa: E402

hypothesis.settings.register_profile("default", max_examples=25, deadline=None, print_blob=True)
hypothesis.settings.register_profile("ci", max_examples=40, deadline=None, print_blob=True, derandomize=True)
hypothesis.settings.load_profile("ci" if os.environ.get("CI") else "default")
