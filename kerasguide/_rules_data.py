"""Hint rules that read the data given to ``fit``: inputs whose shape or scale the model
does not expect, and labels that do not fit the loss or the output layer.

``lint(model, x=..., y=...)`` runs them: ``x`` against each InputLayer, ``y`` against
each output layer and its :class:`~kerasguide._heads.Head`. Arrays are only read, never
copied more than once (``numpy.asarray``); anything that is not an array (a
``tf.data.Dataset``, a generator) is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from kerasguide._heads import Head
from kerasguide._hints import Context, Hint, Parts, activation, shape, show, units
from kerasguide._rules_shapes import fixed_shape
from kerasguide._shapes import Shape
from kerasguide._types import KerasLayer

if TYPE_CHECKING:
    import numpy as np

__all__ = ["data_hints", "per_tensor"]

_SCALERS = {"Rescaling", "Normalization", "Embedding", "IntegerLookup", "CategoryEncoding"}


def per_tensor(value: object, names: list[str]) -> dict[str, np.ndarray]:
    """Arrays by input or output name: one array, a list in order, or a dict by name."""
    import numpy as np

    if value is None:
        return {}
    if isinstance(value, Mapping):
        pairs = [(name, value.get(name)) for name in names]
    elif isinstance(value, (list, tuple)) and len(names) > 1 and len(value) == len(names):
        pairs = list(zip(names, value, strict=True))
    else:
        pairs = [(names[0], value)] if len(names) == 1 else []
    arrays = {}
    for name, item in pairs:
        if item is None or not (hasattr(item, "shape") or isinstance(item, (list, tuple))):
            continue
        array = np.asarray(item)
        if array.dtype.kind in "biuf" and array.ndim >= 1 and array.size:
            arrays[name] = array
    return arrays


def data_hints(
    ctx: Context, heads: dict[str, Head], outputs: list[str], x: object, y: object
) -> list[Hint]:
    """Hints about ``x`` against the model's inputs and ``y`` against its outputs."""
    found: list[Hint] = []
    inputs = {layer.name: layer for layer in ctx.inputs}
    for name, array in per_tensor(x, list(inputs)).items():
        layer = inputs[name]
        for rule in (_input_shape, _not_scaled, _vocabulary):
            found += [ctx.hint(where, *parts) for where, parts in rule(ctx, layer, array)]
    for name, array in per_tensor(y, outputs).items():
        output = ctx.layers.get(name)
        if output is not None:
            head = heads.get(name, Head())
            for check in (_labels, _label_range, _output_range):
                found += [ctx.hint(output, *parts) for parts in check(output, head, array)]
    return found


# --- x ------------------------------------------------------------------------------------

_Found = list[tuple[KerasLayer, Parts]]


def _matches(dims: Shape, data: tuple[int, ...]) -> bool:
    return len(dims) == len(data) and all(
        d is None or d == n for d, n in zip(dims, data, strict=True)
    )


def _input_shape(ctx: Context, layer: KerasLayer, x: np.ndarray) -> _Found:
    expected = shape(layer)
    if not expected or _matches(expected[1:], x.shape[1:]):
        return []
    dims, data = expected[1:], tuple(x.shape[1:])
    received = f"x has shape {tuple(x.shape)}, so each example is {data}"
    wanted = f"the model expects {show(expected)}"
    if len(data) == len(dims) - 1 and dims[-1] == 1 and _matches(dims[:-1], data):
        return [
            (
                layer,
                (
                    "input-data-shape",
                    f"{wanted}, with a channel axis of 1 at the end; {received}",
                    "add the channel axis to the data: x = x[..., None] "
                    "(np.expand_dims(x, -1)), for x and every array you predict on",
                ),
            )
        ]
    if len(data) == len(dims) - 1 and _matches(dims[1:], data):
        return [
            (
                layer,
                (
                    "batch-in-input-shape",
                    f"{wanted}, one axis more than the data: {received}; the input shape "
                    "includes the batch axis, which Keras adds itself",
                    f"drop the first axis: {fixed_shape(ctx, layer, dims[1:])}",
                ),
            )
        ]
    if len(data) == len(dims) == 3 and _matches(dims, (*data[1:], data[0])):
        return [
            (
                layer,
                (
                    "input-data-shape",
                    f"{wanted}, channels last; {received}, with the {data[0]} channels first",
                    "move the data's channel axis last: x = np.moveaxis(x, 1, -1)",
                ),
            )
        ]
    meant = "make the two agree: the model's input shape is the shape of one example"
    if len(dims) == 1 and len(data) > 1:
        meant = "a Flatten first in the model, or x = x.reshape(len(x), -1)"
    return [(layer, ("input-data-shape", f"{wanted}, but {received}", meant))]


def _integers(array: np.ndarray) -> bool:
    import numpy as np

    return array.dtype.kind in "biu" or bool(np.all(np.mod(array, 1) == 0))


