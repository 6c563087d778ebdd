"""Training curves after ``fit``: :func:`plot_history` (``live.LivePlot`` draws them during it).

Both draw one panel per metric with the training and the validation curve,
epochs counted from 1 and the best epoch marked. Figures are made without
``pyplot`` (see :mod:`kerasguide._draw`): the user's current figure and
rcParams are never touched, and a figure shows inline in Jupyter by itself.

Which epoch is *best* is decided by the metric's name, on the validation curve
when there is one:

* names ending in ``loss`` are lowest-best;
* names containing ``acc``, ``auc``, ``precision``, ``recall``, ``f1``,
  ``fbeta``, ``iou``, ``r2``, ``sensitivity``, ``specificity``,
  ``true_positives``, ``true_negatives`` or ``cosine`` are highest-best;
* ``lr`` and ``learning_rate`` have no best epoch;
* every other name (errors such as ``mae``, ``mse``, ``crossentropy``) is
  lowest-best.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from kerasguide._curves import Curves, choose_panels, empty_error
from kerasguide._draw import new_figure, picture_format, save_figure
from kerasguide._values import clip
from kerasguide.errors import OptionError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_history"]

TRAIN_COLOR = "#1f77b4"
VAL_COLOR = "#ff7f0e"
PANEL_SIZE = (5.0, 3.6)  # inches; two panels side by side fit a notebook's width
_HIGHER = re.compile(
    r"acc|auc|precision|recall|f1|fbeta|iou|io_u|r2|sensitivity|specificity"
    r"|true_pos|true_neg|cosine"
)
_NO_BEST = re.compile(r"(^|_)(lr|learning_rate)$")
_EXPECTED = "a keras History (what model.fit returns) or a dict {name: list of numbers}"

Direction = Literal["min", "max"] | None


def plot_history(
    history: object,
    *,
    metrics: str | Sequence[str] | None = None,
    to_file: str | os.PathLike[str] | None = None,
) -> Figure:
    """Draw the training and validation curve of each metric, one panel per metric.

    ``loss`` comes first, then the other metrics in the order of the history;
    ``val_x`` is drawn in the panel of ``x``. Epochs are counted from 1 (from
    ``initial_epoch + 1`` after ``fit(initial_epoch=...)``). The best epoch is
    marked with a dot and ``best: epoch 7, 0.123`` in the legend, on the
    validation curve when there is one; lowest or highest is best depending on
    the metric's name (see the module's documentation). NaN and infinite values
    leave a gap in the curve and never count as best.

    Args:
        history: What ``model.fit`` returns, a :class:`LivePlot`, or a dict
            ``{name: list of numbers}`` with one number per epoch.
        metrics: The panels to draw, by name (``"loss"``, ``"accuracy"``; a
            ``val_`` name selects its panel), in this order. None draws all.
        to_file: Also write the figure to this ``.png``, ``.svg`` or ``.pdf``
            file, whole or not at all.

    Returns:
        A matplotlib ``Figure``; it shows itself inline in Jupyter.

    Raises:
        OptionError: The history is empty or not numbers, its lists differ in
            length, a name in ``metrics`` is unknown, or the file type is not
            png, svg or pdf.

    Example:
        >>> fig = plot_history({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.8]})
        >>> [axes.get_title() for axes in fig.axes]
        ['loss (lower is better)']
    """
    fmt = picture_format(to_file, function="plot_history")
    curves = _curves_of(history)
    panels = choose_panels(curves.series, metrics, where="plot_history(metrics=...)")
    figure = _draw(curves, panels)
    if to_file is not None:
        save_figure(figure, to_file, fmt=fmt, dpi=figure.dpi)
    return figure


# --- checking the input ------------------------------------------------------------


def _curves_of(history: object) -> Curves:
    """A History, a dict, or a LivePlot (whose own curves align epochs it skipped), checked."""
    own = getattr(history, "curves", None)
    if callable(own):
        curves = own()
        if isinstance(curves, Curves):
            return curves
    data = history if isinstance(history, Mapping) else getattr(history, "history", None)
    if not isinstance(data, Mapping):
        raise OptionError(
            "cannot read a training history from this object",
            where="plot_history(history=...)",
            expected=_EXPECTED,
            received=type(history).__name__,
            hint="pass what fit returns: history = model.fit(...); plot_history(history)",
        )
    series = {_key(name): _numbers(name, values) for name, values in data.items()}
    epochs = _epoch_numbers(getattr(history, "epoch", None), series)
    return Curves(series, epochs)


def _key(name: object) -> str:
    if isinstance(name, str) and name:
        return name
    raise OptionError(
        "a metric name is not a string",
        where="plot_history(history=...)",
        expected="names such as 'loss' or 'val_accuracy'",
        received=repr(name),
    )


def _numbers(name: str, values: object) -> list[float]:
    if isinstance(values, str | bytes | Mapping) or not hasattr(values, "__iter__"):
        raise OptionError(
            "the values of a metric are not a list",
            where=f"history[{name!r}]",
            expected="a list of numbers, one per epoch",
            received=f"{type(values).__name__} {clip(values)}",
        )
    return [_number(name, index, value) for index, value in enumerate(values)]


def _number(name: str, index: int, value: object) -> float:
    if not isinstance(value, bool | str | bytes) and hasattr(value, "__float__"):
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    raise OptionError(
        "a value is not a number",
        where=f"history[{name!r}][{index}]",
        expected="a number (NaN is allowed)",
        received=f"{type(value).__name__} {clip(value)}",
        hint="each list holds one number per epoch, e.g. [0.9, 0.5, 0.4]",
    )


def _epoch_numbers(epoch: object, series: Mapping[str, list[float]]) -> list[int]:
    if not series:
        raise empty_error("plot_history(history=...)", "it has no metrics")
    lengths = {name: len(values) for name, values in series.items()}
    first = next(iter(series))
    for name, length in lengths.items():
        if length != lengths[first]:
            raise OptionError(
                "the metrics have different numbers of epochs",
                where=f"history[{name!r}]",
                expected=f"{lengths[first]} values, one per epoch, like history[{first!r}]",
                received=f"{length} values",
                hint="give every metric one value per epoch; use float('nan') for an "
                "epoch without a value (e.g. fit(validation_freq=2) skips validation)",
            )
    if lengths[first] == 0:
        raise empty_error("plot_history(history=...)", "it has no epochs")
    if (
        isinstance(epoch, list)
        and len(epoch) == lengths[first]
        and all(isinstance(e, int) for e in epoch)
    ):
        return [e + 1 for e in epoch]
    return list(range(1, lengths[first] + 1))


# --- drawing -----------------------------------------------------------------------


def direction(name: str) -> Direction:
    """``"min"`` or ``"max"``: which end of a metric is best, by its name; None for none.

    Example:
        >>> direction("val_loss"), direction("sparse_categorical_accuracy"), direction("lr")
        ('min', 'max', None)
    """
    name = name.lower().removeprefix("val_")
    if name.endswith("loss"):
        return "min"
    if _NO_BEST.search(name):
        return None
    return "max" if _HIGHER.search(name) else "min"


def best_epoch(values: Sequence[float], way: Direction) -> int | None:
    """The index of the best finite value (the first of equals), or None."""
    finite = [(value, i) for i, value in enumerate(values) if math.isfinite(value)]
    if way is None or not finite:
        return None
    if way == "max":
        return min(finite, key=lambda pair: (-pair[0], pair[1]))[1]
    return min(finite)[1]


def epoch_ticks(first: int, last: int) -> list[int]:
    """At most about 8 whole epochs for the x axis, the first one included.

    Example:
        >>> epoch_ticks(1, 20)
        [1, 5, 10, 15, 20]
    """
    step = 1
    while (last - first) / step > 8:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    if step <= 2:
        return list(range(first, last + 1, step))
    return [first, *(tick for tick in range(step, last + 1, step) if tick - first >= step / 2)]


def _format(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1e3 else f"{value:#.3g}"


def _draw(curves: Curves, panels: Sequence[str]) -> Figure:
    columns = min(len(panels), 2)
    rows = math.ceil(len(panels) / columns)
    width, height = PANEL_SIZE
    figure = new_figure(width * columns + (0.6 if columns == 1 else 0), height * rows)
    figure.set_layout_engine("constrained")
    for index, panel in enumerate(panels):
        _draw_panel(figure.add_subplot(rows, columns, index + 1), curves, panel)
    return figure


def _draw_panel(axes: Axes, curves: Curves, panel: str) -> None:
    way = direction(panel)
    marker = "o" if len(curves.epochs) <= 30 else None
    lines = [(panel, "training", TRAIN_COLOR), (f"val_{panel}", "validation", VAL_COLOR)]
    best_on: tuple[str, str] | None = None
    for name, label, color in lines:
        if name in curves.series:
            values = [v if math.isfinite(v) else math.nan for v in curves.series[name]]
            axes.plot(
                curves.epochs,
                values,
                label=label,
                color=color,
                linewidth=1.8,
                marker=marker,
                markersize=3.5,
                gid=f"{label}:{name}",
            )
            if best_epoch(values, way) is not None:
                best_on = (name, color)
    if best_on is not None:
        _mark_best(axes, curves, *best_on, way)
    tail = {"min": " (lower is better)", "max": " (higher is better)", None: ""}[way]
    axes.set_title(panel + tail, fontsize=12)
    axes.set_xlabel("epoch", fontsize=10.5)
    axes.set_ylabel(panel, fontsize=10.5)
    first, last = curves.epochs[0], curves.epochs[-1]
    axes.set_xticks(epoch_ticks(first, last))
    pad = max(0.5, (last - first) * 0.04)
    axes.set_xlim(first - pad, last + pad)
    axes.grid(True, color="#e0e0e0", linewidth=0.8)
    axes.set_axisbelow(True)
    axes.legend(loc="best", fontsize=9.5, framealpha=0.9)


def _mark_best(axes: Axes, curves: Curves, name: str, color: str, way: Direction) -> None:
    index = best_epoch(curves.series[name], way)
    if index is None:
        return
    epoch, value = curves.epochs[index], curves.series[name][index]
    axes.axvline(epoch, color="#9a9a9a", linewidth=1.0, linestyle=":", zorder=1, gid="best:line")
    label = f"best: epoch {epoch}, {_format(value)}"
    axes.plot(
        [epoch],
        [value],
        linestyle="none",
        marker="o",
        markersize=8,
        markerfacecolor=color,
        markeredgecolor="black",
        markeredgewidth=1.2,
        zorder=5,
        label=label,
        gid=f"best:{name}",
    )
