"""What a layer's input brings: private to :mod:`kerasguide._compare`.

A layer whose input differs has another output shape and parameter count even when
it is written right. Such a change is a consequence, and its finding names the
earlier layer it comes from (:class:`Causes`, which follows the rows that feed each
row back to the first one that differs by its own fault). A layer whose own setting
differs *and* whose input differs is blamed only for what its setting does: its
output and parameters on the expected input (a fresh copy of the layer built on that
input, :func:`alone`), and the rest is said to come from before it.
"""

from __future__ import annotations

import re

from kerasguide._finding import Finding, named, where
from kerasguide._rows import Row
from kerasguide._shapes import Shape, format_shapes
from kerasguide._types import KerasOperation
from kerasguide.summary import Summary

__all__ = ["Causes", "alone", "effects_finding", "input_note", "inputs", "one", "own_and_upstream"]

_LINK = re.compile(r"(.*)\[(\d+)\]\[(\d+)\]")


class Causes:
    """For each of the student's rows whose output differs, the finding it comes from."""

    def __init__(self, found: Summary) -> None:
        self.rows = found.rows
        self.origin: dict[int, str] = {}  # row -> where the difference in its output starts
        self.run: dict[int, int] = {}  # an extra row -> the first of the extra rows before it

    def own(self, index: int) -> None:
        """Row ``index`` differs by its own setting, type or presence."""
        self.origin[index] = where(self.rows[index], index)

    def extra(self, index: int) -> None:
        """Row ``index`` is not in the expected model; with the extra rows that feed it, one
        block: ``the extra layers 3–4 (Conv2D, MaxPooling2D)``."""
        fed_by = sources(self.rows, index) or []
        start = index
        if len(fed_by) == 1 and fed_by[0][0] == index - 1 and index - 1 in self.run:
            start = self.run[index - 1]
        self.run[index] = start
        types = ", ".join(row.type for row in self.rows[start : index + 1])
        span = f"layers {start + 1}–{index + 1}" if start < index else f"layer {index + 1}"
        self.origin[index] = f"the extra {span} ({types})"

    def follow(self, index: int) -> None:
        """Row ``index`` differs only because its input does."""
        cause = self.of(index)
        if cause is not None:
            self.origin[index] = cause

    def missing(self, after: int | None) -> None:
        """A layer is missing after row ``after``: what that row feeds differs because of it."""
        if after is None:
            return
        missing = f"the layer missing after {where(self.rows[after], after)}"
        if self.origin.get(after) in (None, missing):  # a second one there: a missing block
            first = after not in self.origin
            self.origin[after] = missing if first else missing.replace("layer", "layers", 1)

    def of(self, index: int) -> str | None:
        """The earlier finding that makes row ``index``'s input differ, when one is known."""
        fed_by = sources(self.rows, index) or []
        found = dict.fromkeys(self.origin[s] for s, _ in fed_by if s in self.origin)
        return " and ".join(found) if found else None


def sources(rows: tuple[Row, ...], index: int) -> list[tuple[int, int | None]] | None:
    """The rows feeding row ``index`` (with the output taken, None for all of them): from
    its connections, else the row before it at its depth; None when they are unknown."""
    row = rows[index]
    if row.connected_to:
        by_name = {r.name: i for i, r in enumerate(rows) if r.depth == row.depth}
        found: list[tuple[int, int | None]] = []
        for link in row.connected_to:
            match = _LINK.fullmatch(link)
            if match is None or match.group(1) not in by_name:  # cut short with "…", or unknown
                return None
            found.append((by_name[match.group(1)], int(match.group(3))))
        return found
    before = [i for i, r in enumerate(rows[:index]) if r.depth == row.depth]
    return [(before[-1], None)] if before else None


def inputs(rows: tuple[Row, ...], index: int) -> tuple[Shape, ...] | None:
    """The shapes feeding row ``index``: from its connections, else the row before it."""
    fed_by = sources(rows, index)
    if fed_by is None:
        return None
    shapes: list[Shape] = []
    for at, tensor in fed_by:
        given = rows[at].output_shapes
        if not given:
            return None
        if tensor is None:
            return given
        shapes.append(given[min(tensor, len(given) - 1)])
    return tuple(shapes)


