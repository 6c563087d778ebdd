"""Hint rules that read one layer's settings (and, for a few, the layer next to it).

Each rule takes the :class:`~kerasguide._hints.Context` and a layer, and returns the
:data:`~kerasguide._hints.Parts` (code, what looks wrong, the fix) it finds.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from kerasguide import _graph
from kerasguide._hints import (
    ACTIVATION_LAYERS,
    Context,
    Parts,
    activation,
    recurrent,
    shape,
    show,
)
from kerasguide._types import KerasLayer

__all__ = ["LAYER_RULES"]


def _softmax_one_unit(ctx: Context, layer: KerasLayer) -> list[Parts]:
    found = shape(layer)
    axis = getattr(layer, "axis", -1) if type(layer).__name__ == "Softmax" else -1
    if activation(layer) != "softmax" or not found or not isinstance(axis, int):
        return []
    if not (-len(found) <= axis < len(found) and found[axis] == 1):
        return []
    return [
        (
            "softmax-one-unit",
            "softmax over one unit always outputs 1.0, whatever the input "
            "(it divides exp(x) by itself), so the model cannot learn",
            "activation='sigmoid' for one unit (the probability of 'yes'), "
            "or Dense(n_classes, activation='softmax') with one unit per class",
        )
    ]


def _dropout_rates(layer: KerasLayer) -> list[tuple[str, float]]:
    kind = type(layer).__name__
    if kind == "Bidirectional":
        return _dropout_rates(_graph.wrapped_layers(layer)[0])  # the forward layer
    names = ("rate",) if "Dropout" in kind else ("dropout", "recurrent_dropout")
    rates = [(name, getattr(layer, name, None)) for name in names]
    return [(name, float(rate)) for name, rate in rates if isinstance(rate, (int, float))]


def _dropout_high(ctx: Context, layer: KerasLayer) -> list[Parts]:
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


def _no_effect(ctx: Context, layer: KerasLayer) -> list[Parts]:
    kind = type(layer).__name__
    remove = "remove it, or "
    # A layer named as an identity means it (ConvNeXt's placeholder for stochastic depth).
    if kind == "Activation" and activation(layer) == "linear" and "identity" not in layer.name:
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
    given = shape(layer, "input")
    if kind == "Flatten" and given is not None and len(given) <= 2:
        return [
            (
                "no-effect",
                f"its input {show(given)} is already flat, so Flatten changes nothing",
                "remove it; Flatten belongs after a layer with a 3-D or larger output "
                "(a convolution, a pooling, an Embedding)",
            )
        ]
    return _pooling_no_effect(layer)


# --- convolutions and pooling -------------------------------------------------------------


def window(layer: KerasLayer) -> tuple[str, tuple[int, ...], tuple[int, ...]] | None:
    """(``"kernel_size"`` or ``"pool_size"``, its size, the strides) of a windowed layer."""
    for name in ("kernel_size", "pool_size"):
        size = getattr(layer, name, None)
        strides = getattr(layer, "strides", None)
        if isinstance(size, tuple) and isinstance(strides, tuple) and len(size) == len(strides):
            return name, size, strides
    return None


def spatial(layer: KerasLayer, attribute: str = "input") -> tuple[int | None, ...] | None:
    """The spatial sizes of a layer's input (or output): no batch, no channel axis."""
    found = shape(layer, attribute)
    sized = window(layer)
    if found is None or sized is None or len(found) != len(sized[1]) + 2:
        return None
    first = getattr(layer, "data_format", "channels_last") == "channels_first"
    return found[2:] if first else found[1:-1]


def _pooling_no_effect(layer: KerasLayer) -> list[Parts]:
    sized, sizes = window(layer), spatial(layer)
    if sized is None or sizes is None or sized[0] != "pool_size" or any(d != 1 for d in sizes):
        return []
    return [
        (
            "no-effect",
            f"its input {show(shape(layer, 'input'))} is already 1 pixel wide, so the pooling "
            "has nothing to take the maximum or average of: the map was pooled too often",
            "remove this pooling (and check the ones before it: each 2×2 pooling halves "
            "the size), or Flatten here",
        )
    ]


