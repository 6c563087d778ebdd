"""The rows of a summary, read from a built Keras model: private to :mod:`kerasguide.summary`.

The rows are those of Keras's own ``model.summary()``, in its order (see
:func:`kerasguide._graph.summary_operations`): layers and, in a functional
model, the Keras operations between them, each with its output shapes, its
parameters and the tensors feeding it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import kerasguide._keras as _k
from kerasguide._graph import all_layers, is_operation, summary_calls, summary_operations
from kerasguide.summary import Row, Shape, count_weights

__all__ = ["outputs", "row_objects", "summary_rows"]


def summary_rows(model: Any, *, expand: bool) -> list[Row]:
    """The rows of ``summarize(model)``; with ``expand``, nested models' layers follow them."""
    return _rows(model, expand=expand, depth=0)


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


def _rows(model: Any, *, expand: bool, depth: int) -> list[Row]:
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
        rows.append(_row(op, node, tuple(links.get(id(op), [])), depth))
        if expand and isinstance(op, keras.Model):
            rows.extend(_rows(op, expand=True, depth=depth + 1))
    return rows


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
