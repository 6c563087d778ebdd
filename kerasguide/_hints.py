"""What every hint rule reads: the :class:`Hint` result, and a :class:`Context` over a built
model (its layers, who feeds whom, the spec paths) with the helpers the rules share.

The rules themselves live in ``_rules_layers`` (one layer at a time), ``_rules_shapes``
(input shapes, convolutions, recurrent layers), ``_rules_head`` (output layers against
the loss or the task) and ``_rules_data`` (the data given to ``fit``); ``_lint`` runs them.
The graph (who feeds whom) comes from ``_graph``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeGuard

import kerasguide._keras as _k
from kerasguide import _graph
from kerasguide._graph import Connection
from kerasguide._shapes import Shape
from kerasguide._types import JSONValue, KerasLayer, KerasModel

__all__ = [
    "ACTIVATION_LAYERS",
    "PROBABILITY",
    "RELU_LIKE",
    "Context",
    "Hint",
    "Parts",
    "activation",
    "context",
    "output_names",
    "passthrough",
    "recurrent",
    "returns_sequences",
    "shape",
    "show",
    "units",
]

PROBABILITY = {"sigmoid", "softmax", "hard_sigmoid"}
RELU_LIKE = {"relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "softplus"}
ACTIVATION_LAYERS = {"ReLU": "relu", "LeakyReLU": "leaky_relu", "ELU": "elu", "PReLU": "relu"}

Parts = tuple[str, str, str]
"""A rule's finding about one layer: (code, message, what was probably meant)."""


@dataclass(frozen=True)
class Hint:
    """One legal but probably wrong thing in a model.

    Attributes:
        code: The hint's stable name, e.g. ``"softmax-one-unit"``; silence it by this name.
        layer: The layer's name (``"model"`` for a hint about training as a whole).
        layer_type: The layer's class name, e.g. ``"Dense"``.
        path: The layer's spec path (``"layers[2]"``) when a spec was linted, else None.
        message: What looks wrong, and why: what was expected and what was received.
        meant: What the student probably meant: the fix.
    """

    code: str
    layer: str
    layer_type: str
    path: str | None
    message: str
    meant: str

    @property
    def where(self) -> str:
        """``"layers[2] 'output' (Dense)"``, or ``"layer 'output' (Dense)"`` for a model."""
        return f"{self.path or 'layer'} {self.layer!r} ({self.layer_type})"

    def __str__(self) -> str:
        return f"{self.where}: {self.message} [{self.code}]\n  probably meant: {self.meant}"

    def to_dict(self) -> dict[str, str | None]:
        """The hint as plain data (JSON-ready)."""
        return {
            "code": self.code,
            "layer": self.layer,
            "layer_type": self.layer_type,
            "path": self.path,
            "message": self.message,
            "meant": self.meant,
        }


@dataclass
class Context:
    """One (possibly nested) model as the rules read it.

    Attributes:
        model: The Keras model.
        layers: Its layers by name, InputLayers left out.
        inputs: Its InputLayers, in order.
        inbound: For each layer name, the connections feeding it.
        paths: Layer name -> spec path, when a spec was linted.
        trained: Whether the model is known to be trained (compiled, or a task or loss
            given): a few rules speak only of models meant for training.
    """

    model: KerasModel
    layers: dict[str, KerasLayer]
    inputs: list[KerasLayer]
    inbound: dict[str, list[Connection]]
    paths: dict[str, str] = field(default_factory=dict)
    trained: bool = False
    outbound: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, connections in self.inbound.items():
            for source in dict.fromkeys(c.layer for c in connections):
                self.outbound.setdefault(source, []).append(name)

    def hint(self, layer: KerasLayer, code: str, message: str, meant: str) -> Hint:
        """A hint about ``layer``, with its spec path when there is one."""
        name = str(layer.name)
        return Hint(code, name, type(layer).__name__, self.paths.get(name), message, meant)

    def previous(self, layer: KerasLayer) -> KerasLayer | None:
        """The one layer feeding ``layer`` (InputLayers too), or None (a merge, a shared layer)."""
        connections = self.inbound.get(layer.name, [])
        if len(connections) != 1:
            return None
        name = connections[0].layer
        return self.layers.get(name) or next((i for i in self.inputs if i.name == name), None)

    def consumers(self, layer: KerasLayer) -> list[KerasLayer]:
        """The layers that read ``layer``'s output."""
        return [self.layers[n] for n in self.outbound.get(layer.name, []) if n in self.layers]

    def source(self, layer: KerasLayer) -> KerasLayer | None:
        """The layer before ``layer`` once dropout, noise, normalisation and activations
        are skipped."""
        found = self.previous(layer)
        while found is not None and passthrough(found):
            found = self.previous(found)
        return found


def context(
    model: KerasModel, spec: Mapping[str, JSONValue] | None, prefix: str, *, trained: bool = False
) -> Context:
    """The :class:`Context` of ``model``; ``spec`` (its normal form) gives the spec paths."""
    input_layer = _k.keras().layers.InputLayer
    every = _graph.all_layers(model)
    return Context(
        model,
        {layer.name: layer for layer in every if not isinstance(layer, input_layer)},
        [layer for layer in every if isinstance(layer, input_layer)],
        _graph.inbound_layers(model),
        spec_paths(spec, prefix) if spec is not None else {},
        trained,
    )


