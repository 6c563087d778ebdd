"""One difference found by a check, and how findings name a place: private to the checks.

Shared by :mod:`kerasguide._compare` (layers, settings, totals) and
:mod:`kerasguide._compare_calls` (calls, wiring, the inputs' and outputs' structure).
"""

from __future__ import annotations

from dataclasses import dataclass

from kerasguide._rows import Row
from kerasguide._types import JSONDict

__all__ = ["Finding", "named", "where"]


@dataclass(frozen=True)
class Finding:
    """One difference between the model and what was expected.

    Attributes:
        where: Where it is, in the student's model: ``"layer 3 (Dense)"``, ``"model"``.
        message: What differs, e.g. ``"expected 20 units, found 10"``.
        hint: How to fix it.
        kind: What kind of difference: ``"type"``, ``"config"``, ``"shape"``,
            ``"params"``, ``"input"``, ``"missing"``, ``"extra"``, ``"name"``,
            ``"totals"`` (the model's parameter totals), ``"per_layer"`` (one
            layer's count in ``check_params(per_layer=...)``) or ``"layer"``; and,
            from ``check_model``, a setting that a grader may weigh apart:
            ``"initializer"``, ``"regularizer"``, ``"constraint"``, ``"dtype"``
            (a layer's dtype policy or an input's dtype), ``"seed"``, ``"call"`` (an
            argument of a call: ``training=``, ``mask``, ``use_causal_mask``,
            ``initial_state``, …), ``"wiring"`` (which tensor feeds a call) or
            ``"structure"`` (the model's inputs or outputs: dict keys, order).
        layer: The name of the student's layer, when there is one.
    """

    where: str
    message: str
    hint: str | None = None
    kind: str = "layer"
    layer: str | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    def __repr__(self) -> str:
        text = str(self)
        return f"{text}\n  hint: {self.hint}" if self.hint else text

    def to_dict(self) -> JSONDict:
        """The finding as plain data."""
        return {
            "where": self.where,
            "message": self.message,
            "hint": self.hint,
            "kind": self.kind,
            "layer": self.layer,
        }


def where(row: Row, index: int) -> str:
    """``layer 3 (Dense)``: the 1-based position in the summary's rows, and the type."""
    return f"layer {index + 1} ({row.type})"


def named(row: Row) -> str:
    """`` (it is the layer named 'dense_2')``, to end a hint with."""
    return f" (it is the {'operation' if row.operation else 'layer'} named '{row.name}')"
