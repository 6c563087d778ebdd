"""kerasguide on whichever Keras backend runs the tests, TensorFlow or another.

``make test`` runs this file on TensorFlow. ``make backends`` runs it (with the other
backend-neutral files it names) under ``KERAS_BACKEND=jax``, in a venv that has no
TensorFlow at all: building the example specs, to_spec and to_code, summaries,
explanations, checks, lint and diagrams work there, and ``import kerasguide`` never
imports TensorFlow. What needs TensorFlow (training examples' ``strategy=``, the
grading kernels) is not here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k

keras = _k.keras()
BACKEND = keras.backend.backend()


def _run_code(code: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(code, "<to_code>", "exec"), namespace)
    return namespace["model"]


@pytest.mark.parametrize("name", kg.list_examples())
def test_every_example_builds_and_goes_through_every_tool(name: str) -> None:
    model = kg.build(kg.load_example(name))
    spec = kg.to_spec(model)  # exact or refused: it rebuilds and compares the model
    assert kg.build(spec).count_params() == model.count_params()
    assert _run_code(kg.to_code(spec)).count_params() == model.count_params()
    assert kg.check_model(kg.build(kg.load_example(name)), model)
    assert model.name in str(kg.summarize(model))
    assert kg.explain(model).total == model.count_params()
    kg.lint(model)


def test_a_difference_is_found_and_named() -> None:
    expected = kg.build({"input_shape": [4], "layers": [{"Dense": 3}, {"Dense": 1}]})
    found = kg.build({"input_shape": [4], "layers": [{"Dense": 5}, {"Dense": 1}]})
    result = kg.check_model(found, expected)
    assert not result
    assert "expected 3 units, found 5" in str(result)


def test_a_diagram_is_drawn(tmp_path: Path) -> None:
    target = tmp_path / "residual.png"
    kg.plot_model(kg.build(kg.load_example("residual")), target, engine="matplotlib")
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(BACKEND == "tensorflow", reason="on TensorFlow: test_model_collection.py")
def test_an_application_model_converts_exactly() -> None:
    model = keras.applications.MobileNetV2(
        input_shape=(96, 96, 3), alpha=0.35, weights=None, classes=10
    )
    assert kg.build(kg.to_spec(model)).count_params() == model.count_params()


@pytest.mark.no_keras
@pytest.mark.skipif(BACKEND == "tensorflow", reason="on TensorFlow: tests/test_import.py")
def test_import_and_build_use_only_the_chosen_backend() -> None:
    code = (
        "import sys, kerasguide as kg; print('tensorflow' in sys.modules); "
        "import keras; m = kg.build(kg.load_example('cnn')); "
        "print(keras.backend.backend(), 'tensorflow' in sys.modules)"
    )
    env = {**os.environ, "KERAS_BACKEND": BACKEND}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    after_import, after_build = done.stdout.split("\n")[:2]
    assert after_import == "False"  # import kerasguide never imports TensorFlow
    assert after_build == f"{BACKEND} {BACKEND == 'tensorflow'}"  # nor does build, elsewhere
