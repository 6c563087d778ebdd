"""``LivePlot``: a Keras callback that redraws the training curves while ``fit`` runs.

It records what Keras's ``History`` records and, inside a Jupyter kernel only,
draws :func:`kerasguide.history.plot_history` of it in place, throttled so that
drawing costs a few percent of the training time at most. After the first epoch it
warns of the classic signs of a model that does not learn (``_fit_hints``). The class that also
subclasses ``keras.callbacks.Callback`` is made on first use, so that
``import kerasguide`` does not import Keras.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from kerasguide._curves import Curves, choose_panels, empty_error, metric_names
from kerasguide._fit_hints import FitWatch
from kerasguide._lint import Hints, kept
from kerasguide.errors import KerasGuideWarning, OptionError
from kerasguide.history import plot_history

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["LivePlot"]

BUDGET = 40  # LivePlot waits at least BUDGET × the cost of a drawing before the next


_draw_cost = 0.15  # seconds; the latest drawing's, so the next fit waits long enough at once


def _now() -> float:
    return time.perf_counter()


def _in_notebook() -> bool:
    """True inside a Jupyter kernel; never imports IPython (scripts do not have it loaded)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return False
    if "IPKernelApp" in getattr(shell, "config", {}):
        return True
    return any(cls.__name__ == "ZMQInteractiveShell" for cls in type(shell).__mro__)


class _DisplayHandle(Protocol):
    """IPython's ``DisplayHandle``: one output of a notebook cell, updated in place."""

    def update(self, obj: object) -> None: ...


def _display(figure: Figure, handle: _DisplayHandle | None) -> _DisplayHandle:
    """Show ``figure`` in the notebook; later calls replace it in the same output."""
    if handle is None:
        from IPython.display import display

        shown: _DisplayHandle = display(figure, display_id=True)  # type: ignore[no-untyped-call]
        return shown
    handle.update(figure)
    return handle


