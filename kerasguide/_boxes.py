"""What a diagram's boxes say and how they are coloured: layers, and folded blocks."""

from __future__ import annotations

from dataclasses import dataclass

from kerasguide._graph import DiagramNode, is_graph_model, is_layer, wrapper_type
from kerasguide._rows import output_shapes
from kerasguide._shapes import Shape, format_shapes
from kerasguide._types import KerasNode, KerasOperation

# Box colours by the Keras module that defines the layer (a palette for colour-blind eyes).
COLORS = {
    "input_layer": "#d4edda",
    "convolutional": "#fde3c8",
    "pooling": "#fff1b8",
    "rnn": "#e5dbf5",
    "normalization": "#e3e3e3",
    "regularization": "#ececec",
    "merging": "#fbe3ee",
    "reshaping": "#e0f2f1",
}
DEFAULT_COLOR = "#dbe8f6"
MODEL_COLOR = "#f3d9c9"
BLOCK_COLOR = "#e4dcf3"  # a folded block or run of blocks
STUB_COLOR = "#f4f4f4"  # where a block drawn in full takes its inputs from


@dataclass(frozen=True)
class DiagramOptions:
    """What a diagram shows, checked once on entry."""

    show_shapes: bool = True
    show_layer_names: bool = True
    show_layer_activations: bool = False
    show_params: bool = True
    rankdir: str = "TB"
    expand_nested: bool = False
    dpi: float = 200.0


def box_lines(
    node: DiagramNode, options: DiagramOptions, *, compact: bool = False, name: str = ""
) -> tuple[str, ...]:
    """The lines of a layer's box: name and type, output shape, activation, parameters.

    ``compact`` puts the shape and the parameters on one line (folded diagrams);
    ``name`` replaces the layer's name (a shorter one, inside a block drawn in full).
    """
    layer = node.layer
    kind = wrapper_type(layer)
    lines = [f"{name or layer.name} ({kind})" if options.show_layer_names else kind]
    details = []
    if options.show_shapes:
        details.append(call_shapes(layer, node.calls))
    activation = getattr(layer, "activation", None)
    if options.show_layer_activations and activation is not None:
        details.append("activation: " + getattr(activation, "__name__", str(activation)))
    count = layer_params(layer)
    if options.show_params and kind != "InputLayer" and (count or not compact):
        details.append(params_text(count))
    if compact and details:
        return (lines[0], " · ".join(details))
    return tuple(lines + details)


def call_shapes(layer: KerasOperation, calls: tuple[KerasNode, ...]) -> str:
    """Output shape(s); a shared layer called with different shapes lists each call's."""
    texts: list[str] = []
    for call in calls or (None,):
        text = format_shapes(output_shapes(layer, call))
        if text not in texts:
            texts.append(text)
    return " | ".join(texts)


def layer_params(layer: KerasOperation) -> int:
    """A layer's parameters, as Keras counts them (0 for an operation)."""
    return int(layer.count_params()) if is_layer(layer) and layer.weights else 0


def params_text(count: int) -> str:
    return f"{count:,} param" + ("" if count == 1 else "s")


def flow_text(inputs: tuple[Shape, ...], outputs: tuple[Shape, ...]) -> str:
    """``(None, 56, 56, 64) → (None, 56, 56, 256)``: what a block takes and makes."""
    if not inputs:
        return format_shapes(outputs)
    if inputs == outputs:
        return f"{format_shapes(inputs)} → same"
    return f"{format_shapes(inputs)} → {format_shapes(outputs)}"


def box_color(layer: KerasOperation) -> str:
    if is_graph_model(layer) or hasattr(layer, "layers"):
        return MODEL_COLOR
    module = type(layer).__module__.split(".")
    return next((COLORS[part] for part in module if part in COLORS), DEFAULT_COLOR)