def _not_scaled(ctx: Context, layer: KerasLayer, x: np.ndarray) -> _Found:
    readers = ctx.consumers(layer)
    if "int" in str(getattr(layer, "dtype", "")) or not readers:
        return []
    if any(type(r).__name__ in _SCALERS for r in readers):
        return []
    low, high = float(x.min()), float(x.max())
    image = x.ndim >= 3 or x.shape[-1] >= 64
    if not image or low < 0 or not 1 < high <= 255 or not _integers(x):
        return []
    return [
        (
            layer,
            (
                "inputs-not-scaled",
                f"x holds whole numbers from {low:g} to {high:g} (pixel values?), and "
                "nothing in the model scales them: inputs this large saturate the first "
                "layers and make training slow or unstable",
                f"scale them to 0..1: x = x / {high:g} before fit (and before predict), or "
                f"a Rescaling(1 / {high:g}) layer first in the model",
            ),
        )
    ]


def _vocabulary(ctx: Context, layer: KerasLayer, x: np.ndarray) -> _Found:
    found: _Found = []
    for reader in ctx.consumers(layer):
        size = getattr(reader, "input_dim", None)
        if type(reader).__name__ != "Embedding" or not isinstance(size, int):
            continue
        largest = int(x.max()) if _integers(x) else None
        if largest is not None and largest >= size:
            message = (
                f"x holds token ids up to {largest}, but input_dim={size} gives vectors to "
                f"ids 0 to {size - 1} only: a larger id fails on a CPU and reads zeros "
                "on a GPU"
            )
            meant = f"input_dim={largest + 1} (the largest id + 1)"
            found.append((reader, ("embedding-vocabulary", message, meant)))
    return found


# --- y ------------------------------------------------------------------------------------


def _one_hot(y: np.ndarray) -> bool:
    import numpy as np

    if y.ndim != 2 or y.shape[1] < 2:
        return False
    return bool(np.isin(y, (0, 1)).all() and np.all(y.sum(axis=1) == 1))


def _class_ids(y: np.ndarray) -> bool:
    return (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)) and _integers(y)


def _labels(layer: KerasLayer, head: Head, y: np.ndarray) -> list[Parts]:
    count = units(layer)
    if head.kind == "categorical" and count and count > 1 and _class_ids(y):
        return [
            (
                "sparse-labels-categorical-loss",
                f"{head.said} expects one-hot labels of shape (N, {count}), but y holds "
                f"one class id per example, shape {tuple(y.shape)}",
                "loss='sparse_categorical_crossentropy' for integer labels, or one-hot "
                f"labels: keras.utils.to_categorical(y, {count})",
            )
        ]
    if head.kind == "sparse" and _one_hot(y):
        return [
            (
                "one-hot-labels-sparse-loss",
                f"{head.said} expects one class id per example, shape (N,), but y is "
                f"one-hot, shape {tuple(y.shape)}",
                "loss='categorical_crossentropy' for one-hot labels, or class ids: "
                "y.argmax(axis=1)",
            )
        ]
    sigmoid = activation(layer) == "sigmoid"
    if head.kind == "regression" and (_one_hot(y) or (sigmoid and _binary(y))):
        loss = "categorical_crossentropy" if _one_hot(y) else "binary_crossentropy"
        return [
            (
                "regression-loss-on-labels",
                f"{head.said} measures distances between numbers, but y holds class labels "
                f"({'one-hot' if _one_hot(y) else '0 and 1'}) and the output is a "
                "probability: the loss learns slowly once the output saturates",
                f"loss='{loss}', the loss for probabilities",
            )
        ]
    return []


def _binary(y: np.ndarray) -> bool:
    import numpy as np

    return bool(np.isin(y, (0, 1)).all())


def _label_range(layer: KerasLayer, head: Head, y: np.ndarray) -> list[Parts]:
    count = units(layer)
    if head.kind == "sparse" and count and _class_ids(y):
        low, high = int(y.min()), int(y.max())
        if high < count and low >= 0:
            return []
        shifted = low == 1 and high == count
        meant = (
            f"labels from 0 to {count - 1}: y - 1"
            if shifted
            else f"Dense({high + 1}) for class ids 0 to {high}"
        )
        return [
            (
                "labels-out-of-range",
                f"y holds class ids from {low} to {high}, but the output has {count} units, "
                f"for ids 0 to {count - 1} only: the loss is NaN or fails on the others",
                meant,
            )
        ]
    if head.kind == "binary" and not _binary(y) and _integers(y) and y.max() > 1:
        return [
            (
                "labels-out-of-range",
                f"{head.said} needs labels 0 or 1, but y holds {int(y.min())} to {int(y.max())}",
                f"for {int(y.max()) + 1} classes: Dense({int(y.max()) + 1}, "
                "activation='softmax') with loss='sparse_categorical_crossentropy'",
            )
        ]
    return []


_RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, float("inf"))}


def _output_range(layer: KerasLayer, head: Head, y: np.ndarray) -> list[Parts]:
    function = activation(layer)
    bounds = _RANGES.get(function or "")
    if bounds is None or head.task not in (None, "regression") or head.kind == "binary":
        return []
    low, high = float(y.min()), float(y.max())
    if bounds[0] <= low and high <= bounds[1]:
        return []
    top = "∞" if bounds[1] == float("inf") else f"{bounds[1]:g}"
    return [
        (
            "output-range",
            f"{function} outputs values from {bounds[0]:g} to {top}, but y runs from "
            f"{low:g} to {high:g}: the model can never reach "
            + ("the negative labels" if function == "relu" else "most of the labels"),
            "no activation on the output layer (a linear output), or labels scaled into "
            f"the output's range (e.g. y / {high:g})",
        )
    ]
