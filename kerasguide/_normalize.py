"""Turn a spec as written (YAML, JSON or a dict) into its one normal form.

The normal form is itself a valid spec, so normalising twice changes nothing:

- every layer entry is ``{type, name, **arguments}``, plus ``inputs`` in a
  functional spec where it is not simply the previous entry's output;
- every name is filled in deterministically: explicit names are kept, the
  rest are ``snake_case(type)_k`` for the k-th layer of that type;
- shorthands are expanded: ``Dense: 10`` becomes ``{type: Dense, units: 10}``.

Every check that needs no built model happens here, with the spec path of
the mistake: unknown types and arguments, bad values, references to names
that do not exist, duplicates, cycles, and unused inputs or layers.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from kerasguide import _catalog as cat
from kerasguide import _wiring
from kerasguide._suggest import did_you_mean
from kerasguide.errors import SpecError, SpecTypeError

KINDS = ("sequential", "functional", "mlp")
TOP_KEYS = {
    "sequential": ("kind", "name", "input_shape", "input_name", "input_dtype", "layers"),
    "functional": ("kind", "name", "inputs", "input_shape", "layers", "outputs"),
    "mlp": (
        "kind", "name", "inputs", "hidden", "outputs", "activation",
        "output_activation", "dropout", "batch_norm",
    ),
}  # fmt: skip
ENTRY_KEYS = ("type", "name", "inputs", "reuse", "model")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def normalize(data: object, path: str = "") -> dict[str, Any]:
    """The normal form of a spec; raises a SpecError naming the path of any mistake."""
    if not isinstance(data, dict):
        raise SpecTypeError(
            "a spec must be a mapping of keys to values",
            where=path or "spec",
            expected="a mapping with `layers:` (or `hidden:` for an MLP)",
            received=cat._show(data),
            hint="start the document with keys such as `name:`, `input_shape:` and `layers:`",
        )
    kind = _kind(data, path)
    _check_keys(data, TOP_KEYS[kind], path, f"a {kind} spec")
    if kind == "mlp":
        return _mlp(data, path)
    if kind == "sequential":
        return _sequential(data, path)
    return _functional(data, path)


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _kind(data: dict[str, Any], path: str) -> str:
    kind = data.get("kind")
    if kind is None:
        if "hidden" in data:
            return "mlp"
        if "inputs" in data or "outputs" in data:
            return "functional"
        if "layers" in data or "input_shape" in data:
            return "sequential"
        raise SpecError(
            "cannot tell what kind of model this spec describes",
            where=path or "spec",
            expected="`layers:` (sequential), `inputs:` + `layers:` (functional) or "
            "`hidden:` (mlp), or an explicit `kind:`",
            received="keys " + ", ".join(map(repr, data)) if data else "an empty mapping",
            hint="add `kind: sequential`, `kind: functional` or `kind: mlp`",
        )
    if kind not in KINDS:
        raise SpecError(
            "unknown model kind",
            where=_at(path, "kind"),
            expected=" or ".join(map(repr, KINDS)),
            received=cat._show(kind),
            hint=did_you_mean(str(kind), KINDS),
        )
    return str(kind)


def _check_keys(data: dict[str, Any], allowed: tuple[str, ...], path: str, what: str) -> None:
    for key in data:
        if key not in allowed:
            raise SpecError(
                f"unknown key {key!r} in {what}",
                where=_at(path, str(key)),
                expected="one of " + ", ".join(allowed),
                received=repr(key),
                hint=did_you_mean(str(key), allowed),
            )


def name_of(value: object, where: str, *, alias: bool = False) -> str:
    """A checked layer or tensor name."""
    pattern = r"^[A-Za-z_][A-Za-z0-9_.\-@]*$" if alias else _NAME.pattern
    if not isinstance(value, str) or not re.match(pattern, value):
        raise (SpecError if isinstance(value, str) else SpecTypeError)(
            "not a valid name",
            where=where,
            expected="letters, digits and _ . - , starting with a letter or _",
            received=cat._show(value),
            hint="e.g. `name: hidden_1`",
        )
    return value


def shape_of(value: object, where: str) -> list[int | None]:
    """A checked input shape; a bare number means a vector of that length."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    ok = isinstance(value, list) and all(
        d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0) for d in value
    )
    if not ok or not value:
        raise SpecTypeError(
            "not a valid input shape",
            where=where,
            expected="a list of positive whole numbers without the batch size, e.g. [10] "
            "or [28, 28, 1] (null for a variable length)",
            received=cat._show(value),
        )
    return [d if d is None else int(d) for d in value]  # type: ignore[attr-defined]


