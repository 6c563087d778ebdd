"""Keras's implicit masks: the operations it adds by itself to compute them.

``Embedding(mask_zero=True)`` and ``Masking`` make a mask beside their output, and
Keras passes it on to the next layers that take one (an LSTM skips the padded
steps). In a functional model that mask is computed by operations Keras adds to
the graph itself (``not_equal``, ``any``) and given to the LSTM as ``mask=``,
though nobody wrote either. They follow from the layers' settings, so:

- ``to_spec`` writes neither the operations nor the ``mask=`` (building the spec
  makes them again);
- ``build`` names them after the layer that makes the mask (``embedding_mask``),
  so the names do not depend on what was built before;
- the round-trip check compares them like any operation, but not by name.

A mask given explicitly (``LSTM()(x, mask=m)`` with ``m`` not ``x``'s own mask) is
not implicit: a spec writes it as ``call: {mask: m}``.
"""

from __future__ import annotations

from typing import Any

from kerasguide import _graph
from kerasguide._keras import keras
from kerasguide._types import KerasModel, KerasOperation


def is_implicit(node: Any) -> bool:
    """True when ``node``'s ``mask=`` is the one Keras passed on from its first input."""
    mask = node.arguments.kwargs.get("mask")
    if mask is None or not node.arguments.args:
        return False
    own = _own_masks(node.arguments.args[0])
    return _same(mask, own)


def mask_operations(model: KerasModel) -> set[int]:
    """ids of the operations of ``model`` that only compute implicit masks.

    Walks back from every implicit ``mask=`` through the operations (never layers)
    whose outputs feed nothing but masks.
    """
    consumers: dict[int, list[tuple[Any, bool]]] = {}  # op id → (consumer node, as mask)
    starts: list[Any] = []
    own = _graph.model_nodes(model)
    for call in _graph.summary_calls(model):
        node = call.layer._inbound_nodes[call.node_index]
        implicit = _graph.is_layer(call.layer) and is_implicit(node)
        mask_ids = (
            {id(t) for t in _tensors(node.arguments.kwargs.get("mask"))} if implicit else set()
        )
        for tensor in node.arguments.keras_tensors:
            producer = tensor._keras_history.operation
            consumers.setdefault(id(producer), []).append((call.layer, id(tensor) in mask_ids))
            if id(tensor) in mask_ids:
                starts.append(producer)
    found: set[int] = set()
    for layer in _graph.all_layers(model):
        if _graph.is_graph_model(layer) and layer is not model:
            found |= mask_operations(layer)
    pending = list(starts)
    while pending:
        op = pending.pop()
        if id(op) in found or _graph.is_layer(op):
            continue
        if not all(as_mask or id(user) in found for user, as_mask in consumers.get(id(op), [])):
            continue
        found.add(id(op))
        for node in op._inbound_nodes:
            if not own or id(node) in own:
                pending.extend(t._keras_history.operation for t in node.arguments.keras_tensors)
    return found


def name_masks(outputs: object, name: str, named: set[int]) -> None:
    """Name the operations Keras added for the masks of ``outputs`` after ``name``.

    ``named`` holds the ids of operations already named (by the spec or before);
    it is updated. One operation becomes ``<name>_mask``; several, inputs first,
    ``<name>_mask_1``, ``<name>_mask_2``...
    """
    made: list[KerasOperation] = []
    pending = [t._keras_mask for t in _tensors(outputs) if _has_mask(t)]
    while pending:
        tensor = pending.pop()
        op = tensor._keras_history.operation
        if _graph.is_layer(op) or id(op) in named:
            continue
        named.add(id(op))
        made.append(op)
        node = op._inbound_nodes[tensor._keras_history.node_index]
        pending.extend(node.arguments.keras_tensors)
    made.reverse()  # found walking back from the mask: the first made comes last
    for i, op in enumerate(made, start=1):
        op.name = f"{name}_mask" if len(made) == 1 else f"{name}_mask_{i}"


def _own_masks(value: object) -> object:
    if isinstance(value, (list, tuple)):
        return [_own_masks(v) for v in value]
    return getattr(value, "_keras_mask", None)


def _same(mask: object, own: object) -> bool:
    if isinstance(mask, (list, tuple)) and isinstance(own, list):
        return len(mask) == len(own) and all(_same(a, b) for a, b in zip(mask, own, strict=True))
    return mask is not None and mask is own


def _has_mask(tensor: object) -> bool:
    return isinstance(getattr(tensor, "_keras_mask", None), keras().KerasTensor)


def _tensors(value: object) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return [value] if isinstance(value, keras().KerasTensor) else []
