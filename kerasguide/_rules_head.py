"""Hint rules about the model's output layers: their activation and units against what
they are trained for (the :class:`~kerasguide._heads.Head`: the loss, the metrics, the
task), a layer left after the output's activation, and a per-step or per-pixel head.
"""

from __future__ import annotations

from kerasguide._heads import Head
from kerasguide._hints import (
    PROBABILITY,
    RELU_LIKE,
    Context,
    Hint,
    Parts,
    activation,
    output_names,
    passthrough,
    returns_sequences,
    shape,
    show,
    units,
)
from kerasguide._types import KerasLayer

__all__ = ["head_hints"]


def head_hints(ctx: Context, heads: dict[str, Head]) -> list[Hint]:
    """Hints about each output layer of the model."""
    found: list[Hint] = []
    for name in output_names(ctx.model):
        layer = ctx.layers.get(name)
        if layer is None:
            continue
        found += _after_output(ctx, layer)
        head = heads.get(name)
        if head is not None:
            scored = _scored(ctx, layer)
            for rule in (_probability, _against_loss, _regression):
                found += [ctx.hint(scored, *parts) for parts in rule(scored, head)]
        found += _sequence_head(ctx, layer)
    return found


def _scored(ctx: Context, layer: KerasLayer) -> KerasLayer:
    """The layer whose activation the loss sees: the output, once trailing dropout and
    normalisation (which ``_after_output`` reports) are skipped."""
    current = layer
    while activation(current) is None and passthrough(current):
        before = ctx.previous(current)
        if before is None or before.name not in ctx.layers:
            break
        current = before
    return current


def _probability(layer: KerasLayer, head: Head) -> list[Parts]:
    function = activation(layer)
    if head.expect is None or function is None:
        return []
    count = units(layer)
    if count == 1:
        meant = "activation='sigmoid' (one unit: the probability of 'yes')"
    else:
        meant = (
            f"activation='softmax' ({count or 'n'} classes whose probabilities sum to 1), "
            "or 'sigmoid' for independent yes/no labels"
        )
    meant += ", or keep the logits and give the loss from_logits=True"
    checked = "the output is checked against probabilities, but "
    if head.expect == "logits":
        if function not in PROBABILITY:
            return []
        return [
            (
                "activation-with-logits",
                f"the loss expects logits (from_logits=True), but {function} already turns "
                "them into probabilities, so the loss applies it a second time",
                "no activation on the output layer, or a loss with from_logits=False",
            )
        ]
    if function == "linear":
        text = "it has no activation, so it outputs any real number (logits)"
        return [("missing-output-activation", checked + text, meant)]
    if function in RELU_LIKE:
        text = f"{function} outputs any value from 0 upward, never a probability"
        return [("relu-output", checked + text, meant)]
    if function not in PROBABILITY:
        text = f"{function} does not output a probability from 0 to 1"
        return [("wrong-output-activation", checked + text, meant)]
    return []


def _against_loss(layer: KerasLayer, head: Head) -> list[Parts]:
    """A classification head whose activation or units do not fit the loss or the task."""
    function, count = activation(layer), units(layer)
    classify = head.kind in ("categorical", "sparse") or head.task == "classification"
    if classify and count == 1:
        return [
            (
                "one-unit-classifier",
                f"{head.said} needs one output per class, but this layer has one unit: "
                "the only class always has probability 1 (the loss stays 0), or any label "
                "above 0 is out of range",
                "for yes/no labels: Dense(1, activation='sigmoid') with "
                "loss='binary_crossentropy'; for n classes: Dense(n, activation='softmax')",
            )
        ]
    if classify and not head.from_logits and function == "sigmoid":
        return [
            (
                "sigmoid-with-categorical-loss",
                f"{head.said} expects one probability distribution over the {count} classes "
                "(outputs that sum to 1), but sigmoid gives each unit its own value from 0 "
                "to 1, so the loss rescales them and learns from the wrong numbers",
                "activation='softmax' for one class per example; for several labels per "
                "example, keep sigmoid with loss='binary_crossentropy'",
            )
        ]
    binary = head.kind == "binary" or (head.kind is None and head.task == "binary")
    if binary and function == "softmax" and count is not None and count > 2:
        return [
            (
                "softmax-with-binary-loss",
                f"{head.said} scores each of the {count} outputs as its own yes/no "
                "probability, but softmax makes them compete (they sum to 1); its "
                "'accuracy' is then binary accuracy over the outputs, high whatever the "
                "model does",
                "loss='categorical_crossentropy' (one-hot labels) or "
                "'sparse_categorical_crossentropy' (integer labels) for one class per "
                "example; activation='sigmoid' for several labels per example",
            )
        ]
    return []


