"""Multiply-adds per layer, from the real shapes of a built model (``summarize(columns=...)``).

A multiply-add is one product of a weight and an input value, added to a sum.
Only the products with the layer's weights are counted, as torchinfo's
``mult_adds`` does for the common layers: biases, activations, gates'
element-wise steps, pooling and merges are left out. Counts are for one
example (the batch dimension is left out), over every call of the layer.

Covered: Dense, Conv1D/2D/3D, DepthwiseConv1D/2D, SeparableConv1D/2D,
SimpleRNN, LSTM, GRU, Embedding (a lookup: 0) and models nested as layers
(the sum of their layers). A layer without weights has none. Any other layer
with weights is not counted: its figure is None, shown as ``?``.

Example:
    ``Dense(20)`` on 10 inputs: 10 inputs × 20 units = 200 per example.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeGuard

import kerasguide._keras as _k
from kerasguide._graph import all_layers, is_layer, model_nodes, node_shapes
from kerasguide._shapes import Shape
from kerasguide._types import KerasLayer, KerasModel, KerasOperation, KerasVariable

__all__ = ["MultAdds", "layer_mult_adds"]

_Count = tuple[int | None, str]  # one call's count (None: a dimension is not fixed) and its text


class _OneOutput(KerasLayer, Protocol):
    """A layer of a covered type: each makes one output, of one shape."""

    def compute_output_shape(self, input_shape: Shape) -> Shape: ...


def _covered(layer: KerasLayer) -> TypeGuard[_OneOutput]:
    return type(layer).__name__ in _COUNTS


class _Kernel(KerasLayer, Protocol):
    """Dense, a convolution, a depthwise convolution."""

    kernel: KerasVariable
    groups: int


class _Separable(KerasLayer, Protocol):
    depthwise_kernel: KerasVariable
    pointwise_kernel: KerasVariable


class _Cell(Protocol):
    units: int


class _Recurrent(KerasLayer, Protocol):
    cell: _Cell


@dataclass(frozen=True)
class MultAdds:
    """A layer's multiply-adds for one example, and the arithmetic behind them.

    Attributes:
        count: The multiply-adds; None when a dimension they depend on is not fixed.
        arithmetic: How they come about, e.g. ``"10 inputs × 20 units = 200"``.
    """

    count: int | None
    arithmetic: str


def layer_mult_adds(model: KerasModel, layer: KerasOperation) -> MultAdds | None:
    """The multiply-adds of ``layer`` inside ``model``, over all its calls there.

    None when ``layer`` has weights but is of a type not covered (or not built).
    """
    if not is_layer(layer) or not getattr(layer, "weights", None):
        return MultAdds(0, "no weights, no multiply-adds")
    if isinstance(layer, _k.keras().Model):
        return _nested(layer)
    if not _covered(layer):
        return None
    count = _COUNTS[type(layer).__name__]
    try:
        per_call = [count(layer, inputs[0], outputs[0]) for inputs, outputs in _calls(model, layer)]
    except (AttributeError, IndexError, TypeError, ValueError):  # stored differently: unknown
        return None
    return _over_calls(per_call)


def _calls(
    model: KerasModel, layer: _OneOutput
) -> list[tuple[tuple[Shape, ...], tuple[Shape, ...]]]:
    """The shapes of each call; for a layer outside any graph, those it was built with."""
    calls = call_shapes(model, layer)
    if calls:
        return calls
    shape = built_input_shape(layer)
    return [((shape,), (tuple(layer.compute_output_shape(shape)),))] if shape else []


def _over_calls(per_call: list[_Count]) -> MultAdds | None:
    if not per_call:
        return None
    counts = [count for count, _ in per_call]
    total = None if None in counts else sum(c or 0 for c in counts)
    if len(per_call) == 1:
        return MultAdds(total, per_call[0][1])
    shown = "?" if total is None else f"{total:,}"
    calls = "; ".join(f"call {number}: {text}" for number, (_, text) in enumerate(per_call, 1))
    return MultAdds(total, f"{calls}; {len(per_call)} calls = {shown}")


def _nested(model: KerasModel) -> MultAdds | None:
    """A model used as a layer: the sum of its layers' counts, if each one is known."""
    counted: list[tuple[str, int]] = []
    for layer in all_layers(model):
        part = layer_mult_adds(model, layer)
        if part is None or part.count is None:
            return None
        if part.count:
            counted.append((layer.name, part.count))
    total = sum(count for _, count in counted)
    terms = " + ".join(f"{name} {count:,}" for name, count in counted)
    return MultAdds(total, f"the sum of its layers: {terms or '0'} = {total:,}")


# --- one call of one layer ---------------------------------------------------------------


def _product(factors: list[tuple[int | None, str]]) -> _Count:
    """``[(10, "10 inputs"), (20, "20 units")]`` → ``(200, "10 inputs × 20 units = 200")``."""
    sizes = [size for size, _ in factors]
    text = " × ".join(label for _, label in factors)
    if None in sizes:
        return None, f"{text}: not fixed, the model accepts any size there"
    total = math.prod(size or 0 for size in sizes)
    return total, f"{text} = {total:,}"


