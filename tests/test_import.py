"""`import kerasguide` stays free of TensorFlow; it is imported on first use."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _modules_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_import_does_not_load_tensorflow_or_keras() -> None:
    loaded = _modules_after("import kerasguide")
    assert "tensorflow" not in loaded
    assert "keras" not in loaded
    assert "matplotlib.pyplot" not in loaded


def test_listing_the_examples_does_not_import_tensorflow() -> None:
    loaded = _modules_after(
        "import kerasguide as kg\nassert 'mlp' in kg.list_examples()\nkg.__version__"
    )
    assert "tensorflow" not in loaded


@pytest.mark.slow
def test_checking_a_spec_imports_keras_for_its_signatures() -> None:
    """By design: a spec's arguments are checked against Keras's own constructors.

    Keras brings its backend, TensorFlow, with it: a build after that imports nothing new.
    """
    loaded = _modules_after("import kerasguide as kg\nkg.load_example('mlp')")
    assert "keras" in loaded
    tensorflow_backend = os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow"
    assert ("tensorflow" in loaded) == tensorflow_backend  # never on JAX (`make backends`)
