"""Benchmarks of issue 2: import time and build overhead, as ratios in one run."""

from __future__ import annotations

from typing import Any

import kerasguide as kg
import kerasguide._keras as _k
from tests import models
from tests.benchmarks._timing import median_times, python_process, report


def test_import_kerasguide_vs_tensorflow() -> None:
    times = median_times(
        {
            "python -c 'import kerasguide'": python_process("import kerasguide"),
            "python -c 'import tensorflow'": python_process("import tensorflow"),
        },
        repeat=5,
    )
    ratios = report("import time (fresh processes, median of 5)", times,
                    baseline="python -c 'import tensorflow'")  # fmt: skip
    print(f"  => import kerasguide / import tensorflow = {ratios[next(iter(ratios))]:.3f}")


def test_load_spec_of_the_examples_vs_tensorflow() -> None:
    """Checking a spec imports Keras (its signatures), so it costs about an import of TF."""
    times = median_times(
        {
            "load_spec of every shipped example": python_process(
                "import kerasguide as kg\nfor n in kg.list_examples(): kg.load_example(n)"
            ),
            "python -c 'import tensorflow'": python_process("import tensorflow"),
        },
        repeat=5,
    )
    ratios = report("load_spec (fresh processes, median of 5)", times,
                    baseline="python -c 'import tensorflow'")  # fmt: skip
    print(f"  => load_spec of the examples / import tensorflow = {ratios[next(iter(ratios))]:.3f}")


def _deep_spec(depth: int) -> dict[str, Any]:
    layers: list[Any] = []
    for i in range(depth // 2):
        layers += [{"Dense": 16 + i % 4, "activation": "relu"}, {"Dropout": 0.1}]
    return {"kind": "sequential", "name": "deep", "input_shape": [16], "layers": layers}


def _deep_keras(depth: int) -> Any:
    keras = _k.keras()
    layers: list[Any] = [keras.Input((16,), name="input")]
    for i in range(depth // 2):
        layers += [keras.layers.Dense(16 + i % 4, activation="relu", name=f"dense_{i + 1}"),
                   keras.layers.Dropout(0.1, name=f"dropout_{i + 1}")]  # fmt: skip
    return keras.Sequential(layers, name="deep")


def test_build_overhead_vs_plain_keras() -> None:
    mlp = kg.load_example("mlp").to_dict()
    deep = _deep_spec(60)
    deep_spec = kg.load_spec(deep)
    assert kg.build(deep).count_params() == _deep_keras(60).count_params()
    times = median_times(
        {
            "seed MLP: plain Keras": models.seed_mlp,
            "seed MLP: kg.build(dict)": lambda: kg.build(mlp),
            "60 layers: plain Keras": lambda: _deep_keras(60),
            "60 layers: kg.build(dict), validation included": lambda: kg.build(deep),
            "60 layers: kg.build(Spec), already checked": lambda: kg.build(deep_spec),
        },
        repeat=15,
        setup=_k.keras().backend.clear_session,
    )
    seed = {k: v for k, v in times.items() if k.startswith("seed")}
    big = {k: v for k, v in times.items() if k.startswith("60")}
    r1 = report("build, seed MLP (median of 15)", seed, baseline="seed MLP: plain Keras")
    r2 = report("build, 60-layer model (median of 15)", big, baseline="60 layers: plain Keras")
    print(f"  => build overhead: seed MLP {100 * (r1['seed MLP: kg.build(dict)'] - 1):+.1f}%, "
          f"60 layers {100 * (r2['60 layers: kg.build(dict), validation included'] - 1):+.1f}%"
          " (target: within +5%)")  # fmt: skip
