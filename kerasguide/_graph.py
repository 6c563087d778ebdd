"""Read the layer graph of a built Keras model: who feeds whom.

Shared by summaries ("Connected to"), diagrams (edges) and ``to_spec``; Keras stays
the source of truth: everything comes from the model's own nodes.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from typing import NamedTuple, TypeGuard, TypeVar

import kerasguide._keras as _k
from kerasguide._shapes import Shape
from kerasguide._types import KerasLayer, KerasModel, KerasNode, KerasOperation, KerasTensor

_Op = TypeVar("_Op", bound=KerasOperation)


class Connection(NamedTuple):
    """One incoming tensor: ``layer``'s output ``tensor_index`` of its call ``node_index``."""

    layer: str
    node_index: int
    tensor_index: int

    def __str__(self) -> str:
        return f"{self.layer}[{self.node_index}][{self.tensor_index}]"


class Call(NamedTuple):
    """One application of a layer inside a model, and the tensors it consumed."""

    layer: KerasOperation
    node_index: int
    inputs: list[Connection]


def _graph_owner(model: _Op) -> _Op:
    """The functional graph behind ``model`` (Sequential models keep one inside)."""
    functional = getattr(model, "_functional", None)
    return functional if functional is not None else model


def model_nodes(model: KerasOperation) -> set[int]:
    """ids of the nodes that belong to ``model``'s own graph."""
    owner = _graph_owner(model)
    by_depth = getattr(owner, "_nodes_by_depth", None) or {}
    return {id(node) for nodes in by_depth.values() for node in nodes}


def layer_calls(model: KerasModel) -> list[Call]:
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


def _connections(node: KerasNode) -> list[Connection]:
    result: list[Connection] = []
    for tensor in node.arguments.keras_tensors:
        history = tensor._keras_history
        result.append(Connection(history.operation.name, history.node_index, history.tensor_index))
    return result


def first_argument(node: KerasNode) -> list[Connection]:
    """The tensors of a call's first argument (a layer's inputs), not those of the others."""
    args, kwargs = node.arguments.args, node.arguments.kwargs
    bound = bound_arguments(node.operation, args, kwargs)
    first = next(iter(bound.values()), None) if bound else None
    return tensor_connections(first) or []


def tensor_connections(value: object) -> list[Connection] | None:
    """The Keras tensors inside a call argument, as connections; None when it holds none."""
    found: list[Connection] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _k.keras().KerasTensor):
            history = item._keras_history
            found.append(
                Connection(history.operation.name, history.node_index, history.tensor_index)
            )
        elif isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
    return found or None


class Source(NamedTuple):
    """Where a tensor argument comes from: output ``tensor`` of call ``call`` of ``operation``.

    With the tensor's ``shape`` and ``dtype``. ``call`` counts the calls of ``operation``
    inside the graph that holds it (0 for its first; -1 for a call made outside that
    graph), so it does not depend on calls made elsewhere, as a node index does.
    """

    operation: KerasOperation
    call: int
    tensor: int
    shape: Shape = ()
    dtype: str = ""

    @property
    def place(self) -> tuple[int, int]:
        """Which call and which of its outputs: what two tensors of one operation differ by."""
        return self.call, self.tensor


def call_arguments(
    model: KerasModel, operation: KerasOperation
) -> list[tuple[tuple[object, ...], dict[str, object]]]:
    """The arguments of each call of ``operation`` inside ``model``'s own graph, in order.

    Positional and keyword arguments as Keras recorded them, with every tensor replaced
    by its :class:`Source`: ``Dropout(0.5)(x, training=True)`` gives
    ``[((Source(input, 0, 0),), {"training": True})]``.

    Example:
        >>> call_arguments(model, model.get_layer("dropout"))  # doctest: +SKIP
        [((Source(operation=<InputLayer ...>, call=0, tensor=0),), {'training': True})]
    """
    own = model_nodes(model)
    calls = []
    for node in _own_calls(own, operation):
        args = [_sources(item, own) for item in node.arguments.args]
        kwargs = {key: _sources(item, own) for key, item in node.arguments.kwargs.items()}
        calls.append((tuple(args), kwargs))
    return calls


