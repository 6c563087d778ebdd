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
from collections.abc import Iterable
from typing import Any

import kerasguide._keras as _k
from kerasguide._graph import all_layers, is_operation, summary_calls, summary_operations
from kerasguide.errors import OptionError
from kerasguide.summary import COLUMNS, Row, Shape, check_choice, count_weights

__all__ = [
    "columns_option",
    "levels_option",
    "memory",
    "optimizer_count",
    "outputs",
    "row_objects",
    "summary_rows",
]


def summary_rows(model: Any, *, expand: bool, mult_adds: bool = False) -> list[Row]:
    """The rows of ``summarize(model)``; with ``expand``, nested models' layers follow them.

    With ``mult_adds``, each row's ``mult_adds`` is counted (see :mod:`kerasguide._macs`).
    """
    return _rows(model, expand=expand, depth=0, mult_adds=mult_adds)


def row_objects(model: Any, *, expand: bool) -> list[tuple[Any, int]]:
    """The layers and operations behind ``summarize(model)``'s rows, with their depth.

    Example:
        >>> [(op.name, depth) for op, depth in row_objects(model, expand=False)]  # doctest: +SKIP
        [('input', 0), ('dense', 0), ('add', 0)]
    """
    return _objects(model, summary_operations(model), expand=expand, depth=0)


def _objects(model: Any, ops: list[Any], *, expand: bool, depth: int) -> list[tuple[Any, int]]:
    keras = _k.keras()
    found: list[tuple[Any, int]] = []
    for op in ops:
        found.append((op, depth))
        if expand and isinstance(op, keras.Model):
            found += _objects(op, all_layers(op), expand=True, depth=depth + 1)
    return found


def _rows(model: Any, *, expand: bool, depth: int, mult_adds: bool) -> list[Row]:
    keras = _k.keras()
    ops = summary_operations(model) if depth == 0 else all_layers(model)
    calls: dict[int, Any] = {}
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


def _with_mult_adds(row: Row, model: Any, op: Any) -> Row:
    from kerasguide._macs import layer_mult_adds

    counted = layer_mult_adds(model, op)
    return dataclasses.replace(row, mult_adds=None if counted is None else counted.count)


def _row(layer: Any, node: Any, links: tuple[str, ...], depth: int) -> Row:
    shapes, keys = outputs(layer, node)
    if is_operation(layer):
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


def outputs(layer: Any, node: Any) -> tuple[tuple[Shape, ...] | None, tuple[str, ...] | None]:
    """Output shapes, and the keys of a dict output (read as Keras's summary reads them)."""
    tree = _k.keras().tree
    if node is None and layer._inbound_nodes:
        node = layer._inbound_nodes[-1]
    if node is not None:
        return tuple(_plain_shape(t.shape) for t in tree.flatten(node.output_tensors)), None
    try:  # a layer built by hand, outside any graph (as Keras itself does)
        shape = layer.compute_output_shape(**layer._build_shapes_dict)
    except Exception:  # any failure means "unknown", shown as "?"
        return None, None
    if _is_shape(shape):
        return (_plain_shape(shape),), None
    if isinstance(shape, dict) and shape and all(_is_shape(s) for s in shape.values()):
        return tuple(_plain_shape(s) for s in shape.values()), tuple(str(k) for k in shape)
    if isinstance(shape, (tuple, list)) and shape and all(_is_shape(s) for s in shape):
        return tuple(_plain_shape(s) for s in shape), None
    return None, None


def _is_shape(shape: object) -> bool:
    return isinstance(shape, (tuple, list)) and all(d is None or isinstance(d, int) for d in shape)


def _plain_shape(shape: Iterable[Any]) -> Shape:
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


def optimizer_count(model: Any) -> int:
    """The optimizer's variables, once it is built (0 before training)."""
    optimizer = getattr(model, "optimizer", None)
    if not getattr(model, "compiled", False) or optimizer is None or not optimizer.built:
        return 0
    return count_weights(optimizer.variables)


def memory(weights: Iterable[Any]) -> int:
    """Bytes taken by ``weights``, each variable counted once."""
    unique = {id(weight): weight for weight in weights}
    bits = sum(int(math.prod(w.shape)) * _dtype_bits(str(w.dtype)) for w in unique.values())
    return math.ceil(bits / 8)


def _dtype_bits(dtype: str) -> int:
    if dtype == "bool":
        return 8
    found = re.search(r"\d+", dtype)
    return int(found.group()) if found else 32
