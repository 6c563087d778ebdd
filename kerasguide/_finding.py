"""One difference found by a check, and how findings name a place: private to the checks.

Shared by :mod:`kerasguide._compare` (layers, settings, totals) and
:mod:`kerasguide._compare_calls` (calls, wiring, the inputs' and outputs' structure).
"""

from __future__ import annotations

import re
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
            ``"consequence"`` (a layer's shape or parameters that differ only
            because its input does: the cause is an earlier finding),
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


_SPAN = re.compile(r"^layers? (\d+)(?:–(\d+))? \((.+)\)$")
_PLACE = re.compile(r"^expected .*? ((?:at the start|after .*)), but there is none$")
_ADD = re.compile(r"^add (.*) ((?:at the start|after .*))$")


def blocks(findings: list[Finding]) -> list[Finding]:
    """Runs of extra layers next to each other, or of layers missing at one place, as one
    finding each: an extra convolution block is one mistake, not one per layer."""
    merged: list[Finding] = []
    for finding in findings:
        joined = _join(merged[-1], finding) if merged else None
        if joined is not None:
            merged[-1] = joined
        else:
            merged.append(finding)
    return merged


def _join(last: Finding, finding: Finding) -> Finding | None:
    """``last`` and ``finding`` as one block finding, or None when they are not one."""
    if last.kind != finding.kind:
        return None
    if finding.kind == "extra":
        return _join_extra(last, finding)
    if finding.kind == "missing":
        return _join_missing(last, finding)
    return None


def _join_extra(last: Finding, finding: Finding) -> Finding | None:
    before, this = _SPAN.match(last.where), _SPAN.match(finding.where)
    if before is None or this is None or this.group(2) is not None:
        return None
    start, end = int(before.group(1)), int(before.group(2) or before.group(1))
    if int(this.group(1)) != end + 1:
        return None
    types = [*before.group(3).split(", "), this.group(3)]
    names = [*re.findall(r"'([^']+)'", last.hint or ""), finding.layer or "?"]
    return Finding(
        f"layers {start}–{end + 1} ({', '.join(types)})",
        f"this block of {len(types)} layers ({' → '.join(types)}) is not in the expected model",
        "remove it (the layers named " + ", ".join(f"'{n}'" for n in names) + ")",
        "extra",
        last.layer,
    )


def _join_missing(last: Finding, finding: Finding) -> Finding | None:
    before, this = _PLACE.match(last.message), _PLACE.match(finding.message)
    steps_before, step = _ADD.match(last.hint or ""), _ADD.match(finding.hint or "")
    if None in (before, this, steps_before, step):
        return None
    place = this.group(1)  # type: ignore[union-attr]
    if before.group(1) != place:  # type: ignore[union-attr]
        return None
    steps = [*steps_before.group(1).split(" then "), step.group(1)]  # type: ignore[union-attr]
    return Finding(
        "missing layers",
        f"expected a block of {len(steps)} layers {place}, but there is none",
        f"add {' then '.join(steps)} {place}",
        "missing",
    )


_NUMBER = re.compile(r"\b(layers?) (\d+)(?:–(\d+))? \((\w+)")


def as_in_keras_summary(findings: list[Finding]) -> list[Finding]:
    """Layer numbers as a Sequential model's own ``model.summary()`` shows them.

    Keras does not list a Sequential model's InputLayer, so its first layer is 1
    there, where kerasguide's rows count the input first: every number is one less,
    and the InputLayer itself is called "the input".
    """

    def renumber(text: str | None) -> str | None:
        if text is None:
            return None

        def one(match: re.Match[str]) -> str:
            word, start, end, kind = match.groups()
            if kind == "InputLayer":
                return f"the input ({kind}"
            span = f"{int(start) - 1}" + (f"–{int(end) - 1}" if end else "")
            return f"{word} {span} ({kind}"

        return _NUMBER.sub(one, text)

    return [
        Finding(str(renumber(f.where)), str(renumber(f.message)), renumber(f.hint), f.kind, f.layer)
        for f in findings
    ]
