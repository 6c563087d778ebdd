"""Benchmark of issue 9: ``to_spec`` with its verification, against ``model.get_config()``.

``to_spec`` checks its own result (it builds the spec and compares it with the model),
so it costs more than reading Keras's config. Measured on ResNet50 and on the largest
model of ``keras.applications``, both as ``make conformance`` builds them (no weights,
32×32 inputs, 10 classes), as ratios to ``model.get_config()`` in the same run. Also
printed: the spec's YAML size against ``model.to_json()`` (target: at least 5× smaller).
"""

from __future__ import annotations

from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k
from tests import conformance
from tests.benchmarks._timing import median_times, report

# The most parameters in keras.applications at every input size (348M at 32×32 with
# 10 classes; ``make conformance`` lists them all). Building all 40 to find it would
# take minutes, so it is named here and checked against the two next largest.
LARGEST = "ConvNeXtXLarge"
RUNNERS_UP = ("EfficientNetV2L", "NASNetLarge")


def _measure(name: str, *, repeat: int) -> None:
    keras = _k.keras()
    keras.backend.clear_session()
    model, note = conformance.smallest_application(name)
    spec = kg.to_spec(model)
    yaml_size, json_size = len(spec.to_yaml()), len(model.to_json())
    times = median_times(
        {
            "model.get_config()": model.get_config,
            "keras.Model.from_config(model.get_config())": lambda: type(model).from_config(
                model.get_config()
            ),
            "kg.to_spec(model), verification included": lambda: kg.to_spec(model),
        },
        repeat=repeat,
    )
    ratios = report(
        f"{name} ({note}, {len(model.layers)} layers, {model.count_params():,} params, "
        f"median of {repeat})",
        times,
        baseline="model.get_config()",
    )
    print(f"  => to_spec / get_config = {ratios['kg.to_spec(model), verification included']:.1f}")
    print(f"  => YAML {yaml_size:,} chars, to_json {json_size:,} chars: "
          f"{json_size / yaml_size:.1f}× smaller (target ≥ 5×)")  # fmt: skip


def test_to_spec_vs_get_config_on_resnet50() -> None:
    _measure("ResNet50", repeat=5)


def test_to_spec_vs_get_config_on_the_largest_application() -> None:
    names = conformance.application_names()
    assert LARGEST in names
    counts: dict[str, int] = {}
    for name in (LARGEST, *[n for n in RUNNERS_UP if n in names]):
        _k.keras().backend.clear_session()
        model: Any = conformance.smallest_application(name)[0]
        counts[name] = model.count_params()
        del model
    if max(counts, key=lambda n: counts[n]) != LARGEST:
        pytest.fail(f"{LARGEST} is no longer the largest: {counts}")
    _measure(LARGEST, repeat=3)
