"""The arithmetic behind every parameter count, from the weights Keras created.

Each layer's count is written out from the shapes of its actual weights, e.g.
``dense_1 (Dense): kernel 10×20 = 200 + bias 20 = 220``, with one plain sentence
of *why* for the common layers. The layers' figures always add up to
``model.count_params()``: a weight shared by two layers is counted once.

The entries follow the rows of Keras's summary: a Keras operation between
layers (``x + y``, ``keras.ops.mean``) is listed with 0 parameters, and a
wrapper (``Bidirectional``, ``TimeDistributed``, ``RNN`` of cells) says how its
count comes from the layers it wraps.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import kerasguide._keras as _k
from kerasguide import _table
from kerasguide._graph import (
    all_layers,
    is_operation,
    operation_function,
    summary_operations,
    wrapped_layers,
)
from kerasguide.build import as_model
from kerasguide.errors import OptionError

__all__ = ["Explanation", "LayerArithmetic", "Term", "explain"]


@dataclass(frozen=True)
class Term:
    """One weight of a layer: its name, shape and number of scalars."""

    weight: str
    shape: tuple[int, ...]
    trainable: bool
    shared_with: str | None = None

    @property
    def count(self) -> int:
        """The number of scalars (0 when the weight was already counted in another layer)."""
        return 0 if self.shared_with else math.prod(self.shape)

    def __str__(self) -> str:
        dims = "×".join(str(d) for d in self.shape) or "1"
        text = f"{self.weight} {dims}"
        if len(self.shape) > 1:
            text += f" = {math.prod(self.shape):,}"
        if self.shared_with:
            return f"{text} (shared with {self.shared_with}, counted there)"
        return text if self.trainable else f"{text} (non-trainable)"

    def to_dict(self) -> dict[str, Any]:
        """The term as plain data."""
        return {
            "weight": self.weight,
            "shape": list(self.shape),
            "count": self.count,
            "trainable": self.trainable,
            "shared_with": self.shared_with,
        }


@dataclass(frozen=True)
class LayerArithmetic:
    """How one layer's parameter count comes about (and its multiply-adds, when asked for).

    ``mult_adds`` is the layer's multiply-adds for one example and ``mult_adds_text``
    their arithmetic, e.g. ``"10 inputs × 20 units = 200"``; both None unless
    ``explain(model, mult_adds=True)``, and ``mult_adds`` also None for a layer whose
    multiply-adds are not counted.
    """

    name: str
    type: str
    terms: tuple[Term, ...]
    why: str | None = None
    depth: int = 0
    mult_adds: int | None = None
    mult_adds_text: str | None = None

    @property
    def params(self) -> int:
        """The layer's parameters: the sum of its terms."""
        return sum(term.count for term in self.terms)

    @property
    def arithmetic(self) -> str:
        """``"kernel 10×20 = 200 + bias 20 = 220"``, or ``"no weights = 0"``."""
        if not self.terms:
            return "no weights = 0"
        if len(self.terms) == 1 and len(self.terms[0].shape) > 1:
            return str(self.terms[0])
        return " + ".join(str(term) for term in self.terms) + f" = {self.params:,}"

    def __str__(self) -> str:
        return f"{'  ' * self.depth}{self.name} ({self.type}): {self.arithmetic}"

    def __repr__(self) -> str:
        return str(self)

    def to_dict(self) -> dict[str, Any]:
        """The layer's arithmetic as plain data."""
        return {
            "name": self.name,
            "type": self.type,
            "depth": self.depth,
            "params": self.params,
            "arithmetic": self.arithmetic,
            "why": self.why,
            "terms": [term.to_dict() for term in self.terms],
        } | ({} if self.mult_adds_text is None else {"mult_adds": self.mult_adds})

    def _lines(self) -> list[str]:
        indent = "  " * self.depth
        lines = [str(self)] + [f"{indent}    why: {self.why}"] * bool(self.why)
        if self.mult_adds_text:
            per = " per example" if self.mult_adds else ""
            lines.append(f"{indent}    mult-adds: {self.mult_adds_text}{per}")
        return lines


