"""How two models call their layers, compared: private to :mod:`kerasguide._compare`.

Two models with the same layers and settings still compute different things when a
call differs: ``Dropout(0.5)(x, training=True)`` (Monte Carlo dropout),
``BatchNormalization()(x, training=False)``, ``base(x, training=False)`` for a frozen
base model, ``Attention()([q, v], use_causal_mask=True)``, a ``mask`` or an
``initial_state``; or when a tensor comes from another layer (``wiring``); or when the
model's inputs or outputs are a dict with other keys, or a list in another order
(``structure``). Each call's arguments are bound to the signature of the layer's
``call`` with its defaults, so ``training=None`` written out equals ``training``
left out. A tensor is compared by the row that makes it, through the alignment of
the rows. When a layer is missing or extra (already a finding), that alignment is a
guess, and a tensor's source would be noise: then only the flags and constants of
layers' calls are compared, not tensors, operations' operands or the outputs' order.
"""

from __future__ import annotations

import inspect
from collections import Counter

from kerasguide._compare_pairs import Rows, leaves, tensors
from kerasguide._finding import Finding, named, where
from kerasguide._graph import (
    Source,
    bound_arguments,
    call_arguments,
    io_structure,
    is_graph_model,
    is_operation,
)
from kerasguide._layer_text import show
from kerasguide._rows import Row
from kerasguide._settings import value
from kerasguide._types import KerasModel, KerasOperation

__all__ = ["Graphs"]

# Layers and operations whose inputs can come in any order: layers.Add()([x, y]), x * y.
_COMMUTATIVE = frozenset(("Add", "Multiply", "Average", "Maximum", "Minimum"))
_Diff = tuple[str, object, object, str]  # the argument's path, expected, found, kind


