"""Benchmark of issue 4: the cost of LivePlot on model.fit, as ratios in one run.

Three fits of the same model on the same data, interleaved, medians of REPEAT:
without a callback, with LivePlot in a script (it records), and with LivePlot
in a notebook. The notebook is simulated: LivePlot believes it is in one, and
each redraw renders the figure's PNG, as IPython's formatter does for
``display`` (the websocket send is left out).

Wall-time ratios of fits move by a few percent from run to run on a busy
machine, so two more figures come from the same run: the plain fit timed a
second time (its ratio to the first is the noise floor), and the time spent
inside LivePlot's own hooks as a share of each fit, which is the overhead
without the noise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import kerasguide as kg
import kerasguide._keras as _k
from kerasguide import live as kl
from tests.benchmarks._timing import median_times, report

REPEAT = 7
EPOCHS = 20
SAMPLES = 12_000  # about 0.35 s an epoch on two CPU cores: a fit of about 7 s


def _model() -> Any:
    keras = _k.keras()
    model = keras.Sequential(
        [
            keras.Input((32,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class TimedLivePlot(kg.LivePlot):
    """LivePlot that adds up the time spent in its hooks."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.spent = 0.0

    def _timed(self, hook: Callable[..., None], *args: Any) -> None:
        start = time.perf_counter()
        hook(*args)
        self.spent += time.perf_counter() - start

    def on_train_begin(self, logs: Any = None) -> None:
        self._timed(super().on_train_begin, logs)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self._timed(super().on_epoch_end, epoch, logs)

    def on_train_end(self, logs: Any = None) -> None:
        self._timed(super().on_train_end, logs)


def test_liveplot_overhead_on_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(SAMPLES, 32)).astype("float32")
    y = rng.integers(0, 10, size=SAMPLES)
    model = _model()

    shares: dict[str, list[float]] = {"script": [], "notebook": []}

    def fit(callbacks: list[Any], mode: str = "") -> None:
        start = time.perf_counter()
        model.fit(x, y, epochs=EPOCHS, batch_size=64, validation_split=0.2, verbose=0,
                  callbacks=callbacks)  # fmt: skip
        if mode:
            shares[mode].append(callbacks[0].spent / (time.perf_counter() - start))

    fit([])  # trace the train and test functions once, outside the timing
    drawings: list[float] = []

    def render(figure: Any, handle: Any) -> Any:
        start = time.perf_counter()
        figure._repr_png_()
        drawings.append(time.perf_counter() - start)
        return handle

    def notebook_fit() -> None:
        with monkeypatch.context() as patch:
            patch.setattr(kl, "_in_notebook", lambda: True)
            patch.setattr(kl, "_display", render)
            live = TimedLivePlot()
            fit([live], "notebook")
        assert len(live.epoch) == EPOCHS

    times = median_times(
        {
            "model.fit (no callback)": lambda: fit([]),
            "model.fit + LivePlot (script: records)": lambda: fit([TimedLivePlot()], "script"),
            "model.fit + LivePlot (notebook: redraws)": notebook_fit,
            "model.fit (no callback), again: noise floor": lambda: fit([]),
        },
        repeat=REPEAT,
    )
    ratios = report(
        f"fit of {EPOCHS} epochs, {SAMPLES} samples (median of {REPEAT}, interleaved)",
        times,
        baseline="model.fit (no callback)",
    )
    per_fit = len(drawings) / REPEAT
    print(f"  notebook: {per_fit:.1f} drawings a fit, "
          f"median PNG render {1000 * float(np.median(drawings)):.0f} ms")  # fmt: skip
    script, notebook = (
        ratios["model.fit + LivePlot (script: records)"],
        ratios["model.fit + LivePlot (notebook: redraws)"],
    )
    inside = {mode: 100 * float(np.median(values)) for mode, values in shares.items()}
    print(f"  time inside LivePlot's hooks, share of the fit (median): "
          f"script {inside['script']:.3f}%, notebook {inside['notebook']:.2f}%")  # fmt: skip
    noise = ratios["model.fit (no callback), again: noise floor"]
    print(f"  => LivePlot/fit ratio: script {script:.3f}, notebook {notebook:.3f} "
          f"(target: < 1.05; the same fit again: {noise:.3f})")  # fmt: skip
