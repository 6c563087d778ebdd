"""How a model differs from what was expected: aligned layers, findings in words.

Private to :mod:`kerasguide.checks`. Rows are compared by (depth, type,
output shape). Identical rows at both ends are paired as they are; the rows
between are aligned at the least cost, where a changed layer costs less than a
missing plus an extra one (a small dynamic programme; :class:`difflib.SequenceMatcher`
when there are very many rows), so that one missing or extra layer does not make
every later layer look wrong. Each difference becomes a :class:`Finding` that says
what was expected, what was found, what follows from it, and how to fix it.

With the models themselves (``check_model``), every setting of a layer is compared
(:mod:`kerasguide._settings`), and so are its calls and the model's inputs and outputs
(:mod:`kerasguide._compare_calls`); the rows are also paired through the graph
(:mod:`kerasguide._compare_pairs`), and the pairing with the fewest findings is kept.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from kerasguide import _compare_calls, _masks, _settings
from kerasguide._finding import Finding, blocks, named, where
from kerasguide._implied import implied_changes, size_of
from kerasguide._layer_text import constructor, kind_of, show, unwrap_hint, what, wrap_hint
from kerasguide._rows import Row, row_owners
from kerasguide._shapes import Shape, same_text
from kerasguide._types import KerasModel, KerasOperation
from kerasguide._upstream import (
    Causes,
    alone,
    effects_finding,
    input_note,
    inputs,
    one,
    own_and_upstream,
)
from kerasguide.summary import Summary

__all__ = ["Finding", "summaries", "totals", "where"]


# --- the comparison --------------------------------------------------------------------

_MODELS = ("Functional", "Sequential", "Model")
_NO_SHAPE = ("activation", "trainable", "rate")
_Pair = tuple[int | None, int | None]
_Objects = tuple[KerasOperation | None, KerasOperation | None]  # (found, expected), when known
_Key = tuple[int, str, tuple[Shape, ...] | None]  # how rows are aligned: depth, type, shapes
_Change = tuple[str, object, object]  # a setting: its key, the expected and the found value


def summaries(
    found: Summary,
    expected: Summary,
    *,
    compare_names: bool,
    models: tuple[KerasModel, KerasModel] | None = None,
) -> list[Finding]:
    """Every difference between two summaries; with the models (found, expected), also
    every setting, call and the structure of their inputs and outputs."""
    keep_inputs = any(row.is_input for row in expected.rows)
    f_at = [i for i, row in enumerate(found.rows) if keep_inputs or not row.is_input]
    e_at = [i for i, row in enumerate(expected.rows) if keep_inputs or not row.is_input]
    aligned = _align([expected.rows[i] for i in e_at], [found.rows[j] for j in f_at])
    pairs = [(None if e is None else e_at[e], None if f is None else f_at[f]) for e, f in aligned]
    if models is None:
        return blocks(_paired(found, expected, pairs, None, compare_names))
    owners = (row_owners(models[0]), row_owners(models[1]))
    graphs = _compare_calls.Graphs(models, owners, (found, expected))
    # Keras names the operations of implicit masks itself: nobody can give those names
    keras_named = _masks.mask_operations(models[0]) | _masks.mask_operations(models[1])
    best: list[Finding] | None = None
    for candidate in graphs.candidates(pairs):
        graphs.use(candidate)
        findings = _paired(found, expected, candidate, graphs, compare_names, keras_named)
        if best is None or len(findings) < len(best):
            best = findings
    return blocks(best or [])


def _paired(
    found: Summary,
    expected: Summary,
    pairs: list[tuple[int | None, int | None]],
    graphs: _compare_calls.Graphs | None,
    compare_names: bool,
    keras_named: frozenset[int] | set[int] = frozenset(),
) -> list[Finding]:
    """The findings of one way of pairing the rows (``keras_named``: ids of operations
    whose names are not compared)."""
    findings: list[Finding] = []
    after: int | None = None
    causes = Causes(found)  # where each differing output comes from
    for e, f in pairs:
        if f is not None:
            after = f
        if e is None and f is not None:
            if not _own_input(found.rows, f):
                causes.extra(f)
                findings.append(_extra(found.rows[f], f, _obj(graphs, 0, f)))
        elif e is not None and f is None:
            causes.missing(after)
            findings.append(_missing(expected.rows[e], found, after, _obj(graphs, 1, e)))
        elif e is not None and f is not None:
            objects = (_obj(graphs, 0, f), _obj(graphs, 1, e))
            named = compare_names and not {id(o) for o in objects} & keras_named
            findings += _pair(found, expected, (f, e), objects, named, causes)
            if graphs is not None and _same_type(found.rows[f], expected.rows[e], objects):
                findings += graphs.call_findings(e, f) + graphs.structure_findings(e, f)
    if graphs is not None:
        findings += graphs.structure_findings(None, None)
    return findings + totals(found, expected, layers_differ=bool(findings))


def _own_input(rows: tuple[Row, ...], index: int) -> bool:
    """A nested Sequential's InputLayer, which Keras's summaries do not show."""
    row = rows[index]
    parent = rows[index - 1] if index else None
    return row.is_input and parent is not None and parent.type == "Sequential"


def _obj(graphs: _compare_calls.Graphs | None, side: int, index: int) -> KerasOperation | None:
    return None if graphs is None else graphs.owners[side][index][0]


def _align(expected: list[Row], found: list[Row]) -> list[_Pair]:
    """Pairs of (expected, found) indexes; None on one side for a missing or extra layer.

    Identical rows at both ends are paired as they are; the rows between them are
    aligned at the least cost (a changed layer costs less than a missing plus an
    extra one), or by :class:`difflib.SequenceMatcher` when there are very many.
    """
    types = {row.type for row in found}
    keys = [
        [(r.depth, _type(r.type, types), r.output_shapes) for r in rows]
        for rows in (expected, found)
    ]
    n, m = len(keys[0]), len(keys[1])
    head = next((k for k in range(min(n, m)) if keys[0][k] != keys[1][k]), min(n, m))
    tail = 0
    while tail < min(n, m) - head and keys[0][n - 1 - tail] == keys[1][m - 1 - tail]:
        tail += 1
    middle = (keys[0][head : n - tail], keys[1][head : m - tail])
    inner = _cheapest(*middle) if len(middle[0]) * len(middle[1]) <= 250_000 else _blocks(*middle)
    shifted = [(None if a is None else a + head, None if b is None else b + head) for a, b in inner]
    ends = [(n - tail + k, m - tail + k) for k in range(tail)]
    return [(k, k) for k in range(head)] + shifted + ends


def _cost(want: _Key, got: _Key) -> float:
    """0 for the same row; about 1 for a changed layer of the same type, a little less the
    more of its output shape agrees (so an extra block is placed where the shapes part,
    and the first of two like layers stays paired); more across types and depths."""
    if want == got:
        return 0.0
    if want[:2] == got[:2]:
        return 1.0 - 0.1 * _agreement(str(want[2]), str(got[2]))
    return 2.5 if want[0] == got[0] else 9.0


def _agreement(want: str, got: str) -> float:
    """The share of a printed output shape's sizes that agree, position by position."""
    a: list[str] = re.findall(r"None|\d+", want)
    b: list[str] = re.findall(r"None|\d+", got)
    if not a or len(a) != len(b):
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def _cheapest(expected: list[_Key], found: list[_Key]) -> list[_Pair]:
    """The alignment of least cost: a pair costs by how much it differs, a gap 1.5."""
    n, m, gap = len(expected), len(found), 1.5
    cost = [[gap * (i + j) if not i or not j else 0.0 for j in range(m + 1)] for i in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(
                cost[i - 1][j - 1] + _cost(expected[i - 1], found[j - 1]),
                cost[i - 1][j] + gap,
                cost[i][j - 1] + gap,
            )
    # traced back from the end, a gap is taken before an equal pair: of two placements
    # that cost the same, the one that keeps the earlier layers paired (the first of
    # two like layers, the one given the input) wins
    pairs: list[_Pair] = []
    i, j = n, m
    while i or j:
        if j and (not i or cost[i][j] == cost[i][j - 1] + gap):
            j -= 1
            pairs.append((None, j))
        elif i and (not j or cost[i][j] == cost[i - 1][j] + gap):
            i -= 1
            pairs.append((i, None))
        else:
            i, j = i - 1, j - 1
            pairs.append((i, j))
    return pairs[::-1]


def _blocks(expected: list[_Key], found: list[_Key]) -> list[_Pair]:
    """For very long stretches: equal runs, and layers paired by position in between."""
    pairs: list[_Pair] = []
    matcher = SequenceMatcher(None, expected, found, autojunk=False)
    for _, i1, i2, j1, j2 in matcher.get_opcodes():
        common = min(i2 - i1, j2 - j1)
        pairs += zip(range(i1, i1 + common), range(j1, j1 + common), strict=True)
        pairs += [(i, None) for i in range(i1 + common, i2)]
        pairs += [(None, j) for j in range(j1 + common, j2)]
    return pairs


def _type(name: str, known: set[str]) -> str:
    """A type cut short with ``…`` in a printed summary, completed from the model's types."""
    if name.endswith("…"):
        return next((t for t in sorted(known) if same_text(name, t)), name)
    return name


def _extra(row: Row, index: int, layer: KerasOperation | None) -> Finding:
    message = f"this {what(row, layer).split(' ', 1)[1]} is not in the expected model"
    hint = f"remove it{named(row)}"
    return Finding(where(row, index), message, hint, "extra", row.name)


def _missing(row: Row, found: Summary, after: int | None, layer: KerasOperation | None) -> Finding:
    place = "at the start" if after is None else f"after {where(found.rows[after], after)}"
    kind = what(row, layer)
    described = f"{kind} with output {row.output_shape} and {row.params:,} parameters"
    if layer is not None:
        how = f"add {constructor(layer)}"
    else:
        size = size_of(row)
        how = f"add {kind} with {size[1]} {size[0]}" if size else f"add {described}"
    message = f"expected {described} {place}, but there is none"
    return Finding("missing layer", message, f"{how} {place}", "missing")


def _settings_findings(
    row: Row, index: int, layer: KerasOperation | None, changes: list[_settings.Change]
) -> list[Finding]:
    """One finding for each kind of setting that a grader may weigh apart (initializers, …)."""
    findings = []
    for kind in _settings.KINDS if not row.is_input else ("config", *_settings.KINDS):
        chosen = [change for change in changes if change.kind == kind]
        if chosen:
            message = "; ".join(_describe(c.key, c.expected, c.found) for c in chosen)
            hint = _set_hint(row, layer, [(c.key, c.expected, c.found) for c in chosen])
            findings.append(Finding(where(row, index), message, hint, kind, row.name))
    return findings


def _set_hint(row: Row, layer: KerasOperation | None, changes: list[_Change]) -> str:
    setting = ", ".join(f"{_settings.leaf(key)}={show(value)}" for key, value, _ in changes)
    if row.is_input:
        return f"use keras.Input(..., {setting}){named(row)}"
    holder = _settings.holder(layer, [key for key, _, _ in changes])
    hint = f"set {setting} on {holder}{named(row)}"
    if any(_settings.kind(key) == "dtype" for key, _, _ in changes):
        hint += "; keras.config.set_floatx() and set_dtype_policy() change every layer's default"
    return hint


def _describe(key: str, expected: object, found: object) -> str:
    if key in ("units", "filters"):
        return f"expected {expected} {key}, found {found}"
    if key == "input_dim":
        return f"expected a vocabulary of {expected} (input_dim={expected}), found {found}"
    if key == "activation":
        return f"expected activation {expected!r}, found {found!r}"
    return f"expected {key}={show(expected)}, found {key}={show(found)}"


def _pair(
    found: Summary,
    expected: Summary,
    at: tuple[int, int],
    objects: _Objects,
    names: bool,
    causes: Causes,
) -> list[Finding]:
    f, got, want = at[0], found.rows[at[0]], expected.rows[at[1]]
    place = where(got, f)
    if not _same_type(got, want, objects):
        causes.own(f)
        return [_type_finding(got, want, place, objects)]
    findings = []
    if names and not same_text(want.name, got.name):
        message = f"expected the name '{want.name}', found '{got.name}'"
        findings.append(Finding(place, message, f"add name='{want.name}'", "name", got.name))
    changes = _settings.changes(objects[1], objects[0])
    if got.is_input:
        if want.output_shapes != got.output_shapes:
            causes.own(f)
            message = f"expected input shape {want.output_shape}, found {got.output_shape}"
            hint = f"use keras.Input(shape={_feature_shape(want)})"
            findings.append(Finding(place, message, hint, "input", got.name))
        return findings + _settings_findings(got, f, objects[1], changes)
    config = [(c.key, c.expected, c.found) for c in changes if c.kind == "config"]
    change = _change(found, expected, at, objects, config, causes)
    settings = _settings_findings(got, f, objects[1], changes)
    return findings + ([change] if change is not None else []) + settings


def _same_type(got: Row, want: Row, objects: _Objects) -> bool:
    return same_text(kind_of(want, objects[1]), kind_of(got, objects[0]))


def _type_finding(got: Row, want: Row, place: str, objects: _Objects) -> Finding:
    """A row of another type; a wrapper is named with what it wraps: ``Bidirectional(LSTM)``."""
    message = f"expected {what(want, objects[1])}, found {what(got, objects[0])}"
    new = constructor(objects[1]) if objects[1] is not None else None
    wrap = wrap_hint(want.type, got.type)
    unwrap = unwrap_hint(want.type, got.type)
    if wrap is not None:
        hint = f"wrap this {got.type} in keras.layers.{want.type}: {new or wrap}"
    elif unwrap is not None:
        hint = f"{unwrap}" + (f": {new}" if new else "")
    elif new is not None:
        hint = f"replace it with {new}"
    else:
        hint = f"replace it with {what(want)}"
    return Finding(place, message, hint, "type", got.name)


def _feature_shape(row: Row) -> str:
    shape = row.output_shapes[0][1:] if row.output_shapes else ()
    return str(tuple(shape))


def _change(
    found: Summary,
    expected: Summary,
    at: tuple[int, int],
    objects: _Objects,
    config: list[_Change],
    causes: Causes,
) -> Finding | None:
    (f, e), got, want = at, found.rows[at[0]], expected.rows[at[1]]
    fed = (inputs(found.rows, f), inputs(expected.rows, e))
    changes = config if objects[1] is not None else implied_changes(want, got, one(fed[::-1]))
    effects = []
    nested = want.type in _MODELS and any(row.depth > want.depth for row in expected.rows)
    if want.output_shapes != got.output_shapes and not nested:
        effects.append(f"its output is {got.output_shape} instead of {want.output_shape}")
    if want.params != got.params and not nested:
        effects.append(f"it has {got.params:,} parameters instead of {want.params:,}")
    if nested and want.output_shapes != got.output_shapes:
        causes.own(f)  # named for what its layers do, which have findings of their own
    note = input_note(found, expected, f, e, causes.of(f))
    text = "; ".join(_describe(*change) for change in changes)
    message = None
    if effects and any(key not in _NO_SHAPE for key, _, _ in changes):
        message = f"{text} — {', so '.join(effects)}"
        if note:  # its input differs too: it is blamed only for what its setting does
            mine = alone(objects[0], one(fed)[1])
            shapes = (fed[0] or (), fed[1] or ())
            message = own_and_upstream(text, (got, want), shapes, mine, causes.of(f))
    if effects:
        causes.own(f) if message is not None or not note else causes.follow(f)
    if not changes:
        return effects_finding(found, f, effects, note) if effects else _frozen(got, want, f)
    if message is None:
        message = f"{text}; also {', and '.join(effects)}{note}" if effects else text
    return Finding(where(got, f), message, _set_hint(got, objects[1], changes), "config", got.name)


def _frozen(got: Row, want: Row, f: int) -> Finding | None:
    if None in (want.non_trainable, got.non_trainable) or want.non_trainable == got.non_trainable:
        return None
    message = (
        f"expected {want.non_trainable:,} non-trainable parameters, found {got.non_trainable:,}"
    )
    hint = "is the layer frozen (trainable=False) when it should not be, or the other way round?"
    return Finding(where(got, f), message, hint, "params", got.name)


def totals(
    found: Summary, expected: Summary, *, layers_differ: bool, check_params: bool = False
) -> list[Finding]:
    keys = ("total", "trainable", "non_trainable")
    pairs = {key: (getattr(expected, key), getattr(found, key)) for key in keys}
    if all(want is None or want == got for want, got in pairs.values()):
        return []
    want = _describe_totals({k: v[0] for k, v in pairs.items()}, first=True)
    got = _describe_totals({k: v[1] for k, v in pairs.items() if v[0] is not None}, first=False)
    if layers_differ:
        hint = "the totals follow from the layer differences above"
    elif check_params:
        hint = "kerasguide.explain(model) shows where each parameter comes from"
    else:
        hint = "every layer matches, so check the expected totals themselves"
    return [Finding("model", f"expected {want}, found {got}", hint, "totals")]


def _describe_totals(counts: dict[str, int | None], *, first: bool) -> str:
    total = counts.get("total")
    parts = [
        f"{counts[key]:,} {key.replace('_', '-')}"
        for key in ("trainable", "non_trainable")
        if counts.get(key) is not None
    ]
    head = "?" if total is None else f"{total:,}"
    head += " parameters in total" if first else ""
    return f"{head} ({', '.join(parts)})" if parts else head