def _positive_int(value: object, where: str, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SpecTypeError(
            f"{what} must be a positive whole number",
            where=where,
            expected="an integer of at least 1",
            received=cat._show(value),
        )
    return value


# --- sequential --------------------------------------------------------------------


def _sequential(data: dict[str, Any], path: str) -> dict[str, Any]:
    layers = _layer_list(data, path)
    entries = [_entry(raw, _at(_at(path, "layers"), i), functional=False)
               for i, raw in enumerate(layers)]  # fmt: skip
    input_shape = _sequential_input(data, entries, path)
    out: dict[str, Any] = {"kind": "sequential"}
    out["name"] = name_of(data.get("name", "sequential"), _at(path, "name"))
    out["input_shape"] = input_shape
    if data.get("input_name", "input") != "input":
        out["input_name"] = name_of(data["input_name"], _at(path, "input_name"))
    if data.get("input_dtype") is not None:
        out["input_dtype"] = _dtype(data["input_dtype"], _at(path, "input_dtype"))
    out["layers"] = _fill_names(entries, path, reserved={out.get("input_name", "input")})
    return out


def _sequential_input(data: dict[str, Any], entries: list[dict[str, Any]], path: str) -> Any:
    found: list[tuple[str, Any]] = []
    if "input_shape" in data:
        found.append((_at(path, "input_shape"), shape_of(data["input_shape"], "input_shape")))
    for i, entry in enumerate(entries):
        for key in ("input_shape", "input_dim"):
            if key in entry and not _own_argument(entry, key):
                where = _at(_at(_at(path, "layers"), i), key)
                if i > 0:
                    raise SpecError(
                        f"only the first layer may give `{key}`",
                        where=where,
                        expected=f"`{key}` on layers[0] or `input_shape:` at the top",
                        received=f"{key}: {entry[key]!r}",
                        hint=f"remove `{key}` from this layer",
                    )
                found.append((where, shape_of(entry.pop(key), where)))
    if len(found) > 1:
        raise SpecError(
            "the input shape is given twice",
            where=found[1][0],
            expected="one input shape",
            received=f"{found[0][1]} at {found[0][0]} and {found[1][1]} here",
            hint="keep only the top-level `input_shape:`",
        )
    if not found:
        raise SpecError(
            "a sequential spec needs an input shape",
            where=_at(path, "input_shape"),
            expected="`input_shape: [n, ...]` at the top of the spec",
            received="no input shape",
            hint="add e.g. `input_shape: [10]` (Keras 3 prefers keras.Input(shape) to input_dim)",
        )
    return found[0][1]


def _own_argument(entry: dict[str, Any], key: str) -> bool:
    """True when the layer itself takes ``key`` (Embedding's input_dim is a vocabulary size)."""
    if "type" not in entry:
        return False
    cls = cat.layer_classes()[entry["type"]]
    return key in inspect.signature(cls).parameters


def _dtype(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise SpecTypeError(
            "a dtype must be a name", where=where, expected="e.g. 'float32' or 'int32'",
            received=cat._show(value),
        )  # fmt: skip
    return value


def _layer_list(data: dict[str, Any], path: str) -> list[Any]:
    layers = data.get("layers")
    if not isinstance(layers, list) or not layers:
        raise SpecTypeError(
            "`layers` must be a non-empty list",
            where=_at(path, "layers"),
            expected="a list of layer entries such as `- Dense: 10`",
            received=cat._show(layers),
        )
    return layers


# --- layer entries -----------------------------------------------------------------


def _entry(raw: object, where: str, *, functional: bool) -> dict[str, Any]:
    if isinstance(raw, str):
        raw = {"type": raw}
    if not isinstance(raw, dict):
        raise SpecTypeError(
            "a layer entry must be a layer name or a mapping",
            where=where,
            expected="e.g. `- Dense: 10` or `- {type: Dense, units: 10}`",
            received=cat._show(raw),
        )
    if not functional and ("inputs" in raw or "reuse" in raw):
        key = "inputs" if "inputs" in raw else "reuse"
        raise SpecError(
            f"`{key}` needs a functional spec",
            where=_at(where, key),
            expected="a plain chain of layers in a sequential spec",
            received=f"{key}: {raw[key]!r}",
            hint="declare `inputs:` at the top of the spec to make it functional",
        )
    if "reuse" in raw:
        return _reuse_entry(raw, where)
    if "model" in raw:
        return _model_entry(raw, where)
    return _layer_entry(raw, where)


def _reuse_entry(raw: dict[str, Any], where: str) -> dict[str, Any]:
    _check_keys(raw, ("reuse", "name", "inputs"), where, "a reuse entry")
    entry: dict[str, Any] = {"reuse": name_of(raw["reuse"], _at(where, "reuse"))}
    if "name" in raw:
        entry["name"] = name_of(raw["name"], _at(where, "name"), alias=True)
    if "inputs" in raw:
        entry["inputs"] = _wiring.refs(raw["inputs"], _at(where, "inputs"))
    return entry


def _model_entry(raw: dict[str, Any], where: str) -> dict[str, Any]:
    _check_keys(raw, ("model", "name", "inputs"), where, "a nested model entry")
    sub = dict(raw["model"]) if isinstance(raw["model"], dict) else raw["model"]
    if isinstance(sub, dict) and "name" in raw:
        sub["name"] = raw["name"]
    elif isinstance(sub, dict) and "name" not in sub:
        sub["name"] = None  # filled in with the position-derived names
    entry: dict[str, Any] = {"model": sub}
    if "inputs" in raw:
        entry["inputs"] = _wiring.refs(raw["inputs"], _at(where, "inputs"))
    return entry


def _split_type(raw: dict[str, Any], where: str) -> tuple[str, dict[str, Any], str]:
    """(type name, arguments, where the type is written) of a layer entry."""
    if "type" in raw:
        return raw["type"], {k: v for k, v in raw.items() if k != "type"}, _at(where, "type")
    capitalised = [k for k in raw if isinstance(k, str) and k[:1].isupper()]
    if len(capitalised) != 1:
        raise SpecError(
            "a layer entry must say its type",
            where=where,
            expected="`type: Dense` or the shorthand `Dense: 10`",
            received="keys " + ", ".join(map(repr, raw)),
            hint="add `type:` with a class name from keras.layers",
        )
    type_ = capitalised[0]
    args = {k: v for k, v in raw.items() if k != type_}
    value = raw[type_]
    if isinstance(value, dict):
        args = {**value, **args}
    elif value is not None:
        cls = cat.resolve_layer(type_, _at(where, type_))
        first = cat.first_parameter(cls)
        if first is None:
            raise SpecError(
                f"{type_} takes no positional value",
                where=_at(where, type_),
                expected=f"`{type_}:` with a mapping of named arguments, or nothing",
                received=cat._show(value),
                hint=f"write `- {{type: {type_}, ...}}` with named arguments",
            )
        args = {first: value, **args}
    return type_, args, _at(where, type_)


def _layer_entry(raw: dict[str, Any], where: str) -> dict[str, Any]:
    type_, args, type_where = _split_type(raw, where)
    cls = cat.resolve_layer(type_, type_where)
    accepted, required = cat.parameters(cls)
    entry: dict[str, Any] = {"type": type_}
    for key, value in args.items():
        at = _at(where, str(key))
        if key == "name":
            entry["name"] = name_of(value, at)
        elif key == "inputs":
            entry["inputs"] = _wiring.refs(value, at)
        elif key not in accepted:
            raise SpecError(
                f"{type_} has no argument {key!r}",
                where=at,
                expected=f"one of {type_}'s arguments: " + ", ".join(_public(accepted)),
                received=repr(key),
                hint=did_you_mean(str(key), accepted) or f"see help(keras.layers.{type_})",
            )
        else:
            entry[key] = _argument(type_, key, accepted[key], value, at)
    missing = [r for r in required if r not in entry]
    if missing:
        raise SpecError(
            f"{type_} needs the argument {missing[0]!r}",
            where=where,
            expected=f"{type_} with " + ", ".join(missing),
            received="no " + " and no ".join(missing),
            hint=f"add `{missing[0]}: ...` to this entry",
        )
    return entry


def _public(accepted: dict[str, Any]) -> list[str]:
    return [k for k in accepted if k not in ("input_shape", "input_dim", "batch_size")]


_COUNTS = {"units", "filters", "output_dim", "num_heads", "key_dim"}


def _argument(type_: str, key: str, param: Any, value: Any, where: str) -> Any:
    if key in _COUNTS:
        return _positive_int(value, where, f"{type_}'s {key!r}")
    kind = cat.object_kind(key)
    if kind is not None:
        return cat.check_object(kind, value, where)
    default = param.default
    if value is None or default is param.empty or default is None:
        return value
    expected = _expected_type(default)
    if expected is not None and not _matches(value, default):
        raise SpecTypeError(
            f"{type_}'s argument {key!r} has the wrong type",
            where=where,
            expected=f"{expected} (its default is {default!r})",
            received=cat._show(value),
        )
    return value


def _expected_type(default: object) -> str | None:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "a whole number"
    if isinstance(default, float):
        return "a number"
    if isinstance(default, str):
        return "a string"
    if isinstance(default, tuple):
        return "a whole number or a list of whole numbers"
    return None


def _matches(value: object, default: object) -> bool:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return is_int
    if isinstance(default, float):
        return is_int or isinstance(value, float)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, tuple):
        return is_int or isinstance(value, list)
    return True


def _fill_names(
    entries: list[dict[str, Any]], path: str, *, reserved: set[str]
) -> list[dict[str, Any]]:
    """Give every entry its name: explicit, or derived from its type and rank."""
    counts: dict[str, int] = {}
    uses: dict[str, int] = {}
    seen: dict[str, str] = dict.fromkeys(reserved, "the model inputs")
    result = []
    for i, entry in enumerate(entries):
        where = _at(_at(path, "layers"), i)
        if "model" in entry:
            entry = _name_model(entry, counts, where)
        elif "reuse" in entry:
            uses[entry["reuse"]] = uses.get(entry["reuse"], 1) + 1
            entry.setdefault("name", f"{entry['reuse']}@{uses[entry['reuse']]}")
        else:
            base = cat.snake_case(entry["type"])
            counts[base] = counts.get(base, 0) + 1
            entry = {"type": entry["type"], "name": entry.get("name", f"{base}_{counts[base]}"),
                     **{k: v for k, v in entry.items() if k not in ("type", "name")}}  # fmt: skip
        name = entry["model"]["name"] if "model" in entry else entry["name"]
        if name in seen:
            raise SpecError(
                f"the name {name!r} is used twice",
                where=where,
                expected="a name used by no other layer or input",
                received=f"{name!r}, already used by {seen[name]}",
                hint="give one of them another `name:`",
            )
        seen[name] = where
        result.append(entry)
    return result


def _name_model(entry: dict[str, Any], counts: dict[str, int], where: str) -> dict[str, Any]:
    sub = entry["model"]
    kind = _kind(sub, _at(where, "model")) if isinstance(sub, dict) else None
    if isinstance(sub, dict) and sub.get("name") is None:
        counts[str(kind)] = counts.get(str(kind), 0) + 1
        sub = {**sub, "name": f"{kind}_{counts[str(kind)]}"}
    return {**entry, "model": normalize(sub, _at(where, "model"))}


# --- functional --------------------------------------------------------------------


def _functional(data: dict[str, Any], path: str) -> dict[str, Any]:
    inputs = _wiring.model_inputs(data, path)
    entries = [_entry(raw, _at(_at(path, "layers"), i), functional=True)
               for i, raw in enumerate(_layer_list(data, path))]  # fmt: skip
    for i, entry in enumerate(entries):
        for key in ("input_shape", "input_dim"):
            if key in entry and not _own_argument(entry, key):
                raise SpecError(
                    f"`{key}` belongs in the model's `inputs:` in a functional spec",
                    where=_at(_at(_at(path, "layers"), i), key),
                    expected="input shapes under `inputs:`",
                    received=f"{key}: {entry[key]!r}",
                    hint="remove it here and declare the shape under `inputs:`",
                )
    names = {item["name"] for item in inputs}
    entries = _fill_names(entries, path, reserved=names)
    outputs = _wiring.model_outputs(data.get("outputs"), entries, path)
    _wiring.check_graph(inputs, entries, outputs, path)
    return {
        "kind": "functional",
        "name": name_of(data.get("name", "functional"), _at(path, "name")),
        "inputs": inputs,
        "layers": _wiring.compact(entries, inputs),
        "outputs": outputs,
    }


# --- mlp ---------------------------------------------------------------------------


def _mlp(data: dict[str, Any], path: str) -> dict[str, Any]:
    for key in ("inputs", "hidden", "outputs"):
        if key not in data:
            raise SpecError(
                f"an mlp spec needs `{key}`",
                where=_at(path, key),
                expected="inputs (a number or a shape), hidden (a list of layer widths) "
                "and outputs (a number)",
                received="no " + key,
                hint="e.g. inputs: 10, hidden: [10, 20, 10], outputs: 1",
            )
    hidden = data["hidden"]
    hidden = [hidden] if isinstance(hidden, int) and not isinstance(hidden, bool) else hidden
    if not isinstance(hidden, list):
        raise SpecTypeError(
            "`hidden` must be a list of layer widths",
            where=_at(path, "hidden"),
            expected="e.g. [10, 20, 10]",
            received=cat._show(hidden),
        )
    out: dict[str, Any] = {
        "kind": "mlp",
        "name": name_of(data.get("name", "mlp"), _at(path, "name")),
        "inputs": _mlp_inputs(data["inputs"], _at(path, "inputs")),
        "hidden": [
            _positive_int(h, _at(_at(path, "hidden"), i), "a hidden layer's width")
            for i, h in enumerate(hidden)
        ],
        "outputs": _positive_int(data["outputs"], _at(path, "outputs"), "`outputs`"),
        "activation": cat.check_object(
            "activation", data.get("activation", "relu"), _at(path, "activation")
        ),
    }
    output_activation = data.get("output_activation")
    if output_activation is not None:
        out["output_activation"] = cat.check_object(
            "activation", output_activation, _at(path, "output_activation")
        )
    dropout = _dropout(data.get("dropout", 0.0), len(out["hidden"]), _at(path, "dropout"))
    if any(dropout):
        out["dropout"] = dropout[0] if len(set(dropout)) == 1 else dropout
    if data.get("batch_norm", False) is not False:
        if data["batch_norm"] is not True:
            raise SpecTypeError(
                "`batch_norm` must be true or false", where=_at(path, "batch_norm"),
                expected="true or false", received=cat._show(data["batch_norm"]),
            )  # fmt: skip
        out["batch_norm"] = True
    return out


def _mlp_inputs(value: object, where: str) -> int | list[int | None]:
    shape = shape_of(value, where)
    return shape[0] if len(shape) == 1 and shape[0] is not None else shape


def _dropout(value: object, count: int, where: str) -> list[float]:
    rates = value if isinstance(value, list) else [value] * count
    if len(rates) != count:
        raise SpecError(
            "`dropout` needs one rate per hidden layer",
            where=where,
            expected=f"a single rate or a list of {count} rates",
            received=f"a list of {len(rates)}",
        )
    for i, rate in enumerate(rates):
        ok = isinstance(rate, (int, float)) and not isinstance(rate, bool) and 0 <= rate < 1
        if not ok:
            raise SpecTypeError(
                "a dropout rate must be a number from 0 up to (not including) 1",
                where=f"{where}[{i}]" if isinstance(value, list) else where,
                expected="e.g. 0.2",
                received=cat._show(rate),
            )
    return [float(r) for r in rates]  # type: ignore[arg-type]


def expand_mlp(spec: dict[str, Any]) -> dict[str, Any]:
    """The functional spec that an MLP spec stands for."""
    shape = spec["inputs"] if isinstance(spec["inputs"], list) else [spec["inputs"]]
    dropout = spec.get("dropout", 0.0)
    rates = dropout if isinstance(dropout, list) else [dropout] * len(spec["hidden"])
    layers: list[dict[str, Any]] = []
    for i, (units, rate) in enumerate(zip(spec["hidden"], rates, strict=True), start=1):
        layers.append({"type": "Dense", "name": f"hidden_{i}", "units": units,
                       "activation": spec["activation"]})  # fmt: skip
        if spec.get("batch_norm"):
            layers.append({"type": "BatchNormalization", "name": f"batch_norm_{i}"})
        if rate:
            layers.append({"type": "Dropout", "name": f"dropout_{i}", "rate": rate})
    head: dict[str, Any] = {"type": "Dense", "name": "output", "units": spec["outputs"]}
    if spec.get("output_activation"):
        head["activation"] = spec["output_activation"]
    layers.append(head)
    return {
        "kind": "functional",
        "name": spec["name"],
        "inputs": [{"name": "input", "shape": shape}],
        "layers": layers,
        "outputs": "output",
    }