def bound_arguments(
    op: KerasOperation, args: tuple[object, ...], kwargs: dict[str, object]
) -> dict[str, object]:
    """A call's arguments by name, bound to ``op.call`` with its defaults filled in.

    ``training=None`` (Keras's own choice, the default when the model was made) counts
    as the signature's default, so it equals ``training`` left out.

    Example:
        >>> bound_arguments(dropout, (x,), {"training": True})  # doctest: +SKIP
        {'inputs': x, 'training': True}
    """
    try:
        signature = inspect.signature(op.call)  # type: ignore[attr-defined]
        bound = signature.bind(*args, **kwargs)
    except (AttributeError, TypeError, ValueError):
        return {**{f"args[{i}]": item for i, item in enumerate(args)}, **kwargs}
    bound.apply_defaults()
    result: dict[str, object] = {}
    for name, item in bound.arguments.items():
        if signature.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
            result.update(item if isinstance(item, dict) else {})
        else:
            result[name] = item
    training = signature.parameters.get("training")
    if training is not None and result.get("training") is None:
        result["training"] = training.default
    return result


def io_structure(model: KerasModel) -> tuple[object, object] | None:
    """The inputs and outputs of ``model`` as it was made: nests of :class:`Source`.

    ``keras.Model({"a": x, "b": y}, [p, q])`` gives a dict with the keys ``a`` and
    ``b``, and a list of two. None for a model without a graph (a subclassed one).
    """
    owner = _graph_owner(model)
    if not is_graph_model(model):
        return None
    own = model_nodes(model)
    inputs = getattr(owner, "_inputs_struct", None)
    outputs = getattr(owner, "_outputs_struct", None)
    inputs = owner.inputs if inputs is None else inputs
    outputs = owner.outputs if outputs is None else outputs
    return _sources(inputs, own), _sources(outputs, own)


def _sources(value: object, own: set[int]) -> object:
    """``value`` with every Keras tensor in it replaced by its :class:`Source`."""
    if isinstance(value, _k.keras().KerasTensor):
        history = value._keras_history
        producer = history.operation
        node = producer._inbound_nodes[history.node_index]
        calls = _own_calls(own, producer)
        call = next((i for i, item in enumerate(calls) if item is node), -1)
        shape = tuple(None if d is None else int(d) for d in value.shape)
        return Source(producer, call, history.tensor_index, shape, str(value.dtype))
    if isinstance(value, dict):
        return {key: _sources(item, own) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_sources(item, own) for item in value]
        return items if isinstance(value, list) else tuple(items)
    return value


def inbound_layers(model: KerasModel) -> dict[str, list[Connection]]:
    """For each layer name, the connections feeding all its calls, in order."""
    result: dict[str, list[Connection]] = {}
    for call in layer_calls(model):
        result.setdefault(call.layer.name, []).extend(call.inputs)
    return result


def all_layers(model: KerasModel) -> list[KerasLayer]:
    """The model's layers including a Sequential model's InputLayer, in graph order."""
    return list(_graph_owner(model).layers)


# --- diagrams: the drawn graph, with nested models collapsed or expanded ----


class DiagramNode(NamedTuple):
    """One box of a diagram: a layer (or a Keras operation such as ``ops.add``).

    ``key`` is unique in the diagram: the layer's name, prefixed by the names of
    the expanded nested models that hold it (``"encoder/inner_dense"``).
    ``groups`` are the keys of those nested models, outermost first.
    ``calls`` are the layer's calls (Keras nodes) inside the model that holds it.
    """

    key: str
    layer: KerasOperation
    groups: tuple[str, ...]
    calls: tuple[KerasNode, ...]


class Diagram(NamedTuple):
    """Boxes, edges between box keys (in order, without repeats) and the expanded models."""

    nodes: list[DiagramNode]
    edges: list[tuple[str, str]]
    groups: dict[str, KerasModel]