class Graphs(Rows):
    """Both models' rows, how they are paired, and how the paired rows' calls differ.

    Side 0 is the student's model (``found``), side 1 the reference (``expected``), as
    :mod:`kerasguide._compare` numbers them.
    """

    def _row(self, side: int, owner: KerasModel, source: Source) -> int | None:
        return self.index[side].get((id(owner), id(source.operation)))

    def same(self, want: Source, got: Source, owners: tuple[KerasModel, KerasModel]) -> bool:
        """Whether two tensors are the same one; True when it cannot be told (a row unpaired)."""
        e, f = self._row(1, owners[1], want), self._row(0, owners[0], got)
        if e is None or f is None:  # made by something that is not a row: compare by type
            same_type = type(want.operation).__name__ == type(got.operation).__name__
            return same_type and want.place == got.place
        if e not in self.e_to_f or f not in self.f_to_e:
            return True  # a missing or extra layer, reported as such
        return self.e_to_f[e] == f and want.place == got.place

    def describe(self, side: int, owner: KerasModel, source: Source) -> str:
        """``the output of layer 3 (Dense)``, numbered as in the student's model."""
        index = self._row(side, owner, source)
        if side == 1 and index is not None:
            index = self.e_to_f.get(index)
            if index is None:
                row = self.summaries[1].rows[self._row(side, owner, source) or 0]
                return f"the output of the expected {row.type} '{row.name}'"
        if index is None:
            label = f"the {type(source.operation).__name__} '{source.operation.name}'"
        else:
            label = where(self.summaries[0].rows[index], index)
        output = f"output {source.tensor + 1} of " if source.tensor else "the output of "
        call = f" (its call {source.call + 1})" if source.call > 0 else ""
        return f"{output}{label}{call}"

    # --- calls ---------------------------------------------------------------------

    def call_findings(self, e: int, f: int) -> list[Finding]:
        """How the calls of the paired rows ``e`` (expected) and ``f`` (found) differ."""
        want_op, want_owner = self.owners[1][e]
        got_op, got_owner = self.owners[0][f]
        row = self.summaries[0].rows[f]
        wanted, got = call_arguments(want_owner, want_op), call_arguments(got_owner, got_op)
        if not self.exact and is_operation(want_op):
            return []  # its operands follow from the missing or extra layers
        if len(wanted) != len(got):
            message = f"expected this {_noun(row)} to be called {_times(len(wanted))}, "
            message += f"found {_times(len(got))}"
            hint = f"call the same {_noun(row)} object on each input it is shared by{named(row)}"
            return [Finding(where(row, f), message, hint, "wiring", row.name)]
        same_kind = is_operation(want_op) == is_operation(got_op)
        diffs: list[tuple[int, _Diff]] = []
        for number, (want, have) in enumerate(zip(wanted, got, strict=True)):
            owners = (got_owner, want_owner)
            bound: tuple[dict[str, object], dict[str, object]]
            if type(want_op).__name__ in _COMMUTATIVE:  # x + y is y + x
                given = tensors(want)
                bound = ({"inputs": given}, {"inputs": self._match(given, tensors(have), owners)})
            elif same_kind:
                bound = (
                    bound_arguments(want_op, *want),
                    bound_arguments(got_op, *have),
                )
            else:  # x + y and layers.Add()([x, y]): only the tensors can be compared
                bound = ({"inputs": tensors(want)}, {"inputs": tensors(have)})
            for key in dict.fromkeys([*bound[0], *bound[1]]):
                pair = (bound[0].get(key), bound[1].get(key))
                diffs += [(number, d) for d in self._diff(key, *pair, owners)]
        defaults = _defaults(want_op)
        return self._call_findings(
            row, f, diffs, (len(wanted) > 1, defaults), (got_owner, want_owner)
        )

    def _match(
        self, wanted: list[Source], got: list[Source], owners: tuple[KerasModel, KerasModel]
    ) -> list[Source]:
        """``got`` in the order of ``wanted`` where the same tensors are there, for ``x + y``."""
        left = list(got)
        matched: list[Source | None] = []
        for want in wanted:
            index = next((i for i, item in enumerate(left) if self.same(want, item, owners)), None)
            matched.append(None if index is None else left.pop(index))
        result: list[Source] = []
        for item in matched:
            if item is not None:
                result.append(item)
            elif left:
                result.append(left.pop(0))
        return result + left

    def _diff(
        self, path: str, want: object, got: object, owners: tuple[KerasModel, KerasModel]
    ) -> list[_Diff]:
        if _has_tensor(want) != _has_tensor(got):
            return [(path, want, got, "call")]  # a mask or initial_state given on one side only
        if not self.exact and _has_tensor(want):
            return []  # which tensor it is follows from the missing or extra layers
        if isinstance(want, Source) and isinstance(got, Source):
            return [] if self.same(want, got, owners) else [(path, want, got, "wiring")]
        if isinstance(want, dict) and isinstance(got, dict) and want.keys() == got.keys():
            return [
                d
                for key in want
                for d in self._diff(f"{path}[{key!r}]", want[key], got[key], owners)
            ]
        if _items(want) is not None and _items(got) is not None:
            first, second = _items(want) or [], _items(got) or []
            if len(first) == len(second):
                pairs = zip(first, second, strict=True)
                return [
                    d
                    for i, (a, b) in enumerate(pairs)
                    for d in self._diff(f"{path}[{i}]", a, b, owners)
                ]
        if _has_tensor(want):
            return [(path, want, got, "wiring")]
        return [] if _equal(want, got) else [(path, want, got, "call")]

    def _call_findings(
        self,
        row: Row,
        f: int,
        diffs: list[tuple[int, _Diff]],
        calls: tuple[bool, dict[str, object]],
        owners: tuple[KerasModel, KerasModel],
    ) -> list[Finding]:
        """One finding per kind; ``calls`` says if there are several, and the defaults."""
        several, defaults = calls
        findings = []
        for kind in ("call", "wiring"):
            chosen = [(n, d) for n, d in diffs if d[3] == kind]
            if not chosen:
                continue
            messages, hints = [], []
            for number, (path, want, got, _) in chosen:
                call = f"call {number + 1}: " if several else ""
                wanted = self._show(1, owners[1], want)
                found = self._show(0, owners[0], got)
                if kind == "call":
                    messages.append(f"{call}expected {path}={wanted}, found {path}={found}")
                    default = path in defaults and _equal(defaults[path], want)
                    hints.append(f"without {path}" if default else f"with {path}={wanted}")
                else:
                    messages.append(f"{call}expected {path} to be {wanted}, found {found}")
                    hints.append(f"{wanted} as {path}")
            verb = "call it " if kind == "call" else "pass "
            hint = verb + ", and ".join(dict.fromkeys(hints)) + named(row)
            findings.append(Finding(where(row, f), "; ".join(messages), hint, kind, row.name))
        return findings

    def _show(self, side: int, owner: KerasModel, item: object) -> str:
        if isinstance(item, Source):
            return self.describe(side, owner, item)
        if isinstance(item, dict):
            shown = ", ".join(f"{k!r}: {self._show(side, owner, v)}" for k, v in item.items())
            return "{" + shown + "}"
        items = _items(item)
        if items is not None and _has_tensor(item):
            return "[" + ", ".join(self._show(side, owner, v) for v in items) + "]"
        return show(value(item))

    # --- inputs and outputs ------------------------------------------------------------

    def structure_findings(self, e: int | None, f: int | None) -> list[Finding]:
        """How the inputs and outputs differ: of the models, or of nested models ``e``, ``f``."""
        if e is None or f is None:
            models = (self.models[0], self.models[1])
            place, layer = "model", None
        else:
            found_op, expected_op = self.owners[0][f][0], self.owners[1][e][0]
            if not (is_graph_model(found_op) and is_graph_model(expected_op)):
                return []
            models = (found_op, expected_op)
            place, layer = where(self.summaries[0].rows[f], f), self.summaries[0].rows[f].name
        got, want = io_structure(models[0]), io_structure(models[1])
        if got is None or want is None:
            return []
        findings = []
        for index, side in enumerate(("inputs", "outputs")):
            diffs = _reordered(side, want[index], got[index])
            diffs = diffs or self._structure(side, want[index], got[index], models)
            for message, hint in diffs:
                findings.append(Finding(place, message, hint, "structure", layer))
        return findings

    def _structure(
        self, path: str, want: object, got: object, models: tuple[KerasModel, KerasModel]
    ) -> list[tuple[str, str]]:
        want, got = _as_list(want), _as_list(got)
        side = path.split("[")[0]
        if isinstance(want, Source) and isinstance(got, Source):
            if not self.exact or self.same(want, got, models):
                return []
            wanted, found = self.describe(1, models[1], want), self.describe(0, models[0], got)
            message = f"expected {path} to be {wanted}, found {found}"
            return [(message, f"list the model's {side} in the expected order")]
        if isinstance(want, dict) and isinstance(got, dict) and want.keys() == got.keys():
            return [
                d for k in want for d in self._structure(f"{path}[{k!r}]", want[k], got[k], models)
            ]
        if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
            pairs = enumerate(zip(want, got, strict=True))
            return [d for i, (a, b) in pairs for d in self._structure(f"{path}[{i}]", a, b, models)]
        message = f"expected the {path} as {_form(want)}, found {_form(got)}"
        return [(message, f"give keras.Model its {side} as {_form(want)}")]


