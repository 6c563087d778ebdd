"""plot_history() and LivePlot: the drawn data equals the history; errors; no side effects."""

from __future__ import annotations

import math
import subprocess
import sys
import types
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

import kerasguide as kg
import kerasguide._keras as _k
from kerasguide import history as kh
from kerasguide import live as kl
from kerasguide.errors import FileError, KerasGuideError, OptionError

HISTORY = {
    "accuracy": [0.50, 0.70, 0.80, 0.85, 0.90],
    "loss": [1.00, 0.60, 0.40, 0.30, 0.20],
    "val_accuracy": [0.45, 0.65, 0.75, 0.72, 0.70],
    "val_loss": [1.10, 0.70, 0.55, 0.58, 0.65],
}


# --- helpers ---------------------------------------------------------------------


def _panel(figure: Any, title: str) -> Any:
    return next(axes for axes in figure.axes if axes.get_title().split(" (")[0] == title)


def _line(axes: Any, gid: str) -> Any:
    return next(line for line in axes.get_lines() if line.get_gid() == gid)


def _xy(axes: Any, gid: str) -> tuple[list[float], list[float]]:
    line = _line(axes, gid)
    return [float(x) for x in line.get_xdata()], [float(y) for y in line.get_ydata()]


def _legend(axes: Any) -> list[str]:
    return [text.get_text() for text in axes.get_legend().get_texts()]


def _tiny_model(validation_freq: int = 1) -> Any:
    keras = _k.keras()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.random((40, 4), dtype=np.float32)
    return x, (x.sum(axis=1) > 2).astype("float32")


@pytest.fixture(scope="module")
def fitted() -> tuple[Any, kg.LivePlot]:
    """A real History and a LivePlot from the same tiny fit (4 epochs, validation)."""
    _k.keras().utils.set_random_seed(1234)
    live = kg.LivePlot()
    x, y = _data()
    history = _tiny_model().fit(
        x, y, epochs=4, batch_size=8, validation_split=0.25, verbose=0, callbacks=[live]
    )
    return history, live