@dataclass(frozen=True)
class Explanation:
    """The parameter arithmetic of a whole model, layer by layer.

    Attributes:
        name: The model's name.
        layers: One entry per layer; layers of nested models follow their model,
            indented (``depth`` > 0), and are already included in its count.
        total: ``model.count_params()``.
        trainable: Trainable parameters.
        non_trainable: Non-trainable parameters.
        counts_mult_adds: True when the layers' multiply-adds were counted
            (``explain(model, mult_adds=True)``).
    """

    name: str
    layers: tuple[LayerArithmetic, ...]
    total: int
    trainable: int
    non_trainable: int
    counts_mult_adds: bool = False

    @property
    def mult_adds(self) -> int | None:
        """The top-level layers' multiply-adds for one example; None when not counted."""
        if not self.counts_mult_adds:
            return None
        return sum(layer.mult_adds or 0 for layer in self.layers if not layer.depth)

    def __str__(self) -> str:
        lines = [f'Parameters of "{self.name}", layer by layer:']
        for layer in self.layers:
            lines += layer._lines()
        lines.append(self._total_line())
        lines += [self._mult_adds_line()] if self.counts_mult_adds else []
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return str(self)

    def _mult_adds_line(self) -> str:
        top = [layer for layer in self.layers if not layer.depth and layer.mult_adds_text]
        counts = [f"{layer.mult_adds:,}" for layer in top if layer.mult_adds]
        shown = " + ".join(counts) + " = " if 1 < len(counts) <= 12 else ""
        missing = [f"{layer.name} ({layer.type})" for layer in top if layer.mult_adds is None]
        left = f", not counting {', '.join(missing)}" if missing else ""
        return f"Total mult-adds: {shown}{self.mult_adds or 0:,} per example{left}"

    def _total_line(self) -> str:
        counts = [layer.params for layer in self.layers if not layer.depth and layer.params]
        shown = " + ".join(f"{count:,}" for count in counts) if 1 < len(counts) <= 12 else ""
        total = f"{shown} = {self.total:,}" if shown else f"{self.total:,}"
        return (
            f"Total: {total} parameters ({self.trainable:,} trainable, "
            f"{self.non_trainable:,} non-trainable) = model.count_params()"
        )

    def _repr_html_(self) -> str:
        rows = [
            [
                f"{'   ' * layer.depth}{layer.name} ({layer.type})",
                layer.arithmetic,
                f"{layer.params:,}",
                layer.why or "",
            ]
            for layer in self.layers
        ]
        return _table.render_html(
            ["Layer (type)", "Arithmetic", "Param #", "Why"],
            rows,
            align=["left", "left", "right", "left"],
            caption=f'Parameters of "{self.name}"',
            footer=[self._total_line()],
        )

    def to_dict(self) -> dict[str, Any]:
        """The explanation as plain data (JSON-ready)."""
        return {
            "name": self.name,
            "layers": [layer.to_dict() for layer in self.layers],
            "total": self.total,
            "trainable": self.trainable,
            "non_trainable": self.non_trainable,
        } | ({} if self.mult_adds is None else {"mult_adds": self.mult_adds})


def explain(model: Any, *, mult_adds: bool = False) -> Explanation:
    """Explain every parameter count of a model from the shapes of its weights.

    Args:
        model: A built Keras model, or a spec that :func:`kerasguide.build` accepts.
        mult_adds: Also count each layer's multiply-adds for one example from the
            shapes it is called with, written out as the parameters are, e.g.
            ``mult-adds: 10 inputs × 20 units = 200 per example``. Counted for Dense,
            convolutions, Embedding and recurrent layers: the products of weights and
            inputs, biases and activations left out (as ``summarize(columns=["mult_adds"])``).

    Returns:
        An :class:`Explanation`; its layers' counts add up to ``model.count_params()``.

    Raises:
        OptionError: The model is not built yet (it has no weights to explain), or
            ``model`` is not a model or a spec.

    Example:
        >>> print(explain(model).layers[1])  # doctest: +SKIP
        hidden_1 (Dense): kernel 10×10 = 100 + bias 10 = 110
        >>> explain(model, mult_adds=True).layers[1].mult_adds_text  # doctest: +SKIP
        '10 inputs × 10 units = 100'
    """
    if not isinstance(mult_adds, bool):
        raise OptionError(
            "mult_adds must be True or False",
            where="explain(mult_adds=...)",
            expected="a bool",
            received=repr(mult_adds),
        )
    model = as_model(model)
    if not model.built:
        raise OptionError(
            "the model is not built yet, so it has no weights to explain",
            where=f"explain({model.name})",
            expected="a model whose input shape is known",
            received="a model without weights",
            hint="start the model with keras.Input(shape=...), or call model.build(input_shape)",
        )
    layers = tuple(_layers(model, depth=0, seen={}, mult_adds=mult_adds))
    trainable = sum(_size(w) for w in {id(w): w for w in model.trainable_weights}.values())
    total = model.count_params()
    return Explanation(model.name, layers, total, trainable, total - trainable, mult_adds)


