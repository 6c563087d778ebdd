"""The rows of a summary, read from a built Keras model: private to :mod:`kerasguide.summary`.

The rows are those of Keras's own ``model.summary()``, in its order (see
:func:`kerasguide._graph.summary_operations`): layers and, in a functional
model, the Keras operations between them, each with its output shapes, its
parameters and the tensors feeding it.
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeGuard

import kerasguide._keras as _k
from kerasguide._graph import Call, all_layers, is_layer, summary_calls, summary_operations
from kerasguide._options import check_choice
from kerasguide._shapes import Shape, format_shapes, same_text
from kerasguide._types import (
    JSONDict,
    KerasModel,
    KerasNode,
    KerasOperation,
    KerasVariable,
)
from kerasguide.errors import OptionError

# The optional columns of summarize(columns=...), named as torchinfo's col_names, and their titles.
COLUMNS = {"trainable": "Trainable", "params_percent": "Param %", "mult_adds": "Mult-Adds"}


@dataclass(frozen=True, eq=False)
class Row:
    """One row of a summary: a layer, a Keras operation, or a layer of a nested model.

    Two rows are equal when their name, type, output shapes, parameter count and
    nesting depth are; names or types that a printed summary cut short with ``…``
    match as prefixes. The trainable split and the connections are not compared,
    because printed summaries do not always show them.

    Neither is ``operation``: Keras's summary prints the operation ``x + y``
    (``keras.ops.add``) and the layer ``keras.layers.Add()`` alike, as ``(Add)``,
    with 0 parameters, and they compute the same thing. A row read from text
    cannot tell them apart, so a summary check cannot either; findings say
    "layer or operation" where the text leaves it open.

    Attributes:
        name: The layer's name.
        type: The layer's class name, e.g. ``"Dense"``.
        output_shapes: One shape per output tensor; None when unknown (an unbuilt layer).
        params: Number of parameters (``layer.count_params()``).
        trainable: Trainable parameters of the layer; None when unknown.
        non_trainable: Non-trainable parameters of the layer; None when unknown.
        connected_to: The tensors feeding the layer, as ``"name[node][tensor]"``.
        depth: 0 for the model's own layers, 1 for layers of a nested model, …
        built: False for a layer that has no weights yet.
        operation: True for a Keras operation (``x + y``, ``keras.ops.mean``), False
            for a layer, None when unknown (a row read from text).
        output_keys: The keys of a dict output, in the order shown; None otherwise.
        mult_adds: Multiply-adds of the layer's weights for one example (see
            ``summarize(columns=["mult_adds"])``); None when not counted.
    """

    name: str
    type: str
    output_shapes: tuple[Shape, ...] | None
    params: int
    trainable: int | None = None
    non_trainable: int | None = None
    connected_to: tuple[str, ...] = ()
    depth: int = 0
    built: bool = True
    operation: bool | None = False
    output_keys: tuple[str, ...] | None = None
    mult_adds: int | None = None

    @property
    def output_shape(self) -> str:
        """The output shape(s) as text, e.g. ``"(None, 10)"``."""
        return format_shapes(self.output_shapes, keys=self.output_keys)

    @property
    def is_input(self) -> bool:
        """True for an ``InputLayer`` row."""
        return same_text(self.type, "InputLayer")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Row):
            return NotImplemented
        return (
            same_text(self.name, other.name)
            and same_text(self.type, other.type)
            and (self.output_shapes, self.params, self.depth)
            == (other.output_shapes, other.params, other.depth)
        )

    def __hash__(self) -> int:
        return hash((self.output_shapes, self.params, self.depth))

    def to_dict(self) -> JSONDict:
        """The row as plain data.

        A Keras operation's row adds ``"operation": True``, a dict output adds
        ``"output_keys"``; other rows keep the keys they always had.
        """
        data: JSONDict = {
            "name": self.name,
            "type": self.type,
            "output_shape": self.output_shape,
            "output_shapes": None
            if self.output_shapes is None
            else [list(shape) for shape in self.output_shapes],
            "params": self.params,
            "trainable": self.trainable,
            "non_trainable": self.non_trainable,
            "connected_to": list(self.connected_to),
            "depth": self.depth,
            "built": self.built,
        }
        if self.operation:
            data["operation"] = True
        if self.output_keys is not None:
            data["output_keys"] = list(self.output_keys)
        if self.mult_adds is not None:
            data["mult_adds"] = self.mult_adds
        return data


class _Sized(Protocol):
    """A variable, or anything with a shape (the optimizer's variables)."""

    shape: tuple[int, ...]


def count_weights(weights: Iterable[_Sized]) -> int:
    """Number of scalars in ``weights``, each variable counted once."""
    unique = {id(weight): weight for weight in weights}
    return sum(int(math.prod(weight.shape)) for weight in unique.values())


def output_shapes(layer: KerasOperation, node: KerasNode | None = None) -> tuple[Shape, ...] | None:
    """The shapes of the tensors ``layer`` makes in its call ``node`` (its last call if None)."""
    return outputs(layer, node)[0]


__all__ = [
    "columns_option",
    "levels_option",
    "memory",
    "optimizer_count",
    "outputs",
    "row_objects",
    "row_owners",
    "summary_rows",
]


def summary_rows(model: KerasModel, *, expand: bool, mult_adds: bool = False) -> list[Row]:
    """The rows of ``summarize(model)``; with ``expand``, nested models' layers follow them.

    With ``mult_adds``, each row's ``mult_adds`` is counted (see :mod:`kerasguide._macs`).
    """
    return _rows(model, expand=expand, depth=0, mult_adds=mult_adds)


def row_objects(model: KerasModel, *, expand: bool) -> list[tuple[KerasOperation, int]]:
    """The layers and operations behind ``summarize(model)``'s rows, with their depth.

    Example:
        >>> [(op.name, depth) for op, depth in row_objects(model, expand=False)]  # doctest: +SKIP
        [('input', 0), ('dense', 0), ('add', 0)]
    """
    return [(op, depth) for op, depth, _ in _objects(model, summary_operations(model), expand, 0)]


def row_owners(model: KerasModel) -> list[tuple[KerasOperation, KerasModel]]:
    """The objects of ``row_objects(model, expand=True)``, each with the model holding it.

    The holder is ``model`` for its own rows, the nested model for the rows of a nested
    model: the graph in which the row's calls are made.
    """
    return [(op, owner) for op, _, owner in _objects(model, summary_operations(model), True, 0)]


def _objects(
    model: KerasModel, ops: Sequence[KerasOperation], expand: bool, depth: int
) -> list[tuple[KerasOperation, int, KerasModel]]:
    keras = _k.keras()
    found: list[tuple[KerasOperation, int, KerasModel]] = []
    for op in ops:
        found.append((op, depth, model))
        if expand and isinstance(op, keras.Model):
            found += _objects(op, all_layers(op), True, depth + 1)
    return found


def _rows(model: KerasModel, *, expand: bool, depth: int, mult_adds: bool) -> list[Row]:
    keras = _k.keras()
    ops = summary_operations(model) if depth == 0 else all_layers(model)
    calls: dict[int, Call] = {}
    links: dict[int, list[str]] = {}
    for call in summary_calls(model):
        calls[id(call.layer)] = call
        links.setdefault(id(call.layer), []).extend(str(link) for link in call.inputs)
    rows: list[Row] = []
    for op in ops:
        found = calls.get(id(op))
        node = op._inbound_nodes[found.node_index] if found is not None else None
        row = _row(op, node, tuple(links.get(id(op), [])), depth)
        rows.append(_with_mult_adds(row, model, op) if mult_adds else row)
        if expand and isinstance(op, keras.Model):
            rows.extend(_rows(op, expand=True, depth=depth + 1, mult_adds=mult_adds))
    return rows


def _with_mult_adds(row: Row, model: KerasModel, op: KerasOperation) -> Row:
    from kerasguide._macs import layer_mult_adds

    counted = layer_mult_adds(model, op)
    return dataclasses.replace(row, mult_adds=None if counted is None else counted.count)


def _row(layer: KerasOperation, node: KerasNode | None, links: tuple[str, ...], depth: int) -> Row:
    shapes, keys = outputs(layer, node)
    if not is_layer(layer):
        return Row(layer.name, type(layer).__name__, shapes, 0, 0, 0, links, depth, True, True)
    built = bool(getattr(layer, "built", True))
    trainable = count_weights(layer.trainable_weights) if built else 0
    non_trainable = count_weights(layer.non_trainable_weights) if built else 0
    params = layer.count_params() if built and layer.weights else trainable + non_trainable
    return Row(
        layer.name,
        type(layer).__name__,
        shapes,
        params,
        trainable,
        non_trainable,
        links,
        depth,
        built,
        False,
        keys,
    )


def outputs(
    layer: KerasOperation, node: KerasNode | None
) -> tuple[tuple[Shape, ...] | None, tuple[str, ...] | None]:
    """Output shapes, and the keys of a dict output (read as Keras's summary reads them)."""
    tree = _k.keras().tree
    if node is None and layer._inbound_nodes:
        node = layer._inbound_nodes[-1]
    if node is not None:
        return tuple(_plain_shape(t.shape) for t in tree.flatten(node.output_tensors)), None
    if not is_layer(layer):  # an operation outside any graph: its shapes are unknown
        return None, None
    try:  # a layer built by hand, outside any graph (as Keras itself does)
        shape = layer.compute_output_shape(**(layer._build_shapes_dict or {}))
    except Exception:  # any failure means "unknown", shown as "?"
        return None, None
    if _is_shape(shape):
        return (_plain_shape(shape),), None
    if isinstance(shape, dict) and shape and all(_is_shape(s) for s in shape.values()):
        return tuple(_plain_shape(s) for s in shape.values()), tuple(str(k) for k in shape)
    if isinstance(shape, (tuple, list)) and shape and all(_is_shape(s) for s in shape):
        return tuple(_plain_shape(s) for s in shape), None
    return None, None


def _is_shape(shape: object) -> TypeGuard[tuple[int | None, ...] | list[int | None]]:
    return isinstance(shape, (tuple, list)) and all(d is None or isinstance(d, int) for d in shape)


def _plain_shape(shape: Iterable[int | None]) -> Shape:
    return tuple(None if dim is None else int(dim) for dim in shape)


# --- summarize()'s options and totals -----------------------------------------------------


def levels_option(expand_nested: object, depth: object) -> int:
    """The number of row levels to show: ``depth``, or 1 / every level by ``expand_nested``."""
    if not isinstance(expand_nested, bool):
        raise OptionError(
            "expand_nested must be True or False",
            where="summarize(expand_nested=...)",
            expected="a bool",
            received=repr(expand_nested),
        )
    if depth is None:
        return sys.maxsize if expand_nested else 1
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise OptionError(
            "depth must be a whole number of levels, 1 or more",
            where="summarize(depth=...)",
            expected="an int >= 1 (1: the model's own layers; 2: and those of nested models)",
            received=repr(depth),
            hint="depth=1 shows the top-level rows only; expand_nested=True shows every level",
        )
    return depth


def columns_option(columns: object) -> tuple[str, ...]:
    """The optional columns asked for, checked against :data:`kerasguide.summary.COLUMNS`."""
    if isinstance(columns, str):
        columns = (columns,)
    if not isinstance(columns, Iterable):
        raise OptionError(
            "columns must list column names",
            where="summarize(columns=...)",
            expected="a list of " + " / ".join(repr(name) for name in COLUMNS),
            received=repr(columns),
        )
    shown = tuple(columns)
    for name in shown:
        check_choice("summarize", "columns", name, COLUMNS)
    return tuple(dict.fromkeys(shown))


def optimizer_count(model: KerasModel) -> int:
    """The optimizer's variables, once it is built (0 before training)."""
    optimizer = getattr(model, "optimizer", None)
    if not getattr(model, "compiled", False) or optimizer is None or not optimizer.built:
        return 0
    return count_weights(optimizer.variables)


def memory(weights: Iterable[KerasVariable]) -> int:
    """Bytes taken by ``weights``, each variable counted once."""
    unique = {id(weight): weight for weight in weights}
    bits = sum(int(math.prod(w.shape)) * _dtype_bits(str(w.dtype)) for w in unique.values())
    return math.ceil(bits / 8)


def _dtype_bits(dtype: str) -> int:
    if dtype == "bool":
        return 8
    found = re.search(r"\d+", dtype)
    return int(found.group()) if found else 32
