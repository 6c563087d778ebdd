"""Read the layer graph of a built Keras model: who feeds whom.

Shared by summaries ("Connected to"), diagrams (edges) and ``to_spec``.
Keras stays the source of truth: everything comes from the model's own nodes.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Connection(NamedTuple):
    """One incoming tensor: ``layer``'s output ``tensor_index`` of its call ``node_index``."""

    layer: str
    node_index: int
    tensor_index: int

    def __str__(self) -> str:
        return f"{self.layer}[{self.node_index}][{self.tensor_index}]"


class Call(NamedTuple):
    """One application of a layer inside a model, and the tensors it consumed."""

    layer: Any
    node_index: int
    inputs: list[Connection]


def _graph_owner(model: Any) -> Any:
    """The functional graph behind ``model`` (Sequential models keep one inside)."""
    functional = getattr(model, "_functional", None)
    return functional if functional is not None else model


def model_nodes(model: Any) -> set[int]:
    """ids of the nodes that belong to ``model``'s own graph."""
    owner = _graph_owner(model)
    by_depth = getattr(owner, "_nodes_by_depth", None) or {}
    return {id(node) for nodes in by_depth.values() for node in nodes}


def layer_calls(model: Any) -> list[Call]:
    """Every call of every layer of ``model``, in the model's layer order.

    Example:
        >>> calls = layer_calls(model)  # doctest: +SKIP
        >>> [(c.layer.name, [str(i) for i in c.inputs]) for c in calls]  # doctest: +SKIP
        [('input', []), ('dense', ['input[0][0]'])]
    """
    owner = _graph_owner(model)
    own = model_nodes(model)
    calls: list[Call] = []
    for layer in owner.layers:
        for index, node in enumerate(layer._inbound_nodes):
            if own and id(node) not in own:
                continue
            calls.append(Call(layer, index, _connections(node)))
    return calls


def _connections(node: Any) -> list[Connection]:
    result: list[Connection] = []
    for tensor in node.arguments.keras_tensors:
        history = tensor._keras_history
        result.append(Connection(history.operation.name, history.node_index, history.tensor_index))
    return result


def inbound_layers(model: Any) -> dict[str, list[Connection]]:
    """For each layer name, the connections feeding all its calls, in order."""
    result: dict[str, list[Connection]] = {}
    for call in layer_calls(model):
        result.setdefault(call.layer.name, []).extend(call.inputs)
    return result


def all_layers(model: Any) -> list[Any]:
    """The model's layers including a Sequential model's InputLayer, in graph order."""
    return list(_graph_owner(model).layers)
