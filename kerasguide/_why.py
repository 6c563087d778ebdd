"""Why a layer has the parameters it has: one sentence per kind of layer.

:func:`why` explains the arithmetic that :func:`kerasguide.explain` shows
(Dense, convolutions, embeddings, recurrent layers and cells, normalisations,
and the wrappers, whose sentence includes the one of the layer they wrap).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

from kerasguide._graph import wrapped_layers
from kerasguide._types import KerasLayer


class _Dense(KerasLayer, Protocol):
    use_bias: bool


class _Conv(KerasLayer, Protocol):
    filters: int
    use_bias: bool


class _Embedding(KerasLayer, Protocol):
    input_dim: int
    output_dim: int


class _Recurrent(KerasLayer, Protocol):
    """A recurrent layer or cell: SimpleRNN, LSTM, GRU."""

    units: int


def _shape_of(layer: KerasLayer, name: str) -> tuple[int, ...]:
    for weight in layer.weights:
        if weight.name == name:
            return tuple(int(d) for d in weight.shape)
    return ()


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _dense(layer: _Dense) -> str:
    inputs, units = _shape_of(layer, "kernel")
    bias = ", plus one bias per unit" if layer.use_bias else " (no bias: use_bias=False)"
    size = f"{_plural(inputs, 'input')} × {_plural(units, 'unit')}"
    return f"one weight per input per unit ({size}){bias}."


def _conv(layer: _Conv) -> str:
    kernel = _shape_of(layer, "kernel")
    window = "×".join(str(d) for d in kernel[:-2])
    window = f"{window}-wide" if len(kernel) == 3 else window
    bias = ", plus one bias per filter" if layer.use_bias else ""
    return (
        f"each of the {_plural(layer.filters, 'filter')} has one weight per position of its "
        f"{window} window and per input channel ({_plural(kernel[-2], 'channel')}){bias}."
    )


def _embedding(layer: _Embedding) -> str:
    return (
        f"one vector of {layer.output_dim} numbers for each of the {layer.input_dim} "
        "token ids in the vocabulary."
    )


def _simple_rnn(layer: _Recurrent) -> str:
    return (
        f"each of the {layer.units} units has one weight per input feature, one per "
        "unit for the previous step's output (the recurrent weights), plus a bias."
    )


def _lstm(layer: _Recurrent) -> str:
    units = layer.units
    return (
        f"four gates (input, forget, cell and output) of {units} units each, so every "
        f"matrix has 4 × {units} = {4 * units} columns: weights for the input features, "
        f"recurrent weights for the previous {units}-unit state, and a bias."
    )


def _gru(layer: _Recurrent) -> str:
    units = layer.units
    bias = (
        ("two biases per column (reset_after=True: one for the input, one for the recurrent part)")
        if getattr(layer, "reset_after", False)
        else "one bias"
    )
    return (
        f"three gates (update, reset and candidate) of {units} units each, so every "
        f"matrix has 3 × {units} = {3 * units} columns: input weights, recurrent "
        f"weights, and {bias}."
    )


def _batch_norm(layer: KerasLayer) -> str:
    features = (_shape_of(layer, "moving_mean") or (0,))[0]
    return (
        f"for each of the {features} features it learns a scale (gamma) and an offset "
        "(beta); the moving mean and variance are tracked during training, not "
        "learned, so they are non-trainable."
    )


def _layer_norm(layer: KerasLayer) -> str:
    return (
        "for each feature it learns a scale (gamma) and an offset (beta); the mean and "
        "variance come from each sample itself, so nothing else is stored."
    )


def _count(layer: KerasLayer) -> int:
    unique = {id(w): w for w in layer.weights}.values()
    return sum(int(math.prod(w.shape)) for w in unique)


def _inner_why(inner: KerasLayer, lead: str) -> str:
    text = why(inner)
    return f" {lead} {type(inner).__name__}: {text}" if text else ""


def _bidirectional(layer: KerasLayer) -> str:
    forward, backward = wrapped_layers(layer)
    kinds = [type(forward).__name__, type(backward).__name__]
    same = kinds[0] == kinds[1]
    copies = (
        f"two copies of the {kinds[0]}"
        if same
        else f"a forward {kinds[0]} and a backward {kinds[1]}"
    )
    a, b = _count(forward), _count(backward)
    return (
        f"{copies}, each with its own weights: one reads the sequence forwards "
        f"({forward.name}: {a:,}) and one backwards ({backward.name}: {b:,}), "
        f"so {a:,} + {b:,} = {a + b:,}.{_inner_why(forward, 'Each') if same else ''}"
    )


def _time_distributed(layer: KerasLayer) -> str:
    (inner,) = wrapped_layers(layer)
    kind = type(inner).__name__
    return (
        f"the same {kind} weights are applied at every time step, so it has exactly the "
        f"parameters of one {kind} ({_count(inner):,}), however long the sequence."
        f"{_inner_why(inner, 'The')}"
    )


def _rnn(layer: KerasLayer) -> str:
    cells = wrapped_layers(layer)
    counts = " + ".join(f"{cell.name} {_count(cell):,}" for cell in cells)
    stack = "its cell" if len(cells) == 1 else f"its {len(cells)} stacked cells"
    total = f" = {_count(layer):,}" if len(cells) > 1 else ""
    return (
        f"the RNN runs {stack} at every time step with the same weights, so it has "
        f"the parameters of {stack}: {counts}{total}."
        f"{_inner_why(cells[0], 'The' if len(cells) == 1 else 'The first')}"
    )


# Keyed by class name: each function reads the attributes of that one kind of layer.
_WHY: dict[str, Callable[[Any], str]] = {
    "Dense": _dense,
    "Conv1D": _conv,
    "Conv2D": _conv,
    "Conv3D": _conv,
    "Embedding": _embedding,
    "SimpleRNN": _simple_rnn,
    "SimpleRNNCell": _simple_rnn,
    "LSTM": _lstm,
    "LSTMCell": _lstm,
    "GRU": _gru,
    "GRUCell": _gru,
    "BatchNormalization": _batch_norm,
    "LayerNormalization": _layer_norm,
    "Bidirectional": _bidirectional,
    "TimeDistributed": _time_distributed,
    "RNN": _rnn,
}


def why(layer: KerasLayer) -> str | None:
    explain_type = _WHY.get(type(layer).__name__)
    if explain_type is None or not layer.weights:
        return None
    try:
        text: str = explain_type(layer)
        return text
    except (AttributeError, IndexError, ValueError):  # a subclass that stores things differently
        return None
