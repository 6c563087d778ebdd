"""What plot_history and LivePlot share: a checked set of training curves,
and the choice of panels to draw from it (one per metric, loss first)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kerasguide._suggest import did_you_mean
from kerasguide.errors import OptionError


@dataclass(frozen=True)
class Curves:
    """Checked series of equal length, and the epoch number (from 1) of each value."""

    series: dict[str, list[float]]
    epochs: list[int]


def empty_error(where: str, why: str) -> OptionError:
    return OptionError(
        f"the training history is empty: {why}",
        where=where,
        expected="at least one epoch of at least one metric, e.g. {'loss': [0.9, 0.5]}",
        received="no values",
        hint="train first: history = model.fit(x, y, epochs=5); then plot_history(history)",
    )


def metric_names(metrics: str | Sequence[str] | None, *, where: str) -> list[str] | None:
    """``metrics`` as a list of names (types only; the names are checked by ``choose_panels``)."""
    if metrics is None:
        return None
    names = [metrics] if isinstance(metrics, str) else metrics
    if isinstance(names, Sequence) and names and all(isinstance(name, str) for name in names):
        return list(names)
    raise OptionError(
        "metrics must name at least one metric",
        where=where,
        expected="None, a name such as 'loss', or a list of names",
        received=repr(metrics),
    )


def choose_panels(
    series: Mapping[str, list[float]], metrics: str | Sequence[str] | None, *, where: str
) -> list[str]:
    """The panels to draw: one per base name (``val_x`` belongs to ``x``), loss first."""
    panels = list(dict.fromkeys(base_name(name) for name in series))
    panels.sort(key=lambda panel: panel != "loss")
    names = metric_names(metrics, where=where)
    if names is None:
        return panels
    chosen: list[str] = []
    for name in names:
        if name not in {*panels, *series}:
            raise OptionError(
                f"no metric {name!r} in the history",
                where=where,
                expected=" or ".join(repr(p) for p in panels),
                received=repr(name),
                hint=did_you_mean(name, [*series] if name.startswith("val_") else panels)
                or "the names are the keys of history.history",
            )
        if base_name(name) not in chosen:
            chosen.append(base_name(name))
    return chosen


def base_name(name: str) -> str:
    return name.removeprefix("val_") or name
