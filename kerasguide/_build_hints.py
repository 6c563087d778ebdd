"""What a shape error from Keras means, and its precise fix: the hint of a ``BuildError``.

``build`` catches Keras's error when a layer refuses its input, and asks
:func:`shape_error_hint` for the likely fix, read from the input's shape and the
layers that made it (``_graph.lineage``): a channel axis to add, a batch axis to drop,
a time axis to give a recurrent layer, the poolings that shrank a map to nothing.
"""

from __future__ import annotations

from typing import Any

from kerasguide import _graph
from kerasguide._keras import keras
from kerasguide._shapes import Shape, format_shapes
from kerasguide._types import KerasOperation, KerasTensor

__all__ = ["layer_outputs", "refuse_empty", "shape_error_hint"]

_CHANNELS = {"Conv1D": 3, "Conv2D": 4, "Conv3D": 5, "SeparableConv2D": 4, "DepthwiseConv2D": 4}
_CHANNELS |= {f"{kind}Pooling{n}D": n + 2 for kind in ("Max", "Average") for n in (1, 2, 3)}


def shape_error_hint(
    err: Exception,
    tensors: list[KerasTensor],
    layer: KerasOperation | None,
    label: str,
    *,
    sequential: bool,
) -> str:
    """The likely fix of a layer that refused its input's shape (Keras's error ``err``);
    ``sequential`` says how the spec writes its input shape."""
    text = str(err)
    for reader in (_missing_channels, _no_time_axis, _batch_axis, _over_pooled):
        hint = reader(text, tensors, layer, label)
        if hint:
            return hint.replace(_INPUT, "input_shape" if sequential else _named(tensors))
    return (
        "Check the layers that feed it; a Flatten or Reshape may be missing, "
        "or a merge may need matching shapes"
    )


def refuse_empty(out: Any) -> Any:
    """``out``, a layer's output, unless one of its tensors has a dimension of size 0.

    Keras 3.3 to 3.6 let a pooling shrink a map to nothing, ``(None, 0, 0, 1)``, where
    later versions refuse it as a convolution does; the error raised here is read by
    :func:`shape_error_hint` in the same way.

    Example:
        >>> refuse_empty([])
        []
    """
    for tensor in keras().tree.flatten(out):
        shape = tuple(getattr(tensor, "shape", None) or ())
        if 0 in shape:
            raise ValueError(
                "Computed output size would be zero or negative (this Keras makes it "
                f"empty: {format_shapes((shape,))})"
            )
    return out


def layer_outputs(layers: list[Any]) -> list[Any]:
    """The output tensors of ``layers`` (a built Sequential's), for :func:`refuse_empty`."""
    found = []
    for layer in layers:
        try:
            found.append(layer.output)
        except (AttributeError, ValueError):  # no single output: refuse_empty has nothing
            continue
    return found


_INPUT = "\0input"  # replaced by how the spec writes the input's shape


def _named(tensors: list[KerasTensor]) -> str:
    """``inputs.image``: a functional spec's input, by the name of the one that made it."""
    first = _graph.lineage(tensors[0])[0][0] if tensors else None
    return f"inputs.{first.name}" if first is not None else "the input's shape"


def _from_input(tensor: KerasTensor) -> bool:
    return type(tensor._keras_history.operation).__name__ == "InputLayer"


def _dims(shape: Shape) -> str:
    return "[" + ", ".join("null" if d is None else str(d) for d in shape) + "]"


