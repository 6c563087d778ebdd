"""Hints for legal but wrong models: what Keras accepts and a student rarely means.

``lint`` reads a built Keras model (a spec is built first, and its hints name
the spec path) and returns :class:`Hints`: each :class:`Hint` has a stable
``code``, says where, what looks wrong, and what was probably meant. Hints
never block anything; ``build`` emits them as :class:`KerasGuideWarning`.

Codes::

    softmax-one-unit           softmax over one value always outputs 1.0
    missing-output-activation  no sigmoid/softmax where probabilities are expected
    relu-output                relu on an output expected to be a probability
    wrong-output-activation    another activation where probabilities are expected
    activation-with-logits     sigmoid/softmax on an output expected to be logits
    dense-without-flatten      Dense on a 3-D or larger input at the model's output
    return-sequences           return_sequences left on the last recurrent layer
    dropout-high               a dropout rate of 0.9 or more
    no-effect                  a layer that changes nothing (Activation linear, Dropout 0)

Silence hints by name: ``lint(..., ignore=[...])``, ``build(..., ignore_hints=[...])``
(``"all"`` for every hint), or for a whole course the environment variable
``KERASGUIDE_IGNORE_HINTS`` (names separated by commas or spaces, or ``all``).
"""

from __future__ import annotations

import html
import os
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import kerasguide._keras as _k
from kerasguide import _graph
from kerasguide._suggest import did_you_mean
from kerasguide.errors import KerasGuideWarning, OptionError

__all__ = ["CODES", "ENV_VAR", "Hint", "Hints", "lint", "lint_model", "warn_hints"]

CODES: dict[str, str] = {
    "softmax-one-unit": "softmax over one value always outputs 1.0",
    "missing-output-activation": "no sigmoid/softmax where probabilities are expected",
    "relu-output": "relu on an output expected to be a probability",
    "wrong-output-activation": "another activation where probabilities are expected",
    "activation-with-logits": "sigmoid/softmax on an output expected to be logits",
    "dense-without-flatten": "Dense on a 3-D or larger input at the model's output",
    "return-sequences": "return_sequences left on the last recurrent layer",
    "dropout-high": "a dropout rate of 0.9 or more",
    "no-effect": "a layer that changes nothing",
}
ENV_VAR = "KERASGUIDE_IGNORE_HINTS"
EXPECT = ("probabilities", "logits")

