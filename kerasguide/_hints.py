"""The checks behind ``kg.lint``: each reads a built Keras model and returns hints.

Layer checks look at one layer at a time (nested models included); head checks
look at the model's output layers, their activation and their shape. The graph
(who feeds whom) comes from ``_graph``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeGuard

import kerasguide._keras as _k
from kerasguide import _graph
from kerasguide._graph import Connection
from kerasguide._shapes import Shape
from kerasguide._types import JSONValue, KerasLayer, KerasModel

__all__ = ["Hint", "head_hints", "layer_hints", "output_names"]

_PROBABILITY = {"sigmoid", "softmax", "hard_sigmoid"}
_RELU_LIKE = {"relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "softplus"}
_ACTIVATION_LAYERS = {"ReLU": "relu", "LeakyReLU": "leaky_relu", "ELU": "elu", "PReLU": "relu"}


@dataclass(frozen=True)
class Hint:
    """One legal but probably wrong thing in a model.

    Attributes:
        code: The hint's stable name, e.g. ``"softmax-one-unit"``; silence it by this name.
        layer: The layer's name.
        layer_type: The layer's class name, e.g. ``"Dense"``.
        path: The layer's spec path (``"layers[2]"``) when a spec was linted, else None.
        message: What looks wrong, and why.
        meant: What the student probably meant.
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


# --- the model's layers ------------------------------------------------------------------


def _spec_paths(spec: Mapping[str, JSONValue], prefix: str = "") -> dict[str, str]:
    """Layer name -> spec path, from a spec's normal form."""
    if spec.get("kind") == "mlp":
        hidden = spec["hidden"]
        count = len(hidden) if isinstance(hidden, list) else 0
        paths = {f"hidden_{i}": f"{prefix}hidden[{i - 1}]" for i in range(1, count + 1)}
        paths.update({f"dropout_{i}": f"{prefix}dropout" for i in range(1, count + 1)})
        return {**paths, "output": f"{prefix}outputs"}
    paths = {}
    for i, entry in enumerate(_entries(spec)):
        if not isinstance(entry, Mapping):
            continue
        name = entry.get("name")
        if isinstance(name, str) and "reuse" not in entry:
            paths.setdefault(name, f"{prefix}layers[{i}]")
    return paths


def _entries(spec: Mapping[str, JSONValue] | None) -> list[JSONValue]:
    """The ``layers:`` of a spec (none for an MLP spec, or no spec)."""
    layers = (spec or {}).get("layers", [])
    return layers if isinstance(layers, list) else []


def _layers(model: KerasModel) -> dict[str, KerasLayer]:
    layers = _k.keras().layers
    return {
        layer.name: layer
        for layer in _graph.all_layers(model)
        if not isinstance(layer, layers.InputLayer)
    }


def _hint(layer: KerasLayer, paths: Mapping[str, str], code: str, message: str, meant: str) -> Hint:
    return Hint(code, layer.name, type(layer).__name__, paths.get(layer.name), message, meant)


def _shape(layer: KerasLayer | None, attribute: str = "output") -> Shape | None:
    try:
        tensor = getattr(layer, attribute)
    except (AttributeError, ValueError):
        return None
    shape = getattr(tensor, "shape", None)
    return tuple(shape) if shape is not None else None