class LivePlot:
    """A Keras callback that redraws the training curves in a notebook while ``fit`` runs.

    In a Jupyter notebook the figure of :func:`plot_history` appears below the
    cell and is redrawn in place at the end of an epoch, at most every
    ``min_interval`` seconds, and always when training ends. It also waits 40
    times as long as a drawing takes (about 0.2 s, so 6–8 s), counted from the
    start of ``fit``: drawing costs at most 2.5% of the training time, plus the
    last drawing (under 5% in all for a fit of 10 s or more). Outside a
    notebook (scripts, CI) it records without drawing.

    Each ``fit`` starts a new record. ``history`` holds it like
    ``History.history``; ``plot()`` and ``figure`` draw it.

    When the first epoch ends, it looks for the classic signs of a model that trains
    without learning: a NaN loss (``loss-nan``), a loss that did not move in any batch
    (``loss-constant``), accuracy at 1/classes while the loss does not fall
    (``accuracy-at-chance``). Each is a :class:`~kerasguide.Hint` in ``hints``, emitted
    as a :class:`~kerasguide.KerasGuideWarning`; silence them as :func:`~kerasguide.lint`'s.

    Args:
        metrics: The panels to draw, as for :func:`plot_history`. None draws all.
        min_interval: The shortest time between two redraws, in seconds.
        ignore_hints: Hint codes not to warn about, or ``"all"``.

    Raises:
        OptionError: ``min_interval`` is not a number >= 0, or ``metrics`` is not
            a name or a list of names; when the first epoch ends, a name in
            ``metrics`` that is not a metric of the model.

    Example:
        >>> live = LivePlot(metrics=["loss", "accuracy"])
        >>> model.fit(x, y, epochs=20, validation_split=0.2, callbacks=[live])  # doctest: +SKIP
        >>> live.history["loss"]  # doctest: +SKIP
        [0.69, 0.52, ...]
    """

    history: dict[str, list[float]]
    epoch: list[int]
    hints: Hints

    def __new__(cls, *args: object, **kwargs: object) -> LivePlot:
        # The class that also subclasses keras.callbacks.Callback is made on first
        # use, so that `import kerasguide` does not import Keras.
        return super().__new__(_callback_class(cls))

    def __init__(
        self,
        *,
        metrics: str | Sequence[str] | None = None,
        min_interval: float = 1.0,
        ignore_hints: str | Sequence[str] = (),
    ) -> None:
        super().__init__()
        if (
            isinstance(min_interval, bool)
            or not isinstance(min_interval, int | float)
            or not (min_interval >= 0)
        ):
            raise OptionError(
                "min_interval must be a number of seconds",
                where="LivePlot(min_interval=...)",
                expected="a number >= 0, e.g. 1.0",
                received=repr(min_interval),
            )
        self.metrics = metric_names(metrics, where="LivePlot(metrics=...)")
        self.min_interval = float(min_interval)
        self.ignore_hints = ignore_hints
        kept((), ignore_hints)  # an unknown hint code is refused here, before fit
        self.hints, self._watch = Hints(), FitWatch()
        self.history, self.epoch = {}, []
        self._rows: list[dict[str, float]] = []
        self._start(live=False)

    def _start(self, *, live: bool) -> None:
        self.drawing = live
        self._handle: _DisplayHandle | None = None
        self._last_draw = _now()
        self._interval = max(self.min_interval, BUDGET * _draw_cost)
        self._figure: Figure | None = None
        self._figure_epochs = -1

    def on_train_begin(self, logs: Mapping[str, object] | None = None) -> None:
        """Start a new record; draw only inside a notebook."""
        self.history, self.epoch, self._rows = {}, [], []
        self.hints, self._watch = Hints(), FitWatch()
        self._start(live=_in_notebook())

    def on_train_batch_end(self, batch: int, logs: Mapping[str, object] | None = None) -> None:
        """Record the first epoch's running loss, for the hints at its end."""
        if self._watch.watching:
            self._watch.batch(logs)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, object] | None = None) -> None:
        """Record the epoch's logs, and redraw when the last drawing is old enough."""
        row = {name: _as_float(value) for name, value in (logs or {}).items()}
        self.epoch.append(int(epoch))
        self._rows.append(row)
        for name, value in row.items():
            self.history.setdefault(name, []).append(value)
        if len(self._rows) == 1 and self.metrics is not None:
            choose_panels(self.curves().series, self.metrics, where="LivePlot(metrics=...)")
        if self._watch.watching:
            found = self._watch.epoch(getattr(self, "model", None), logs)
            self.hints = kept(found, self.ignore_hints)
            for hint in self.hints:
                warnings.warn(KerasGuideWarning(str(hint), code=hint.code), stacklevel=2)
        if self.drawing and _now() - self._last_draw >= self._interval:
            self._redraw()

    def on_train_end(self, logs: Mapping[str, object] | None = None) -> None:
        """Draw the last epochs, if the latest drawing does not show them."""
        if self.drawing and self._rows and self._figure_epochs != len(self._rows):
            self._redraw()

    def _redraw(self) -> None:
        global _draw_cost
        start = _now()
        self._handle = _display(self.figure, self._handle)
        self._last_draw = _now()
        _draw_cost = self._last_draw - start
        self._interval = max(self.min_interval, BUDGET * _draw_cost)

    def curves(self) -> Curves:
        names = list(dict.fromkeys(name for row in self._rows for name in row))
        if not names:
            raise empty_error("LivePlot", "no epoch has ended yet")
        series = {name: [row.get(name, math.nan) for row in self._rows] for name in names}
        return Curves(series, [e + 1 for e in self.epoch])

    def plot(self) -> Figure:
        """A new figure of :func:`plot_history` of the epochs recorded so far."""
        return plot_history(self, metrics=self.metrics)

    @property
    def figure(self) -> Figure:
        """The figure of the epochs recorded so far (the same object until an epoch ends)."""
        if self._figure is None or self._figure_epochs != len(self._rows):
            self._figure, self._figure_epochs = self.plot(), len(self._rows)
        return self._figure

    def __repr__(self) -> str:
        how = (
            f"drawing in the notebook at most every {self.min_interval:g} s"
            if self.drawing
            else "recording without drawing (not in a notebook)"
        )
        if not self._rows:
            return "<LivePlot: nothing recorded yet; pass it to model.fit(..., callbacks=[...])>"
        names = ", ".join(self.history)
        return f"<LivePlot: {len(self._rows)} epochs of {names}; {how}>"


def _as_float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


_CALLBACK_CLASSES: dict[type[LivePlot], type[LivePlot]] = {}


def _callback_class(cls: type[LivePlot]) -> type[LivePlot]:
    """``cls`` with ``keras.callbacks.Callback`` as a further base, made once on first use."""
    from kerasguide._keras import keras

    callback = keras().callbacks.Callback
    if issubclass(cls, callback):
        return cls
    if cls not in _CALLBACK_CLASSES:
        namespace = {"__module__": cls.__module__, "__doc__": cls.__doc__}
        keras_class = type(cls.__name__, (cls, callback), namespace)
        keras_class.__qualname__ = cls.__qualname__
        _CALLBACK_CLASSES[cls] = keras_class
    return _CALLBACK_CLASSES[cls]