# --- spec paths ---------------------------------------------------------------------------


def spec_paths(spec: Mapping[str, JSONValue], prefix: str = "") -> dict[str, str]:
    """Layer name -> spec path, from a spec's normal form (its inputs included)."""
    if spec.get("kind") == "mlp":
        hidden = spec["hidden"]
        count = len(hidden) if isinstance(hidden, list) else 0
        paths = {f"hidden_{i}": f"{prefix}hidden[{i - 1}]" for i in range(1, count + 1)}
        paths.update({f"dropout_{i}": f"{prefix}dropout" for i in range(1, count + 1)})
        paths.update({f"batch_norm_{i}": f"{prefix}batch_norm" for i in range(1, count + 1)})
        return {**paths, "output": f"{prefix}outputs", "input": f"{prefix}inputs"}
    paths = {}
    name = spec.get("input_name", "input")
    if "input_shape" in spec and isinstance(name, str):
        paths[name] = f"{prefix}input_shape"
    inputs = spec.get("inputs")
    for i, item in enumerate(inputs if isinstance(inputs, list) else []):
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            paths[str(item["name"])] = f"{prefix}inputs[{i}].shape"
    for i, entry in enumerate(entries(spec)):
        if not isinstance(entry, Mapping):
            continue
        name = entry.get("name")
        if isinstance(name, str) and "reuse" not in entry:
            paths.setdefault(name, f"{prefix}layers[{i}]")
    return paths


def entries(spec: Mapping[str, JSONValue] | None) -> list[JSONValue]:
    """The ``layers:`` of a spec (none for an MLP spec, or no spec)."""
    layers = (spec or {}).get("layers", [])
    return layers if isinstance(layers, list) else []


def nested(
    spec: Mapping[str, JSONValue] | None, name: str, prefix: str
) -> tuple[Mapping[str, JSONValue] | None, str]:
    """The spec of the nested model named ``name``, and its spec path prefix."""
    for i, entry in enumerate(entries(spec)):
        inner = entry.get("model") if isinstance(entry, Mapping) else None
        if (
            isinstance(entry, Mapping)
            and isinstance(inner, Mapping)
            and name in (entry.get("name"), inner.get("name"))
        ):
            return inner, f"{prefix}layers[{i}].model."
    return None, ""


# --- what a layer does --------------------------------------------------------------------


def shape(layer: KerasLayer | None, attribute: str = "output") -> Shape | None:
    """The shape of a layer's ``output`` (or ``input``), None when it has no single one."""
    try:
        tensor = getattr(layer, attribute)
    except (AttributeError, ValueError):
        return None
    found = getattr(tensor, "shape", None)
    return tuple(found) if found is not None else None


def units(layer: KerasLayer) -> int | None:
    """The size of the last axis of a layer's output (its units, classes or features)."""
    found = shape(layer)
    return found[-1] if found else None


def show(value: Shape | None) -> str:
    """``(None, 28, 28)``, as Keras prints shapes; ``?`` when unknown."""
    if value is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in value) + ")"


def activation(layer: KerasLayer) -> str | None:
    """The activation a layer applies last, by name (``"linear"`` for none), or None."""
    kind = type(layer).__name__
    if kind == "Softmax":
        return "softmax"
    if kind in ACTIVATION_LAYERS:
        return ACTIVATION_LAYERS[kind]
    if kind == "TimeDistributed":
        return activation(_graph.wrapped_layers(layer)[0])
    function = getattr(layer, "activation", None)
    if function is None or not callable(function) or isinstance(layer, recurrent()):
        return None
    return str(getattr(function, "__name__", None) or _k.keras().activations.serialize(function))


def returns_sequences(layer: KerasLayer | None) -> TypeGuard[KerasLayer]:
    """A recurrent layer that returns every step's output."""
    return isinstance(layer, recurrent()) and getattr(layer, "return_sequences", False) is True


def recurrent() -> tuple[type, ...]:
    """The classes of recurrent layers (SimpleRNN, LSTM, GRU, RNN and Bidirectional)."""
    layers = _k.keras().layers
    return (layers.RNN, layers.Bidirectional)


def output_names(model: KerasModel) -> list[str]:
    """The names of the layers whose outputs are the model's outputs."""
    names = getattr(model, "output_names", None)
    if names:
        return [str(name) for name in names]
    layers = [layer.name for layer in _graph.all_layers(model)]
    return layers[-1:]


def passthrough(layer: KerasLayer) -> bool:
    """A layer that keeps each value in place: an activation, dropout, noise or normalization."""
    kind = type(layer).__name__
    plain = {"Activation", "Softmax", "BatchNormalization", "LayerNormalization"}
    return kind in plain or kind in ACTIVATION_LAYERS or "Dropout" in kind or "Noise" in kind