def _defaults(op: KerasOperation) -> dict[str, object]:
    """The defaults of the operation's ``call``: left out, an argument takes its default."""
    try:
        parameters = inspect.signature(op.call).parameters  # type: ignore[attr-defined]
    except (AttributeError, TypeError, ValueError):
        return {}
    return {name: p.default for name, p in parameters.items() if p.default is not p.empty}


def _has_tensor(item: object) -> bool:
    return bool(tensors(item))


def _items(item: object) -> list[object] | None:
    if isinstance(item, (list, tuple)) and not isinstance(item, Source):
        return list(item)
    return None


def _equal(want: object, got: object) -> bool:
    first, second = value(want), value(got)
    try:
        same = bool(first == second)
    except Exception:  # values that do not compare: different
        return False
    flags = isinstance(first, bool), isinstance(second, bool)
    return same and (type(first) is type(second) or not any(flags))


def _as_list(item: object) -> object:
    """A model's single input or output is the same as a list of one (Keras takes both)."""
    if isinstance(item, tuple) and not isinstance(item, Source):
        item = list(item)
    if isinstance(item, list) and len(item) == 1 and isinstance(item[0], Source):
        return item[0]
    return item


def _reordered(side: str, want: object, got: object) -> list[tuple[str, str]]:
    """The same tensors (by shape and dtype) in another order: ``outputs[0]`` and ``[1]`` swapped.

    Only for a reordering: a tensor of another shape follows from a layer, found there.
    """
    wanted, found = leaves(_as_list(want), side), leaves(_as_list(got), side)
    if [path for path, _ in wanted] != [path for path, _ in found]:
        return []
    kinds = [[(s.shape, s.dtype) for _, s in leaves] for leaves in (wanted, found)]
    if kinds[0] == kinds[1] or Counter(kinds[0]) != Counter(kinds[1]):
        return []
    hint = f"list the model's {side} in the expected order"
    return [
        (f"expected {path} to be {_tensor(a)}, found {_tensor(b)}", hint)
        for (path, a), (_, b) in zip(wanted, found, strict=True)
        if (a.shape, a.dtype) != (b.shape, b.dtype)
    ]


def _tensor(source: Source) -> str:
    """``a (None, 3) float32 tensor``."""
    shape = (
        "("
        + ", ".join(str(d) for d in source.shape)
        + ("," if len(source.shape) == 1 else "")
        + ")"
    )
    return f"a {shape} {source.dtype} tensor"


def _form(item: object) -> str:
    if isinstance(item, dict):
        return "a dict with the keys " + ", ".join(repr(key) for key in item)
    if isinstance(item, list):
        return f"a list of {len(item)}"
    return "one tensor"


def _noun(row: Row) -> str:
    return "operation" if row.operation else "layer"


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")