def _missing_channels(
    text: str, tensors: list[KerasTensor], layer: KerasOperation | None, label: str
) -> str:
    rank = _CHANNELS.get(label)
    found = tuple(tensors[0].shape) if tensors else ()
    if rank is None or f"found ndim={rank - 1}" not in text or len(found) != rank - 1:
        return ""
    with_channel = (*found[1:], 1)
    what = {3: "sequence", 4: "image", 5: "volume"}[rank]
    if _from_input(tensors[0]):
        return (
            f"{label} needs a channel axis last: (batch, {_axes(rank)}, channels), but each "
            f"{what} is {_dims(found[1:])}: add a channel axis: {_INPUT}: "
            f"{_dims(with_channel)} (1 for grayscale, 3 for colour), and give the data the "
            "same axis: x = x[..., None]"
        )
    return (
        f"{label} needs a channel axis last: (batch, {_axes(rank)}, channels); add a "
        f"Reshape to {_dims(with_channel)} before it"
    )


def _axes(rank: int) -> str:
    return {3: "steps", 4: "height, width", 5: "depth, height, width"}[rank]


def _no_time_axis(
    text: str, tensors: list[KerasTensor], layer: KerasOperation | None, label: str
) -> str:
    if "expected ndim=3, found ndim=2" not in text:
        return ""
    for tensor in tensors:
        source = tensor._keras_history.operation
        if getattr(source, "return_sequences", True) is False:
            return (
                f"{label} needs a sequence (batch, steps, features), but {source.name!r} "
                "returns only its last step: give it return_sequences: true"
            )
    found = tuple(tensors[0].shape) if tensors else ()
    if tensors and _from_input(tensors[0]) and len(found) == 2:
        return (
            f"{label} needs a sequence (batch, steps, features), but each example is "
            f"{_dims(found[1:])}: give the input a time axis: {_INPUT}: "
            f"{_dims((found[1], 1))} ({found[1]} steps of 1 feature), and the data too: "
            "x = x[..., None]"
        )
    return f"{label} needs a sequence (batch, steps, features); a Reshape may be missing"


def _batch_axis(
    text: str, tensors: list[KerasTensor], layer: KerasOperation | None, label: str
) -> str:
    if "must be fully-defined" not in text:
        return ""
    first = _graph.lineage(tensors[0])[0][1] if tensors else ()
    if len(first) >= 3 and first[1] is None and None not in first[2:]:
        return (
            f"The input shape {_dims(first[1:])} starts with null (None): Keras adds the "
            "batch axis itself, so this one is read as an axis of unknown length, and "
            f"{label} cannot size its weights: drop the leading None: {_INPUT}: "
            f"{_dims(first[2:])}"
        )
    return (
        f"{label} has weights, and their size depends on the last dimension of its "
        "input, which is unknown (null): give that dimension in the input shape"
    )


def _over_pooled(
    text: str, tensors: list[KerasTensor], layer: KerasOperation | None, label: str
) -> str:
    if "would be zero or negative" not in text and "would be negative" not in text:
        return ""  # (Keras before 3.5 says "would be negative" for a convolution)
    window = getattr(layer, "pool_size", None) or getattr(layer, "kernel_size", None)
    steps: list[tuple[str, str]] = []
    for operation, shape in _graph.lineage(tensors[0]) if tensors else []:
        sizes = _spatial(shape, operation)
        if sizes and (not steps or steps[-1][1] != sizes):
            steps.append((operation.name, sizes))
    shrink = " → ".join(f"{s} ({name})" for name, s in steps)
    size = "×".join(map(str, window)) if isinstance(window, tuple) else "its"
    return (
        f"The map shrinks {shrink}, and a {size} window no longer fits in it: remove "
        "this layer or one of the poolings before it, or give the convolutions "
        "padding='same' so that they keep the size"
        if len(steps) > 1
        else "The input is smaller than the kernel or pool: use a smaller kernel_size or "
        "pool_size, padding: same, or fewer poolings before it"
    )


def _spatial(shape: Shape, operation: KerasOperation) -> str:
    """``13×13``: the spatial sizes of an image-like shape (batch and channels left out)."""
    if len(shape) < 3:
        return ""
    first = getattr(operation, "data_format", "channels_last") == "channels_first"
    dims = shape[2:] if first else shape[1:-1]
    return "×".join("?" if d is None else str(d) for d in dims)