def _regression(layer: KerasLayer, head: Head) -> list[Parts]:
    """A regression head squashed by softmax, or measured with accuracy."""
    if head.task != "regression":
        return []
    found: list[Parts] = []
    count = units(layer)
    if activation(layer) == "softmax":
        what = "always 1.0" if count == 1 else f"{count} positive numbers that sum to 1"
        found.append(
            (
                "softmax-regression",
                f"{head.said} asks for numbers of any size, but softmax makes the output "
                f"{what}, whatever the input",
                "no activation on the output layer (a linear output), e.g. "
                f"Dense({count or 1}); softmax belongs to classification, with "
                "loss='categorical_crossentropy'",
            )
        )
    accuracy = [m for m in head.metrics if m in ("accuracy", "acc")]
    if accuracy:
        found.append(
            (
                "accuracy-on-regression",
                f"{head.said} is a regression, but metrics=[{accuracy[0]!r}] counts the "
                "predictions equal to the labels, which a real-valued output almost never "
                "is: it stays near 0 however well the model learns",
                "metrics=['mae'] (the mean absolute error, in the labels' unit); if this "
                "is a classification, a classification loss",
            )
        )
    return found


def _after_output(ctx: Context, layer: KerasLayer) -> list[Hint]:
    """BatchNormalization or dropout after the output's sigmoid or softmax."""
    trailing = []
    current: KerasLayer | None = layer
    while current is not None and activation(current) is None and passthrough(current):
        trailing.append(current)
        current = ctx.previous(current)
    function = activation(current) if current is not None else None
    if current is None or function not in PROBABILITY:
        return []
    found = []
    for extra in reversed(trailing):
        kind = type(extra).__name__
        if "Normalization" in kind:
            message = (
                f"{kind} after the output's {function} shifts and rescales the "
                "probabilities, so the model's outputs no longer lie between 0 and 1"
                + (" or sum to 1" if function == "softmax" else "")
            )
            meant = (
                f"remove it, or move it before the output layer {current.name!r} "
                "(Dense → BatchNormalization → Activation in the hidden layers)"
            )
            found.append(ctx.hint(extra, "normalization-after-output", message, meant))
        else:
            message = (
                f"{kind} after the output's {function} sets some probabilities to 0 and "
                "scales the others up during training, so they can exceed 1 and the loss "
                "jumps"
            )
            meant = f"remove it; dropout belongs between hidden layers, before {current.name!r}"
            found.append(ctx.hint(extra, "dropout-after-output", message, meant))
    return found


def _sequence_head(ctx: Context, out: KerasLayer) -> list[Hint]:
    """A Dense at the output applied per step or per position: a forgotten Flatten or flag."""
    dense: KerasLayer | None = out
    while dense is not None and passthrough(dense):
        dense = ctx.previous(dense)
    given = shape(dense, "input") if type(dense).__name__ == "Dense" else None
    if dense is None or given is None or len(given) < 3:
        return []
    shown = show(shape(out))
    source = ctx.source(dense)
    if returns_sequences(source):
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
        return [ctx.hint(source, "return-sequences", message, meant)]
    pooling = f"GlobalAveragePooling{min(len(given) - 2, 3)}D"
    message = (
        f"its input {show(given)} has {len(given)} axes and Dense works only on the last "
        f"one, so the model outputs {shown}: one answer per position, not per example"
    )
    meant = (
        f"a Flatten (or {pooling}) before the Dense layers, for one answer per example; "
        "one answer per position (a time step, a pixel) is right only for "
        "sequence-to-sequence or segmentation models"
    )
    return [ctx.hint(dense, "dense-without-flatten", message, meant)]
