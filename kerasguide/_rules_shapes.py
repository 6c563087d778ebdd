"""Hint rules about a model's inputs: a batch size inside the input shape, images whose
channels come first, integer ids read as amounts.

Each rule takes the :class:`~kerasguide._hints.Context` and one InputLayer.
"""

from __future__ import annotations

from collections.abc import Callable

from kerasguide._hints import Context, Parts, shape, show
from kerasguide._rules_layers import window
from kerasguide._shapes import Shape
from kerasguide._types import KerasLayer

__all__ = ["INPUT_RULES", "fixed_shape", "looks_batched"]

# Layers that read a sequence of any length, or a stack of images (video, volumes): a
# None or a number first in the input shape is then their time or depth axis.
_SEQUENCE_WORDS = ("RNN", "LSTM", "GRU", "Bidirectional", "1D", "3D", "Attention")
_SEQUENCE_TYPES = {"Embedding", "TimeDistributed", "ConvLSTM2D", "Conv1D", "Conv3D"}
_ID_READERS = {
    "Embedding",
    "CategoryEncoding",
    "IntegerLookup",
    "StringLookup",
    "Hashing",
    "TextVectorization",
}
_BATCH_SIZES = {2**n for n in range(3, 11)}


def _has_sequence_layers(ctx: Context) -> bool:
    kinds = {type(layer).__name__ for layer in ctx.layers.values()}
    return any(k in _SEQUENCE_TYPES or any(w in k for w in _SEQUENCE_WORDS) for k in kinds)


def fixed_shape(ctx: Context, layer: KerasLayer, dims: Shape) -> str:
    """How the student writes the input shape ``dims``: in the spec, or in Keras."""
    text = ", ".join("null" if d is None else str(d) for d in dims)
    path = ctx.paths.get(layer.name)
    if path is not None:
        return f"{path}: [{text}]"
    python = ", ".join("None" if d is None else str(d) for d in dims)
    return f"keras.Input(shape=({python}{',' if len(dims) == 1 else ''}))"


def looks_batched(found: Shape) -> bool:
    """An input shape (batch axis included) that seems to hold a batch size as well:
    ``(None, 32, 28, 28)`` or ``(None, 64, 28, 28, 1)``, images of one size after a power of 2."""
    dims = found[1:]
    if not dims or dims[0] not in _BATCH_SIZES or None in dims:
        return False
    if len(dims) == 3:
        return dims[1] == dims[2] != dims[0]
    return len(dims) == 4 and dims[1] == dims[2] != dims[0] and dims[3] in (1, 3, 4)


def _batch_in_input_shape(ctx: Context, layer: KerasLayer) -> list[Parts]:
    found = shape(layer)
    if not found or len(found) < 3 or _has_sequence_layers(ctx):
        return []
    dims = found[1:]
    leading_none = dims[0] is None and None not in dims[1:]
    if not leading_none and not looks_batched(found):
        return []
    fix = fixed_shape(ctx, layer, dims[1:])
    given = "[" + ", ".join("None" if d is None else str(d) for d in dims) + "]"
    if leading_none:
        return [
            (
                "batch-in-input-shape",
                f"the input shape {given} starts with None for the batch, but Keras adds "
                f"the batch axis itself: the model expects {show(found)}, one axis more "
                f"than data of shape (N, {', '.join(map(str, dims[1:]))})",
                f"drop the leading None: {fix}",
            )
        ]
    return [
        (
            "batch-in-input-shape",
            f"the input shape {given} seems to include a batch size of {dims[0]}, but Keras "
            f"adds the batch axis itself: the model expects {show(found)}, so each example "
            f"would be {dims[0]} images",
            f"drop the batch size: {fix}, and give it to fit(..., batch_size={dims[0]})",
        )
    ]


def _first_window(ctx: Context, layer: KerasLayer) -> KerasLayer | None:
    """The first convolution or pooling that reads ``layer``'s output, through other layers
    that keep the shape."""
    todo = ctx.consumers(layer)
    while todo:
        current = todo.pop(0)
        if window(current) is not None:
            return current
        if shape(current) == shape(current, "input"):
            todo += ctx.consumers(current)
    return None


def _channels_first(ctx: Context, layer: KerasLayer) -> list[Parts]:
    found = shape(layer)
    if not found or len(found) != 4 or None in found[1:]:
        return []
    channels, height, width = (int(d or 0) for d in found[1:])
    reader = _first_window(ctx, layer)
    last = getattr(reader, "data_format", None) == "channels_last"
    if channels not in (1, 3, 4) or height < 8 or width < 8 or not last or reader is None:
        return []
    kind = type(reader).__name__
    return [
        (
            "channels-first",
            f"the input {show(found)} puts {channels} first, as channels-first images "
            f"(PyTorch, Theano) do, but {kind} {reader.name!r} reads the channels last: it "
            f"sees images {channels} pixel{'s' if channels > 1 else ''} high and {height} "
            f"wide, with {width} channels",
            f"{fixed_shape(ctx, layer, (height, width, channels))} with the data's axes moved "
            "to match (np.moveaxis(x, 1, -1)); or data_format='channels_first' on every "
            "convolution and pooling",
        )
    ]


def _integer_input_without_embedding(ctx: Context, layer: KerasLayer) -> list[Parts]:
    dtype = str(getattr(layer, "dtype", ""))
    if "int" not in dtype:
        return []
    readers = [c for c in ctx.consumers(layer) if type(c).__name__ not in _ID_READERS]
    kinds = {"Dense", "LSTM", "GRU", "SimpleRNN", "Bidirectional", "Conv1D", "RNN"}
    reader = next((c for c in readers if type(c).__name__ in kinds), None)
    if reader is None:
        return []
    return [
        (
            "integer-input-without-embedding",
            f"the input holds integers ({dtype}), which look like token or category ids, "
            f"but {type(reader).__name__} {reader.name!r} reads them as amounts: "
            "id 500 counts as 500 times id 1",
            "an Embedding(vocabulary size, vector size) after the input (or one-hot ids "
            "with CategoryEncoding); if the values really are amounts, a float32 input",
        )
    ]


Rule = Callable[[Context, KerasLayer], list[Parts]]
INPUT_RULES: tuple[Rule, ...] = (
    _batch_in_input_shape,
    _channels_first,
    _integer_input_without_embedding,
)
"""Every rule about one model input (an InputLayer)."""