def is_graph_model(layer: KerasOperation) -> TypeGuard[KerasModel]:
    """True for a Functional or Sequential model (one with a layer graph to draw)."""
    by_depth = getattr(_graph_owner(layer), "_nodes_by_depth", None)
    return bool(by_depth) and hasattr(layer, "layers")


def diagram_graph(model: KerasModel, *, expand_nested: bool = False) -> Diagram:
    """The graph that a diagram of ``model`` draws, as ``keras.utils.model_to_dot`` does.

    Every operation is one box; a shared layer is one box with all its edges.
    Expanded nested models are replaced by their own boxes; an edge into one
    goes to its input layer, an edge out of one leaves the layer making that output.

    Example:
        >>> diagram = diagram_graph(model)  # doctest: +SKIP
        >>> diagram.edges  # doctest: +SKIP
        [('input', 'dense_1'), ('dense_1', 'dense_2')]
    """
    diagram = Diagram([], [], {})
    if not is_graph_model(model):
        diagram.nodes.append(DiagramNode(model.name, model, (), ()))
        return diagram
    _add_model(diagram, model, "", (), expand_nested)
    return diagram


def _operations(model: KerasModel) -> list[KerasOperation]:
    owner = _graph_owner(model)
    return list(getattr(owner, "_operations", None) or owner.layers)


def _own_calls(own: set[int], operation: KerasOperation) -> tuple[KerasNode, ...]:
    """The calls of ``operation`` among ``own``, the ids of a model's nodes (all if empty)."""
    return tuple(node for node in operation._inbound_nodes if not own or id(node) in own)


def _add_model(
    diagram: Diagram, model: KerasModel, prefix: str, groups: tuple[str, ...], expand: bool
) -> None:
    by_name = {op.name: op for op in _operations(model)}
    own = model_nodes(model)
    for op in by_name.values():
        if expand and is_graph_model(op):
            key = prefix + op.name
            diagram.groups[key] = op
            _add_model(diagram, op, key + "/", (*groups, key), expand)
        else:
            diagram.nodes.append(DiagramNode(prefix + op.name, op, groups, _own_calls(own, op)))
    for op in by_name.values():
        for node in _own_calls(own, op):
            for index, link in enumerate(_connections(node)):
                source = _source_key(by_name[link.layer], link.tensor_index, prefix, expand)
                target = _target_key(op, index, prefix, expand)
                if (source, target) not in diagram.edges:
                    diagram.edges.append((source, target))


def _source_key(op: KerasOperation, tensor_index: int, prefix: str, expand: bool) -> str:
    """The box making output ``tensor_index`` of ``op``, looking inside expanded models."""
    while expand and is_graph_model(op):
        prefix += op.name + "/"
        history = _graph_owner(op).outputs[tensor_index]._keras_history
        op, tensor_index = history.operation, history.tensor_index
    return prefix + str(op.name)


def _target_key(op: KerasOperation, input_index: int, prefix: str, expand: bool) -> str:
    """The box receiving input ``input_index`` of ``op``: an expanded model's input layer."""
    while expand and is_graph_model(op):
        prefix += op.name + "/"
        op = _graph_owner(op).inputs[input_index]._keras_history.operation
    return prefix + str(op.name)


# --- summaries: the rows of Keras's own summary, operations included ---------


def summary_operations(model: KerasModel) -> list[KerasOperation]:
    """The top-level rows of Keras's own summary of ``model``, in its order.

    A functional model lists ``model._operations``: its layers *and* the Keras
    operations between them (``x + y`` is an ``Add`` operation, ``ops.mean`` a
    ``Mean``), in graph order. A Sequential model lists its layers, with its
    ``InputLayer`` (which kerasguide shows; Keras does not). A subclassed model
    lists its layers. The layers of a nested model, when expanded, are
    :func:`all_layers` of it: Keras's summary shows no operations there.

    Example:
        >>> [op.name for op in summary_operations(model)]  # doctest: +SKIP
        ['input', 'dense', 'add', 'mean']
    """
    return _operations(model)