def _size(weight: Any) -> int:
    return int(math.prod(weight.shape))


def _layers(
    model: Any, *, depth: int, seen: dict[int, str], mult_adds: bool
) -> list[LayerArithmetic]:
    keras = _k.keras()
    result: list[LayerArithmetic] = []
    for layer in summary_operations(model) if depth == 0 else all_layers(model):
        if is_operation(layer):
            entry = _operation(layer, depth)
        elif isinstance(layer, keras.Model):
            entry = _model_arithmetic(layer, depth, seen)
        else:
            entry = _arithmetic(layer, depth, seen)
        result.append(_with_mult_adds(entry, model, layer) if mult_adds else entry)
        if isinstance(layer, keras.Model) and not is_operation(layer):
            result.extend(_layers(layer, depth=depth + 1, seen={}, mult_adds=mult_adds))
    return result


def _with_mult_adds(entry: LayerArithmetic, model: Any, layer: Any) -> LayerArithmetic:
    """``entry`` with the layer's multiply-adds; no text for a layer without weights."""
    from kerasguide._macs import layer_mult_adds

    counted = layer_mult_adds(model, layer)
    if counted is None:
        text = (
            f"not counted for {type(layer).__name__} layers "
            "(only for Dense, convolutions, Embedding and recurrent layers)"
        )
        return dataclasses.replace(entry, mult_adds_text=text)
    weighted = counted.count != 0 or bool(getattr(layer, "weights", None))
    shown = counted.arithmetic if weighted else None
    return dataclasses.replace(entry, mult_adds=counted.count, mult_adds_text=shown)


def _operation(op: Any, depth: int) -> LayerArithmetic:
    function = operation_function(op)
    what = f"an operation ({function})" if function else f"a Keras operation ({type(op).__name__})"
    why = f"{what} has no weights: it computes its output from its inputs alone."
    return LayerArithmetic(op.name, type(op).__name__, (), why, depth)


def _arithmetic(layer: Any, depth: int, seen: dict[int, str]) -> LayerArithmetic:
    trainable = {id(w) for w in layer.trainable_weights}
    names = [weight.name for weight in layer.weights]
    terms = []
    for weight in {id(w): w for w in layer.weights}.values():
        name = weight.name if names.count(weight.name) == 1 else _relative(weight, layer)
        shape = tuple(int(d) for d in weight.shape)
        terms.append(Term(name, shape, id(weight) in trainable, seen.get(id(weight))))
        seen.setdefault(id(weight), layer.name)
    return LayerArithmetic(layer.name, type(layer).__name__, tuple(terms), _why(layer), depth)


def _model_arithmetic(model: Any, depth: int, seen: dict[int, str]) -> LayerArithmetic:
    """A nested model's count: one term per layer of it that has weights."""
    terms = []
    for layer in all_layers(model):
        weights = [w for w in {id(w): w for w in layer.weights}.values() if id(w) not in seen]
        if weights:
            frozen = any(not w.trainable or not layer.trainable for w in weights)
            terms.append(Term(layer.name, (sum(_size(w) for w in weights),), not frozen))
        seen.update((id(w), model.name) for w in weights)
    why = "a model used as a layer: its parameters are those of its layers, below."
    return LayerArithmetic(model.name, type(model).__name__, tuple(terms), why, depth)