def one(shapes: tuple[tuple[Shape, ...] | None, ...]) -> tuple[Shape | None, Shape | None]:
    """The single shape feeding each of two rows (None for none, or several)."""
    first, second = (item[0] if item and len(item) == 1 else None for item in shapes)
    return first, second


def input_note(found: Summary, expected: Summary, f: int, e: int, cause: str | None) -> str:
    """``, because its input is … instead of …, which follows from layer 2 (Dense)``."""
    got_in, want_in = inputs(found.rows, f), inputs(expected.rows, e)
    if got_in is None or want_in is None or got_in == want_in:
        return ""
    note = f", because its input is {format_shapes(got_in)} instead of {format_shapes(want_in)}"
    return note + (f", which follows from {cause}" if cause else "")


def effects_finding(found: Summary, f: int, effects: list[str], note: str) -> Finding:
    """A layer that differs only in its output or parameters (``note``: because of its input)."""
    got = found.rows[f]
    if note:
        hint = "this follows from a difference before it: fix the earlier layers first"
    else:
        hint = f"check the settings of this layer{named(got)}"
    # follows from an earlier difference: a consequence, never the layer's own fault
    kind = "consequence" if note else "shape" if effects[0].startswith("its output") else "params"
    return Finding(where(got, f), ", and ".join(effects) + note, hint, kind, got.name)


def alone(layer: KerasOperation | None, shape: Shape | None) -> tuple[Shape, int] | None:
    """The output shape and parameter count of a fresh copy of ``layer`` on input ``shape``
    (None when that cannot be known: no layer, several inputs, a class that cannot be
    copied this way)."""
    if layer is None or shape is None:
        return None
    try:
        copy = type(layer).from_config(layer.get_config())  # type: ignore[attr-defined]
        copy.build(shape)
        output = copy.compute_output_shape(shape)
        count = int(copy.count_params())
    except Exception:  # any layer Keras cannot rebuild on that input: say less, never guess
        return None
    if not isinstance(output, (tuple, list)):
        return None
    dims = tuple(output)
    if not all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in dims):
        return None
    return dims, count


def own_and_upstream(
    text: str,
    rows: tuple[Row, Row],
    shapes: tuple[tuple[Shape, ...], tuple[Shape, ...]],
    alone_: tuple[Shape, int] | None,
    cause: str | None,
) -> str | None:
    """The message of a layer whose own setting (``text``) and whose input both differ.

    ``rows`` and ``shapes`` (their inputs) are the found and the expected one; ``alone_``
    the found layer's output and parameters on the expected input. The layer is blamed
    only for what its setting does on that input; the rest is said to come from its
    input, and from ``cause``. None when its setting changes neither.
    """
    got, want = rows
    given = f"{format_shapes(shapes[0])} instead of {format_shapes(shapes[1])}"
    source = cause or "a difference before it"
    if alone_ is None:  # what comes from where is unknown: both are named
        both = [f"its output is {got.output_shape} instead of {want.output_shape}"]
        if got.params != want.params:
            both.append(f"it has {got.params:,} parameters instead of {want.params:,}")
        also = f"its input also differs ({given}, which follows from {source})"
        return f"{text} — {also}, and from both, {' and '.join(both)}"
    upstream = f"its input is {given}, which follows from {source}"
    output, count = alone_
    own, actual = [], []
    if (output,) != want.output_shapes:
        own.append(f"its output would be {format_shapes((output,))} instead of {want.output_shape}")
    if count != want.params:
        own.append(f"it would have {count:,} parameters instead of {want.params:,}")
    if not own:
        return None
    if (output,) != got.output_shapes:
        actual.append(f"its output is {got.output_shape}")
    if count != got.params:
        actual.append(f"it has {got.params:,} parameters")
    tail = f", so {' and '.join(actual)}" if actual else ""
    return f"{text} — on the expected input, {', so '.join(own)}; {upstream}{tail}"