def _show(shape: Shape | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _activation(layer: KerasLayer) -> str | None:
    """The activation a layer applies last, by name (``"linear"`` for none), or None."""
    kind = type(layer).__name__
    if kind == "Softmax":
        return "softmax"
    if kind in _ACTIVATION_LAYERS:
        return _ACTIVATION_LAYERS[kind]
    if kind == "TimeDistributed":
        return _activation(_graph.wrapped_layers(layer)[0])
    function = getattr(layer, "activation", None)
    if function is None or not callable(function) or isinstance(layer, _recurrent()):
        return None
    return str(getattr(function, "__name__", None) or _k.keras().activations.serialize(function))


def _returns_sequences(layer: KerasLayer | None) -> TypeGuard[KerasLayer]:
    return isinstance(layer, _recurrent()) and getattr(layer, "return_sequences", False) is True


def _recurrent() -> tuple[type, ...]:
    layers = _k.keras().layers
    return (layers.RNN, layers.Bidirectional)


def output_names(model: KerasModel) -> list[str]:
    names = getattr(model, "output_names", None)
    if names:
        return [str(name) for name in names]
    layers = list(_layers(model))
    return layers[-1:]


def _passthrough(layer: KerasLayer) -> bool:
    """A layer that keeps each value in place: an activation, dropout, noise or normalization."""
    kind = type(layer).__name__
    plain = {"Activation", "Softmax", "BatchNormalization", "LayerNormalization"}
    return kind in plain or kind in _ACTIVATION_LAYERS or "Dropout" in kind or "Noise" in kind


def _previous(
    layer: KerasLayer, layers: Mapping[str, KerasLayer], inbound: Mapping[str, list[Connection]]
) -> KerasLayer | None:
    """The one layer feeding ``layer``, or None (an input, a merge, a shared layer)."""
    connections = inbound.get(layer.name, [])
    return layers.get(connections[0].layer) if len(connections) == 1 else None


# --- the checks ---------------------------------------------------------------------------


def layer_hints(model: KerasModel, spec: Mapping[str, JSONValue] | None, prefix: str) -> list[Hint]:
    """Hints about each layer on its own, in nested models too."""
    paths = _spec_paths(spec, prefix) if spec is not None else {}
    found: list[Hint] = []
    for layer in _layers(model).values():
        if _graph.is_graph_model(layer):
            inner, at = _nested(spec, layer.name, prefix)
            found += layer_hints(layer, inner, at)
            continue
        for check in (_softmax_one_unit, _dropout_high, _no_effect):
            found += [_hint(layer, paths, *parts) for parts in check(layer)]
    return found


def _nested(
    spec: Mapping[str, JSONValue] | None, name: str, prefix: str
) -> tuple[Mapping[str, JSONValue] | None, str]:
    """The spec of the nested model named ``name``, and its spec path prefix."""
    for i, entry in enumerate(_entries(spec)):
        inner = entry.get("model") if isinstance(entry, Mapping) else None
        if (
            isinstance(entry, Mapping)
            and isinstance(inner, Mapping)
            and name in (entry.get("name"), inner.get("name"))
        ):
            return inner, f"{prefix}layers[{i}].model."
    return None, ""


_Parts = tuple[str, str, str]


def _softmax_one_unit(layer: KerasLayer) -> list[_Parts]:
    shape = _shape(layer)
    axis = getattr(layer, "axis", -1) if type(layer).__name__ == "Softmax" else -1
    if _activation(layer) != "softmax" or not shape or not isinstance(axis, int):
        return []
    if -len(shape) <= axis < len(shape) and shape[axis] == 1:
        return [
            (
                "softmax-one-unit",
                "softmax over one unit always outputs 1.0, whatever the input "
                "(it divides exp(x) by itself), so the model cannot learn",
                "activation='sigmoid' for one unit (the probability of 'yes'), "
                "or Dense(n_classes, activation='softmax') with one unit per class",
            )
        ]
    return []


def _dropout_rates(layer: KerasLayer) -> list[tuple[str, float]]:
    kind = type(layer).__name__
    if kind == "Bidirectional":
        return _dropout_rates(_graph.wrapped_layers(layer)[0])  # the forward layer
    names = ("rate",) if "Dropout" in kind else ("dropout", "recurrent_dropout")
    rates = [(name, getattr(layer, name, None)) for name in names]
    return [(name, float(rate)) for name, rate in rates if isinstance(rate, (int, float))]


def _dropout_high(layer: KerasLayer) -> list[_Parts]:
    return [
        (
            "dropout-high",
            f"{name}={rate:g} sets {rate:.0%} of the values to 0 at every training step, "
            f"keeping only {1 - rate:.0%}",
            f"{name}={1 - rate:.2g} to keep {rate:.0%} ({name} is the fraction dropped, "
            "not kept); usual rates are 0.1 to 0.5",
        )
        for name, rate in _dropout_rates(layer)
        if rate >= 0.9
    ]


def _no_effect(layer: KerasLayer) -> list[_Parts]:
    kind = type(layer).__name__
    remove = "remove it, or "
    if kind == "Activation" and _activation(layer) == "linear":
        return [
            (
                "no-effect",
                "Activation('linear') returns its input unchanged",
                remove + "name the activation you meant, e.g. Activation('relu')",
            )
        ]
    if "Dropout" in kind and ("rate", 0.0) in _dropout_rates(layer):
        return [
            (
                "no-effect",
                f"{kind}(rate=0) drops nothing: it returns its input unchanged",
                remove + "give the rate you meant, e.g. rate=0.2",
            )
        ]
    shape = _shape(layer, "input")
    if kind == "Flatten" and shape is not None and len(shape) <= 2:
        return [
            (
                "no-effect",
                f"its input {_show(shape)} is already flat, so Flatten changes nothing",
                "remove it; Flatten belongs after a layer with a 3-D or larger output "
                "(a convolution, a pooling, an Embedding)",
            )
        ]
    return []


def head_hints(
    model: KerasModel, spec: Mapping[str, JSONValue] | None, expectations: Mapping[str, str]
) -> list[Hint]:
    """Hints about the model's output layers: their activation, and their shape."""
    paths = _spec_paths(spec) if spec is not None else {}
    layers = _layers(model)
    inbound = _graph.inbound_layers(model)
    found: list[Hint] = []
    for name in output_names(model):
        layer = layers.get(name)
        if layer is None:
            continue
        parts = _probability(layer, expectations.get(name))
        found += [_hint(layer, paths, *item) for item in parts]
        found += _sequence_head(layer, layers, inbound, paths)
    return found


def _probability(layer: KerasLayer, expected: str | None) -> list[_Parts]:
    activation = _activation(layer)
    if expected is None or activation is None:
        return []
    shape = _shape(layer)
    units = shape[-1] if shape else None
    if units == 1:
        meant = "activation='sigmoid' (one unit: the probability of 'yes')"
    else:
        meant = (
            f"activation='softmax' ({units or 'n'} classes whose probabilities sum to 1), "
            "or 'sigmoid' for independent yes/no labels"
        )
    meant += ", or keep the logits and give the loss from_logits=True"
    checked = "the output is checked against probabilities, but "
    if expected == "logits":
        if activation not in _PROBABILITY:
            return []
        return [
            (
                "activation-with-logits",
                f"the loss expects logits (from_logits=True), but {activation} already turns "
                "them into probabilities, so the loss applies it a second time",
                "no activation on the output layer, or a loss with from_logits=False",
            )
        ]
    if activation == "linear":
        text = "it has no activation, so it outputs any real number (logits)"
        return [("missing-output-activation", checked + text, meant)]
    if activation in _RELU_LIKE:
        text = f"{activation} outputs any value from 0 upward, never a probability"
        return [("relu-output", checked + text, meant)]
    if activation not in _PROBABILITY:
        text = f"{activation} does not output a probability from 0 to 1"
        return [("wrong-output-activation", checked + text, meant)]
    return []


def _sequence_head(
    out: KerasLayer,
    layers: Mapping[str, KerasLayer],
    inbound: Mapping[str, list[Connection]],
    paths: Mapping[str, str],
) -> list[Hint]:
    """A Dense at the output applied per step or per position: a forgotten Flatten or flag."""
    dense: KerasLayer | None = out
    while dense is not None and _passthrough(dense):
        dense = _previous(dense, layers, inbound)
    given = _shape(dense, "input") if type(dense).__name__ == "Dense" else None
    if dense is None or given is None or len(given) < 3:
        return []
    shown = _show(_shape(out))
    source = _previous(dense, layers, inbound)
    while source is not None and _passthrough(source):
        source = _previous(source, layers, inbound)
    if _returns_sequences(source):
        message = (
            f"return_sequences=True on the last recurrent layer makes Dense {dense.name!r} "
            f"run on each of its {given[1]} steps, so the model outputs {shown}: "
            "one answer per step, not per sequence"
        )
        meant = (
            f"return_sequences=False on {source.name!r} for one answer per sequence "
            "(classification, regression); a sequence-to-sequence model (one answer per "
            "step) is right as it is: wrap the Dense in TimeDistributed to say so"
        )
        return [_hint(source, paths, "return-sequences", message, meant)]
    pooling = f"GlobalAveragePooling{min(len(given) - 2, 3)}D"
    message = (
        f"its input {_show(given)} has {len(given)} axes and Dense works only on the last "
        f"one, so the model outputs {shown}: one answer per position, not per example"
    )
    meant = (
        f"a Flatten (or {pooling}) before the Dense layers, for one answer per example; "
        "one answer per position (a time step, a pixel) is right only for "
        "sequence-to-sequence or segmentation models"
    )
    return [_hint(dense, paths, "dense-without-flatten", message, meant)]
