"""Benchmarks of issues 4 and 22: diagrams against Keras's Graphviz path, in one run.

- ResNet50 as a PNG: ``keras.utils.plot_model(show_shapes=True)`` (the baseline), our
  matplotlib drawing unfolded (``fold="none"``, the whole 177-layer strip) and folded
  (the default, ``fold="auto"``), and our Graphviz engine. Targets: folded ≤ 0.25× and
  unfolded well under 1× Keras + Graphviz.
- NASNetMobile (771 layers) folded, as a PNG: target ≤ 5 s.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k
from kerasguide import plot
from tests.benchmarks._timing import median_times, report

REPEAT = 3
KERAS = "keras.utils.plot_model (Graphviz)"
FOLDED = "kg.plot_model (folded)"
UNFOLDED = "kg.plot_model(fold='none')"


def _quiet(run: Any) -> Any:
    """``run`` with kerasguide's note on a large picture silenced (it is expected here)."""

    def quiet() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", kg.KerasGuideWarning)
            run()

    return quiet


@pytest.mark.skipif(plot.graphviz_missing() is not None, reason="needs pydot and dot")
def test_diagrams_vs_keras_graphviz_on_resnet50(tmp_path: Path) -> None:
    keras = _k.keras()
    model = keras.applications.ResNet50(weights=None)  # 177 layers, no download
    files = {name: tmp_path / f"{i}.png" for i, name in enumerate(("k", "f", "u", "g"))}
    times = median_times(
        {
            KERAS: lambda: keras.utils.plot_model(
                model, files["k"], show_shapes=True, show_layer_names=True
            ),
            FOLDED: lambda: kg.plot_model(model, files["f"]),
            UNFOLDED: _quiet(lambda: kg.plot_model(model, files["u"], fold="none")),
            "kg.plot_model(engine='graphviz')": lambda: kg.plot_model(
                model, files["g"], engine="graphviz"
            ),
        },
        repeat=REPEAT,
    )
    assert all(path.stat().st_size > 0 for path in files.values())
    ratios = report(
        f"ResNet50 diagram as PNG, {len(model.layers)} layers (median of {REPEAT})",
        times,
        baseline=KERAS,
    )
    print(f"  => folded / Keras Graphviz: {ratios[FOLDED]:.2f} (target 0.25 at most)")
    print(f"  => unfolded / Keras Graphviz: {ratios[UNFOLDED]:.2f} (0.72 before issue 13's dpi)")


def test_nasnet_mobile_folded(tmp_path: Path) -> None:
    model = _k.keras().applications.NASNetMobile(weights=None)  # 771 layers
    times = median_times(
        {"kg.plot_model(NASNetMobile) folded": lambda: kg.plot_model(model, tmp_path / "n.png")},
        repeat=REPEAT,
    )
    seconds = times["kg.plot_model(NASNetMobile) folded"]
    report(f"NASNetMobile folded as PNG (median of {REPEAT})", times, baseline=next(iter(times)))
    print(f"  => {seconds:.2f} s (target 5 s at most)")