class Clock:
    """A fake ``_now``: time moves only when a test says so."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def notebook(monkeypatch: pytest.MonkeyPatch) -> tuple[Clock, list[int]]:
    """Pretend to be in a notebook: a fake clock, and a list of the epochs shown per draw."""
    clock, shown = Clock(), []

    def display(figure: Any, handle: Any) -> Any:
        shown.append(len(_line(figure.axes[0], "training:loss").get_xdata()))
        return "handle"

    monkeypatch.setattr(kl, "_now", clock)
    monkeypatch.setattr(kl, "_draw_cost", 0.0)
    monkeypatch.setattr(kl, "_in_notebook", lambda: True)
    monkeypatch.setattr(kl, "_display", display)
    return clock, shown


# --- plot_history: what is drawn -------------------------------------------------------


def test_one_panel_per_metric_loss_first_with_training_and_validation_lines() -> None:
    figure = kg.plot_history(HISTORY)
    titles = [axes.get_title() for axes in figure.axes]
    assert titles == ["loss (lower is better)", "accuracy (higher is better)"]
    for name in ("loss", "accuracy"):
        axes = _panel(figure, name)
        assert _xy(axes, f"training:{name}") == ([1, 2, 3, 4, 5], HISTORY[name])
        assert _xy(axes, f"validation:val_{name}") == ([1, 2, 3, 4, 5], HISTORY[f"val_{name}"])
        assert axes.get_xlabel() == "epoch"
        assert list(axes.get_xticks()) == [1, 2, 3, 4, 5]


@pytest.mark.slow
def test_a_real_history_is_drawn_as_recorded(fitted: tuple[Any, kg.LivePlot]) -> None:
    history, _ = fitted
    figure = kg.plot_history(history)
    assert [axes.get_title().split(" (")[0] for axes in figure.axes] == ["loss", "accuracy"]
    for name in ("loss", "accuracy"):
        for gid, key in ((f"training:{name}", name), (f"validation:val_{name}", f"val_{name}")):
            xs, ys = _xy(_panel(figure, name), gid)
            assert xs == [1, 2, 3, 4]
            assert ys == pytest.approx(history.history[key])


def test_best_epoch_is_the_lowest_validation_loss_and_highest_validation_accuracy() -> None:
    figure = kg.plot_history(HISTORY)
    loss, accuracy = _panel(figure, "loss"), _panel(figure, "accuracy")
    assert _xy(loss, "best:val_loss") == ([3], [0.55])
    assert _xy(accuracy, "best:val_accuracy") == ([3], [0.75])
    assert "best: epoch 3, 0.550" in _legend(loss)
    assert "best: epoch 3, 0.750" in _legend(accuracy)


def test_best_value_keeps_three_significant_digits() -> None:
    figure = kg.plot_history({"loss": [2.3, 2.004, 2.1], "mae": [1500.2, 1234.5, 1300.0]})
    assert "best: epoch 2, 2.00" in _legend(_panel(figure, "loss"))
    assert "best: epoch 2, 1,234" in _legend(_panel(figure, "mae"))


def test_without_validation_the_best_epoch_is_on_the_training_curve() -> None:
    figure = kg.plot_history({"loss": [3.0, 1.0, 2.0], "mae": [0.5, 0.4, 0.45]})
    assert _xy(_panel(figure, "loss"), "best:loss") == ([2], [1.0])
    assert _xy(_panel(figure, "mae"), "best:mae") == ([2], [0.4])


def test_nan_is_drawn_as_a_gap_and_never_best() -> None:
    figure = kg.plot_history({"loss": [1.0, math.nan, 0.5, math.inf]})
    axes = _panel(figure, "loss")
    ys = _xy(axes, "training:loss")[1]
    assert [y if math.isfinite(y) else "gap" for y in ys] == [1.0, "gap", 0.5, "gap"]
    assert _xy(axes, "best:loss") == ([3], [0.5])
    only_nan = kg.plot_history({"loss": [math.nan, math.nan]})
    assert not [line for line in only_nan.axes[0].get_lines() if line.get_gid() == "best:loss"]


@pytest.mark.parametrize(
    ("name", "way"),
    [
        ("loss", "min"),
        ("val_loss", "min"),
        ("dense_1_loss", "min"),
        ("mae", "min"),
        ("val_mean_squared_error", "min"),
        ("sparse_categorical_crossentropy", "min"),
        ("accuracy", "max"),
        ("val_sparse_categorical_accuracy", "max"),
        ("acc", "max"),
        ("auc", "max"),
        ("precision", "max"),
        ("recall", "max"),
        ("f1_score", "max"),
        ("learning_rate", None),
        ("lr", None),
    ],
)
def test_best_direction_is_decided_by_the_name(name: str, way: str | None) -> None:
    assert kh.direction(name) == way


def test_learning_rate_has_no_best_marker() -> None:
    figure = kg.plot_history({"loss": [1.0, 0.5], "learning_rate": [0.01, 0.001]})
    lines = [line.get_gid() for line in _panel(figure, "learning_rate").get_lines()]
    assert lines == ["training:learning_rate"]


@pytest.mark.slow
def test_epochs_follow_initial_epoch_of_a_real_history() -> None:
    x, y = _data()
    history = _tiny_model().fit(x, y, initial_epoch=2, epochs=4, verbose=0)
    assert _xy(kg.plot_history(history).axes[0], "training:loss")[0] == [3, 4]


@pytest.mark.parametrize(
    ("first", "last", "ticks"),
    [
        (1, 1, [1]),
        (1, 5, [1, 2, 3, 4, 5]),
        (1, 20, [1, 5, 10, 15, 20]),
        (1, 100, [1, 20, 40, 60, 80, 100]),
    ],
)
def test_epoch_ticks_are_whole_epochs_from_the_first(
    first: int, last: int, ticks: list[int]
) -> None:
    assert kh.epoch_ticks(first, last) == ticks


# --- plot_history: choosing panels -------------------------------------------------------


def test_metrics_selects_panels_in_the_given_order() -> None:
    titles = [
        a.get_title().split(" (")[0]
        for a in kg.plot_history(HISTORY, metrics=["accuracy", "loss"]).axes
    ]
    assert titles == ["accuracy", "loss"]
    only = kg.plot_history(HISTORY, metrics="accuracy")
    assert [a.get_title().split(" (")[0] for a in only.axes] == ["accuracy"]
    by_val = kg.plot_history(HISTORY, metrics=["val_loss", "loss"])
    assert [a.get_title().split(" (")[0] for a in by_val.axes] == ["loss"]


def test_an_unknown_metric_suggests_the_closest_name() -> None:
    with pytest.raises(
        OptionError,
        match=r"(?s)plot_history\(metrics=\.\.\.\): no metric 'acuracy'"
        r".*did you mean 'accuracy'\?$",
    ):
        kg.plot_history(HISTORY, metrics=["loss", "acuracy"])


@pytest.mark.parametrize("metrics", [[], 3, ["loss", 2]])
def test_metrics_of_the_wrong_type_are_refused(metrics: Any) -> None:
    with pytest.raises(
        OptionError, match=r"(?s)plot_history\(metrics=\.\.\.\).*expected: None, a name"
    ):
        kg.plot_history(HISTORY, metrics=metrics)


# --- plot_history: bad input --------------------------------------------------------------


WHERE = r"plot_history\(history=\.\.\.\)"
NOT_A_NUMBER = r"history\['loss'\]\[1\]: a value is not a number"
NOT_A_LIST = r"history\['loss'\]: the values of a metric are not a list"
BAD_HISTORIES = [
    ({}, r"history is empty: it has no metrics.*hint: train first"),
    ({"loss": []}, r"history is empty: it has no epochs"),
    ([0.5, 0.4], WHERE + r": cannot read a training history.*received: list"),
    (None, r"cannot read a training history.*received: NoneType"),
    (
        {"loss": [1.0, 0.5], "val_loss": [1.0]},
        r"history\['val_loss'\]: the metrics have different numbers of epochs"
        r".*expected: 2 values.*received: 1 values.*validation_freq",
    ),
    ({"loss": [1.0, "0.5"]}, NOT_A_NUMBER + r".*received: str '0.5'"),
    ({"loss": [1.0, None]}, NOT_A_NUMBER + r".*NaN is allowed"),
    ({"loss": [0.5, True]}, NOT_A_NUMBER),
    ({"loss": 0.5}, NOT_A_LIST + r".*received: float 0.5"),
    ({"loss": "0.5"}, NOT_A_LIST),
    ({1: [0.5]}, r"a metric name is not a string.*received: 1"),
]


@pytest.mark.parametrize(("history", "pattern"), BAD_HISTORIES)
def test_bad_histories_raise_option_error_naming_where(history: Any, pattern: str) -> None:
    with pytest.raises(OptionError, match="(?s)" + pattern):
        kg.plot_history(history)


def test_numpy_values_are_numbers() -> None:
    figure = kg.plot_history({"loss": np.array([0.5, 0.25], dtype=np.float32)})
    assert _xy(figure.axes[0], "training:loss") == ([1, 2], [0.5, 0.25])


def test_errors_are_kerasguide_errors_and_value_errors() -> None:
    with pytest.raises(KerasGuideError):
        kg.plot_history({})
    with pytest.raises(ValueError, match="empty"):
        kg.plot_history({})


# --- plot_history: files and good citizenship -----------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "magic"), [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")]
)
def test_to_file_writes_a_non_blank_file(tmp_path: Path, suffix: str, magic: bytes) -> None:
    target = tmp_path / f"history.{suffix}"
    kg.plot_history(HISTORY, to_file=target)
    data = target.read_bytes()
    assert data.startswith(magic)
    assert len(data) > 5_000
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary file left
    if suffix == "png":
        from matplotlib.image import imread

        assert float(imread(target).std()) > 0.05  # not a blank image
    if suffix == "svg":
        assert "best: epoch 3" in data.decode()


def test_to_file_refuses_other_formats_before_drawing(tmp_path: Path) -> None:
    with pytest.raises(
        OptionError,
        match=r"(?s)plot_history\(to_file='h\.jpg'\): unknown picture format"
        r".*\.png, \.svg, \.pdf.*'\.jpg'",
    ):
        kg.plot_history(HISTORY, to_file="h.jpg")
    with pytest.raises(FileError, match="folder to write into does not exist"):
        kg.plot_history(HISTORY, to_file=tmp_path / "missing" / "h.png")


def test_the_figure_shows_itself_in_jupyter_as_png() -> None:
    shown = kg.plot_history(HISTORY)._repr_png_()  # type: ignore[attr-defined]
    png, metadata = shown if isinstance(shown, tuple) else (shown, {})
    assert png.startswith(b"\x89PNG")
    if metadata:  # drawn at high resolution, shown at its size on the page
        assert 0 < metadata["width"] < int.from_bytes(png[16:20], "big")


@pytest.mark.slow
def test_pyplot_state_and_rcparams_are_untouched(fitted: tuple[Any, kg.LivePlot]) -> None:
    import matplotlib
    import matplotlib.pyplot as plt

    before_rc, before_figs = dict(matplotlib.rcParams), plt.get_fignums()
    kg.plot_history(HISTORY, to_file=None)
    kg.plot_history(fitted[0])
    _ = fitted[1].figure
    assert plt.get_fignums() == before_figs
    assert dict(matplotlib.rcParams) == before_rc


@pytest.mark.slow
def test_plot_history_imports_neither_pyplot_nor_keras() -> None:
    code = (
        "import sys, kerasguide as kg\n"
        "kg.plot_history({'loss': [1.0, 0.5], 'val_loss': [1.2, 0.9]})._repr_png_()\n"
        "heavy = ('matplotlib.pyplot', 'keras', 'tensorflow', 'IPython')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- LivePlot ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_liveplot_is_a_keras_callback_and_records_like_history(
    fitted: tuple[Any, kg.LivePlot],
) -> None:
    history, live = fitted
    assert isinstance(live, _k.keras().callbacks.Callback)
    assert isinstance(live, kg.LivePlot)
    assert type(live).__name__ == "LivePlot"
    assert live.history.keys() == history.history.keys()
    for name, values in history.history.items():
        assert live.history[name] == pytest.approx(values)
    assert live.epoch == history.epoch == [0, 1, 2, 3]


@pytest.mark.slow
def test_liveplot_does_not_draw_outside_a_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[Any] = []
    monkeypatch.setattr(kl, "_display", lambda figure, handle: shown.append(figure))
    x, y = _data()
    live = kg.LivePlot(min_interval=0)
    _tiny_model().fit(x, y, epochs=2, validation_split=0.25, verbose=0, callbacks=[live])
    assert shown == []
    assert not live.drawing
    assert repr(live) == (
        "<LivePlot: 2 epochs of accuracy, loss, val_accuracy, val_loss; "
        "recording without drawing (not in a notebook)>"
    )


@pytest.mark.slow
def test_liveplot_figure_is_plot_history_of_the_record(fitted: tuple[Any, kg.LivePlot]) -> None:
    history, live = fitted
    figure = live.figure
    assert figure is live.figure  # drawn once until the next epoch
    assert live.plot() is not figure
    xs, ys = _xy(_panel(figure, "accuracy"), "validation:val_accuracy")
    assert xs == [1, 2, 3, 4]
    assert ys == pytest.approx(history.history["val_accuracy"])
    assert _xy(kg.plot_history(live).axes[0], "training:loss")[1] == pytest.approx(
        history.history["loss"]
    )


def test_liveplot_before_training() -> None:
    live = kg.LivePlot(metrics="loss", min_interval=2)
    assert (
        repr(live) == "<LivePlot: nothing recorded yet; pass it to model.fit(..., callbacks=[...])>"
    )
    with pytest.raises(
        OptionError, match=r"(?s)LivePlot: the training history is empty: no epoch has ended yet"
    ):
        live.plot()


@pytest.mark.parametrize("value", [-1, "1s", None, True, math.nan])
def test_liveplot_min_interval_must_be_seconds(value: Any) -> None:
    with pytest.raises(
        OptionError, match=r"(?s)LivePlot\(min_interval=\.\.\.\).*expected: a number >= 0"
    ):
        kg.LivePlot(min_interval=value)


@pytest.mark.slow
def test_liveplot_unknown_metric_stops_fit_after_the_first_epoch() -> None:
    x, y = _data()
    live = kg.LivePlot(metrics=["loss", "acc"])
    with pytest.raises(
        OptionError,
        match=r"(?s)LivePlot\(metrics=\.\.\.\): no metric 'acc'.*did you mean 'accuracy'",
    ):
        _tiny_model().fit(x, y, epochs=3, verbose=0, callbacks=[live])
    assert len(live.epoch) == 1


@pytest.mark.slow
def test_liveplot_with_validation_freq_draws_gaps() -> None:
    x, y = _data()
    live = kg.LivePlot()
    history = _tiny_model().fit(
        x, y, epochs=4, validation_split=0.25, validation_freq=2, verbose=0, callbacks=[live]
    )
    assert len(live.history["val_loss"]) == len(history.history["val_loss"]) == 2
    ys = _xy(_panel(live.figure, "loss"), "validation:val_loss")[1]
    assert [math.isnan(y) for y in ys] == [True, False, True, False]
    with pytest.raises(OptionError, match="validation_freq"):
        kg.plot_history(history)


def test_a_subclass_of_liveplot_is_a_callback_too() -> None:
    class Quiet(kg.LivePlot):
        pass

    assert isinstance(Quiet(), _k.keras().callbacks.Callback)
    assert isinstance(Quiet(), Quiet)


# --- LivePlot in a notebook: throttling -----------------------------------------------------------


def _epoch(live: kg.LivePlot, epoch: int) -> None:
    live.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 1.2 / (epoch + 1)})


def test_liveplot_draws_at_most_every_min_interval_from_the_start(
    notebook: tuple[Clock, list[int]],
) -> None:
    clock, shown = notebook
    live = kg.LivePlot(min_interval=2.0)
    live.on_train_begin()
    assert live.drawing
    for epoch, step in enumerate([0.5, 0.5, 0.5, 0.5, 0.5, 3.0, 0.0]):
        _epoch(live, epoch)
        clock.t += step
    assert shown == [5, 7]  # epoch 5 after 2 s; epoch 7 after 3.5 s more
    live.on_train_end()
    assert shown == [5, 7]  # already up to date
    _epoch(live, 7)
    live.on_train_end()
    assert shown == [5, 7, 8]  # always the last epoch at the end
    assert "drawing in the notebook at most every 2 s" in repr(live)


def test_liveplot_waits_longer_when_drawing_is_slow(
    notebook: tuple[Clock, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock, shown = notebook
    slow = kl._display

    def display(figure: Any, handle: Any) -> Any:
        clock.t += 0.25  # a drawing that takes 0.25 s
        return slow(figure, handle)

    monkeypatch.setattr(kl, "_display", display)
    live = kg.LivePlot(min_interval=1.0)
    live.on_train_begin()
    for epoch in range(24):
        _epoch(live, epoch)
        clock.t += 0.5
    # The first drawing after 1 s; then 40 × 0.25 s = 10 s until the next, not 1 s.
    assert shown == [3, 23]
    assert kl._draw_cost == 0.25
    live.on_train_begin()  # the next fit waits as long at once
    for epoch in range(21):
        _epoch(live, epoch)
        clock.t += 0.5
    assert shown == [3, 23, 21]  # after 10 s, not after 1 s (which would show 3)


@pytest.mark.slow
def test_liveplot_draws_during_a_real_fit_in_a_notebook(notebook: tuple[Clock, list[int]]) -> None:
    _, shown = notebook
    x, y = _data()
    live = kg.LivePlot()
    _tiny_model().fit(x, y, epochs=3, validation_split=0.25, verbose=0, callbacks=[live])
    assert shown == [3]  # the clock stands still: only the drawing at the end


def test_notebook_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    class ZMQInteractiveShell:
        config: ClassVar[dict[str, object]] = {}

    class Kernel:
        config: ClassVar[dict[str, object]] = {"IPKernelApp": {}}

    class TerminalInteractiveShell:
        config: ClassVar[dict[str, object]] = {}

    for shell, expected in [
        (None, False),
        (TerminalInteractiveShell(), False),
        (ZMQInteractiveShell(), True),
        (Kernel(), True),
    ]:
        fake = types.ModuleType("IPython")
        fake.get_ipython = lambda shell=shell: shell  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "IPython", fake)
        assert kl._in_notebook() is expected
    monkeypatch.delitem(sys.modules, "IPython")
    assert kl._in_notebook() is False


def test_display_updates_the_same_output() -> None:
    class Handle:
        def __init__(self) -> None:
            self.updated: list[Any] = []

        def update(self, obj: Any) -> None:
            self.updated.append(obj)

    figure, handle = kg.plot_history(HISTORY), Handle()
    assert kl._display(figure, handle) is handle
    assert handle.updated == [figure]
