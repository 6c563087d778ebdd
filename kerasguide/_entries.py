"""One entry of a spec's ``layers:`` list, in its normal form.

An entry is one of:

- a layer: ``{type: Dense, units: 10}``, or the shorthand ``{Dense: 10}``;
- a wrapper, whose layer-valued arguments hold layer entries themselves:
  ``{TimeDistributed: {Dense: 1}}``, ``{type: RNN, cell: [LSTMCell: 4, ...]}``;
- a Keras operation between tensors (functional specs): ``{op: add, inputs: [a, b]}``;
- a shared layer called again: ``{reuse: encoder, inputs: right}``;
- a nested model: ``{model: {...}}``.

**The shorthand rule.** In ``{Type: value}`` the value is the constructor's
first argument, whatever it is: a number (``Dense: 10`` is ``units: 10``), a
list (``Reshape: [4, 4]`` is ``target_shape``), or a mapping (``TimeDistributed:
{Dense: 1}`` is ``layer``). Every other argument sits beside it, by name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from kerasguide import _catalog as cat
from kerasguide import _ops
from kerasguide._call_options import call_options
from kerasguide._keras import keras
from kerasguide._suggest import did_you_mean, listed
from kerasguide._values import at, check_keys, flag, name_of, positive_int, show
from kerasguide.errors import SpecError, SpecTypeError

# Arguments of Keras's own wrappers and recurrent layers that take layers.
LAYER_ARGS = ("layer", "backward_layer", "cell", "cells")
_COUNTS = {"units", "filters", "output_dim", "num_heads", "key_dim"}
_LIST_AXES = {"axis"}


def layer_valued(cls: type, key: str) -> bool:
    """True when ``key`` of the layer class ``cls`` takes a layer (or a list of them)."""
    if key not in LAYER_ARGS:
        return False
    layers = keras().layers
    bases = (layers.Wrapper, layers.Bidirectional, layers.RNN, layers.StackedRNNCells)
    return issubclass(cls, bases) and key in cat.parameters(cls)[0]


def entry(raw: object, where: str, *, functional: bool) -> dict[str, Any]:
    """The normal form of one entry of ``layers:``, names not yet filled in."""
    if isinstance(raw, str):
        raw = {"type": raw}
    if not isinstance(raw, dict):
        raise SpecTypeError(
            "a layer entry must be a layer name or a mapping",
            where=where,
            expected="e.g. `- Dense: 10` or `- {type: Dense, units: 10}`",
            received=show(raw),
        )
    if not functional:
        for key in ("inputs", "reuse", "op", "call"):
            if key in raw:
                raise SpecError(
                    f"`{key}` needs a functional spec",
                    where=at(where, key),
                    expected="a plain chain of layers in a sequential spec",
                    received=f"{key}: {raw[key]!r}",
                    hint="declare `inputs:` at the top of the spec to make it functional",
                )
    if "reuse" in raw:
        return _reuse_entry(raw, where)
    if "model" in raw:
        return _model_entry(raw, where)
    if "op" in raw:
        return _op_entry(raw, where)
    return layer_entry(raw, where, functional=functional)


def _refs(value: object, where: str) -> Any:
    from kerasguide._wiring import refs

    return refs(value, where)


def _reuse_entry(raw: dict[str, Any], where: str) -> dict[str, Any]:
    check_keys(raw, ("reuse", "name", "inputs", "call"), where, "a reuse entry")
    result: dict[str, Any] = {"reuse": name_of(raw["reuse"], at(where, "reuse"))}
    if "name" in raw:
        result["name"] = name_of(raw["name"], at(where, "name"), alias=True)
    if "inputs" in raw:
        result["inputs"] = _refs(raw["inputs"], at(where, "inputs"))
    if "call" in raw:
        result["call"] = call_options(raw["call"], at(where, "call"))
    return result


def _model_entry(raw: dict[str, Any], where: str) -> dict[str, Any]:
    check_keys(raw, ("model", "name", "inputs", "trainable", "call"), where, "a nested model entry")
    sub = dict(raw["model"]) if isinstance(raw["model"], dict) else raw["model"]
    if isinstance(sub, dict) and "name" in raw:
        sub["name"] = raw["name"]
    elif isinstance(sub, dict) and "name" not in sub:
        sub["name"] = None  # filled in with the position-derived names
    result: dict[str, Any] = {"model": sub}
    if raw.get("trainable", True) is not True:
        result["trainable"] = flag(raw["trainable"], at(where, "trainable"), "`trainable`")
    if "inputs" in raw:
        result["inputs"] = _refs(raw["inputs"], at(where, "inputs"))
    if "call" in raw:
        result["call"] = call_options(raw["call"], at(where, "call"))
    return result


def _op_entry(raw: dict[str, Any], where: str) -> dict[str, Any]:
    op = raw["op"]
    _ops.resolve(op, at(where, "op"))
    result: dict[str, Any] = {"op": op}
    if "name" in raw:
        result["name"] = name_of(raw["name"], at(where, "name"))
    if "inputs" in raw:
        result["inputs"] = _refs(raw["inputs"], at(where, "inputs"))
    for key, value in raw.items():
        if key in ("op", "name", "inputs"):
            continue
        _ops.check_argument(op, key, where)
        result[key] = _ops.check_constant(value, at(where, key))
    return result


def split_type(raw: dict[str, Any], where: str) -> tuple[str, dict[str, Any], str]:
    """(type name, arguments, where the type is written) of a layer entry."""
    if "type" in raw:
        return raw["type"], {k: v for k, v in raw.items() if k != "type"}, at(where, "type")
    capitalised = [k for k in raw if isinstance(k, str) and k[:1].isupper()]
    if len(capitalised) != 1:
        raise SpecError(
            "a layer entry must say its type",
            where=where,
            expected="`type: Dense` or the shorthand `Dense: 10`",
            received="keys " + ", ".join(map(repr, raw)) if raw else "an empty mapping",
            hint="add `type:` with a class name from keras.layers",
        )
    type_ = capitalised[0]
    args = {k: v for k, v in raw.items() if k != type_}
    value = raw[type_]
    if value is None:
        return type_, args, at(where, type_)
    cls = cat.resolve_layer(type_, at(where, type_))
    first = cat.first_parameter(cls)
    if first is None:
        raise SpecError(
            f"{type_} takes no positional value",
            where=at(where, type_),
            expected=f"`{type_}:` with nothing after it, and its arguments by name",
            received=show(value),
            hint=f"write `- {{type: {type_}, ...}}` with named arguments",
        )
    if isinstance(value, dict) and not layer_valued(cls, first):
        raise SpecTypeError(
            f"the shorthand `{type_}:` takes {type_}'s first argument, {first!r}",
            where=at(where, type_),
            expected=f"a value for {first!r}, with the other arguments beside it by name",
            received=show(value),
            hint=f"write `{{type: {type_}, ...}}` with the arguments by name, "
            f"or `{{{type_}: <{first}>, ...}}`",
        )
    if first in args:
        raise SpecError(
            f"{type_}'s {first!r} is given twice",
            where=at(where, first),
            expected=f"either the shorthand `{type_}: {value!r}` or `{first}: {args[first]!r}`",
            received=f"`{type_}: {value!r}` and `{first}: {args[first]!r}`",
            hint=f"the shorthand's value is {type_}'s first argument, {first!r}: keep one",
        )
    return type_, {first: value, **args}, at(where, type_)


def layer_entry(raw: dict[str, Any], where: str, *, functional: bool = False) -> dict[str, Any]:
    """A layer entry (possibly a wrapper holding layer entries), names not yet filled."""
    type_, args, type_where = split_type(raw, where)
    cls = cat.resolve_layer(type_, type_where)
    accepted, required = cat.parameters(cls)
    result: dict[str, Any] = {"type": type_}
    for key, value in args.items():
        here = at(where, str(key))
        if key == "name":
            result["name"] = name_of(value, here)
        elif key == "inputs" and functional:
            result["inputs"] = _refs(value, here)
        elif key == "call" and functional:
            result["call"] = call_options(value, here)
        elif key not in accepted:
            raise SpecError(
                f"{type_} has no argument {key!r}",
                where=here,
                expected=f"one of {type_}'s arguments: "
                + listed(str(key), public(accepted), rest=f"help(keras.layers.{type_})"),
                received=repr(key),
                hint=did_you_mean(str(key), accepted) or f"see help(keras.layers.{type_})",
            )
        elif layer_valued(cls, key):
            result[key] = _inner(type_, key, value, here)
        else:
            result[key] = argument(type_, key, accepted[key], value, here)
    missing = [r for r in required if r not in result]
    if missing:
        raise SpecError(
            f"{type_} needs the argument {missing[0]!r}",
            where=where,
            expected=f"{type_} with " + ", ".join(missing),
            received="no " + " and no ".join(missing),
            hint=f"add `{missing[0]}: ...` to this entry",
        )
    return result


def _inner(type_: str, key: str, value: object, where: str) -> Any:
    """A layer-valued argument: a layer entry, or (for cells) a list of them."""
    if isinstance(value, list) and key in ("cell", "cells"):
        if not value:
            raise SpecTypeError(
                f"{type_}'s {key!r} is an empty list",
                where=where,
                expected="one or more cell entries, e.g. [LSTMCell: 8]",
                received="[]",
            )
        return [_inner(type_, key, item, at(where, i)) for i, item in enumerate(value)]
    if isinstance(value, str):
        value = {"type": value}
    if not isinstance(value, dict):
        raise SpecTypeError(
            f"{type_}'s {key!r} takes a layer",
            where=where,
            expected="a layer entry, e.g. `{Dense: 1}` or `{type: LSTM, units: 8}`",
            received=show(value),
            hint=f"write `{type_}: {{Dense: 1}}` or `{key}: {{Dense: 1}}`",
        )
    if "model" in value or "op" in value or "reuse" in value or "inputs" in value:
        bad = next(k for k in ("model", "op", "reuse", "inputs") if k in value)
        raise SpecError(
            f"{type_}'s {key!r} must be a single layer",
            where=at(where, bad),
            expected="a layer entry such as `{LSTM: 8}`",
            received=f"`{bad}:` in the wrapped entry",
            hint="a wrapped layer has no wiring of its own: the wrapper feeds it",
        )
    return layer_entry(value, where)


def public(accepted: dict[str, Any]) -> list[str]:
    """The arguments a did-you-mean lists: not the legacy input arguments."""
    return [k for k in accepted if k not in ("input_shape", "input_dim", "batch_size")]


def own_argument(cls: type, key: str) -> bool:
    """True when the layer itself takes ``key`` (Embedding's input_dim is a vocabulary size)."""
    return key in inspect.signature(cls).parameters


# Arguments that Keras reads as a file path when given a string.
PATH_ARGS = frozenset({"vocabulary", "idf_weights", "filepath", "path", "weights"})


def argument(type_: str, key: str, param: Any, value: Any, where: str) -> Any:
    """A checked layer argument, by what its default says it takes."""
    if key in PATH_ARGS and isinstance(value, str):
        raise SpecError(
            f"{type_}'s {key!r} would read a file, and specs never read files",
            where=where,
            expected=f"the {key} itself, as a list (e.g. [cat, dog, bird])",
            received=repr(value),
            hint=f"load the file in Python and pass the list: {{type: {type_}, {key}: [...]}}, "
            "or build the layer in Python",
        )
    if key in _COUNTS:
        return positive_int(value, where, f"{type_}'s {key!r}")
    kind = cat.object_kind(key)
    if kind is not None:
        return cat.check_object(kind, value, where)
    default = param.default
    if value is None or default is param.empty or default is None:
        return value
    expected = _expected_type(default)
    list_axis = key in _LIST_AXES and isinstance(value, list)
    if expected is not None and not list_axis and not _matches(value, default):
        raise SpecTypeError(
            f"{type_}'s argument {key!r} has the wrong type",
            where=where,
            expected=f"{expected} (its default is {default!r})",
            received=show(value),
        )
    return value


def _expected_type(default: object) -> str | None:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "a whole number (or a list of them)"
    if isinstance(default, float):
        return "a number"
    if isinstance(default, str):
        return "a string"
    if isinstance(default, tuple):
        return "a whole number or a list of whole numbers"
    return None


def _matches(value: object, default: object) -> bool:
    whole = isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):  # Keras often takes a tuple too: ZeroPadding1D((1, 2))
        return whole or (isinstance(value, list) and all(isinstance(v, int) for v in value))
    if isinstance(default, float):
        return whole or isinstance(value, float)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, tuple):
        return whole or isinstance(value, list)
    return True