def _kernel_larger_than_input(ctx: Context, layer: KerasLayer) -> list[Parts]:
    sized, sizes = window(layer), spatial(layer)
    if sized is None or sizes is None or sized[0] != "kernel_size":
        return []
    size = sized[1]
    if any(d != 1 for d in sizes) or all(k == 1 for k in size):
        return []
    count = math.prod(size)
    return [
        (
            "kernel-larger-than-input",
            f"its input {show(shape(layer, 'input'))} is a 1-pixel map, so of each "
            f"{'×'.join(map(str, size))} kernel only the centre weight ever sees the image: "
            f"the other {count - 1} of every {count} weights read the padding's zeros",
            "fewer poolings (or strided layers) before it, so that the map is still larger "
            "than the kernel here, or kernel_size=1",
        )
    ]


def _stride_skips_input(ctx: Context, layer: KerasLayer) -> list[Parts]:
    sized = window(layer)
    if sized is None:
        return []
    name, size, strides = sized
    if not any(k > 1 and s > k for k, s in zip(size, strides, strict=True)):
        return []
    text = "×".join(map(str, size))
    return [
        (
            "stride-skips-input",
            f"strides={strides} are larger than its {name} {text}: the windows do not touch, "
            f"so the values between them are never read",
            f"strides no larger than the {name} (strides={size} for windows side by side, "
            "the default for a pooling; 1 or 2 for a convolution)",
        )
    ]


# --- normalisation and regularisation ---------------------------------------------------


def _batchnorm_axis(ctx: Context, layer: KerasLayer) -> list[Parts]:
    found = shape(layer, "input")
    axis = getattr(layer, "axis", None)
    if type(layer).__name__ != "BatchNormalization" or not found or not isinstance(axis, int):
        return []
    rank = len(found)
    source = ctx.source(layer)
    first = getattr(source, "data_format", None) == "channels_first"
    if rank < 3 or axis % rank == rank - 1 or first:
        return []
    return [
        (
            "batchnorm-axis",
            f"axis={axis} normalises each of the {found[axis]} entries of axis {axis % rank} "
            f"of its input {show(found)} on its own, not each of the {found[-1]} channels, "
            "which come last in Keras",
            "axis=-1 (the default: the channels); axis=1 is only for channels_first data, "
            "as in Keras 1 or Theano code",
        )
    ]


def _batchnorm_momentum(ctx: Context, layer: KerasLayer) -> list[Parts]:
    momentum = getattr(layer, "momentum", None)
    if type(layer).__name__ != "BatchNormalization" or not isinstance(momentum, float):
        return []
    if momentum >= 0.5:
        return []
    return [
        (
            "batchnorm-momentum",
            f"momentum={momentum:g} keeps only {momentum:.0%} of the running mean and variance "
            "at each step, so the statistics used for prediction follow the last few batches",
            f"momentum=0.99 (Keras's default) or 0.9; PyTorch's momentum={momentum:g} is "
            f"Keras's momentum={1 - momentum:g}",
        )
    ]


_REGULARIZED = (
    "kernel_regularizer",
    "bias_regularizer",
    "activity_regularizer",
    "recurrent_regularizer",
    "depthwise_regularizer",
    "pointwise_regularizer",
    "embeddings_regularizer",
)


def _regularizer_high(ctx: Context, layer: KerasLayer) -> list[Parts]:
    found = []
    for name in _REGULARIZED:
        regularizer = getattr(layer, name, None)
        config: dict[str, object] = (
            getattr(regularizer, "get_config", dict)() if regularizer is not None else {}
        )
        factors = {k: v for k, v in config.items() if k in ("l1", "l2") and isinstance(v, float)}
        strong = {k: v for k, v in factors.items() if v > 0.1}
        if strong:
            text = ", ".join(f"{k}={v:g}" for k, v in strong.items())
            found.append(
                (
                    "regularizer-high",
                    f"{name} with {text} adds {max(strong.values()):g} × the size of the "
                    "weights to the loss: a penalty this large outweighs the data and "
                    "pushes the weights to 0",
                    "a factor of 1e-4 to 1e-2, e.g. keras.regularizers.L2(1e-3)",
                )
            )
    return found