def _relative(weight: Any, layer: Any) -> str:
    path = str(getattr(weight, "path", weight.name))
    marker = f"{layer.name}/"
    return path.split(marker, 1)[1] if marker in path else path


# --- why: one plain sentence for the common layers ------------------------------------


def _shape_of(layer: Any, name: str) -> tuple[int, ...]:
    for weight in layer.weights:
        if weight.name == name:
            return tuple(int(d) for d in weight.shape)
    return ()


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _dense(layer: Any) -> str:
    inputs, units = _shape_of(layer, "kernel")
    bias = ", plus one bias per unit" if layer.use_bias else " (no bias: use_bias=False)"
    size = f"{_plural(inputs, 'input')} × {_plural(units, 'unit')}"
    return f"one weight per input per unit ({size}){bias}."


def _conv(layer: Any) -> str:
    kernel = _shape_of(layer, "kernel")
    window = "×".join(str(d) for d in kernel[:-2])
    window = f"{window}-wide" if len(kernel) == 3 else window
    bias = ", plus one bias per filter" if layer.use_bias else ""
    return (
        f"each of the {_plural(layer.filters, 'filter')} has one weight per position of its "
        f"{window} window and per input channel ({_plural(kernel[-2], 'channel')}){bias}."
    )


def _embedding(layer: Any) -> str:
    return (
        f"one vector of {layer.output_dim} numbers for each of the {layer.input_dim} "
        "token ids in the vocabulary."
    )


def _simple_rnn(layer: Any) -> str:
    return (
        f"each of the {layer.units} units has one weight per input feature, one per "
        "unit for the previous step's output (the recurrent weights), plus a bias."
    )


def _lstm(layer: Any) -> str:
    units = layer.units
    return (
        f"four gates (input, forget, cell and output) of {units} units each, so every "
        f"matrix has 4 × {units} = {4 * units} columns: weights for the input features, "
        f"recurrent weights for the previous {units}-unit state, and a bias."
    )


def _gru(layer: Any) -> str:
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


def _batch_norm(layer: Any) -> str:
    features = (_shape_of(layer, "moving_mean") or (0,))[0]
    return (
        f"for each of the {features} features it learns a scale (gamma) and an offset "
        "(beta); the moving mean and variance are tracked during training, not "
        "learned, so they are non-trainable."
    )


def _layer_norm(layer: Any) -> str:
    return (
        "for each feature it learns a scale (gamma) and an offset (beta); the mean and "
        "variance come from each sample itself, so nothing else is stored."
    )


def _count(layer: Any) -> int:
    return sum(_size(w) for w in {id(w): w for w in layer.weights}.values())


def _inner_why(inner: Any, lead: str) -> str:
    why = _why(inner)
    return f" {lead} {type(inner).__name__}: {why}" if why else ""


def _bidirectional(layer: Any) -> str:
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


def _time_distributed(layer: Any) -> str:
    (inner,) = wrapped_layers(layer)
    kind = type(inner).__name__
    return (
        f"the same {kind} weights are applied at every time step, so it has exactly the "
        f"parameters of one {kind} ({_count(inner):,}), however long the sequence."
        f"{_inner_why(inner, 'The')}"
    )


def _rnn(layer: Any) -> str:
    cells = wrapped_layers(layer)
    counts = " + ".join(f"{cell.name} {_count(cell):,}" for cell in cells)
    stack = "its cell" if len(cells) == 1 else f"its {len(cells)} stacked cells"
    total = f" = {_count(layer):,}" if len(cells) > 1 else ""
    return (
        f"the RNN runs {stack} at every time step with the same weights, so it has "
        f"the parameters of {stack}: {counts}{total}."
        f"{_inner_why(cells[0], 'The' if len(cells) == 1 else 'The first')}"
    )


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


def _why(layer: Any) -> str | None:
    explain_type = _WHY.get(type(layer).__name__)
    if explain_type is None or not layer.weights:
        return None
    try:
        return explain_type(layer)
    except (AttributeError, IndexError, ValueError):  # a subclass that stores things differently
        return None
