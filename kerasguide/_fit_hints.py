"""Hints at ``fit`` time: the classic signs of a model that trains without learning.

:class:`FitWatch` reads the logs ``LivePlot`` receives: every batch of the first epoch,
and the first epoch's end. It says when the loss is NaN, when it did not move at all
during the first epoch, and when the accuracy sits at chance (1 / classes, within 0.02)
after ten batches or more while the loss does not fall. Each sign is a
:class:`~kerasguide._hints.Hint` about the model as a whole (its ``path`` is ``"fit"``),
with what usually causes it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping

from kerasguide._hints import Hint, output_names, units
from kerasguide._types import KerasModel

__all__ = ["FitWatch"]

_ACCURACY = ("accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy")
_ENOUGH = 10  # batches in the first epoch before accuracy at chance means something
_LINT = "kg.lint(model, x=x, y=y) checks the output layer, the loss and the data"


def _number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class FitWatch:
    """Watches one ``fit``: the batches of its first epoch, then the end of that epoch."""

    def __init__(self) -> None:
        self.losses: list[float] = []
        self.watching = True

    def batch(self, logs: Mapping[str, object] | None) -> None:
        """Record a batch's running loss, during the first epoch only."""
        loss = _number((logs or {}).get("loss")) if self.watching else None
        if loss is not None:
            self.losses.append(loss)

    def epoch(self, model: KerasModel | None, logs: Mapping[str, object] | None) -> list[Hint]:
        """The hints the first epoch's end shows (none after the first epoch)."""
        if not self.watching:
            return []
        self.watching = False
        row = {name: _number(value) for name, value in (logs or {}).items()}
        name = str(getattr(model, "name", "model"))
        kind = type(model).__name__ if model is not None else "Model"
        found = [
            Hint(code, name, kind, "fit", message, meant)
            for code, message, meant in self._signs(row, model)
        ]
        return found

    def _signs(
        self, row: Mapping[str, float | None], model: KerasModel | None
    ) -> list[tuple[str, str, str]]:
        losses = [*self.losses, row.get("loss")]
        if any(x is not None and not math.isfinite(x) for x in losses):
            return [
                (
                    "loss-nan",
                    "the loss became NaN (or infinite) during the first epoch: the weights "
                    "overflowed, and nothing after this is learned",
                    "a smaller learning rate (e.g. 1e-4), inputs scaled to 0..1, labels the "
                    f"output layer has units for; {_LINT}",
                )
            ]
        if len(self.losses) >= 3 and max(self.losses) - min(self.losses) <= 1e-6 * max(
            1.0, abs(self.losses[0])
        ):
            return [
                (
                    "loss-constant",
                    f"the loss stayed at {self.losses[0]:.4g} for all {len(self.losses)} "
                    "batches of the first epoch: no weight is changing what the model outputs",
                    "trainable layers and a learning rate above 0; a relu or one-unit softmax "
                    f"output, or a loss that does not fit the output, keeps it constant: {_LINT}",
                )
            ]
        return self._chance(row, model)

    def _chance(
        self, row: Mapping[str, float | None], model: KerasModel | None
    ) -> list[tuple[str, str, str]]:
        name = next((n for n in _ACCURACY if row.get(n) is not None), None)
        accuracy = row.get(name) if name else None
        classes = self._classes(model)
        if accuracy is None or classes is None or len(self.losses) < _ENOUGH:
            return []
        if self._falling() or abs(accuracy - 1 / classes) > 0.02:
            return []
        return [
            (
                "accuracy-at-chance",
                f"after the first epoch {name} is {accuracy:.3f}, what guessing among "
                f"{classes} classes scores (1/{classes} = {1 / classes:.3f}), and the loss "
                "is not falling: the model predicts the same class whatever the input",
                "a smaller learning rate, inputs scaled to 0..1, an output activation that "
                f"fits the loss (softmax with categorical_crossentropy); {_LINT}",
            )
        ]

    def _falling(self) -> bool:
        """Whether the batches' own losses fell during the epoch: the last third's mean
        below the first third's by more than twice its standard error (and 1%). Keras
        logs each batch's running mean, so a batch's own loss is a difference of sums."""
        sums = [mean * (i + 1) for i, mean in enumerate(self.losses)]
        own = [b - a for a, b in zip([0.0, *sums], sums, strict=False)]
        third = max(2, len(own) // 3)
        first, last = statistics.fmean(own[:third]), statistics.fmean(own[-third:])
        error = statistics.stdev(own) * math.sqrt(2 / third)
        return first - last > max(2 * error, 0.01 * abs(first))

    @staticmethod
    def _classes(model: KerasModel | None) -> int | None:
        if model is None:
            return None
        names = output_names(model)
        outputs = [layer for layer in getattr(model, "layers", []) if layer.name in names]
        count = units(outputs[0]) if len(outputs) == 1 else None
        if count is None:
            return None
        return 2 if count == 1 else count