# --- activations, Dense stacks and embeddings -----------------------------------------------


def _double_activation(ctx: Context, layer: KerasLayer) -> list[Parts]:
    kind = type(layer).__name__
    if kind not in ("Activation", "Softmax", *ACTIVATION_LAYERS):
        return []
    before = ctx.previous(layer)
    first = activation(before) if before is not None else None
    second = activation(layer)
    if before is None or first in (None, "linear") or len(ctx.consumers(before)) != 1:
        return []
    if first == second:
        what = (
            "softmax twice squashes the probabilities towards equal values"
            if first == "softmax"
            else f"{first} of {first} changes nothing but costs time"
        )
    else:
        what = f"the {second} reads outputs already passed through {first}"
        if first in ("relu", "sigmoid") and second == "softmax":
            what += f" (all {'≥ 0' if first == 'relu' else 'from 0 to 1'}), so the classes "
            what += "can barely be told apart"
    return [
        (
            "double-activation",
            f"{before.name!r} already applies activation='{first}', and this layer applies "
            f"{second} on top of it: {what}",
            f"one activation: remove activation='{first}' from {before.name!r}, "
            "or remove this layer",
        )
    ]


def _linear_stack(ctx: Context, layer: KerasLayer) -> list[Parts]:
    if not ctx.trained or type(layer).__name__ != "Dense" or activation(layer) != "linear":
        return []
    after = ctx.consumers(layer)
    while len(after) == 1 and "Dropout" in type(after[0]).__name__:
        after = ctx.consumers(after[0])
    if len(after) != 1 or type(after[0]).__name__ != "Dense" or len(ctx.consumers(layer)) != 1:
        return []
    return [
        (
            "linear-stack",
            f"it has no activation and feeds Dense {after[0].name!r} directly: two linear "
            "layers in a row compute one linear function, so this layer adds weights but "
            "no power to learn",
            f"activation='relu' on {layer.name!r}: a hidden layer needs a non-linearity",
        )
    ]


def _embedding_swapped(ctx: Context, layer: KerasLayer) -> list[Parts]:
    size, vector = getattr(layer, "input_dim", None), getattr(layer, "output_dim", None)
    if type(layer).__name__ != "Embedding" or not isinstance(size, int):
        return []
    if not isinstance(vector, int) or vector <= size or vector < 1000:
        return []
    return [
        (
            "embedding-swapped",
            f"input_dim={size} is the vocabulary (token ids 0 to {size - 1}) and "
            f"output_dim={vector} the length of each token's vector: {size} tokens with "
            f"{vector} numbers each looks like the two were swapped",
            f"Embedding(input_dim={vector}, output_dim={size}): the vocabulary size first, "
            "then the vector size",
        )
    ]


def _recurrent_one_step(ctx: Context, layer: KerasLayer) -> list[Parts]:
    found = shape(layer, "input")
    if not isinstance(layer, recurrent()) or not found or len(found) != 3 or found[1] != 1:
        return []
    return [
        (
            "recurrent-one-step",
            f"its input {show(found)} has 1 time step of {found[2]} features, so its "
            "recurrent weights never see a previous step: it works as a Dense layer",
            f"the steps along axis 1: e.g. an input shape of [{found[2]}, 1] "
            f"({found[2]} steps of one value each), or a Dense layer if the data has no order",
        )
    ]


Rule = Callable[[Context, KerasLayer], list[Parts]]
LAYER_RULES: tuple[Rule, ...] = (
    _softmax_one_unit,
    _dropout_high,
    _no_effect,
    _kernel_larger_than_input,
    _stride_skips_input,
    _batchnorm_axis,
    _batchnorm_momentum,
    _regularizer_high,
    _double_activation,
    _linear_stack,
    _embedding_swapped,
    _recurrent_one_step,
)
"""Every rule about one layer, in the order their hints are listed."""