def _plural(count: int | None, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{'?' if count is None else count} {noun}s"


def _positions(layer: KerasLayer, output: Shape) -> list[tuple[int | None, str]]:
    """The output positions a weight is applied at: ``[(676, "26×26 positions")]``, or none."""
    channels_first = getattr(layer, "data_format", "channels_last") == "channels_first"
    dims = output[2:] if channels_first else output[1:-1]
    if not dims:
        return []
    size = None if None in dims else math.prod(d or 0 for d in dims)
    grid = "×".join("None" if d is None else str(d) for d in dims)
    return [(size, f"{grid} {'position' if size == 1 else 'positions'}")]


def _window(kernel: tuple[int, ...]) -> tuple[int, str]:
    window = kernel[:-2]
    text = f"{window[0]}-wide" if len(window) == 1 else "×".join(str(d) for d in window)
    return math.prod(window), f"{text} window"


def _dense(layer: _Kernel, _inputs: Shape, output: Shape) -> _Count:
    inputs, units = (int(d) for d in layer.kernel.shape)
    return _product(
        [
            *_positions(layer, output),
            (inputs, _plural(inputs, "input")),
            (units, _plural(units, "unit")),
        ]
    )


def _conv(layer: _Kernel, _inputs: Shape, output: Shape) -> _Count:
    kernel = tuple(int(d) for d in layer.kernel.shape)
    channels, filters = kernel[-2:]
    groups = "" if getattr(layer, "groups", 1) == 1 else f" (of {layer.groups} groups)"
    return _product(
        [
            *_positions(layer, output),
            _window(kernel),
            (channels, _plural(channels, "channel") + groups),
            (filters, _plural(filters, "filter")),
        ]
    )


def _depthwise(layer: _Kernel, _inputs: Shape, output: Shape) -> _Count:
    kernel = tuple(int(d) for d in layer.kernel.shape)
    channels, multiplier = kernel[-2:]
    return _product(
        [
            *_positions(layer, output),
            _window(kernel),
            (channels, _plural(channels, "channel")),
            (multiplier, f"{multiplier} (depth_multiplier)"),
        ]
    )


def _separable(layer: _Separable, _inputs: Shape, output: Shape) -> _Count:
    depthwise = tuple(int(d) for d in layer.depthwise_kernel.shape)
    channels, multiplier = depthwise[-2:]
    filters = int(layer.pointwise_kernel.shape[-1])
    size, window = _window(depthwise)
    depth_part = size * channels * multiplier
    point_part = channels * multiplier * filters
    inner = (
        f"({window} × {_plural(channels, 'channel')} × {multiplier} (depth_multiplier) "
        f"+ {_plural(channels * multiplier, 'channel')} × {_plural(filters, 'filter')})"
    )
    return _product([*_positions(layer, output), (depth_part + point_part, inner)])


def _recurrent(gates: int) -> Callable[[_Recurrent, Shape, Shape], _Count]:
    def count(layer: _Recurrent, inputs: Shape, _output: Shape) -> _Count:
        steps, features = inputs[1], inputs[-1]
        units = int(layer.cell.units)
        both = None if features is None else features + units
        gate_part = [] if gates == 1 else [(gates, f"{gates} gates")]
        return _product(
            [
                (steps, _plural(steps, "step")),
                (both, f"({_plural(features, 'input')} + {_plural(units, 'unit')})"),
                *gate_part,
                (units, _plural(units, "unit")),
            ]
        )

    return count


def _embedding(_layer: KerasLayer, _inputs: Shape, _output: Shape) -> _Count:
    return 0, "a lookup of one vector per token id, no multiply-adds"


# Keyed by class name: each function reads the attributes of that one kind of layer.
_COUNTS: dict[str, Callable[[Any, Shape, Shape], _Count]] = {
    "Dense": _dense,
    "Conv1D": _conv,
    "Conv2D": _conv,
    "Conv3D": _conv,
    "DepthwiseConv1D": _depthwise,
    "DepthwiseConv2D": _depthwise,
    "SeparableConv1D": _separable,
    "SeparableConv2D": _separable,
    "SimpleRNN": _recurrent(1),
    "LSTM": _recurrent(4),
    "GRU": _recurrent(3),
    "Embedding": _embedding,
}


# --- the shapes each call of a layer received and made --------------------------


def call_shapes(
    model: KerasModel, layer: KerasOperation
) -> list[tuple[tuple[Shape, ...], tuple[Shape, ...]]]:
    """The (input shapes, output shapes) of each call of ``layer`` inside ``model``.

    One pair per call in ``model``'s own graph; a layer called twice (shared) has
    two. Empty when ``layer`` has no call there (a subclassed model's layer, or one
    built by hand), in which case the shapes it was built with are the caller's to find.

    Example:
        >>> call_shapes(model, model.get_layer("dense"))  # doctest: +SKIP
        [(((None, 10),), ((None, 20),))]
    """
    own = model_nodes(model)
    return node_shapes(n for n in getattr(layer, "_inbound_nodes", []) if not own or id(n) in own)


def built_input_shape(layer: KerasOperation) -> Shape | None:
    """The input shape a layer was built with (for a layer outside any graph); None if unknown."""
    shapes = list((getattr(layer, "_build_shapes_dict", None) or {}).values())
    first = shapes[0] if len(shapes) == 1 else None
    if isinstance(first, (tuple, list)) and all(d is None or isinstance(d, int) for d in first):
        return tuple(first)
    return None
