"""Is a rebuilt model the same model? The check behind ``to_spec``.

``to_spec`` builds the spec it wrote and compares the result with the model it
was given, layer by layer and operation by operation: the class, every
argument of ``get_config()``, the weight shapes, the trainable flags, the
dtypes, the input shapes and batch sizes, and who feeds whom. The first
difference is raised as a :class:`SpecError` naming the layer and the argument,
so a spec is exact or refused, never a different model with the same count.
"""

from __future__ import annotations

from typing import overload

from kerasguide import _graph
from kerasguide._activations import layer_config
from kerasguide._types import JSONValue, KerasModel, KerasNode, KerasOperation, TensorNest
from kerasguide._values import clip
from kerasguide.errors import SpecError


@overload
def plain(value: dict[str, object]) -> dict[str, object]: ...
@overload
def plain(value: object) -> object: ...
def plain(value: object) -> object:
    """A config value with tuples as lists and numpy scalars as Python numbers."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        return value.item()
    return value


def verify(model: KerasModel, rebuilt: KerasModel) -> None:
    """Raise a SpecError at the first way ``rebuilt`` differs from ``model``."""
    _same_inputs(model, rebuilt)
    _same_operations(model, rebuilt, prefix="")
    _same_outputs(model, rebuilt)


def _differs(name: str, what: str, original: object, rebuilt: object) -> SpecError:
    return SpecError(
        f"a spec cannot describe {name!r} exactly: its {what} would change",
        where=f"layer {name!r}" if name else "model",
        expected=f"{what} = {clip(original, 120)}, as in the model",
        received=f"{what} = {clip(rebuilt, 120)} in the model the spec builds",
        hint="this is a limit of kerasguide's specs: keep the model in Python "
        "(model.save('m.keras')), or change that argument to one a spec can write",
    )


def _same_inputs(model: KerasModel, rebuilt: KerasModel) -> None:
    for a, b in zip(model.inputs, rebuilt.inputs, strict=False):
        name = a._keras_history.operation.name
        if tuple(a.shape) != tuple(b.shape):
            raise _differs(name, "input shape (with batch size)", tuple(a.shape), tuple(b.shape))
        if a.dtype != b.dtype:
            raise _differs(name, "input dtype", a.dtype, b.dtype)
    if len(model.inputs) != len(rebuilt.inputs):
        raise _differs("", "number of inputs", len(model.inputs), len(rebuilt.inputs))


def _same_outputs(model: KerasModel, rebuilt: KerasModel) -> None:
    def shape(struct: TensorNest) -> JSONValue:
        if isinstance(struct, dict):
            return {k: shape(v) for k, v in struct.items()}
        if isinstance(struct, (list, tuple)):
            return [shape(v) for v in struct]
        return (struct._keras_history.operation.name, tuple(struct.shape))

    a = shape(getattr(model, "_outputs_struct", model.outputs))
    b = shape(getattr(rebuilt, "_outputs_struct", rebuilt.outputs))
    if a != b:
        raise _differs(model.name, "outputs", a, b)


def _same_operations(model: KerasModel, rebuilt: KerasModel, *, prefix: str) -> None:
    mine = _graph.summary_calls(model)
    theirs = _graph.summary_calls(rebuilt)
    names = [prefix + c.layer.name for c in mine]
    if names != [prefix + c.layer.name for c in theirs]:
        raise _differs(
            model.name, "layers and operations", names, [prefix + c.layer.name for c in theirs]
        )
    checked: set[int] = set()
    for a, b in zip(mine, theirs, strict=True):
        name = prefix + a.layer.name
        wiring_a = [(c.layer, c.tensor_index) for c in a.inputs]
        wiring_b = [(c.layer, c.tensor_index) for c in b.inputs]
        if wiring_a != wiring_b:
            raise _differs(name, "inputs", wiring_a, wiring_b)
        if id(a.layer) not in checked:
            checked.add(id(a.layer))
            _same_operation(a.layer, b.layer, name)
            _same_arguments(a, b, name)


def _same_operation(a: KerasOperation, b: KerasOperation, name: str) -> None:
    if type(a) is not type(b):
        raise _differs(name, "class", type(a).__name__, type(b).__name__)
    if _graph.is_graph_model(a) and _graph.is_graph_model(b):  # b is of a's class
        if a.trainable != b.trainable:
            raise _differs(name, "trainable flag", a.trainable, b.trainable)
        _same_inputs(a, b)
        _same_operations(a, b, prefix=name + "/")
        return
    config_a, config_b = plain(layer_config(a)), plain(layer_config(b))
    for key in sorted(set(config_a) | set(config_b)):
        if config_a.get(key) != config_b.get(key):
            raise _differs(name, f"argument {key!r}", config_a.get(key), config_b.get(key))
    weights_a, weights_b = _weights(a), _weights(b)
    if weights_a != weights_b:
        raise _differs(name, "weights (shape, trainable)", weights_a, weights_b)
    trainable_a, trainable_b = getattr(a, "trainable", True), getattr(b, "trainable", True)
    if trainable_a != trainable_b:
        raise _differs(name, "trainable flag", trainable_a, trainable_b)


def _weights(layer: KerasOperation) -> list[tuple[tuple[int, ...], bool, str]]:
    return [(tuple(w.shape), w.trainable, str(w.dtype)) for w in getattr(layer, "weights", [])]


def _same_arguments(a: _graph.Call, b: _graph.Call, name: str) -> None:
    """The constants an operation was called with (``x + 3.0``: the 3.0)."""
    if not _graph.is_operation(a.layer):
        return
    args_a = _constants(a.layer._inbound_nodes[a.node_index])
    args_b = _constants(b.layer._inbound_nodes[b.node_index])
    if args_a != args_b:
        raise _differs(name, "call arguments", args_a, args_b)


def _constants(node: KerasNode) -> tuple[object, object]:
    def strip(value: object) -> object:
        if hasattr(value, "_keras_history"):
            return "<tensor>"
        if isinstance(value, (list, tuple)):
            return [strip(v) for v in value]
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()}
        return plain(value)

    return strip(list(node.arguments.args)), strip(dict(node.arguments.kwargs))
