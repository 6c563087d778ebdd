"""Benchmark of issue 3: summarize() vs Keras's own model.summary(), as ratios in one run."""

from __future__ import annotations

from typing import Any

import kerasguide as kg
import kerasguide._keras as _k
from tests.benchmarks._timing import median_times, report

REPEAT = 5


def _keras_summary(model: Any) -> str:
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


def test_summarize_vs_keras_summary_on_resnet50() -> None:
    keras = _k.keras()
    model = keras.applications.ResNet50(weights=None)  # 177 layers, built without a download
    assert kg.summarize(model).total == model.count_params()
    times = median_times(
        {
            "model.summary(print_fn=...) (Keras)": lambda: _keras_summary(model),
            "kg.summarize(model)": lambda: kg.summarize(model),
            "str(kg.summarize(model)) (data + text)": lambda: str(kg.summarize(model)),
        },
        repeat=REPEAT,
    )
    ratios = report(
        f"ResNet50, {len(model.layers)} layers (median of {REPEAT})",
        times,
        baseline="model.summary(print_fn=...) (Keras)",
    )
    print(f"  => summarize/keras.summary ratio: {ratios['kg.summarize(model)']:.2f} "
          f"(median of {REPEAT}); with the text: "
          f"{ratios['str(kg.summarize(model)) (data + text)']:.2f} "
          "(target: no slower than Keras, <= 1.00)")  # fmt: skip
