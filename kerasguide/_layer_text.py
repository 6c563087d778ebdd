"""How findings name layers and operations: private to :mod:`kerasguide._compare`.

``a Dense layer``, ``an Add operation (keras.ops.add)``, ``a Bidirectional(LSTM)
layer``, and the Keras call that makes one:
``keras.layers.Bidirectional(keras.layers.LSTM(8))``, ``keras.ops.mean(..., axis=1)``.
Every name proposed here exists in ``keras.layers`` or ``keras.ops``; a wrapper's
label such as ``Bidirectional(LSTM)`` is only ever shown as a description.
"""

from __future__ import annotations

import inspect

import kerasguide._keras as _k
from kerasguide._activations import layer_config
from kerasguide._graph import (
    is_operation,
    operation_function,
    ops_function,
    wrapped_layers,
    wrapper_type,
)
from kerasguide._parse_forms import candidates
from kerasguide._rows import Row
from kerasguide._types import KerasOperation

__all__ = ["CONFIG", "config", "constructor", "kind_of", "show", "unwrap_hint", "what", "wrap_hint"]

# Configuration that changes what a layer computes, compared by check_model.
CONFIG = (
    "units",
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "dilation_rate",
    "activation",
    "use_bias",
    "return_sequences",
    "return_state",
    "rate",
    "pool_size",
    "input_dim",
    "output_dim",
    "target_shape",
    "dims",
    "n",
    "size",
    "axis",
    "merge_mode",
    "trainable",
)
_ONES = ("strides", "dilation_rate")
_DEFAULTS = {
    "use_bias": True,
    "padding": "valid",
    "return_sequences": False,
    "return_state": False,
    "activation": "linear",
    "trainable": True,
    "axis": -1,
}
WRAPPERS = ("Bidirectional", "TimeDistributed", "RNN")


def _article(word: str) -> str:
    """``an Add``, ``a Dense``; an acronym by how its first letter is said: ``an LSTM``."""
    acronym = word[:2].isupper()
    return "an" if word[:1].upper() in ("AEFHILMNORSX" if acronym else "AEIOU") else "a"


def kind_of(row: Row, obj: KerasOperation | None) -> str:
    """The row's type with what it wraps (``Bidirectional(LSTM)``) when the object is known."""
    return row.type if obj is None or is_operation(obj) else wrapper_type(obj)


def what(row: Row, obj: KerasOperation | None = None) -> str:
    """``"a Dense layer"``, ``"an Add operation (keras.ops.add)"``, ``"an Add layer or operation"``.

    A row read from text does not say whether ``(Add)`` is ``keras.ops.add`` or
    ``keras.layers.Add``: it is named by what exists in Keras under that name.
    """
    kind = kind_of(row, obj)
    if kind.endswith("…"):  # cut short in a printed summary: name the classes it can be
        names = candidates(kind)
        shown = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else "".join(names)
        return f"a layer whose type begins with {kind[:-1]!r}" + (f" ({shown})" if shown else "")
    operation = is_operation(obj) if obj is not None else row.operation
    function = ops_function(row.type)
    if operation is None:
        layer = hasattr(_k.keras().layers, row.type)
        operation = None if (layer and function) else bool(function)
    if operation is None:
        return f"{_article(kind)} {kind} layer or operation"
    if operation:
        named = operation_function(obj) if obj is not None else function
        return f"{_article(kind)} {kind} operation" + (f" ({named})" if named else "")
    return f"{_article(kind)} {kind} layer"


def constructor(layer: KerasOperation) -> str:
    """The Keras call that makes ``layer``, with its non-default settings."""
    if is_operation(layer):
        function = operation_function(layer) or f"keras.ops.{type(layer).__name__.lower()}"
        return f"{function}({', '.join(['...', *_arguments(layer)])})"
    inner = wrapped_layers(layer)
    kind = type(layer).__name__
    if kind == "RNN" and inner:
        cells = ", ".join(constructor(cell) for cell in inner)
        first = f"[{cells}]" if len(inner) > 1 else cells
        return f"keras.layers.RNN({', '.join([first, *_arguments(layer)])})"
    if inner:
        args = [constructor(inner[0]), *_arguments(layer)]
        if len(inner) == 2 and type(inner[0]) is not type(inner[1]):
            args.append(f"backward_layer={constructor(inner[1])}")
        return f"keras.layers.{kind}({', '.join(args)})"
    return f"keras.layers.{kind}({', '.join(_arguments(layer))})"


def _arguments(layer: KerasOperation) -> list[str]:
    args = []
    defaults = _signature_defaults(layer)
    for key, value in config(layer, inner=False).items():
        default = defaults.get(key, _DEFAULTS.get(key, object()))
        if default == value or (key in _ONES and isinstance(value, tuple) and set(value) == {1}):
            continue
        if key == "go_backwards" or (key == "axis" and is_operation(layer) and value is None):
            continue
        args.append(show(value) if key in ("units", "filters", "rate") else f"{key}={show(value)}")
    return args


def _signature_defaults(layer: KerasOperation) -> dict[str, object]:
    """The defaults of the layer's constructor: ``LSTM``'s activation is ``"tanh"``."""
    try:
        parameters = inspect.signature(type(layer).__init__).parameters
    except (TypeError, ValueError):
        return {}
    defaults = {n: _plain(p.default) for n, p in parameters.items() if p.default is not p.empty}
    if defaults.get("activation", "linear") is None:  # Keras stores None as "linear"
        defaults["activation"] = "linear"
    return defaults


def config(layer: KerasOperation, *, inner: bool = True) -> dict[str, object]:
    """The settings of ``layer`` that :data:`CONFIG` lists; a wrapper adds its inner layer's."""
    try:
        found = layer_config(layer)
    except (NotImplementedError, TypeError):
        return {}
    result = {key: _plain(found[key]) for key in CONFIG if key in found}
    wrapped = wrapped_layers(layer) if inner else []
    if wrapped:
        result = {**config(wrapped[0]), **result}
    return result


def _plain(value: object) -> object:
    if isinstance(value, (list, tuple)):
        return tuple(_plain(item) for item in value)
    if isinstance(value, dict):
        return value.get("config", {}).get("name", value.get("class_name", str(value)))
    return value


def show(value: object) -> str:
    """A setting as code: strings quoted."""
    return repr(value) if isinstance(value, str) else str(value)


def wrap_hint(want: str, got: str) -> str | None:
    """How to wrap a ``got`` layer so that it becomes the expected ``want`` wrapper.

    Only names that exist in ``keras.layers`` are proposed: an ``LSTM`` becomes
    ``keras.layers.RNN(keras.layers.LSTMCell(...))`` in an ``RNN``.
    """
    layers = _k.keras().layers
    if want not in WRAPPERS or not hasattr(layers, got) or got in WRAPPERS:
        return None
    if want == "RNN":
        cell = f"{got}Cell"
        return f"keras.layers.RNN(keras.layers.{cell}(...))" if hasattr(layers, cell) else None
    if want == "Bidirectional" and not issubclass(getattr(layers, got), layers.RNN):
        return None
    return f"keras.layers.{want}(keras.layers.{got}(...))"


def unwrap_hint(want: str, got: str) -> str | None:
    """How to take the expected ``want`` layer out of the ``got`` wrapper."""
    if got not in WRAPPERS or want in WRAPPERS or not hasattr(_k.keras().layers, want):
        return None
    return f"use keras.layers.{want}(...) itself, not wrapped in {got}"