# --- names -------------------------------------------------------------------------


NestedModel = Callable[[dict[str, Any], dict[str, int], str], dict[str, Any]]


def fill_names(
    entries: list[dict[str, Any]], path: str, *, reserved: set[str], nested: NestedModel
) -> Any:
    """Give every entry (and every wrapped layer) its name: explicit, or type and rank.

    ``nested`` normalises a nested model's entry (it lives above this module).
    """
    counts: dict[str, int] = {}
    uses: dict[str, int] = {}
    seen: dict[str, str] = dict.fromkeys(reserved, "the model inputs")
    result = []
    for i, item in enumerate(entries):
        where = at(at(path, "layers"), i)
        if "model" in item:
            item = nested(item, counts, where)
        elif "reuse" in item:
            uses[item["reuse"]] = uses.get(item["reuse"], 1) + 1
            item.setdefault("name", f"{item['reuse']}@{uses[item['reuse']]}")
        else:
            item = _named(item, counts, seen, where)
        name = item["model"]["name"] if "model" in item else item["name"]
        _claim(name, seen, where)
        result.append(item)
    return result


def _claim(name: str, seen: dict[str, str], where: str) -> None:
    if name in seen:
        raise SpecError(
            f"the name {name!r} is used twice",
            where=where,
            expected="a name used by no other layer, operation or input",
            received=f"{name!r}, already used by {seen[name]}",
            hint="give one of them another `name:`",
        )
    seen[name] = where


def _named(
    item: dict[str, Any], counts: dict[str, int], seen: dict[str, str], where: str
) -> dict[str, Any]:
    """A layer or operation entry with its name first after its type, wrapped layers named."""
    key = "op" if "op" in item else "type"
    base = item["op"] if key == "op" else cat.snake_case(item["type"])
    counts[base] = counts.get(base, 0) + 1
    named = {key: item[key], "name": item.get("name", f"{base}_{counts[base]}")}
    for arg, value in item.items():
        if arg in (key, "name"):
            continue
        if key == "type" and arg in LAYER_ARGS and _is_entry(value):
            value = _named_inner(value, counts, seen, at(where, arg))
        named[arg] = value
    return named


def _is_entry(value: object) -> bool:
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(isinstance(v, dict) and "type" in v for v in items)


def _named_inner(value: Any, counts: dict[str, int], seen: dict[str, str], where: str) -> Any:
    if isinstance(value, list):
        return [_named_inner(v, counts, seen, at(where, i)) for i, v in enumerate(value)]
    named = _named(value, counts, seen, where)
    _claim(named["name"], seen, where)
    return named