def is_operation(op: KerasOperation) -> bool:
    """True for a Keras operation node (``x + 3.0``, ``keras.ops.mean``), not a layer."""
    return not is_layer(op)


def is_layer(op: KerasOperation) -> TypeGuard[KerasLayer]:
    """True for a Keras layer (models included); False for an operation node such as ``x + y``."""
    return isinstance(op, _k.keras().layers.Layer)


def summary_calls(model: KerasModel) -> list[Call]:
    """Every call of every row of :func:`summary_operations`, operations included."""
    own = model_nodes(model)
    calls: list[Call] = []
    for op in summary_operations(model):
        for index, node in enumerate(op._inbound_nodes):
            if not own or id(node) in own:
                calls.append(Call(op, index, _connections(node)))
    return calls


def operation_function(op: KerasOperation) -> str | None:
    """``"keras.ops.add"`` for an ``Add`` operation: the public function that makes it.

    None when no function of that name exists in ``keras.ops``.
    """
    return ops_function(type(op).__name__)


def ops_function(type_name: str) -> str | None:
    """``"keras.ops.expand_dims"`` for the type name ``"ExpandDims"``; None if none exists."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", type_name).lower()
    return f"keras.ops.{name}" if callable(getattr(_k.keras().ops, name, None)) else None


def wrapped_layers(layer: KerasOperation) -> list[KerasLayer]:
    """The layers (or RNN cells) that a wrapper layer holds, outermost first.

    ``Bidirectional``: the forward and the backward layer; ``TimeDistributed``
    (any ``keras.layers.Wrapper``): its ``layer``; ``RNN``: its cell, or the cells
    of a stacked cell. Empty for a layer that wraps nothing.
    """
    layers = _k.keras().layers
    if isinstance(layer, layers.Bidirectional):
        return [layer.forward_layer, layer.backward_layer]
    if isinstance(layer, layers.Wrapper):
        return [layer.layer]
    if isinstance(layer, layers.RNN) and type(layer).__name__ == "RNN":
        cell = layer.cell
        return list(getattr(cell, "cells", None) or [cell])
    return []


def wrapper_type(layer: KerasOperation) -> str:
    """The type of ``layer`` with the types it wraps: ``"Bidirectional(LSTM)"``.

    ``"Bidirectional(LSTM, GRU)"`` when the backward layer is of another type,
    ``"RNN(LSTMCell, LSTMCell)"`` for stacked cells, the plain class name for a
    layer that wraps nothing. A label, not a class: ``keras.layers`` has no such name.
    """
    inner = [type(item).__name__ for item in wrapped_layers(layer)]
    if len(inner) == 2 and inner[0] == inner[1] and type(layer).__name__ == "Bidirectional":
        inner = inner[:1]
    kind = type(layer).__name__
    return f"{kind}({', '.join(inner)})" if inner else kind


def lineage(tensor: KerasTensor) -> list[tuple[KerasOperation, Shape]]:
    """The operations that made ``tensor``, following each one's first input back to the
    model's input: ``(operation, its output shape)`` pairs, the input first.

    For a message that shows how a shape came to be (``28×28 → 26×26 → 13×13``).
    """
    chain: list[tuple[KerasOperation, Shape]] = []
    current: KerasTensor | None = tensor
    while current is not None and len(chain) < 1000:
        history = current._keras_history
        operation = history.operation
        chain.append((operation, tuple(current.shape)))
        nodes = getattr(operation, "_inbound_nodes", [])
        node = nodes[history.node_index] if history.node_index < len(nodes) else None
        inputs = node.arguments.keras_tensors if node is not None else []
        current = inputs[0] if inputs else None
    return chain[::-1]


def node_shapes(nodes: Iterable[KerasNode]) -> list[tuple[tuple[Shape, ...], tuple[Shape, ...]]]:
    """The (input shapes, output shapes) of each of these calls (Keras nodes)."""
    tree = _k.keras().tree
    return [
        (
            tuple(tuple(t.shape) for t in node.arguments.keras_tensors),
            tuple(tuple(t.shape) for t in tree.flatten(node.output_tensors)),
        )
        for node in nodes
    ]
