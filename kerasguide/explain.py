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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, overload

import kerasguide._keras as _k
from kerasguide import _table
from kerasguide._explain_fold import FoldedExplanation, fold_explanation, total_line
from kerasguide._graph import (
    all_layers,
    is_layer,
    is_operation,
    operation_function,
    summary_operations,
)
from kerasguide._options import check_fold
from kerasguide._types import JSONDict, KerasLayer, KerasModel, KerasOperation, KerasVariable
from kerasguide._why import why
from kerasguide.build import as_model

if TYPE_CHECKING:
    from kerasguide.specs import SpecSource
from kerasguide.errors import OptionError

__all__ = ["Explanation", "FoldedExplanation", "LayerArithmetic", "Term", "explain"]


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

    def to_dict(self) -> JSONDict:
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

    def to_dict(self) -> JSONDict:
        """The layer's arithmetic as plain data."""
        data: JSONDict = {
            "name": self.name,
            "type": self.type,
            "depth": self.depth,
            "params": self.params,
            "arithmetic": self.arithmetic,
            "why": self.why,
            "terms": [term.to_dict() for term in self.terms],
        }
        return data | ({} if self.mult_adds_text is None else {"mult_adds": self.mult_adds})

    def lines(self) -> list[str]:
        """Its text lines: the arithmetic, then why and the multiply-adds where known."""
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
            lines += layer.lines()
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
        return total_line(counts, self.total, self.trainable, self.non_trainable)

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

    def to_dict(self) -> JSONDict:
        """The explanation as plain data (JSON-ready)."""
        data: JSONDict = {
            "name": self.name,
            "layers": [layer.to_dict() for layer in self.layers],
            "total": self.total,
            "trainable": self.trainable,
            "non_trainable": self.non_trainable,
        }
        return data | ({} if self.mult_adds is None else {"mult_adds": self.mult_adds})


@overload
def explain(
    model: KerasModel | SpecSource, *, mult_adds: bool = ..., fold: Literal["none"] = ...
) -> Explanation: ...


@overload
def explain(
    model: KerasModel | SpecSource, *, mult_adds: bool = ..., fold: str | int
) -> Explanation | FoldedExplanation: ...


def explain(
    model: KerasModel | SpecSource, *, mult_adds: bool = False, fold: str | int = "none"
) -> Explanation | FoldedExplanation:
    """Explain every parameter count of a model from the shapes of its weights.

    Args:
        model: A built Keras model, or a spec that :func:`kerasguide.build` accepts.
        mult_adds: Also count each layer's multiply-adds for one example from the
            shapes it is called with, written out as the parameters are, e.g.
            ``mult-adds: 10 inputs × 20 units = 200 per example``. Counted for Dense,
            convolutions, Embedding and recurrent layers: the products of weights and
            inputs, biases and activations left out (as ``summarize(columns=["mult_adds"])``).
        fold: ``"none"`` (the default: layer by layer), ``"blocks"`` (block by block,
            grouped as ``summarize(fold=...)`` and ``plot_model(fold=...)`` group them:
            each block or run of like blocks ×N with the sum of its layers' counts and
            its share of the total), ``"auto"`` (``"blocks"`` above 60 layers) or a
            number of levels: 1 is ``"blocks"``, 2 also writes out each block's layers.

    Returns:
        An :class:`Explanation`; its layers' counts add up to ``model.count_params()``.
        Folded, a :class:`FoldedExplanation`, whose runs add up to it with every layer
        counted once.

    Raises:
        OptionError: The model is not built yet (it has no weights to explain), an
            option is unknown (``fold``, or ``mult_adds`` with a ``fold``), or ``model``
            is not a model or a spec.

    Example:
        >>> print(explain(model).layers[1])  # doctest: +SKIP
        hidden_1 (Dense): kernel 10×10 = 100 + bias 10 = 110
        >>> explain(model, mult_adds=True).layers[1].mult_adds_text  # doctest: +SKIP
        '10 inputs × 10 units = 100'
        >>> resnet = keras.applications.ResNet50(weights=None)  # doctest: +SKIP
        >>> print(explain(resnet, fold="blocks"))  # doctest: +SKIP
    """
    if not isinstance(mult_adds, bool):
        raise OptionError(
            "mult_adds must be True or False",
            where="explain(mult_adds=...)",
            expected="a bool",
            received=repr(mult_adds),
        )
    fold = check_fold("explain", fold)
    if mult_adds and fold != "none":
        raise OptionError(
            "a folded explanation counts parameters only",
            where=f"explain(mult_adds=True, fold={fold!r})",
            expected="mult_adds=True with fold='none', or a fold without mult_adds",
            received="both",
            hint="summarize(model, columns=['mult_adds']) lists every layer's multiply-adds",
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
    from kerasguide._fold import fold_depth

    depth = fold_depth(fold, sum(not layer.depth for layer in layers), expand_nested=False)
    if depth is None:
        return Explanation(model.name, layers, total, trainable, total - trainable, mult_adds)
    from kerasguide.blocks import find_blocks

    totals = (total, trainable, total - trainable)
    return fold_explanation(model.name, layers, find_blocks(model), totals, depth)


def _size(weight: KerasVariable) -> int:
    return int(math.prod(weight.shape))


def _layers(
    model: KerasModel, *, depth: int, seen: dict[int, str], mult_adds: bool
) -> list[LayerArithmetic]:
    keras = _k.keras()
    result: list[LayerArithmetic] = []
    for layer in summary_operations(model) if depth == 0 else all_layers(model):
        if not is_layer(layer):
            entry = _operation(layer, depth)
        elif isinstance(layer, keras.Model):
            entry = _model_arithmetic(layer, depth, seen)
        else:
            entry = _arithmetic(layer, depth, seen)
        result.append(_with_mult_adds(entry, model, layer) if mult_adds else entry)
        if isinstance(layer, keras.Model) and not is_operation(layer):
            result.extend(_layers(layer, depth=depth + 1, seen={}, mult_adds=mult_adds))
    return result


def _with_mult_adds(
    entry: LayerArithmetic, model: KerasModel, layer: KerasOperation
) -> LayerArithmetic:
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


def _operation(op: KerasOperation, depth: int) -> LayerArithmetic:
    function = operation_function(op)
    what = f"an operation ({function})" if function else f"a Keras operation ({type(op).__name__})"
    why = f"{what} has no weights: it computes its output from its inputs alone."
    return LayerArithmetic(op.name, type(op).__name__, (), why, depth)


def _arithmetic(layer: KerasLayer, depth: int, seen: dict[int, str]) -> LayerArithmetic:
    trainable = {id(w) for w in layer.trainable_weights}
    names = [weight.name for weight in layer.weights]
    terms = []
    for weight in {id(w): w for w in layer.weights}.values():
        name = weight.name if names.count(weight.name) == 1 else _relative(weight, layer)
        shape = tuple(int(d) for d in weight.shape)
        terms.append(Term(name, shape, id(weight) in trainable, seen.get(id(weight))))
        seen.setdefault(id(weight), layer.name)
    return LayerArithmetic(layer.name, type(layer).__name__, tuple(terms), why(layer), depth)


def _model_arithmetic(model: KerasModel, depth: int, seen: dict[int, str]) -> LayerArithmetic:
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


def _relative(weight: KerasVariable, layer: KerasLayer) -> str:
    path = str(getattr(weight, "path", weight.name))
    marker = f"{layer.name}/"
    return path.split(marker, 1)[1] if marker in path else path


# --- why: one plain sentence for the common layers ------------------------------------
