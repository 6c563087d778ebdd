"""Summaries as data: every layer's name, type, output shape, parameters and inputs.

Everything is read from the built Keras model (its layers, nodes and weights);
nothing is parsed from Keras's printed summary. The totals leave out the
optimizer's variables, which ``model.summary()`` adds in once a model has been
trained; they are shown apart.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, overload

from kerasguide import _table
from kerasguide._options import check_choice, check_fold
from kerasguide._rows import (
    COLUMNS,
    Row,
    columns_option,
    count_weights,
    levels_option,
    memory,
    optimizer_count,
    summary_rows,
)
from kerasguide._shapes import format_shapes
from kerasguide._summary_fold import FOLD_ABOVE, FoldedSummary
from kerasguide._types import JSONDict, KerasModel
from kerasguide.build import as_model

if TYPE_CHECKING:
    from kerasguide.specs import SpecSource

__all__ = ["FoldedSummary", "Summary", "summarize"]

NESTED_MARK = {"box": "└ ", "ascii": "`- "}


@dataclass(frozen=True, eq=False)
class Summary:
    """A model's summary as data; ``str()`` and ``repr()`` are a stable text table.

    The text is the same wherever it is shown: ``print()``, the REPL, pytest's
    assertion messages and a notebook's ``text/plain`` output; notebooks also
    render it as HTML.

    Two summaries are equal when their layer rows (``InputLayer`` rows left
    out, since Keras prints them for functional models only) and their
    parameter totals are equal. The model's name and the memory are not
    compared: Keras names models by a process-wide counter, and printed
    summaries round the memory.

    Attributes:
        name: The model's name.
        rows: One row per layer, in the model's order.
        total: Trainable plus non-trainable parameters (optimizer variables excluded).
        trainable: Trainable parameters; None when a printed summary did not say.
        non_trainable: Non-trainable parameters; None when a printed summary did not say.
        optimizer: The optimizer's variables (0 before training), kept apart from the total.
        memory: Bytes taken by the model's weights; None when unknown.
        style: ``"box"`` or ``"ascii"``: the characters ``str()`` draws the table with.
        columns: The optional columns shown (see :data:`COLUMNS`), in order.
        uncounted: Rows whose multiply-adds could not be counted (shown as ``?``).
    """

    name: str
    rows: tuple[Row, ...]
    total: int | None
    trainable: int | None
    non_trainable: int | None
    optimizer: int = 0
    memory: int | None = None
    style: str = "box"
    columns: tuple[str, ...] = ()
    uncounted: int = 0

    @property
    def mult_adds(self) -> int | None:
        """Multiply-adds of the top-level rows for one example; None when not counted."""
        if "mult_adds" not in self.columns:
            return None
        return sum(row.mult_adds or 0 for row in self.rows if not row.depth)

    @property
    def layers(self) -> tuple[Row, ...]:
        """The rows without ``InputLayer`` rows."""
        return tuple(row for row in self.rows if not row.is_input)

    def _key(self) -> tuple[object, ...]:
        return (self.total, self.trainable, self.non_trainable, self.optimizer)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Summary):
            return NotImplemented
        return self.layers == other.layers and self._key() == other._key()

    def __hash__(self) -> int:
        return hash((len(self.layers), self._key()))

    def __str__(self) -> str:
        header, rows, align = self._table()
        lines = [f'Model: "{self.name}"']
        lines += _table.render_text(header, rows, align=align, style=self.style)
        lines += [f" {line}" for line in self._footer()]
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        header, rows, align = self._table()
        return _table.render_html(
            header, rows, align=align, caption=f'Model: "{self.name}"', footer=self._footer()
        )

    def to_dict(self) -> JSONDict:
        """The summary as plain data (JSON-ready)."""
        data: JSONDict = {
            "name": self.name,
            "layers": [row.to_dict() for row in self.rows],
            "total": self.total,
            "trainable": self.trainable,
            "non_trainable": self.non_trainable,
            "optimizer": self.optimizer,
            "memory_bytes": self.memory,
            "memory": None if self.memory is None else _table.human_bytes(self.memory),
        }
        return data | ({} if self.mult_adds is None else {"mult_adds": self.mult_adds})

    def _columns(self) -> tuple[bool, bool]:
        connected = any(row.connected_to for row in self.rows) and not _is_chain(self.rows)
        frozen = any(row.non_trainable for row in self.rows)
        return connected, frozen

    def _table(self) -> tuple[list[str], list[list[str]], list[str]]:
        connected, frozen = self._columns()
        header = ["Layer (type)", "Output Shape", "Param #"]
        align = ["left", "left", "right"]
        header += ["Non-trainable"] * frozen + ["Connected to"] * connected
        align += ["right"] * frozen + ["left"] * connected
        header += [COLUMNS[column] for column in self.columns]
        align += ["center" if column == "trainable" else "right" for column in self.columns]
        rows = []
        for row in self.rows:
            cells = [
                self._name_cell(row),
                format_shapes(row.output_shapes, sep="\n ", keys=row.output_keys),
                _params_cell(row),
            ]
            cells += [_count(row.non_trainable)] * frozen
            cells += ["\n".join(row.connected_to) or "-"] * connected
            cells += [self._extra_cell(row, column) for column in self.columns]
            rows.append(cells)
        return header, rows, align

    def _name_cell(self, row: Row) -> str:
        prefix = "   " * row.depth + NESTED_MARK[self.style] if row.depth else ""
        return f"{prefix}{row.name} ({row.type})"

    def _extra_cell(self, row: Row, column: str) -> str:
        """A cell of an optional column; ``-`` where the row has no weights."""
        if not row.params:
            return "-"
        if column == "trainable":  # as Keras's show_trainable=True, from the counts
            return "?" if row.trainable is None else "Y" if row.trainable else "N"
        if column == "params_percent":
            return f"{row.params / self.total:.2%}" if self.total else "-"
        return "?" if row.mult_adds is None else f"{row.mult_adds:,}"

    def _footer(self) -> list[str]:
        memory = "" if self.memory is None else f" ({_table.human_bytes(self.memory)})"
        lines = [
            f"Total params: {_count(self.total)}{memory}",
            f"Trainable params: {_count(self.trainable)}",
            f"Non-trainable params: {_count(self.non_trainable)}",
        ]
        if self.optimizer:
            lines.append(f"Optimizer variables: {self.optimizer:,} (not part of the total)")
        if self.mult_adds is not None:
            rows = "row" if self.uncounted == 1 else "rows"
            left = f", not counting {self.uncounted} {rows} marked ?" if self.uncounted else ""
            lines.append(f"Total mult-adds: {self.mult_adds:,} per example{left}")
        return lines


def _count(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def _params_cell(row: Row) -> str:
    return f"{row.params:,}" if row.built else f"{row.params:,} (unbuilt)"


def _is_chain(rows: tuple[Row, ...]) -> bool:
    """True when each top-level layer is fed by the one before it, once.

    Any call of the previous layer counts: a Sequential model built with
    ``add()`` rebuilds its graph at each step, so its layers are fed by their
    second or later call (``dense[1][0]``), and it is still a plain chain.
    """
    top = [row for row in rows if row.depth == 0]
    return all(
        len(row.connected_to) == 1
        and re.fullmatch(rf"{re.escape(previous.name)}\[\d+\]\[0\]", row.connected_to[0])
        for previous, row in itertools.pairwise(top)
    ) and all(not row.connected_to for row in top[:1])


# --- reading a model -------------------------------------------------------------------


@overload
def summarize(
    model: KerasModel | SpecSource,
    *,
    expand_nested: bool = ...,
    depth: int | None = ...,
    columns: Iterable[str] = ...,
    style: str = ...,
    fold: Literal["none"] = ...,
) -> Summary: ...


@overload
def summarize(
    model: KerasModel | SpecSource,
    *,
    expand_nested: bool = ...,
    depth: int | None = ...,
    columns: Iterable[str] = ...,
    style: str = ...,
    fold: str,
) -> Summary | FoldedSummary: ...


def summarize(
    model: KerasModel | SpecSource,
    *,
    expand_nested: bool = False,
    depth: int | None = None,
    columns: Iterable[str] = (),
    style: str = "box",
    fold: str = "none",
) -> Summary | FoldedSummary:
    """Summarise a Keras model: one row per layer or operation, totals and the weights' memory.

    The rows are those of Keras's own ``model.summary()``, in its order: a
    functional model's Keras operations (``x + y`` as ``add (Add)``,
    ``keras.ops.mean`` as ``mean (Mean)``) are rows with 0 parameters, and a
    wrapper such as ``Bidirectional(LSTM(8))`` is one row of type ``Bidirectional``
    holding all its weights. Like Keras, an expanded nested model shows its
    layers, not its operations.

    Args:
        model: A Keras model (any Sequential, functional or subclassed model), or a
            spec that :func:`kerasguide.build` accepts.
        expand_nested: Show the layers of nested models as indented rows under them,
            at every level. The totals never count a weight twice.
        depth: How many levels of rows to show, as torchinfo's ``depth``: 1 shows the
            model's own layers only, 2 adds the layers of the models nested in it,
            and so on. Giving it expands nested models down to that level; None
            shows one level, or every level with ``expand_nested=True``.
        columns: Optional columns, named as torchinfo's ``col_names``:
            ``"trainable"`` (``Y``/``N`` as Keras's ``show_trainable=True``: whether
            the layer has trainable parameters), ``"params_percent"`` (each layer's
            share of the total) and ``"mult_adds"`` (multiply-adds of the layer's
            weights for one example, counted for Dense, convolutions, Embedding and
            recurrent layers from their real shapes; :func:`kerasguide.explain`
            with ``mult_adds=True`` shows the arithmetic).
        style: ``"box"`` (box-drawing characters, like Keras 3) or ``"ascii"``.
        fold: ``"none"`` (the default: every row), ``"blocks"`` (one row per block or
            run of like blocks, grouped as folded diagrams are; see
            :func:`kerasguide.find_blocks`) or ``"auto"`` (``"blocks"`` above 60 rows).

    Returns:
        A :class:`Summary`: ``print()`` it, look at it in Jupyter, or read its rows.
        Folded, a :class:`FoldedSummary`, whose text says so (``parse_summary``
        refuses it) and whose HTML opens each row onto its blocks and layers.

    Raises:
        OptionError: An option is unknown or of the wrong type, or ``model`` is not
            a model or a spec.

    Example:
        >>> summary = summarize(model)  # doctest: +SKIP
        >>> summary.total, [row.params for row in summary.rows]  # doctest: +SKIP
        (551, [0, 110, 220, 210, 11])
        >>> print(summarize(model, columns=["params_percent", "mult_adds"]))  # doctest: +SKIP
    """
    check_choice("summarize", "style", style, _table.STYLES)
    check_fold("summarize", fold, levels=False)
    levels = levels_option(expand_nested, depth)
    shown = columns_option(columns)

    model = as_model(model)
    rows = summary_rows(model, expand=levels > 1, mult_adds="mult_adds" in shown)
    rows = [row for row in rows if row.depth < levels]
    trainable = count_weights(model.trainable_weights)
    non_trainable = count_weights(model.non_trainable_weights)
    summary = Summary(
        model.name,
        tuple(rows),
        trainable + non_trainable,
        trainable,
        non_trainable,
        optimizer_count(model),
        memory(model.weights),
        style,
        shown,
        sum(not row.depth and row.params and row.mult_adds is None for row in rows)
        * ("mult_adds" in shown),
    )
    if fold == "none" or (fold == "auto" and len(rows) <= FOLD_ABOVE):
        return summary
    from kerasguide.blocks import find_blocks

    by_name = {row.name: row for row in summary.rows if not row.depth}
    return FoldedSummary(model.name, find_blocks(model), by_name, tuple(summary._footer()), style)