_PROBABILITY = {"sigmoid", "softmax", "hard_sigmoid"}
_RELU_LIKE = {"relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "softplus"}
_ACTIVATION_LAYERS = {"ReLU": "relu", "LeakyReLU": "leaky_relu", "ELU": "elu", "PReLU": "relu"}
_CROSSENTROPY = {
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
}


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


class Hints(tuple[Hint, ...]):
    """The hints about one model: a tuple of :class:`Hint`, falsy when there are none.

    ``str()`` and ``repr()`` give the readable text; notebooks render HTML.
    """

    __slots__ = ()

    def __str__(self) -> str:
        if not self:
            return "No hints: nothing looks wrong.\n"
        noun = "hint" if len(self) == 1 else "hints"
        lines = [f"{len(self)} {noun}:"]
        for number, hint in enumerate(self, 1):
            lines.append(f"  {number}. {hint.where}: {hint.message} [{hint.code}]")
            lines.append(f"     probably meant: {hint.meant}")
        lines.append(f"  (silence a hint by name: ignore=[...] or {ENV_VAR})")
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        if not self:
            return "<div><b>No hints</b>: nothing looks wrong.</div>"
        items = "".join(
            f"<li><b>{html.escape(h.where)}</b>: {html.escape(h.message)} "
            f"<code>{html.escape(h.code)}</code><br><i>probably meant: "
            f"{html.escape(h.meant)}</i></li>"
            for h in self
        )
        return (
            "<div style='border-left:4px solid #ef6c00;padding:4px 8px'>"
            f"<b style='color:#ef6c00'>{len(self)} hint{'s' if len(self) > 1 else ''}</b>"
            f"<ol>{items}</ol></div>"
        )

    def to_dict(self) -> dict[str, Any]:
        """The hints as plain data (JSON-ready)."""
        return {"count": len(self), "hints": [hint.to_dict() for hint in self]}


def lint(spec_or_model: Any, *, expect: Any = None, ignore: str | Iterable[str] = ()) -> Hints:
    """Hints about a model or spec that Keras accepts but that is probably not what was meant.

    Args:
        spec_or_model: A Keras model, a :class:`~kerasguide.Spec`, a dict spec, or a
            path to a spec file (or its text). A spec's hints name its spec paths.
        expect: What the outputs should be: ``"probabilities"`` (a classification head
            checked against labels with a sigmoid or softmax) or ``"logits"`` (a loss
            with ``from_logits=True``); a dict gives one per output layer name. By
            default, read from the loss of a compiled model, else not checked.
        ignore: Hint codes to leave out, e.g. ``["dropout-high"]``; ``"all"`` for every
            one. Codes in the environment variable ``KERASGUIDE_IGNORE_HINTS`` are
            always left out.

    Returns:
        The :class:`Hints`, empty (and falsy) when nothing looks wrong.

    Raises:
        OptionError: An unknown hint code or ``expect`` value.
        SpecError: The spec is not valid.

    Example:
        >>> hints = lint({"input_shape": [4], "layers": [{"Dense": 1, "activation": "softmax"}]})
        >>> [hint.code for hint in hints]
        ['softmax-one-unit']
    """
    if _k.is_model(spec_or_model):
        return lint_model(spec_or_model, expect=expect, ignore=ignore)
    from kerasguide.build import build
    from kerasguide.specs import load_spec

    spec = load_spec(spec_or_model)
    model = build(spec, ignore_hints="all")
    return lint_model(model, spec=spec.to_dict(), expect=expect, ignore=ignore)


def lint_model(
    model: Any,
    *,
    spec: Mapping[str, Any] | None = None,
    expect: Any = None,
    ignore: str | Iterable[str] = (),
) -> Hints:
    """The hints about a built model; ``spec`` (its normal form) gives the spec paths."""
    skip = _ignored(ignore, "lint(ignore=...)") | _ignored(os.environ.get(ENV_VAR, ""), ENV_VAR)
    if "all" in skip:
        return Hints()
    found = _layer_hints(model, spec, "")
    found += _head_hints(model, spec, _expectations(model, expect))
    return Hints(hint for hint in found if hint.code not in skip)


def warn_hints(model: Any, spec: Mapping[str, Any], ignore: str | Iterable[str]) -> Any:
    """Emit each hint about a model built from ``spec`` as a :class:`KerasGuideWarning`.

    Returns:
        The model itself (``build`` returns ``warn_hints(model, ...)``).
    """
    for hint in lint_model(model, spec=spec, ignore=ignore):
        warnings.warn(KerasGuideWarning(str(hint), code=hint.code), stacklevel=3)
    return model


# --- options -----------------------------------------------------------------------------


def _ignored(value: str | Iterable[str], where: str) -> set[str]:
    names = re.split(r"[\s,]+", value) if isinstance(value, str) else list(value)
    result = set()
    for name in names:
        if not isinstance(name, str):
            raise OptionError(
                "hint codes must be strings",
                where=where,
                expected="hint codes, e.g. ['dropout-high'], or 'all'",
                received=repr(name),
            )
        if name and name != "all" and name not in CODES:
            raise OptionError(
                f"unknown hint code {name!r}",
                where=where,
                expected="one of " + ", ".join(CODES) + ", or 'all'",
                received=repr(name),
                hint=did_you_mean(name, CODES),
            )
        result.add(name)
    return result


def _expectations(model: Any, expect: Any) -> dict[str, str]:
    """Output layer name -> ``"probabilities"`` or ``"logits"``, for the outputs that have one."""
    names = _output_names(model)
    if expect is None:
        return _loss_expectations(model, names)
    given = expect if isinstance(expect, Mapping) else dict.fromkeys(names, expect)
    for key, value in given.items():
        if value not in EXPECT:
            raise OptionError(
                "expect must say what an output should be",
                where="lint(expect=...)" if given is not expect else f"lint(expect[{key!r}])",
                expected="'probabilities' or 'logits' (or a dict of them by output layer name)",
                received=repr(value),
                hint=did_you_mean(str(value), EXPECT),
            )
        if key not in names:
            raise OptionError(
                f"no output layer named {key!r}",
                where="lint(expect=...)",
                expected="one of the output layers: " + ", ".join(names),
                received=repr(key),
                hint=did_you_mean(str(key), names),
            )
    return dict(given)


def _loss_expectations(model: Any, names: list[str]) -> dict[str, str]:
    loss = getattr(model, "loss", None)
    if isinstance(loss, Mapping):
        pairs = [(name, loss.get(name)) for name in names]
    elif isinstance(loss, (list, tuple)):
        pairs = list(zip(names, loss, strict=False))
    else:
        pairs = [(name, loss) for name in names]
    result = {}
    for name, item in pairs:
        label = item if isinstance(item, str) else getattr(item, "name", None)
        label = label or getattr(item, "__name__", None)
        if label in _CROSSENTROPY:
            logits = getattr(item, "from_logits", False) is True
            result[name] = "logits" if logits else "probabilities"
    return result


# --- the model's layers ------------------------------------------------------------------


def _spec_paths(spec: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Layer name -> spec path, from a spec's normal form."""
    if spec.get("kind") == "mlp":
        count = len(spec["hidden"])
        paths = {f"hidden_{i}": f"{prefix}hidden[{i - 1}]" for i in range(1, count + 1)}
        paths.update({f"dropout_{i}": f"{prefix}dropout" for i in range(1, count + 1)})
        return {**paths, "output": f"{prefix}outputs"}
    paths = {}
    for i, entry in enumerate(spec.get("layers", [])):
        name = entry.get("name") if isinstance(entry, Mapping) else None
        if isinstance(name, str) and "reuse" not in entry:
            paths.setdefault(name, f"{prefix}layers[{i}]")
    return paths


def _layers(model: Any) -> dict[str, Any]:
    layers = _k.keras().layers
    return {
        layer.name: layer
        for layer in _graph.all_layers(model)
        if not isinstance(layer, layers.InputLayer)
    }


def _hint(layer: Any, paths: Mapping[str, str], code: str, message: str, meant: str) -> Hint:
    return Hint(code, layer.name, type(layer).__name__, paths.get(layer.name), message, meant)


def _shape(layer: Any, attribute: str = "output") -> tuple[Any, ...] | None:
    try:
        tensor = getattr(layer, attribute)
    except (AttributeError, ValueError):
        return None
    shape = getattr(tensor, "shape", None)
    return tuple(shape) if shape is not None else None


def _show(shape: tuple[Any, ...] | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _activation(layer: Any) -> str | None:
    """The activation a layer applies last, by name (``"linear"`` for none), or None."""
    kind = type(layer).__name__
    if kind == "Softmax":
        return "softmax"
    if kind in _ACTIVATION_LAYERS:
        return _ACTIVATION_LAYERS[kind]
    if kind == "TimeDistributed":
        return _activation(layer.layer)
    function = getattr(layer, "activation", None)
    if function is None or not callable(function) or isinstance(layer, _recurrent()):
        return None
    return str(getattr(function, "__name__", None) or _k.keras().activations.serialize(function))


def _returns_sequences(layer: Any) -> bool:
    return isinstance(layer, _recurrent()) and getattr(layer, "return_sequences", False) is True


def _recurrent() -> tuple[type, ...]:
    layers = _k.keras().layers
    return (layers.RNN, layers.Bidirectional)


def _output_names(model: Any) -> list[str]:
    names = getattr(model, "output_names", None)
    if names:
        return [str(name) for name in names]
    layers = list(_layers(model))
    return layers[-1:]


def _passthrough(layer: Any) -> bool:
    """A layer that keeps each value in place: an activation, dropout, noise or normalization."""
    kind = type(layer).__name__
    plain = {"Activation", "Softmax", "BatchNormalization", "LayerNormalization"}
    return kind in plain or kind in _ACTIVATION_LAYERS or "Dropout" in kind or "Noise" in kind


def _previous(layer: Any, layers: Mapping[str, Any], inbound: Mapping[str, list[Any]]) -> Any:
    """The one layer feeding ``layer``, or None (an input, a merge, a shared layer)."""
    connections = inbound.get(layer.name, [])
    return layers.get(connections[0].layer) if len(connections) == 1 else None


# --- the checks ---------------------------------------------------------------------------


def _layer_hints(model: Any, spec: Mapping[str, Any] | None, prefix: str) -> list[Hint]:
    """Hints about each layer on its own, in nested models too."""
    paths = _spec_paths(spec, prefix) if spec is not None else {}
    found: list[Hint] = []
    for layer in _layers(model).values():
        if _graph.is_graph_model(layer):
            inner, at = _nested(spec, layer.name, prefix)
            found += _layer_hints(layer, inner, at)
            continue
        for check in (_softmax_one_unit, _dropout_high, _no_effect):
            found += [_hint(layer, paths, *parts) for parts in check(layer)]
    return found


def _nested(
    spec: Mapping[str, Any] | None, name: str, prefix: str
) -> tuple[Mapping[str, Any] | None, str]:
    """The spec of the nested model named ``name``, and its spec path prefix."""
    for i, entry in enumerate((spec or {}).get("layers", [])):
        inner = entry.get("model") if isinstance(entry, Mapping) else None
        if isinstance(inner, Mapping) and name in (entry.get("name"), inner.get("name")):
            return inner, f"{prefix}layers[{i}].model."
    return None, ""


_Parts = tuple[str, str, str]


def _softmax_one_unit(layer: Any) -> list[_Parts]:
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


def _dropout_rates(layer: Any) -> list[tuple[str, float]]:
    kind = type(layer).__name__
    if kind == "Bidirectional":
        return _dropout_rates(layer.forward_layer)
    names = ("rate",) if "Dropout" in kind else ("dropout", "recurrent_dropout")
    rates = [(name, getattr(layer, name, None)) for name in names]
    return [(name, float(rate)) for name, rate in rates if isinstance(rate, (int, float))]


def _dropout_high(layer: Any) -> list[_Parts]:
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


def _no_effect(layer: Any) -> list[_Parts]:
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


def _head_hints(
    model: Any, spec: Mapping[str, Any] | None, expectations: Mapping[str, str]
) -> list[Hint]:
    """Hints about the model's output layers: their activation, and their shape."""
    paths = _spec_paths(spec) if spec is not None else {}
    layers = _layers(model)
    inbound = _graph.inbound_layers(model)
    found: list[Hint] = []
    for name in _output_names(model):
        layer = layers.get(name)
        if layer is None:
            continue
        parts = _probability(layer, expectations.get(name))
        found += [_hint(layer, paths, *item) for item in parts]
        found += _sequence_head(layer, layers, inbound, paths)
    return found


def _probability(layer: Any, expected: str | None) -> list[_Parts]:
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
    out: Any, layers: Mapping[str, Any], inbound: Mapping[str, list[Any]], paths: Mapping[str, str]
) -> list[Hint]:
    """A Dense at the output applied per step or per position: a forgotten Flatten or flag."""
    dense = out
    while dense is not None and _passthrough(dense):
        dense = _previous(dense, layers, inbound)
    given = _shape(dense, "input") if type(dense).__name__ == "Dense" else None
    if given is None or len(given) < 3:
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
