"""Benchmark of issue 4: the matplotlib engine vs Keras's Graphviz path on ResNet50."""

from __future__ import annotations

from pathlib import Path

import pytest

import kerasguide as kg
import kerasguide._keras as _k
from kerasguide import plot
from tests.benchmarks._timing import median_times, report

REPEAT = 3


@pytest.mark.skipif(plot.graphviz_missing() is not None, reason="needs pydot and dot")
def test_matplotlib_engine_vs_keras_graphviz_on_resnet50(tmp_path: Path) -> None:
    keras = _k.keras()
    model = keras.applications.ResNet50(weights=None)  # 177 layers, no download
    keras_png, ours_png = tmp_path / "keras.png", tmp_path / "ours.png"
    times = median_times(
        {
            "keras.utils.plot_model (Graphviz)": lambda: keras.utils.plot_model(
                model, keras_png, show_shapes=True, show_layer_names=True
            ),
            "kg.plot_model(engine='matplotlib')": lambda: kg.plot_model(
                model, ours_png, engine="matplotlib"
            ),
            "kg.plot_model(engine='graphviz')": lambda: kg.plot_model(
                model, tmp_path / "ours_gv.png", engine="graphviz"
            ),
        },
        repeat=REPEAT,
    )
    assert keras_png.stat().st_size > 0
    assert ours_png.stat().st_size > 0
    ratios = report(
        f"ResNet50 diagram as PNG, {len(model.layers)} layers (median of {REPEAT})",
        times,
        baseline="keras.utils.plot_model (Graphviz)",
    )
    ours = ratios["kg.plot_model(engine='matplotlib')"]
    print(f"  => matplotlib engine / Keras Graphviz ratio: {ours:.2f}")
